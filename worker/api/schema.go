package api

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// traceSchemaJSON is docs/trace.schema.json: a copy, since a Go module
// cannot embed its parent's files (a test holds it to the original).
//
//go:embed trace.schema.json
var traceSchemaJSON []byte

// TraceSchemaJSON returns the embedded trace schema.
func TraceSchemaJSON() []byte { return bytes.Clone(traceSchemaJSON) }

// traceSchema compiles the schema once per instance, on first use: a
// Worker instance serves one request, and only a shared trace needs it.
var traceSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(traceSchemaJSON))
	if err != nil {
		return nil, fmt.Errorf("the trace schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const id = "https://raftlab.invalid/trace.schema.json"
	if err := c.AddResource(id, doc); err != nil {
		return nil, fmt.Errorf("the trace schema: %w", err)
	}
	return c.Compile(id)
})

// validateTrace checks body against the trace schema.
func validateTrace(body []byte) error {
	s, err := traceSchema()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return errorf(400, "not a trace", "the body is not JSON: %v", err)
	}
	if err := s.Validate(inst); err != nil {
		return errorf(400, "not a trace", "it does not match the trace schema (docs/trace.schema.json): %v", err)
	}
	return nil
}

package api_test

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/internal/schemafile"
)

// traceSchema is docs/trace.schema.json, compiled.
var traceSchemaOnce = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return schemafile.Compile(filepath.Join("..", "..", "docs", "trace.schema.json"))
})

func traceSchema(t testing.TB) *jsonschema.Schema {
	s, err := traceSchemaOnce()
	require.NoError(t, err)
	return s
}

// checkTrace is Env.CheckTrace natively: the schema, by the Go validator
// the project's schema tests use (the Worker uses the same schema
// compiled to JavaScript; the e2e test checks that one).
func checkTrace(body []byte) error {
	s, err := traceSchemaOnce()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

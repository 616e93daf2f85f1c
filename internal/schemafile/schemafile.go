// Package schemafile compiles the JSON Schemas the project publishes
// (docs/trace.schema.json, grader/result/result.schema.json), so that the
// tests holding the project's JSON to them read them one way: draft
// 2020-12, the file's absolute path as its id. Only tests import it, so
// the validator never enters a binary the product ships.
package schemafile

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Compile reads and compiles the schema at path.
func Compile(path string) (*jsonschema.Schema, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", path, err)
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", abs, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(abs, doc); err != nil {
		return nil, fmt.Errorf("schema %s: %w", abs, err)
	}
	s, err := c.Compile(abs)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", abs, err)
	}
	return s, nil
}

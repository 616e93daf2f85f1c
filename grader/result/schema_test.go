package result_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/result/resulttest"
	"github.com/raftlab/raftlab/grader/rubric"
)

// TestSchema checks every sample result against result.schema.json, the
// published schema of the result's JSON, so that the two cannot drift.
func TestSchema(t *testing.T) {
	path, err := filepath.Abs("result.schema.json")
	require.NoError(t, err)
	f, err := os.Open(path)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	require.NoError(t, c.AddResource(path, doc))
	s, err := c.Compile(path)
	require.NoError(t, err)

	check := func(r *result.Result) error {
		var buf bytes.Buffer
		require.NoError(t, r.WriteJSON(&buf))
		inst, err := jsonschema.UnmarshalJSON(&buf)
		require.NoError(t, err)
		return s.Validate(inst)
	}
	for _, c := range resulttest.Cases() {
		r := result.Score(c.Outcome, resulttest.Rubric())
		require.NoError(t, check(r), c.Name)
		require.NoError(t, check(r.ForStudents()), c.Name)
		require.NoError(t, check(result.Score(c.Outcome, rubric.Default())), c.Name)
	}
	bad := result.Score(resulttest.Cases()[0].Outcome, resulttest.Rubric())
	bad.Stages[0].Verdict = "exploded"
	require.Error(t, check(bad), "the schema's enums are checked")
}

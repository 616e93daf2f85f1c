package result_test

import (
	"bytes"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/result/resulttest"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/internal/schemafile"
)

// TestSchema checks every sample result against result.schema.json, the
// published schema of the result's JSON, so that the two cannot drift.
func TestSchema(t *testing.T) {
	s, err := schemafile.Compile("result.schema.json")
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

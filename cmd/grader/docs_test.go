package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// yamlDocs parses every document of a YAML file.
func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, path)
		docs = append(docs, d)
	}
	return docs
}

// get walks a parsed YAML document by keys and indices.
func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			require.True(t, ok, "%v: not a mapping at %q", path, k)
			v, ok = m[k]
			require.True(t, ok, "%v: no key %q", path, k)
		case int:
			s, ok := v.([]any)
			require.True(t, ok, "%v: not a sequence at %d", path, k)
			require.Less(t, k, len(s))
			v = s[k]
		}
	}
	return v
}

// The GitHub Actions example: the matrix has as many shards as SHARDS
// says, each shard job runs grader class --shard, and the merge job
// merges them.
func TestExampleMatrixWorkflow(t *testing.T) {
	docs := yamlDocs(t, filepath.Join("..", "..", "docs", "examples", "grader-matrix.yml"))
	require.Len(t, docs, 1)
	w := docs[0]
	shards := get(t, w, "env", "SHARDS").(int)
	matrix := get(t, w, "jobs", "shard", "strategy", "matrix", "shard").([]any)
	require.Len(t, matrix, shards)
	for i, s := range matrix {
		assert.Equal(t, i, s, "shards count from 0")
	}
	var runs []string
	for _, job := range []string{"shard", "merge"} {
		for _, st := range get(t, w, "jobs", job, "steps").([]any) {
			if r, ok := st.(map[string]any)["run"]; ok {
				runs = append(runs, r.(string))
			}
		}
	}
	all := strings.Join(runs, "\n")
	assert.Contains(t, all, `./grader class --rubric rubric.toml --shard "${{ matrix.shard }}/$SHARDS" --out out submissions`)
	assert.Contains(t, all, "grader merge shards/shard-* --out class")
	assert.Equal(t, "shard", get(t, w, "jobs", "merge", "needs"))
}

// The Kubernetes example: an indexed Job whose completions, SHARDS and
// the merge Job's list of shard directories agree.
func TestExampleIndexedJob(t *testing.T) {
	docs := yamlDocs(t, filepath.Join("..", "..", "docs", "examples", "grader-job.yaml"))
	require.Len(t, docs, 3)
	job, merge := docs[1], docs[2]
	assert.Equal(t, "Job", job["kind"])
	assert.Equal(t, "Indexed", get(t, job, "spec", "completionMode"))
	n := get(t, job, "spec", "completions").(int)
	c := get(t, job, "spec", "template", "spec", "containers", 0)
	assert.Equal(t, map[string]any{"name": "SHARDS", "value": strconv.Itoa(n)}, get(t, c, "env", 0))
	args := get(t, c, "args", 0).(string)
	assert.Contains(t, args, `grader class --rubric /rubric/rubric.toml --shard "$JOB_COMPLETION_INDEX/$SHARDS" --out "/out/shard-$JOB_COMPLETION_INDEX" /submissions`)
	assert.Equal(t, "grade", get(t, job, "metadata", "labels", "step"))

	assert.Equal(t, "merge", get(t, merge, "metadata", "labels", "step"))
	cmd := get(t, merge, "spec", "template", "spec", "containers", 0, "command").([]any)
	want := []any{"grader", "merge"}
	for i := range n {
		want = append(want, fmt.Sprintf("/out/shard-%d", i))
	}
	want = append(want, "--out", "/out/class")
	assert.Equal(t, want, cmd, "the merge names every shard of the Job, 0..completions-1")
}

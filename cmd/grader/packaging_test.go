package main

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandoutAndGradescopeCommands(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"handout needs OUT", []string{"handout"}, 2, ""},
		{"handout takes one OUT", []string{"handout", filepath.Join(dir, "a"), filepath.Join(dir, "b")}, 2, ""},
		{"handout, flags after OUT", []string{"handout", filepath.Join(dir, "h"), "-module", "example.edu/x/raft", "-tidy=false"}, 0, "module example.edu/x/raft"},
		{"handout refuses a non-empty OUT", []string{"handout", filepath.Join(dir, "h"), "-tidy=false"}, 1, ""},
		{"gradescope needs OUT.zip", []string{"gradescope"}, 2, ""},
		{"gradescope refuses a broken rubric", []string{"gradescope", "-rubric", filepath.Join(dir, "missing.toml"), filepath.Join(dir, "x.zip")}, 1, ""},
		{"gradescope", []string{"gradescope", filepath.Join(dir, "ag.zip")}, 0, "Go "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			assert.Contains(t, stdout.String(), tc.out)
		})
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "h", "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(gomod), "module example.edu/x/raft\n")
	assert.FileExists(t, filepath.Join(dir, "h", ".github", "workflows", "classroom.yml"))
	zr, err := zip.OpenReader(filepath.Join(dir, "ag.zip"))
	require.NoError(t, err)
	defer func() { _ = zr.Close() }()
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	assert.True(t, names["setup.sh"] && names["run_autograder"] && names["rubric.toml"] && names["lab/go.mod"])
}

package gradescope_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/class/classtest"
	"github.com/raftlab/raftlab/grader/gradescope"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/labs"
)

func labRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	root, err := labs.ModuleRoot(wd)
	require.NoError(t, err)
	return root
}

func build(t *testing.T, lab string) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := gradescope.Build(t.Context(), lab, &buf, gradescope.Options{})
	require.NoError(t, err)
	return buf.Bytes()
}

// unpack lays the zip out as Gradescope does: its files in root/source,
// run_autograder copied to root/run_autograder, an empty submission/ and
// results/.
func unpack(t *testing.T, zipData []byte, root string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipData), int64(len(zipData)))
	require.NoError(t, err)
	for _, f := range zr.File {
		dst := filepath.Join(root, "source", filepath.FromSlash(f.Name))
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		require.NoError(t, os.WriteFile(dst, data, f.Mode().Perm()))
	}
	run, err := os.ReadFile(filepath.Join(root, "source", gradescope.RunScript))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, gradescope.RunScript), run, 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "submission"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "results"), 0o755))
}

func script(t *testing.T, root, name string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Minute)
	defer cancel()
	path := filepath.Join(root, name)
	if name == gradescope.SetupScript {
		path = filepath.Join(root, "source", name)
	}
	cmd := exec.CommandContext(ctx, "bash", path)
	cmd.Dir = filepath.Join(root, "source")
	cmd.Env = append(os.Environ(), append([]string{"AUTOGRADER_ROOT=" + root}, env...)...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "%s timed out", name)
	require.NoError(t, err, "%s failed:\n%s", name, out)
	return string(out)
}

func TestZipIsDeterministicAndComplete(t *testing.T) {
	lab := labRoot(t)
	a, b := build(t, lab), build(t, lab)
	require.True(t, bytes.Equal(a, b), "two builds of the zip differ")
	zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	require.NoError(t, err)
	names := map[string]*zip.File{}
	for _, f := range zr.File {
		names[f.Name] = f
		assert.True(t, f.Modified.Equal(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)), "%s carries a time", f.Name)
	}
	for _, n := range []string{gradescope.SetupScript, gradescope.RunScript} {
		require.Contains(t, names, n)
		assert.Equal(t, os.FileMode(0o755), names[n].Mode().Perm(), "%s must be executable", n)
	}
	// The grader needs the whole instructors' tree: the reference for
	// nothing, but the hidden scenarios, the grader and the rubric.
	for _, n := range []string{"rubric.toml", "lab/go.mod", "lab/go.sum", "lab/.handoutignore", "lab/cmd/grader/main.go", "lab/labs/hidden/scenarios.go", "lab/assignments/raft/raft.go"} {
		assert.Contains(t, names, n)
	}
	setup := readZip(t, names[gradescope.SetupScript])
	goVersion, err := gradescope.GoVersion(lab)
	require.NoError(t, err)
	assert.Contains(t, setup, `GO_VERSION="`+goVersion+`"`)
	assert.Contains(t, setup, "https://go.dev/dl/go${GO_VERSION}.linux-${arch}.tar.gz")
}

func readZip(t *testing.T, f *zip.File) string {
	t.Helper()
	rc, err := f.Open()
	require.NoError(t, err)
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// results.json as Gradescope's autograder specification documents it
// (gradescope-autograders.readthedocs.io, "Output format").
type gsResults struct {
	Score        *float64 `json:"score"`
	Output       string   `json:"output"`
	OutputFormat string   `json:"output_format"`
	Visibility   string   `json:"visibility"`
	Tests        []struct {
		Name         string   `json:"name"`
		Score        *float64 `json:"score"`
		MaxScore     *float64 `json:"max_score"`
		Status       string   `json:"status"`
		Output       string   `json:"output"`
		OutputFormat string   `json:"output_format"`
		Visibility   string   `json:"visibility"`
		Tags         []string `json:"tags"`
	} `json:"tests"`
}

var visibilities = []string{"hidden", "after_due_date", "after_published", "visible"}

func readResults(t *testing.T, root string) gsResults {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "results", "results.json"))
	require.NoError(t, err, "run_autograder wrote no results.json")
	var r gsResults
	dec := json.NewDecoder(bytes.NewReader(data))
	require.NoError(t, dec.Decode(&r), "results.json is not Gradescope's JSON:\n%s", data)
	require.NotNil(t, r.Score, "results.json has no score")
	return r
}

// replayCmd is a replay command in Markdown code.
var replayCmd = regexp.MustCompile("`go test \\./assignments/raft -run [^`]+`")

// setupEnv, set, makes the end-to-end test run setup.sh itself (without
// its Go install) instead of building the grader directly: the whole
// autograder build, caches from nothing included.
const setupEnv = "RAFTLAB_GRADESCOPE_SETUP"

func TestRunAutograderEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	lab := labRoot(t)
	root := t.TempDir()
	unpack(t, build(t, lab), root)

	if os.Getenv(setupEnv) != "" {
		// setup.sh as Gradescope runs it, but for the Go install (the
		// test's Go is the lab's) and with modules served from this
		// machine's module cache (no network): it builds the grader and
		// warms caches of its own, from nothing (minutes on 2 cores).
		modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
		require.NoError(t, err)
		proxy := "GOPROXY=file://" + filepath.ToSlash(filepath.Join(strings.TrimSpace(string(modcache)), "cache", "download"))
		out := script(t, root, gradescope.SetupScript, "SKIP_GO_INSTALL=1", proxy, "GOSUMDB=off")
		t.Logf("setup.sh:\n%s", out)
		require.DirExists(t, filepath.Join(root, "cache", "go-build"))
	} else {
		// What setup.sh leaves: the grader built from this tree, at
		// $ROOT/bin/grader (run_autograder then uses the machine's caches).
		t.Logf("not running setup.sh (set %s=1 to): building the grader from this tree", setupEnv)
		cmd := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(root, "bin", "grader"), "./cmd/grader")
		cmd.Dir = lab
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	require.FileExists(t, filepath.Join(root, "bin", "grader"))

	def := rubric.Default()
	hiddenVis := map[string]string{}
	for _, st := range def.Stages {
		for _, sc := range st.Scenarios {
			if sc.Hidden {
				hiddenVis[string(st.Stage)+": "+sc.Name] = string(sc.Visibility)
			}
		}
	}
	require.NotEmpty(t, hiddenVis, "the default rubric grades hidden scenarios")

	for _, tc := range []struct {
		variant string
		check   func(t *testing.T, r gsResults)
	}{
		{"reference", func(t *testing.T, r gsResults) {
			assert.Equal(t, def.MaxScore(), *r.Score, "the reference earns every point")
		}},
		{"starter", func(t *testing.T, r gsResults) {
			assert.Zero(t, *r.Score, "the unfilled starter earns nothing")
		}},
		{"no-election-restriction", func(t *testing.T, r gsResults) {
			assert.Greater(t, *r.Score, 0.0)
			assert.Less(t, *r.Score, def.MaxScore(), "a buggy Raft loses points")
		}},
	} {
		t.Run(tc.variant, func(t *testing.T) {
			sub := filepath.Join(root, "submission")
			require.NoError(t, os.RemoveAll(sub))
			i := slices.IndexFunc(classtest.Variants, func(v classtest.Variant) bool { return v.Name == tc.variant })
			require.GreaterOrEqual(t, i, 0)
			require.NoError(t, classtest.Write(lab, sub, classtest.Variants[i], tc.variant))
			require.NoError(t, os.RemoveAll(filepath.Join(root, "results", "results.json")))

			start := time.Now()
			script(t, root, gradescope.RunScript)
			t.Logf("run_autograder graded %s in %s", tc.variant, time.Since(start).Round(time.Millisecond))
			r := readResults(t, root)
			tc.check(t, r)

			require.NotEmpty(t, r.Tests)
			sum, hiddenSeen, failed := 0.0, 0, 0
			for _, test := range r.Tests {
				require.NotEmpty(t, test.Name)
				require.NotNil(t, test.Score, "%s: score", test.Name)
				require.NotNil(t, test.MaxScore, "%s: max_score", test.Name)
				assert.Contains(t, []string{"passed", "failed"}, test.Status, test.Name)
				assert.Contains(t, visibilities, test.Visibility, test.Name)
				assert.Equal(t, "md", test.OutputFormat, test.Name)
				assert.LessOrEqual(t, *test.Score, *test.MaxScore, test.Name)
				sum += *test.Score
				if vis, ok := hiddenVis[test.Name]; ok {
					hiddenSeen++
					assert.Equal(t, vis, test.Visibility, "hidden scenario %s shows as the rubric says", test.Name)
					assert.Contains(t, test.Tags, "hidden")
				}
				if test.Status == "failed" && tc.variant != "starter" {
					failed++
					assert.Regexp(t, replayCmd, test.Output, "failed test %s: its Markdown output gives the replay command", test.Name)
				}
			}
			assert.Len(t, hiddenVis, hiddenSeen, "every hidden scenario of the rubric is reported")
			assert.InDelta(t, *r.Score, sum, 1e-6, "the tests' scores add up to the score")
			if tc.variant == "no-election-restriction" {
				assert.Positive(t, failed)
			}
		})
	}
}

// TestRunAutograderReportsAGraderFailure: when the grader cannot produce a
// result, run_autograder still writes a valid results.json (score 0) that
// says so, with the grader's last lines, however they are quoted.
func TestRunAutograderReportsAGraderFailure(t *testing.T) {
	lab := labRoot(t)
	root := t.TempDir()
	unpack(t, build(t, lab), root)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "bin"), 0o755))
	fake := "#!/bin/sh\nprintf 'boom: \"quoted\" back\\\\slash\\ttab\\n' >&2\nexit 3\n"
	require.NoError(t, os.WriteFile(filepath.Join(root, "bin", "grader"), []byte(fake), 0o755))
	script(t, root, gradescope.RunScript)
	r := readResults(t, root)
	assert.Zero(t, *r.Score)
	assert.Equal(t, "md", r.OutputFormat)
	assert.Contains(t, r.Output, "exit status 3")
	assert.Contains(t, r.Output, "boom: \"quoted\" back\\slash\ttab")
}

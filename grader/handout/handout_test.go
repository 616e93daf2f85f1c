package handout_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/handout"
	"github.com/raftlab/raftlab/grader/intake"
	"github.com/raftlab/raftlab/labs"
)

// testModule is the module path the tests export under: a course's own.
const testModule = "example.edu/cs-raft/raftlab"

func labRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	root, err := labs.ModuleRoot(wd)
	require.NoError(t, err)
	return root
}

func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
}

func export(t *testing.T, lab string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "handout")
	_, err := handout.Export(t.Context(), lab, out, handout.Options{Module: testModule, Tidy: true})
	require.NoError(t, err)
	return out
}

// tree maps every file of dir to its mode and content hash.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		fi, err := d.Info()
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = fi.Mode().String() + " " + string(sha256.New().Sum(data))
		return nil
	}))
	return m
}

// goIn runs the go command in dir, with the test's deadline.
func goIn(t *testing.T, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off"), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "go %v timed out in %s", args, dir)
	code := 0
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "go %v: %s", args, out)
		code = exit.ExitCode()
	}
	return string(out), code
}

func TestSplitFollowsHandoutIgnore(t *testing.T) {
	lab := labRoot(t)
	files, err := handout.LabFiles(t.Context(), lab)
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(lab, ".handoutignore"))
	require.NoError(t, err)
	ig, err := intakeIgnore(data)
	require.NoError(t, err)
	kept, left := handout.Split(files, ig)
	for _, tc := range []struct {
		file string
		kept bool
	}{
		{"raft/raft.go", false},
		{"labs/hidden/scenarios.go", false},
		{"labs/mutants/mutants_test.go", false},
		{"grader/rubric/rubric.go", false},
		{"cmd/grader/main.go", false},
		{"cmd/raftsim/main.go", false},
		{"soak/soak.go", false},
		{"labs/harness_reference_test.go", false},
		{"assignments/startercheck/doc.go", false},
		{".handoutignore", false},
		{"assignments/raft/raft.go", true},
		{"assignments/raft/raft_test.go", true},
		{"labs/harness.go", true},
		{"raftapi/node.go", true},
		{"cmd/raftview/main.go", true},
	} {
		if !assert.Contains(t, files, tc.file, "the lab has no %s: update this table", tc.file) {
			continue
		}
		if tc.kept {
			assert.Contains(t, kept, tc.file)
		} else {
			assert.Contains(t, left, tc.file)
		}
	}
}

func TestExport(t *testing.T) {
	needGo(t)
	lab := labRoot(t)
	out := export(t, lab)

	t.Run("deterministic: a second export is byte-identical", func(t *testing.T) {
		again := export(t, lab)
		assert.Equal(t, tree(t, out), tree(t, again))
	})

	t.Run("boundary", func(t *testing.T) {
		files := tree(t, out)
		for f := range files {
			for _, prefix := range []string{"raft/", "labs/hidden/", "labs/mutants/", "grader/", "cmd/grader/", "cmd/raftsim/", "cmd/soak/", "soak/", "assignments/startercheck/", "scripts/", ".ci/"} {
				assert.False(t, strings.HasPrefix(f, prefix), "the handout holds %s", f)
			}
			assert.False(t, strings.HasSuffix(f, "_reference_test.go"), "the handout holds %s", f)
		}
		assert.NotContains(t, files, ".handoutignore")
		for _, f := range handout.Generated {
			assert.Contains(t, files, f)
		}
		// No file of the secret packages, under any name: compare contents.
		secretHashes := map[string]string{}
		for _, dir := range []string{"raft", "labs/hidden", "labs/mutants"} {
			for f, h := range tree(t, filepath.Join(lab, dir)) {
				secretHashes[strings.SplitN(h, " ", 2)[1]] = dir + "/" + f
			}
		}
		for f, h := range files {
			if src, ok := secretHashes[strings.SplitN(h, " ", 2)[1]]; ok {
				t.Errorf("the handout's %s is a copy of %s", f, src)
			}
		}
	})

	t.Run("module path", func(t *testing.T) {
		gomod, err := os.ReadFile(filepath.Join(out, "go.mod"))
		require.NoError(t, err)
		assert.Contains(t, string(gomod), "module "+testModule+"\n")
		labModule, err := handout.ModulePath(lab)
		require.NoError(t, err)
		require.NoError(t, filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.NotContains(t, string(data), labModule, "%s still names the lab's module", p)
			assert.False(t, bytes.HasPrefix(data, []byte("//go:build starter")), "%s keeps the starter constraint", p)
			return nil
		}))
		// go.sum is what the handout needs: tidy has nothing to change.
		outp, code := goIn(t, out, nil, "mod", "tidy", "-diff")
		assert.Equal(t, 0, code, "go mod tidy -diff in the handout:\n%s", outp)
		outp, code = goIn(t, out, nil, "mod", "verify")
		assert.Equal(t, 0, code, "go mod verify in the handout:\n%s", outp)
	})

	t.Run("go vet", func(t *testing.T) {
		outp, code := goIn(t, out, nil, "vet", "./...")
		assert.Equal(t, 0, code, "go vet ./... in the handout:\n%s", outp)
	})

	t.Run("no identifier, file or string of the reference or the hidden scenarios", func(t *testing.T) {
		checkNoLeak(t, lab, out)
	})

	t.Run("the starter fails a stage fast and readably, and its replay command works", func(t *testing.T) {
		checkStarterStage(t, out)
	})

	// A copy of the handout whose assignments/raft is the reference: a
	// student's finished work.
	filled := filepath.Join(t.TempDir(), "filled")
	require.NoError(t, os.CopyFS(filled, os.DirFS(out)))
	putReference(t, lab, filepath.Join(filled, "assignments", "raft"))

	t.Run("cmd/run runs the student's Raft", func(t *testing.T) {
		checkRun(t, out, filled)
	})

	t.Run("the Classroom workflow", func(t *testing.T) {
		checkClassroom(t, out, filled)
	})
}

// event is one go test -json event.
type event struct {
	Action, Test, Output, Key, Value string
}

func testJSON(t *testing.T, dir string, args ...string) (map[string]map[string]string, map[string]string, string, int) {
	t.Helper()
	outp, code := goIn(t, dir, nil, append([]string{"test", "-count=1", "-json"}, args...)...)
	attrs := map[string]map[string]string{}
	actions := map[string]string{}
	var text strings.Builder
	for _, line := range strings.Split(outp, "\n") {
		var ev event
		if json.Unmarshal([]byte(line), &ev) != nil {
			text.WriteString(line + "\n")
			continue
		}
		text.WriteString(ev.Output)
		switch ev.Action {
		case "attr":
			if attrs[ev.Test] == nil {
				attrs[ev.Test] = map[string]string{}
			}
			attrs[ev.Test][ev.Key] = ev.Value
		case "pass", "fail", "skip":
			actions[ev.Test] = ev.Action
		}
	}
	return attrs, actions, text.String(), code
}

func checkStarterStage(t *testing.T, out string) {
	tracedir := t.TempDir()
	start := time.Now()
	attrs, actions, text, code := testJSON(t, out, "./assignments/raft", "-run", "^TestElection$", "-tracedir="+tracedir)
	wall := time.Since(start)
	require.Equal(t, 1, code, "the unfilled starter must build and fail its election stage (exit 1):\n%s", text)
	assert.Less(t, wall, 90*time.Second, "the starter's election stage must fail fast")
	assert.Equal(t, "fail", actions["TestElection"])
	assert.NotContains(t, text, "panic:")
	assert.NotRegexp(t, regexp.MustCompile(`goroutine \d+ \[`), text, "no stack dumps")

	// Every failing scenario names its rule, seed and replay command, and
	// the report shows them.
	var replay, scenario string
	for test, a := range attrs {
		if a[labs.AttrReplay] == "" {
			continue
		}
		assert.NotEmpty(t, a[labs.AttrFailureRule], "%s names no rule", test)
		assert.NotEmpty(t, a[labs.AttrFailedSeed], "%s names no seed", test)
		assert.Contains(t, text, a[labs.AttrReplay], "%s: the report must show its replay command", test)
		if replay == "" || test < scenario {
			replay, scenario = a[labs.AttrReplay], test
		}
	}
	require.NotEmpty(t, replay, "no failing scenario printed a replay command:\n%s", text)
	t.Logf("replaying %s: %s", scenario, replay)

	// The replay command, as printed, runs in the handout and fails the
	// same scenario on the same seed.
	require.True(t, strings.HasPrefix(replay, "go test "), "the replay command is a go test command: %q", replay)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", replay+" -json -tracedir="+tracedir)
	cmd.Dir = out
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	raw, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the replay must run and fail: %s", raw)
	require.Equal(t, 1, exit.ExitCode(), "the replay command must build and fail (exit 1):\n%s", raw)
	seen := false
	for _, line := range strings.Split(string(raw), "\n") {
		var ev event
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Test == scenario && ev.Action == "attr" && ev.Key == labs.AttrFailedSeed {
			assert.Equal(t, attrs[scenario][labs.AttrFailedSeed], ev.Value, "the replay fails on the seed it names")
			seen = true
		}
	}
	assert.True(t, seen, "the replay did not fail %s again:\n%s", scenario, raw)
}

// checkRun runs cmd/run in the handout: against the unfilled starter (a
// failure report and a trace), then against the reference put in the
// starter's place (a pass), and reads the trace
// with the handout's viewer.
func checkRun(t *testing.T, out, filled string) {
	tr := filepath.Join(t.TempDir(), "starter.json")
	outp, code := goIn(t, out, nil, "run", "./cmd/run", "-seed", "3", "-trace", tr)
	assert.Equal(t, 1, code, "cmd/run on the unfilled starter must fail:\n%s", outp)
	assert.Contains(t, outp, "FAIL: ")
	assert.Contains(t, outp, "go run ./cmd/run -seed 3", "the report gives the command that replays the run")
	assert.FileExists(t, tr)

	tr = filepath.Join(t.TempDir(), "ref.json")
	outp, code = goIn(t, filled, nil, "run", "./cmd/run", "-seed", "7", "-trace", tr)
	assert.Equal(t, 0, code, "cmd/run on a correct Raft must pass:\n%s", outp)
	assert.Contains(t, outp, "PASS: ")
	outp, code = goIn(t, filled, nil, "run", "./cmd/raftview", "--last", "5", tr)
	assert.Equal(t, 0, code, "raftview reads cmd/run's trace:\n%s", outp)
}

// putReference replaces the student package in dir with the reference's
// non-test files, under the handout's module path.
func putReference(t *testing.T, lab, dir string) {
	t.Helper()
	labModule, err := handout.ModulePath(lab)
	require.NoError(t, err)
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), "_test.go") {
			require.NoError(t, os.Remove(filepath.Join(dir, e.Name())))
		}
	}
	ref, err := filepath.Glob(filepath.Join(lab, "raft", "*.go"))
	require.NoError(t, err)
	for _, f := range ref {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		data = bytes.ReplaceAll(data, []byte(`"`+labModule+`/`), []byte(`"`+testModule+`/`))
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644))
	}
}

func intakeIgnore(data []byte) (*intake.Ignore, error) { return intake.ParseIgnore(data) }

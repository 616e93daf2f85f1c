package sandbox

import (
	"archive/zip"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/sim"
)

// fastOptions grade one stage, two scenarios, one seed, with short limits:
// enough to see each hostile submission's verdict in seconds.
func fastOptions(t *testing.T) Options {
	return Options{
		Stages:       []labs.Stage{labs.Election},
		Scenarios:    []string{"InitialElection", "ReElection"},
		Seeds:        1,
		StageTimeout: 15 * time.Second,
		HangBound:    time.Second,
		RuleTimeout:  2 * time.Second,
		MemoryBytes:  3 << 30,
		TraceDir:     filepath.Join(t.TempDir(), "traces"),
	}
}

// submission lays out a hostile case as a student's directory: its files,
// plus the stub node of testdata/stub unless the case brings its own New.
func submission(t *testing.T, name string, stub bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	src := filepath.Join("testdata", "hostile", name)
	ents, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range ents {
		copyTo(t, filepath.Join(src, e.Name()), filepath.Join(dir, e.Name()))
	}
	if stub {
		copyTo(t, filepath.Join("testdata", "stub", "stub.go"), filepath.Join(dir, "stub.go"))
	}
	return dir
}

func copyTo(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, data, 0o644))
}

// escapingZip writes a zip with entries that climb out (../), an absolute
// path, and a symlink to /etc, next to one honest file.
func escapingZip(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "escape.zip")
	f, err := os.Create(p)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	stub, err := os.ReadFile(filepath.Join("testdata", "stub", "stub.go"))
	require.NoError(t, err)
	for name, data := range map[string]string{
		"raft.go":            string(stub),
		"hooks.go":           "package raft\n\nfunc onBoot(n *node) {}\nfunc onTick(n *node) {}\n",
		"../../escaped.go":   "package raft\n",
		"/tmp/absolute.go":   "package raft\n",
		"sub/../../climb.go": "package raft\n",
	} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte(data))
		require.NoError(t, err)
	}
	h := &zip.FileHeader{Name: "etc", Method: zip.Store}
	h.SetMode(fs.ModeSymlink | 0o777)
	w, err := zw.CreateHeader(h)
	require.NoError(t, err)
	_, err = w.Write([]byte("/etc"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	return p
}

// A hostile case: how to lay it out and the verdict it must get.
type hostileCase struct {
	name    string
	stub    bool
	path    func(t *testing.T) string // instead of the testdata directory
	verdict result.StageVerdict
	// detail must appear in the stage's Detail, a rule's message or a
	// scenario's report; refusal in one of the Refusals; note in a Note.
	detail, refusal, note string
	// besides, if set, is what replaying a failing seed must find in at
	// least one scenario (Failure.Besides.Kind).
	besides      string
	bound        time.Duration // the wall time the case may take, build included
	stageTimeout time.Duration // instead of fastOptions'
	cpu          time.Duration // instead of fastOptions'

}

func hostileCases() []hostileCase {
	return []hostileCase{
		{name: "loop-in-turn", stub: true, verdict: result.StageRan, detail: "never returned", bound: 30 * time.Second},
		{name: "loop-in-init", stub: true, verdict: result.StageTimedOut, detail: "wall-clock limit of 6s", stageTimeout: 6 * time.Second, bound: 20 * time.Second},
		{name: "deadlock", stub: true, verdict: result.StageRan, detail: "never returned", bound: 30 * time.Second},
		{name: "panic", stub: true, verdict: result.StageRan, detail: "panicked", bound: 30 * time.Second},
		{name: "panic-in-goroutine", stub: true, verdict: result.StageNoReport, detail: "boom from a goroutine", bound: 30 * time.Second},
		{name: "os-exit", stub: true, verdict: result.StageRefused, refusal: `raft.go:3: import "os" is not allowed`, bound: 5 * time.Second},
		{name: "huge-alloc", stub: true, verdict: result.StageKilled, detail: "out of memory", bound: 30 * time.Second},
		{name: "cpu-burn", stub: true, verdict: result.StageKilled, detail: "CPU limit of 1s", cpu: time.Second, bound: 30 * time.Second},
		{name: "goroutines", stub: true, verdict: result.StageRan, bound: 45 * time.Second},
		{name: "write-file", stub: true, verdict: result.StageRefused, refusal: `raft.go:3: import "io/ioutil" is not allowed`, bound: 5 * time.Second},
		{name: "network-dial", stub: true, verdict: result.StageRefused, refusal: `raft.go:3: import "net" is not allowed`, bound: 5 * time.Second},
		{name: "own-tests", stub: true, verdict: result.StageRan, note: "raft_test.go: a test file, ignored", bound: 30 * time.Second},
		{name: "imports-reference", verdict: result.StageRefused, refusal: "the reference implementation", bound: 5 * time.Second},
		{name: "nondeterministic", stub: true, verdict: result.StageRan, besides: sim.KindNondeterminism, detail: "NONDETERMINISM", bound: 30 * time.Second},
		{name: "fake-json", stub: true, verdict: result.StageRan, bound: 30 * time.Second},
		{name: "compile-error", stub: true, verdict: result.StageBuildFailed, detail: "raft.go:6:4: n.undefinedField undefined", bound: 60 * time.Second},
		{name: "empty", verdict: result.StageRefused, refusal: "no Go file", note: ".keep: not a Go file", bound: 5 * time.Second},
		{name: "wrong-package", stub: true, verdict: result.StageRefused, refusal: "raft.go:1: package main", bound: 5 * time.Second},
		{name: "unsafe-linkname", stub: true, verdict: result.StageRefused, refusal: "raft.go:5: the directive //go:linkname", bound: 5 * time.Second},
		{name: "zip-escape", path: escapingZip, verdict: result.StageRefused, refusal: `"../../escaped.go" climbs out`, note: "etc: a symlink in the archive, ignored", bound: 5 * time.Second},
	}
}

// everything is every line of an outcome a student could read.
func everything(out *result.Outcome) string {
	var b strings.Builder
	for _, s := range out.Stages {
		b.WriteString(s.Detail + "\n")
		for _, r := range s.Rules {
			b.WriteString(r.Message + "\n")
		}
		for _, sc := range s.Scenarios {
			b.WriteString(sc.Report + "\n")
		}
	}
	return b.String()
}

func passed(s result.StageOutcome) (rules, seeds int) {
	for _, r := range s.Rules {
		if r.Passed {
			rules++
		}
	}
	for _, sc := range s.Scenarios {
		seeds += sc.SeedsPassed
	}
	return rules, seeds
}

// TestHostileSubmissions grades every hostile submission in one grader
// process, then the reference: each gets its verdict within its bound, none
// scores a point, and the grader still grades the next one normally.
func TestHostileSubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every hostile submission")
	}
	suiteStart := time.Now()
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := ""
			if tc.path != nil {
				path = tc.path(t)
			} else {
				path = submission(t, tc.name, tc.stub)
			}
			start := time.Now()
			opts := fastOptions(t)
			if tc.stageTimeout > 0 {
				opts.StageTimeout = tc.stageTimeout
			}
			if tc.cpu > 0 {
				opts.CPU = tc.cpu
			}
			out, err := Grade(context.Background(), path, opts)
			took := time.Since(start)
			require.NoError(t, err)
			require.Len(t, out.Stages, 1)
			st := out.Stages[0]
			t.Logf("%s: %s in %s: %s", tc.name, st.Verdict, took.Round(time.Millisecond), firstLine(st.Detail))
			assert.Equal(t, tc.verdict, st.Verdict, "detail: %s", st.Detail)
			assert.LessOrEqual(t, took, tc.bound, "the case took too long")
			rules, seeds := passed(st)
			assert.Zero(t, rules, "a hostile submission passed a rule test")
			assert.Zero(t, seeds, "a hostile submission passed a seed")
			if tc.detail != "" {
				assert.Contains(t, everything(out), tc.detail)
			}
			if tc.refusal != "" {
				var msgs []string
				for _, f := range out.Refusals {
					msgs = append(msgs, f.Message)
				}
				assert.Contains(t, strings.Join(msgs, "\n"), tc.refusal)
			}
			if tc.besides != "" {
				var found []string
				for _, sc := range st.Scenarios {
					if sc.Failure != nil && sc.Failure.Besides != nil {
						found = append(found, sc.Failure.Besides.Kind)
					}
				}
				assert.Contains(t, found, tc.besides, "no replay found %s", tc.besides)
			}
			if tc.note != "" {
				assert.Contains(t, strings.Join(out.Notes, "\n"), tc.note)
			}
			if os.Geteuid() == 0 && (st.Verdict == result.StageRan || st.Verdict == result.StageTimedOut) {
				assert.Empty(t, out.Isolation, "as root, every isolation measure applies")
			}
		})
	}
	t.Run("reference-after-all", func(t *testing.T) {
		out, err := Grade(context.Background(), referenceSubmission(t), fastOptions(t))
		require.NoError(t, err)
		st := out.Stages[0]
		require.Equal(t, result.StageRan, st.Verdict, st.Detail)
		rules, seeds := passed(st)
		assert.Equal(t, len(st.Rules), rules)
		assert.Equal(t, 2, seeds)
	})
	t.Logf("hostile suite: %s", time.Since(suiteStart).Round(time.Second))
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// referenceSubmission copies the reference's non-test files as a student
// would submit them.
func referenceSubmission(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "reference")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	ents, err := os.ReadDir(filepath.Join("..", "..", "raft"))
	require.NoError(t, err)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			copyTo(t, filepath.Join("..", "..", "raft", e.Name()), filepath.Join(dir, e.Name()))
		}
	}
	return dir
}

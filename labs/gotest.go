//go:build !raftlab_sandbox

package labs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/raftlab/raftlab/labs/rules"
)

// This file is the go test side of the suites: RunStage and what only it
// uses (the test flags in flags.go). The browser sandbox runs scenarios
// through Run and never through go test, so its build
// (scripts/build-wasm.sh, -tags raftlab_sandbox) leaves both files out:
// importing testing links testing's and flag's package state, about 18 KB
// of the sandbox's brotli-compressed WebAssembly.

// RunStage runs one stage's suite against impl: the rule-level tests of
// the stage, then each scenario as a subtest, in parallel. It is a thin
// adapter of the pure entry points (Scenarios, SeedPlan, Run) to go test:
// it reads the flags, names runs after the tests, writes traces and turns
// results into t.Attr records (the Attr* keys) and the report a student
// reads.
func RunStage(t *testing.T, stage Stage, impl Impl, opts ...Option) {
	t.Helper()
	r := &runner{impl: impl}
	for _, o := range opts {
		o(r)
	}
	t.Attr(AttrStage, string(stage))
	t.Attr(AttrImplementation, impl.Name)
	// rules.Run sets AttrRule on each rule-level test.
	t.Run("Rules", func(t *testing.T) { rules.Run(t, impl.Factory, stage) })
	// The stage's time is measured from here, after the rule tests, to
	// the Cleanup, which runs once every scenario's subtest, parallel
	// ones included, has finished: the stage's cost line comes last.
	r.cost = newCostMeter()
	t.Cleanup(func() {
		t.Helper()
		r.reportCost(t, stage)
	})
	for _, sc := range Scenarios(stage, r.extra...) {
		t.Run(sc.Name, func(t *testing.T) {
			t.Helper() // reports carry their own context; no harness.go:NN prefix
			t.Parallel()
			r.run(t, sc)
		})
	}
}

// reportCost logs the stage's cost line and records it as attributes
// (AttrCost, and AttrCostWarning when a figure is far above the
// reference's). It is a warning, never a failure: a slow implementation
// is still a correct one.
func (r *runner) reportCost(t *testing.T, stage Stage) {
	t.Helper()
	if r.cost.empty() {
		return // -run selected no scenario
	}
	p := r.seedPlan()
	rep := r.cost.report(stage, p == SeedPlan{}, *traceFlag)
	t.Log(rep.Line())
	t.Attr(AttrCost, rep.JSON())
	if len(rep.Warnings) > 0 {
		t.Attr(AttrCostWarning, oneLine(strings.Join(rep.Warnings, " | ")))
	}
}

// seedPlan is the plan the flags and options give.
func (r *runner) seedPlan() SeedPlan {
	return SeedPlan{Seed: *seedFlag, Count: *seedsFlag, Salt: r.salt}
}

func (r *runner) run(t *testing.T, sc Scenario) {
	t.Helper()
	seeds := r.seedPlan().Seeds(sc)
	t.Attr(AttrScenario, sc.Name)
	t.Attr(AttrSeeds, SeedRange(seeds))
	if sc.Hidden {
		t.Attr(AttrHidden, "true")
	}
	start := time.Now()
	pkg := packageDir()
	var cost Cost // of the seeds run
	for i, seed := range seeds {
		run := Run{Impl: r.impl, Scenario: sc, Seed: seed, Name: t.Name(),
			Replay: ReplayCommand(pkg, t.Name(), seed), Trace: *traceFlag}
		res := run.Execute()
		cost.Add(res.Sim)
		if f := res.Failure; f != nil {
			r.cost.fail(cost)
			if res.Trace != nil {
				// A failure to write is recorded in the report.
				_, _ = res.WriteTrace(traceDirFor(t))
			}
			for _, a := range f.Attrs() {
				t.Attr(a.Key, a.Value)
			}
			t.Fatal(f.Error() + fmt.Sprintf(
				"\n  seeds:    %s ran of %s (a scenario stops at its first failing seed); -seed=N replays one seed, -seeds=N runs N of them",
				SeedRange(seeds[:i+1]), SeedRange(seeds)))
		}
		if *traceFlag {
			path, err := res.WriteTrace(traceDirFor(t))
			if err != nil {
				t.Errorf("writing the trace of seed %d: %v", seed, err)
			} else {
				t.Logf("seed %d passed; trace: %s", seed, path)
			}
		}
	}
	r.cost.passed(sc.Name, cost)
	t.Logf("%d seed(s) passed in %s", len(seeds), time.Since(start).Round(time.Millisecond))
}

// traceDirFor is where a test's traces go, so the student can find them:
// the test's artifact directory under go test -artifacts, else -tracedir,
// else $TMPDIR/raftlab-traces. It is asked only when a trace is written
// (ArtifactDir creates the directory).
func traceDirFor(t *testing.T) string {
	if *traceDir != "" {
		return *traceDir
	}
	if lookupFlag("test.artifacts") == "true" {
		return t.ArtifactDir()
	}
	return filepath.Join(os.TempDir(), "raftlab-traces")
}

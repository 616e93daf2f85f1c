package labs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/trace"
)

// Stage is a lab stage: election, replication, persistence, snapshots.
type Stage = rules.Stage

// The four stages, in the order students meet them.
const (
	Election    = rules.Election
	Replication = rules.Replication
	Persistence = rules.Persistence
	Snapshots   = rules.Snapshots
)

// Stages lists the stages in order.
var Stages = []Stage{Election, Replication, Persistence, Snapshots}

// Impl is an implementation under test.
type Impl struct {
	Name    string          // as reports name it: "reference", "assignments/raft"
	Factory raftapi.Factory // builds its nodes
}

// Scenario is one case of a stage's suite: a script for the simulated
// world, run for several seeds.
type Scenario struct {
	Name   string // the subtest's name, e.g. "InitialElection"
	Stage  Stage
	Paper  string // what it exercises, e.g. "§5.2": shown in reports
	Hidden bool   // left out of the student handout; the grader adds these
	Nodes  int
	// Seeds is how many seeds the scenario runs by default (the -seeds
	// flag overrides it). A scripted scenario still varies with the
	// seed: election timeouts, message delays and the scenario's own
	// random choices all come from it.
	Seeds int
	// Configure adjusts the world for a seed (network, snapshots, clock
	// skew); nil keeps the defaults (a reliable network).
	Configure func(cfg *sim.Config, seed uint64)
	Run       sim.Scenario
}

// Option changes how RunStage runs.
type Option func(*runner)

// WithScenarios adds scenarios to the stage's suite: the grader's hidden
// cases, for example. Scenarios of other stages are ignored.
func WithScenarios(s ...Scenario) Option {
	return func(r *runner) { r.extra = append(r.extra, s...) }
}

// WithSeedSalt shifts every seed by a salt only the grader knows, so that
// hidden runs use seeds students have not seen.
func WithSeedSalt(salt uint64) Option { return func(r *runner) { r.salt = salt } }

type runner struct {
	impl  Impl
	extra []Scenario
	salt  uint64
}

// RunStage runs one stage's suite against impl: the rule-level tests of
// the stage, then each scenario as a subtest, in parallel.
func RunStage(t *testing.T, stage Stage, impl Impl, opts ...Option) {
	t.Helper()
	r := &runner{impl: impl}
	for _, o := range opts {
		o(r)
	}
	t.Attr("stage", string(stage))
	t.Attr("implementation", impl.Name)
	t.Run("Rules", func(t *testing.T) { rules.Run(t, impl.Factory, stage) })
	for _, sc := range append(Suite(stage), r.extra...) {
		if sc.Stage != stage {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			t.Helper() // reports carry their own context; no harness.go:NN prefix
			t.Parallel()
			r.run(t, sc)
		})
	}
}

// seeds returns the seeds a scenario runs.
func (r *runner) seeds(sc Scenario) []uint64 {
	if *seedFlag != 0 {
		return []uint64{*seedFlag}
	}
	n := sc.Seeds
	if *seedsFlag > 0 {
		n = *seedsFlag
	}
	n = max(n, 1)
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i+1) + r.salt
	}
	return out
}

func (r *runner) run(t *testing.T, sc Scenario) {
	t.Helper()
	seeds := r.seeds(sc)
	t.Attr("scenario", sc.Name)
	t.Attr("seeds", seedRange(seeds))
	if sc.Hidden {
		t.Attr("hidden", "true")
	}
	start := time.Now()
	for _, seed := range seeds {
		cfg := r.config(t, sc, seed)
		cfg.RecordTrace = *traceFlag
		res := sim.Run(cfg, sc.Run)
		if res.Failure != nil {
			t.Attr("failed_seed", strconv.FormatUint(seed, 10))
			t.Fatal(r.report(t, sc, cfg, res) + fmt.Sprintf(
				"\n  seeds:    %s ran; -seed=N replays one seed, -seeds=N runs N of them", seedRange(seeds)))
		}
		if *traceFlag {
			path, err := writeTrace(t, cfg, res.Trace)
			if err != nil {
				t.Errorf("writing the trace of seed %d: %v", seed, err)
			} else {
				t.Logf("seed %d passed; trace: %s", seed, path)
			}
		}
	}
	t.Logf("%d seed(s) passed in %s", len(seeds), time.Since(start).Round(time.Millisecond))
}

func (r *runner) config(t *testing.T, sc Scenario, seed uint64) sim.Config {
	cfg := sim.Config{
		Nodes:          sc.Nodes,
		Factory:        r.impl.Factory,
		Seed:           seed,
		Implementation: r.impl.Name,
		Scenario:       t.Name(),
		Replay:         replayCommand(t, seed),
	}
	if sc.Configure != nil {
		sc.Configure(&cfg, seed)
	}
	return cfg
}

// report turns a failing run into the message a student reads. The run is
// replayed with the trace on; a replay that differs is itself the failure
// (the implementation is nondeterministic).
func (r *runner) report(t *testing.T, sc Scenario, cfg sim.Config, first *sim.Result) string {
	f := first.Failure
	if f.Kind == sim.KindHang {
		return f.Error() + "\n  (no trace: a run that hangs cannot be replayed safely)"
	}
	cfg.RecordTrace = true
	again := sim.Run(cfg, sc.Run)
	if again.Failure != nil && again.Failure.Kind == sim.KindHang {
		return f.Error() + "\n\nand besides, replaying this seed to write its trace hung:\n" + again.Failure.Error()
	}
	if again.Hash != first.Hash {
		// The first run kept no trace; a third run names the first event
		// where two traced runs differ.
		nd := sim.Compare(again, sim.Run(cfg, sc.Run))
		if nd == nil {
			nd = &sim.Failure{Kind: sim.KindNondeterminism, Rule: "Determinism",
				Message: "a replay of this seed with the trace on behaved differently: your implementation is nondeterministic (map iteration order, goroutines, the wall clock, or randomness other than Env.Rand())"}
		}
		return f.Error() + "\n\nand besides:\n" + nd.Error()
	}
	path, err := writeTrace(t, cfg, again.Trace)
	if err != nil {
		return f.Error() + fmt.Sprintf("\n  (the trace could not be written: %v)", err)
	}
	f.TracePath = path
	return f.Error() + fmt.Sprintf("\n  read it:  go run github.com/raftlab/raftlab/cmd/raftview --last 40 %s", path)
}

// writeTrace writes a run's trace where the student can find it: the
// test's artifact directory under go test -artifacts, else -tracedir, else
// $TMPDIR/raftlab-traces.
func writeTrace(t *testing.T, cfg sim.Config, tr *trace.Trace) (string, error) {
	dir := *traceDir
	if dir == "" {
		if f := lookupFlag("test.artifacts"); f == "true" {
			dir = t.ArtifactDir()
		} else {
			dir = filepath.Join(os.TempDir(), "raftlab-traces")
		}
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs // go test runs in the package directory: a relative path would mislead
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create trace directory: %w", err)
	}
	name := fmt.Sprintf("%s-seed%d.json", fileSafe.ReplaceAllString(t.Name(), "_"), cfg.Seed)
	path := filepath.Join(dir, name)
	if err := trace.WriteFile(path, tr); err != nil {
		return "", err
	}
	return path, nil
}

var fileSafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// replayCommand is the go test command that replays exactly this seed of
// this test, from the module root.
func replayCommand(t *testing.T, seed uint64) string {
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return fmt.Sprintf("go test %s -run '%s' -seed=%d", packageDir(), strings.Join(parts, "/"), seed)
}

// packageDir is the test's package directory relative to the module root
// ("./raft"), or "." if it cannot be told.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	root, err := ModuleRoot(wd)
	if err != nil {
		return "."
	}
	rel, err := filepath.Rel(root, wd)
	if err != nil || rel == "." {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}

// ModuleRoot returns the directory holding go.mod at or above dir: where
// replay commands and go test subprocesses run from.
func ModuleRoot(dir string) (string, error) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod at or above %s", dir)
		}
		dir = parent
	}
}

func seedRange(seeds []uint64) string {
	if len(seeds) == 1 {
		return strconv.FormatUint(seeds[0], 10)
	}
	return fmt.Sprintf("%d-%d", seeds[0], seeds[len(seeds)-1])
}

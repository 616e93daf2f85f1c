package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/trace"
)

// The pure entry points of the suites: listing a stage's scenarios,
// choosing seeds, running one scenario for one seed and explaining a
// failure, all as values and errors. RunStage is a thin adapter over them
// for go test; the grader (which reads go test -json) and the browser
// sandbox (WebAssembly, no testing package at run time) call them
// directly.

// The keys of the t.Attr records RunStage emits, as go test -json shows
// them (Action "attr", Key, Value). They are an interface: a grader and
// the project's own checks (assignments/startercheck, labs/mutants) read
// them instead of the human text.
const (
	// On each stage's top-level test.
	AttrStage          = "stage"          // the stage, e.g. "election"
	AttrImplementation = "implementation" // Impl.Name

	// On each scenario's subtest.
	AttrScenario = "scenario" // the scenario's name
	AttrSeeds    = "seeds"    // the seeds it runs: "7", or a range "1-50"
	AttrHidden   = "hidden"   // "true" on a scenario left out of the handout

	// On a failing scenario's subtest: the fields of Failure.
	AttrFailedSeed        = "failed_seed"         // the seed that failed
	AttrFailureKind       = "failure_kind"        // sim.Kind*: safety, liveness, scenario, contract, panic, hang, ...; "rule" on a rule test (rules.FailureKindRule)
	AttrFailureRule       = "failure_rule"        // the rule, e.g. "Election Safety"
	AttrFailurePaper      = "failure_paper"       // where the paper states it, e.g. "§5.2" (absent if none)
	AttrFailureNodes      = "failure_nodes"       // the nodes involved, comma-separated: "0,2" (absent if none)
	AttrReplay            = "replay"              // the command that replays the failing seed
	AttrTracePath         = "trace_path"          // where the failing run's trace was written (absent if it was not)
	AttrReplayFailureKind = "replay_failure_kind" // what replaying the seed found besides: "nondeterminism" or "hang"
	AttrFailure           = "failure"             // the Failure as one line of JSON, without its timeline, node states and stack
	AttrFixFirst          = "fix_first"           // the earlier stage whose rule failed, e.g. "election" (absent if the rule is this stage's)

	// On each stage's top-level test, once its scenarios have run: what
	// the stage cost against the reference's cost of the same scenarios
	// (CostReport as one line of JSON), and, if a figure is more than ten
	// times the reference's, the warnings with their likely causes
	// (separated by " | "). Neither fails the test.
	AttrCost        = "cost"
	AttrCostWarning = "cost_warning"

	// AttrRule is set on every rule-level test (package labs/rules, which
	// sets it under this key): where the rule is written, e.g.
	// "Figure 2, RequestVote receiver rule 2 (§5.2, §5.4.1)".
	AttrRule = "rule"
)

// Attr is one t.Attr record: a key of the Attr* constants and its value
// (one line).
type Attr struct {
	Key, Value string
}

// Scenarios returns a stage's scenarios: its visible suite (Suite), then
// those of extra (the grader's hidden cases, say) that belong to the
// stage, in order.
func Scenarios(stage Stage, extra ...Scenario) []Scenario {
	all := Suite(stage)
	for _, sc := range extra {
		if sc.Stage == stage {
			all = append(all, sc)
		}
	}
	return all
}

// FindScenario returns the scenario of the stage named name (exactly as
// Scenario.Name, which is also its subtest's name), among the visible
// suite and extra.
func FindScenario(stage Stage, name string, extra ...Scenario) (Scenario, error) {
	for _, sc := range Scenarios(stage, extra...) {
		if sc.Name == name {
			return sc, nil
		}
	}
	return Scenario{}, fmt.Errorf("stage %s has no scenario named %q", stage, name)
}

// SeedPlan says which seeds each scenario of a run uses: what the -seed
// and -seeds flags and WithSeedSalt set for go test. The zero plan runs
// each scenario's default seeds, 1..Scenario.Seeds.
type SeedPlan struct {
	// Seed, if nonzero, is the one seed every scenario runs: a replay
	// runs exactly the seed its report names, so the salt does not apply.
	Seed uint64
	// Count, if positive, is how many seeds each scenario runs instead
	// of its default.
	Count int
	// Salt shifts every seed of a default or counted run (seeds
	// Salt+1..Salt+n), so that hidden runs use seeds students have not
	// seen.
	Salt uint64
}

// Seeds returns the seeds sc runs under the plan: at least one.
func (p SeedPlan) Seeds(sc Scenario) []uint64 {
	if p.Seed != 0 {
		return []uint64{p.Seed}
	}
	n := sc.Seeds
	if p.Count > 0 {
		n = p.Count
	}
	n = max(n, 1)
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i+1) + p.Salt
	}
	return out
}

// Run is one scenario run for one seed against one implementation: the
// unit a grader or the browser schedules.
type Run struct {
	Impl     Impl
	Scenario Scenario
	Seed     uint64
	// Name names the run in reports and trace file names; "" means the
	// scenario's name. RunStage uses the test's name
	// ("TestElection/InitialElection").
	Name string
	// Replay is the command that replays the run, printed in its report
	// and recorded in its trace ("" for none; see ReplayCommand).
	Replay string
	// Trace keeps the trace of a passing run too (Result.Trace). A
	// failing run's trace is always kept, from a replay.
	Trace bool
}

func (r Run) name() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Scenario.Name
}

// Config is the simulated world the run uses, after the scenario's
// Configure.
func (r Run) Config() sim.Config {
	cfg := sim.Config{
		Nodes:          r.Scenario.Nodes,
		Factory:        r.Impl.Factory,
		Seed:           r.Seed,
		Implementation: r.Impl.Name,
		Scenario:       r.name(),
		Replay:         r.Replay,
		RecordTrace:    r.Trace,
	}
	if r.Scenario.Configure != nil {
		r.Scenario.Configure(&cfg, r.Seed)
	}
	return cfg
}

// Result is the outcome of one Run. Its JSON form is what a grader
// serializes.
type Result struct {
	Stage    Stage  `json:"stage"`
	Scenario string `json:"scenario"` // the scenario's name
	Name     string `json:"name"`     // the run's name (Run.Name)
	Seed     uint64 `json:"seed"`
	Hidden   bool   `json:"hidden,omitempty"`
	Passed   bool   `json:"passed"`
	// Failure is nil if the run passed.
	Failure *Failure `json:"failure,omitempty"`
	// TracePath is where WriteTrace put the trace, if it did.
	TracePath string `json:"trace_path,omitempty"`

	// Sim is the simulator's result of the (first) run: statistics,
	// simulated and wall time, hash.
	Sim *sim.Result `json:"-"`
	// Trace is the run's trace, if one was kept: a failing run's, from a
	// replay with the trace on, or a passing run's with Run.Trace. A
	// failing run that hung, or whose replay differed, has none.
	Trace *trace.Trace `json:"-"`
}

// Failure is a failing run as a grader reads it: the simulator's failure
// (kind, rule, paper section, nodes, seed, replay command, trace path,
// ...; its JSON keys are flattened into this one's), the stage, and what
// replaying the seed found besides. Error renders the report a student
// reads.
type Failure struct {
	sim.Failure
	Stage  Stage `json:"stage"`
	Hidden bool  `json:"hidden,omitempty"`
	// Besides is what replaying the failing seed with the trace on found
	// on top of the failure: a nondeterminism failure (the replay
	// differed), or a hang (the replay hung). Nil if the replay matched.
	Besides *sim.Failure `json:"besides,omitempty"`
	// TraceError says why the trace could not be written, if it could not.
	TraceError string `json:"trace_error,omitempty"`
	// FixFirst is the earlier stage that first checks the failure's rule
	// (see RuleStage), if there is one: a student who has not made that
	// stage pass should fix it first. Empty if the rule is this stage's
	// or no stage owns it.
	FixFirst Stage `json:"fix_first,omitempty"`
}

// Error renders the report a student reads: the simulator's report, then
// what the replay found or where the trace is.
func (f *Failure) Error() string {
	s := f.Failure.Error()
	if f.FixFirst != "" {
		s += "\n  " + fixFirstNote(f.Rule, f.FixFirst, f.Replay)
	}
	switch {
	case f.Kind == sim.KindHang:
		return s + "\n  (no trace: a run that hangs cannot be replayed safely)"
	case f.Besides != nil && f.Besides.Kind == sim.KindHang:
		return s + "\n\nand besides, replaying this seed to write its trace hung:\n" + f.Besides.Error()
	case f.Besides != nil:
		return s + "\n\nand besides:\n" + f.Besides.Error()
	case f.TraceError != "":
		return s + fmt.Sprintf("\n  (the trace could not be written: %s)", f.TraceError)
	case f.TracePath != "":
		return s + "\n  read it:  go run github.com/raftlab/raftlab/cmd/raftview --last 40 " + f.TracePath
	}
	return s
}

// Attrs returns the t.Attr records of the failure, in the order RunStage
// emits them.
func (f *Failure) Attrs() []Attr {
	attrs := []Attr{
		{AttrFailedSeed, strconv.FormatUint(f.Seed, 10)},
		{AttrFailureKind, oneLine(f.Kind)},
		{AttrFailureRule, oneLine(f.Rule)},
	}
	if f.Paper != "" {
		attrs = append(attrs, Attr{AttrFailurePaper, oneLine(f.Paper)})
	}
	if len(f.Nodes) > 0 {
		nodes := make([]string, len(f.Nodes))
		for i, n := range f.Nodes {
			nodes[i] = strconv.Itoa(n)
		}
		attrs = append(attrs, Attr{AttrFailureNodes, strings.Join(nodes, ",")})
	}
	if f.Replay != "" {
		attrs = append(attrs, Attr{AttrReplay, oneLine(f.Replay)})
	}
	if f.TracePath != "" {
		attrs = append(attrs, Attr{AttrTracePath, oneLine(f.TracePath)})
	}
	if f.Besides != nil {
		attrs = append(attrs, Attr{AttrReplayFailureKind, oneLine(f.Besides.Kind)})
	}
	if f.FixFirst != "" {
		attrs = append(attrs, Attr{AttrFixFirst, string(f.FixFirst)})
	}
	// The timeline, the node states and the stack are left out: they are
	// long, a -v run prints attributes above the report that already
	// shows them, and the trace holds them. JSON escapes every newline
	// inside strings: the value is one line.
	short := *f
	short.Timeline, short.States, short.Stack = nil, nil, ""
	if b, err := json.Marshal(&short); err == nil {
		attrs = append(attrs, Attr{AttrFailure, string(b)})
	}
	return attrs
}

// oneLine makes s a valid attribute value, which may not hold a newline.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

// Execute runs the scenario once for the seed. A failing run is replayed
// with the trace on (the first run keeps none unless Run.Trace asks: runs
// are deterministic, and most pass); see Retrace. Execute writes nothing:
// WriteTrace does.
func (r Run) Execute() *Result {
	first := sim.Run(r.Config(), r.Scenario.Run)
	res := &Result{
		Stage: r.Scenario.Stage, Scenario: r.Scenario.Name, Name: r.name(), Seed: r.Seed,
		Hidden: r.Scenario.Hidden, Sim: first, Trace: first.Trace,
	}
	if first.Failure == nil {
		res.Passed = true
		return res
	}
	f := &Failure{Failure: *first.Failure, Stage: r.Scenario.Stage, Hidden: r.Scenario.Hidden}
	if owner, ok := RuleStage(f.Rule); ok && stageIndex(owner) < stageIndex(f.Stage) {
		f.FixFirst = owner
	}
	res.Failure, res.Trace = f, nil
	if f.Kind == sim.KindHang {
		return res // the hung run's goroutine is still stuck: replaying could pile up more
	}
	traced, besides := r.Retrace(first)
	f.Besides = besides
	if besides == nil {
		res.Trace = traced.Trace
	}
	return res
}

// Retrace replays a run whose first result is first, with the trace on,
// and returns the replay's result and what it found besides: a hang, or a
// nondeterminism failure naming the first event where two traced runs
// differ if the replay's hash differs from first's. Nil means the replay
// matched, and its trace is the first run's.
func (r Run) Retrace(first *sim.Result) (*sim.Result, *sim.Failure) {
	cfg := r.Config()
	cfg.RecordTrace = true
	again := sim.Run(cfg, r.Scenario.Run)
	if again.Failure != nil && again.Failure.Kind == sim.KindHang {
		return again, again.Failure
	}
	if again.Hash == first.Hash {
		return again, nil
	}
	// The first run may have kept no trace; a third run names the first
	// event where two traced runs differ.
	nd := sim.Compare(again, sim.Run(cfg, r.Scenario.Run))
	if nd == nil {
		nd = &sim.Failure{Kind: sim.KindNondeterminism, Rule: props.Determinism.Name(), Paper: props.Determinism.Section(),
			Message: "a replay of this seed with the trace on behaved differently: your implementation is nondeterministic (map iteration order, goroutines, the wall clock, or randomness other than Env.Rand())"}
	}
	nd.Seed, nd.Scenario, nd.Implementation, nd.Replay = cfg.Seed, cfg.Scenario, cfg.Implementation, cfg.Replay
	return again, nd
}

// ErrNoTrace is WriteTrace's error for a result that kept no trace: a
// passing run without Run.Trace, or a failing run that hung or whose
// replay differed.
var ErrNoTrace = errors.New("the run kept no trace")

// WriteTrace writes the result's trace into dir (see WriteTrace) and
// records its path in the result and its failure; if writing fails, the
// failure's report says why.
func (res *Result) WriteTrace(dir string) (string, error) {
	if res.Trace == nil {
		return "", ErrNoTrace
	}
	path, err := WriteTrace(dir, res.Name, res.Seed, res.Trace)
	if err != nil {
		if res.Failure != nil {
			res.Failure.TraceError = err.Error()
		}
		return "", err
	}
	res.TracePath = path
	if res.Failure != nil {
		res.Failure.TracePath = path
	}
	return path, nil
}

// WriteTrace writes tr into dir, creating it if needed, as
// <name>-seed<seed>.json (name with every run of characters other than
// letters, digits, '.', '_' and '-' replaced by '_'), and returns the
// file's absolute path.
func WriteTrace(dir, name string, seed uint64, tr *trace.Trace) (string, error) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs // go test runs in the package directory: a relative path would mislead
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create trace directory: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-seed%d.json", fileSafe(name), seed))
	if err := trace.WriteFile(path, tr); err != nil {
		return "", err
	}
	return path, nil
}

// fileSafe replaces each run of characters other than [A-Za-z0-9._-] in
// name with one "_". Not a regexp: a package-level regexp.MustCompile
// links regexp's compiler and the Unicode tables into every program that
// imports labs, 72 KB brotli of the browser sandbox's WebAssembly.
func fileSafe(name string) string {
	var b strings.Builder
	run := false
	for _, r := range name {
		safe := r == '.' || r == '_' || r == '-' || ('0' <= r && r <= '9') || ('A' <= r && r <= 'Z') || ('a' <= r && r <= 'z')
		if safe {
			b.WriteRune(r)
		} else if !run {
			b.WriteByte('_')
		}
		run = !safe
	}
	return b.String()
}

// ReplayCommand is the go test command that replays exactly one seed of
// the test named test (as testing.T.Name says it, "TestElection/
// InitialElection") in the package pkg ("./raft"), from the module root.
func ReplayCommand(pkg, test string, seed uint64) string {
	parts := strings.Split(test, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return fmt.Sprintf("go test %s -run '%s' -seed=%d", pkg, strings.Join(parts, "/"), seed)
}

// SeedRange renders seeds as the seeds attribute does: "7", or "1-50" for
// a run of consecutive seeds.
func SeedRange(seeds []uint64) string {
	switch len(seeds) {
	case 0:
		return ""
	case 1:
		return strconv.FormatUint(seeds[0], 10)
	}
	return fmt.Sprintf("%d-%d", seeds[0], seeds[len(seeds)-1])
}

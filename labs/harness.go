package labs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
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
	// skew); nil keeps the defaults (a reliable network). It must depend
	// on the seed alone: a failing run is replayed by calling it again.
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
	cost  *costMeter // what each scenario that passed cost
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

// A later stage's scenarios also exercise what earlier stages teach: the
// replication stage's swarm elects leaders too. When a later stage fails
// under a rule an earlier stage owns, the likeliest cause is that earlier
// stage's code, and its own tests point at it more precisely: the report
// says so (Failure.FixFirst), as the rule tests' setup steps do ("this
// test's setup needs the election stage first", package rules).

// RuleStage returns the stage that owns the rule named rule (a property's
// name, as Failure.Rule holds it): the first stage whose rule tests check
// it, or the election stage for the election's whole-cluster properties.
// Safety properties belong to no stage (ok is false): a later stage's bug
// breaks them too (a vote not persisted breaks Election Safety after a
// restart), so they say nothing about which stage to fix. Nor do contract
// and harness rules.
func RuleStage(rule string) (stage Stage, ok bool) {
	var id props.ID
	for _, p := range props.All() {
		if p.Name() == rule {
			id = p
			break
		}
	}
	if id == 0 {
		return "", false
	}
	switch id {
	case props.NoLeaderWithoutMajority, props.LeaderElection,
		props.HeartbeatsPreventElections, props.ElectionsCostFewRPCs, props.HeartbeatRate:
		// Checked over whole clusters, not by rule tests: the election
		// stage's scenarios report them first.
		return Election, true
	}
	if k := id.Kind(); k != props.Protocol && k != props.Progress {
		return "", false
	}
	return ruleTestStage(id)
}

// ruleTestStage is the stage of the earliest rule test of labs/rules that
// checks id. It is a table rather than a walk over rules.All(), which
// holds every rule test's function: reaching it from here linked all of
// them into the browser sandbox's WebAssembly (+100 KB brotli). A test
// (TestRuleTestStageMatchesTheRuleTests) keeps the table equal to the walk.
func ruleTestStage(id props.ID) (Stage, bool) {
	switch id {
	case props.RejectStaleTerm, props.HigherTermConvertsToFollower, props.FollowersRespond,
		props.ElectionTimeout, props.RandomizedElectionTimeout, props.HeartbeatsPreventElections,
		props.StartElection, props.MajorityElects, props.CandidateYieldsToLeader,
		props.StaleRepliesIgnored, props.LeaderHeartbeats:
		return Election, true
	case props.ElectionRestriction, props.RequestVoteCarriesLastEntry, props.AppendEntriesConsistencyCheck,
		props.TruncateOnlyOnConflict, props.AppendNewEntries, props.CommitIndexMinLeaderCommit,
		props.ApplyCommittedInOrder, props.SendFromNextIndex, props.MatchIndexFromAcknowledgedRequest,
		props.BackUpNextIndex, props.LeaderCommitRule, props.CommitOnlyCurrentTermByCounting:
		return Replication, true
	case props.PersistBeforeReplying, props.VolatileStateStartsOver:
		return Persistence, true
	case props.SnapshotPersistence, props.StaleSnapshotCallIsNoOp, props.StaleInstallSnapshotChangesNothing,
		props.InstallSnapshotKeepsFollowingEntries, props.InstallSnapshotDiscardsLog, props.InstallSnapshotWhenBehind:
		return Snapshots, true
	}
	return "", false
}

// stageIndex is the place of s in Stages (-1 if none).
func stageIndex(s Stage) int { return slices.Index(Stages, s) }

// fixFirstNote is the report's line for a failure of rule, owned by the
// earlier stage owner; replay is the failure's replay command, whose
// package the line's command reuses.
func fixFirstNote(rule string, owner Stage, replay string) string {
	pkg := "."
	if f := strings.Fields(replay); len(f) > 2 && f[0] == "go" && f[1] == "test" {
		pkg = f[2]
	}
	name := strings.ToUpper(string(owner[:1])) + string(owner[1:])
	return fmt.Sprintf("first:    %q is a rule of the %s stage. If that stage fails too (go test %s -run %s), fix the %s stage first: this failure may only be its consequence",
		rule, owner, pkg, name, owner)
}

package rules

import (
	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
)

// Stage names a lab stage; each rule test belongs to the first stage where
// it applies.
type Stage string

// The lab stages, in the order students meet them.
const (
	Election    Stage = "election"
	Replication Stage = "replication"
	Persistence Stage = "persistence"
	Snapshots   Stage = "snapshots"
)

// TB is the part of [testing.TB] the rules use. *testing.T implements it;
// so can a recorder that captures failures (FailNow and Fatalf must stop
// the calling goroutine, as testing.T's do, for example with
// runtime.Goexit).
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	FailNow()
	Logf(format string, args ...any)
	Name() string
	Cleanup(func())
}

// Rule is one rule-level test.
type Rule struct {
	Name  string // test name, e.g. "AppendEntries_Rule3_ConflictTruncatesOnlyOnRealConflict"
	Stage Stage  // first lab stage where the rule applies
	// Prop is the property of the catalogue the test checks: the same
	// name and section the simulator's reports use for it.
	Prop props.ID
	// Paper is the property's citation, Prop.Cite(), e.g.
	// "Truncate only on a real conflict (Figure 2 (AppendEntries receiver
	// rule 3))". Every failure message of the rule starts with it.
	Paper string
	// Run runs the test against the implementation f.
	Run func(t TB, f raftapi.Factory)
}

type ruleFunc func(t TB, f raftapi.Factory)

// ruleT carries the rule's citation to the harness, and the setup step in
// progress (see setup.go).
type ruleT struct {
	TB
	name  string
	prop  props.ID
	paper string
	stage Stage
	setup *setupStep
}

func rule(name string, stage Stage, p props.ID, fn ruleFunc) Rule {
	paper := p.Cite()
	return Rule{
		Name:  name,
		Stage: stage,
		Prop:  p,
		Paper: paper,
		Run: func(t TB, f raftapi.Factory) {
			t.Helper()
			fn(&ruleT{TB: t, name: name, prop: p, paper: paper, stage: stage}, f)
		},
	}
}

// All returns every rule, in a fixed order: by stage, then as the paper
// lists them.
func All() []Rule {
	var all []Rule
	all = append(all, electionRules()...)
	all = append(all, replicationRules()...)
	all = append(all, persistenceRules()...)
	all = append(all, snapshotRules()...)
	all = append(all, electionAfterSnapshotRules()...)
	return all
}

// The test attributes a failing rule test sets, with the keys package labs
// gives a failing scenario's (labs.AttrFailureKind, labs.AttrFailureRule),
// so that a tool reading go test -json (the grader, labs/mutants) finds
// the broken rule of a rule test where it finds a scenario's.
const (
	AttrFailureKind = "failure_kind"
	AttrFailureRule = "failure_rule"
	// FailureKindRule is the failure kind of a rule-level test.
	FailureKindRule = "rule"
	// FailureKindHang is the failure kind of a rule test abandoned because
	// a call into the node never returned: the simulator's (sim.KindHang).
	FailureKindHang = "hang"
)

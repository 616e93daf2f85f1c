// Package resulttest holds sample outcomes for the grader's tests: full
// marks, zero (the starter), partial credit with hidden scenarios, a build
// failure and a timeout, all under a small rubric, so that every report
// writer is driven by the same cases and its golden files stay readable.
package resulttest

import (
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/sim"
)

// RubricTOML is the samples' rubric: two stages, 20 points, rule tests as
// a group and per rule, all-or-nothing and fractional credit, a hidden
// scenario in each stage, and a lint policy that deducts.
const RubricTOML = `version = 1
title = "sample course"
hidden_salt = 424242
partial = "fraction"
stdout_visibility = "hidden"

[lint]
policy = "deduct"
deduct = 0.5
max_deduct = 1

[stages.election]
time_limit = "2m"
[stages.election.rules]
points = 4
[stages.election.scenarios]
InitialElection = { points = 3 }
ReElection = { points = 3, hidden_seeds = 2 }
HiddenLockstepElections = { points = 2 }

[stages.replication]
time_limit = "3m"
[stages.replication.rules]
per_rule = { AppendEntries_Rule1_RejectsStaleTerm = 1, AppendEntries_Rule2_RejectsMissingOrMismatchedPrevEntryWithHints = 1 }
[stages.replication.scenarios]
Backup = { points = 4, partial = "all" }
HiddenSevenAgreement = { points = 2, visibility = "after_due_date" }
`

// Rubric parses RubricTOML.
func Rubric() *rubric.Rubric {
	r, err := rubric.Parse([]byte(RubricTOML))
	if err != nil {
		panic(err)
	}
	return r
}

// Case is a named sample outcome.
type Case struct {
	Name    string
	Outcome *result.Outcome
}

// Cases returns the samples, in a fixed order.
func Cases() []Case {
	return []Case{
		{"full", full()},
		{"zero", zero()},
		{"partial", partial()},
		{"build-failed", buildFailed()},
		{"timeout", timeout()},
	}
}

var electionRules = []result.TestOutcome{
	{Name: "RequestVote_Rule1_RejectsStaleTerm", Rule: "Reject a stale term (§5.1)", Passed: true},
	{Name: "RequestVote_Rule2_OneVotePerTerm", Rule: "One vote per term (§5.2)", Passed: true},
	{Name: "AllServers_HigherTermConvertsToFollower", Rule: "A higher term converts to follower (§5.1)", Passed: true},
	{Name: "Leaders_HeartbeatsOnElectionAndWhenIdle", Rule: "Leaders send heartbeats (§5.2)", Passed: true},
}

var replicationRules = []result.TestOutcome{
	{Name: "AppendEntries_Rule1_RejectsStaleTerm", Rule: "Reject a stale term (§5.1)", Passed: true},
	{Name: "AppendEntries_Rule2_RejectsMissingOrMismatchedPrevEntryWithHints", Rule: "Reject a log without the previous entry (§5.3)", Passed: true},
	{Name: "AppendEntries_Rule3_ConflictTruncatesOnlyOnRealConflict", Rule: "Truncate only on a real conflict (§5.3)", Passed: true},
}

func pass(name string, hidden bool, seeds int, ms int64) result.ScenarioOutcome {
	return result.ScenarioOutcome{Name: name, Hidden: hidden, SeedsRun: seeds, SeedsPassed: seeds, WallMs: ms}
}

func fail(stage labs.Stage, name string, hidden bool, run, passed int, f sim.Failure) result.ScenarioOutcome {
	test := "TestElection"
	if stage == labs.Replication {
		test = "TestReplication"
	}
	f.Scenario = test + "/" + name
	f.Implementation = "assignments/raft"
	f.Replay = labs.ReplayCommand("./assignments/raft", f.Scenario, f.Seed)
	lf := &labs.Failure{Failure: f, Stage: stage, Hidden: hidden}
	return result.ScenarioOutcome{
		Name: name, Hidden: hidden, SeedsRun: run, SeedsPassed: passed,
		Failure: lf, Report: lf.Error(), WallMs: 900,
	}
}

func full() *result.Outcome {
	return &result.Outcome{
		Submission: "alice", Hash: "sha256:aa11",
		Stages: []result.StageOutcome{
			{Stage: labs.Election, Verdict: result.StageRan, WallMs: 4200, Rules: electionRules, Scenarios: []result.ScenarioOutcome{
				pass("InitialElection", false, 20, 800), pass("ReElection", false, 22, 1500), pass("HiddenLockstepElections", true, 6, 1100),
			}},
			{Stage: labs.Replication, Verdict: result.StageRan, WallMs: 6100, Rules: replicationRules, Scenarios: []result.ScenarioOutcome{
				pass("BasicAgreement", false, 20, 700), pass("Backup", false, 10, 3000), pass("HiddenSevenAgreement", true, 4, 1600),
			}},
		},
	}
}

func failedRules(ts []result.TestOutcome) []result.TestOutcome {
	out := make([]result.TestOutcome, len(ts))
	for i, t := range ts {
		t.Passed = false
		t.Message = t.Rule + ": the node granted its vote to a candidate of term 1 while in term 2"
		out[i] = t
	}
	return out
}

func noLeader(seed uint64) sim.Failure {
	return sim.Failure{
		Kind: sim.KindLiveness, Rule: "Leader elected", Paper: "§5.2",
		Message: "no leader was elected within 5s of simulated time while a majority could talk",
		Seed:    seed, At: 5_000_000_000,
	}
}

func zero() *result.Outcome {
	return &result.Outcome{
		Submission: "starter", Hash: "sha256:0000",
		Stages: []result.StageOutcome{
			{Stage: labs.Election, Verdict: result.StageRan, WallMs: 9000, Rules: failedRules(electionRules), Scenarios: []result.ScenarioOutcome{
				fail(labs.Election, "InitialElection", false, 20, 0, noLeader(1)),
				fail(labs.Election, "ReElection", false, 22, 0, noLeader(1)),
				fail(labs.Election, "HiddenLockstepElections", true, 6, 0, noLeader(424243)),
			}},
			{Stage: labs.Replication, Verdict: result.StageRan, WallMs: 12000, Rules: failedRules(replicationRules), Scenarios: []result.ScenarioOutcome{
				fail(labs.Replication, "Backup", false, 10, 0, noLeader(1)),
				fail(labs.Replication, "HiddenSevenAgreement", true, 4, 0, noLeader(1)),
			}},
		},
	}
}

func partial() *result.Outcome {
	er := append([]result.TestOutcome(nil), electionRules...)
	er[1].Passed = false
	er[1].Message = "One vote per term (§5.2): node 0 voted for 1 and then for 2 in term 3"
	rr := append([]result.TestOutcome(nil), replicationRules...)
	rr[1].Passed = false
	rr[1].Message = "Reject a log without the previous entry (§5.3): node 1 accepted entries after index 4, which it does not have"
	safety := sim.Failure{
		Kind: sim.KindSafety, Rule: "Election Safety", Paper: "§5.2",
		Message: "nodes 1 and 3 are both leaders of term 4", Nodes: []int{1, 3}, Seed: 7, At: 2_340_000_000,
		TracePath: "traces/TestElection-ReElection-seed7.json",
	}
	re := fail(labs.Election, "ReElection", false, 22, 17, safety)
	re.Failure.Besides = &sim.Failure{Kind: sim.KindNondeterminism, Message: "replaying seed 7 passed: the run depends on something besides the seed (map order, time, goroutines)"}
	re.Report = re.Failure.Error()
	hiddenFail := fail(labs.Election, "HiddenLockstepElections", true, 6, 4, sim.Failure{
		Kind: sim.KindSafety, Rule: "Leader Completeness", Paper: "§5.4", Message: "the leader of term 6 lacks the entry committed at index 3 in term 5",
		Seed: 424245, TracePath: "traces/TestElection-HiddenLockstepElections-seed424245.json",
	})
	backup := fail(labs.Replication, "Backup", false, 10, 9, sim.Failure{
		Kind: sim.KindLiveness, Rule: "Log Matching", Paper: "§5.3", Message: "command 51 was not committed on 5 nodes within 10s",
		Seed: 4, TracePath: "traces/TestReplication-Backup-seed4.json",
	})
	return &result.Outcome{
		Submission: "bob", Hash: "sha256:b0b0",
		Notes: []string{"ignored raft_test.go: a submission's own tests are not used"},
		Warnings: []result.Finding{
			{File: "raft.go", Line: 88, Rule: "goroutine", Message: "go statement: a node must do its work in its turns"},
			{File: "raft.go", Line: 120, Rule: "wall clock", Message: "time.Now reads the wall clock; use the ticks"},
			{File: "util.go", Line: 9, Rule: "map range", Message: "range over a map decides which peer is sent to first"},
		},
		Isolation: []string{"network namespace: not available (unshare: operation not permitted); the child ran with the host's network"},
		Stages: []result.StageOutcome{
			{Stage: labs.Election, Verdict: result.StageRan, WallMs: 5300, Rules: er, Scenarios: []result.ScenarioOutcome{
				pass("InitialElection", false, 20, 800), re, hiddenFail,
			}},
			{Stage: labs.Replication, Verdict: result.StageRan, WallMs: 7000, Rules: rr, Scenarios: []result.ScenarioOutcome{
				backup, pass("HiddenSevenAgreement", true, 4, 1600),
			}},
		},
	}
}

func buildFailed() *result.Outcome {
	detail := "raft.go:42:9: undefined: votedFor\nraft.go:57:2: missing return"
	return &result.Outcome{
		Submission: "carol", Hash: "sha256:ca01",
		Stages: []result.StageOutcome{
			{Stage: labs.Election, Verdict: result.StageBuildFailed, Detail: detail, WallMs: 1200},
			{Stage: labs.Replication, Verdict: result.StageBuildFailed, Detail: detail, WallMs: 0},
		},
	}
}

func timeout() *result.Outcome {
	o := full()
	o.Submission, o.Hash = "dave", "sha256:da7e"
	o.Stages[1] = result.StageOutcome{
		Stage: labs.Replication, Verdict: result.StageTimedOut, WallMs: 180000,
		Detail: "the stage ran past its 3m0s limit and was stopped (an infinite loop in a turn?); the other stages were graded",
	}
	return o
}

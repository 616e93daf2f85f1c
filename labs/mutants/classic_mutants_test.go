package mutants

import (
	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/sim"
)

// classicMutants are the mutants of the checks added for classic bugs that
// passed the default seeds or showed only as a timeout (issue 12): two
// rule-level tests, run as subtests of raft's TestRules (a failing rule
// test carries the failure_kind "rule" and its property as failure_rule),
// and the four schedules of labs/targeted_classic.go.
func classicMutants() []mutant {
	return []mutant{
		{
			name: "a vote granted in an already adopted term is not saved", stage: "TestRules", schedule: "Persistence_VoteInAdoptedTermSurvivesCrash",
			file: "election.go",
			old: `	if n.votedFor != args.CandidateID {
		n.votedFor = args.CandidateID
		n.dirty = true
	}`,
			new: `	if n.votedFor != args.CandidateID {
		n.votedFor = args.CandidateID // saved only if the term changed in this turn (the bug)
	}`,
			want: []failure{{rules.FailureKindRule, "Durability"}},
		},
		{
			name: "a fixed election timeout", stage: "TestRules", schedule: "Followers_ElectionTimeoutIsRandomized",
			file: "election.go",
			old:  `n.electionTimeout = electionTimeoutMin + n.env.Rand().IntN(electionTimeoutMax-electionTimeoutMin)`,
			new:  `n.electionTimeout = (electionTimeoutMin + electionTimeoutMax) / 2 // not randomized (the bug)`,
			want: []failure{{rules.FailureKindRule, "Randomized election timeouts"}},
		},
		{
			name: "granting a vote does not restart the election timer", stage: "TestElection", schedule: "TargetedVoterKeepsGranting",
			file: "election.go",
			old: `	reply.VoteGranted = true
	n.electionElapsed = 0`,
			new:  `	reply.VoteGranted = true // the election timer keeps running (the bug)`,
			want: []failure{{sim.KindScenario, "Heartbeats prevent elections"}},
		},
		{
			name: "a vote of the previous election counts", stage: "TestElection", schedule: "TargetedStaleVoteNextElection",
			file: "election.go",
			old:  `	if n.term != term || !r.VoteGranted {`,
			new:  `	if !r.VoteGranted { // the campaign's term is not compared (the bug)`,
			want: []failure{{sim.KindScenario, "Stale replies are ignored"}, {sim.KindSafety, "Election Safety"}},
		},
		{
			name: "entries the follower holds by index are skipped without comparing terms", stage: "TestReplication", schedule: "TargetedStaleTailLongerThanRepair",
			file: "replication.go",
			old: `		if idx <= n.log.lastIndex() {
			if n.log.term(idx) == e.Term {
				continue
			}
			n.log.truncateFrom(idx)
		}`,
			new: `		if idx <= n.log.lastIndex() {
			_ = e     // the terms are not compared (the bug)
			continue
		}`,
			want: []failure{{sim.KindScenario, "Truncate only on a real conflict"}, {sim.KindSafety, "State Machine Safety"}},
		},
		{
			name: "a success reply of an earlier term moves matchIndex", stage: "TestReplication", schedule: "TargetedReElectedStaleSuccess",
			file: "replication.go",
			old:  `	if n.role != raftapi.Leader || n.term != term {`,
			new:  `	if n.role != raftapi.Leader { // the request's term is not compared (the bug)`,
			want: []failure{{sim.KindScenario, "Stale replies are ignored"}, {sim.KindSafety, "Commit needs a majority"}},
		},
	}
}

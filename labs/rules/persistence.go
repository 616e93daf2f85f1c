package rules

import (
	"fmt"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
)

func persistenceRules() []Rule {
	return []Rule{
		rule("Persistence_SavedByEndOfEveryTurn", Persistence, props.PersistBeforeReplying, testEveryTurn),
		rule("Persistence_GrantedVoteSurvivesCrash", Persistence, props.Durability, testVoteSurvives),
		rule("Persistence_VoteInAdoptedTermSurvivesCrash", Persistence, props.Durability, testVoteInAdoptedTerm),
		rule("Persistence_AdoptedTermSurvivesCrash", Persistence, props.Durability, testTermSurvives),
		rule("Persistence_AcknowledgedEntriesSurviveCrash", Persistence, props.Durability, testEntriesSurvive),
		rule("Persistence_CandidateAndLeaderStateSurvivesCrash", Persistence, props.Durability, testCandidateLeaderSurvive),
		rule("Restart_CommitAndAppliedStartOver", Persistence, props.VolatileStateStartsOver, testRestartVolatile),
	}
}

func testEveryTurn(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.everyTurn = true
	h.requestVote(1, raftapi.RequestVoteArgs{Term: 1, CandidateID: 1})
	h.appendEntries(1, raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, Entries: ents(0, 1, 2)})
	h.appendEntries(2, raftapi.AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 1, PrevLogTerm: 1, Entries: ents(1, 3, 3)})
	h.appendEntries(1, raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, Entries: ents(0, 1, 2)})
	h.requestVote(1, raftapi.RequestVoteArgs{Term: 4, CandidateID: 1, LastLogIndex: 1, LastLogTerm: 1})
	T := h.becomeLeader()
	h.start(string(cmd(T, 4)))
	h.start(string(cmd(T, 5)))
	h.tickN(3)
	h.requestVote(2, raftapi.RequestVoteArgs{Term: T + 1, CandidateID: 2, LastLogIndex: 5, LastLogTerm: T})
	h.appendEntries(2, raftapi.AppendEntriesArgs{Term: T + 1, LeaderID: 2, PrevLogIndex: 3, PrevLogTerm: 3, Entries: ents(3, T+1)})
}

func testVoteSurvives(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	r := h.requestVote(1, raftapi.RequestVoteArgs{Term: 1, CandidateID: 1})
	h.setupMust("a first vote", []props.ID{props.OneVotePerTerm}, r.VoteGranted, "a fresh node refused RequestVote(term 1, candidate 1, last log 0/0)")
	h.crashAndRestart()
	rv := raftapi.RequestVoteArgs{Term: 1, CandidateID: 2}
	r = h.requestVote(2, rv)
	h.check(!r.VoteGranted, "a node that granted its term-1 vote to candidate 1, crashed and restarted, granted RequestVote(%s): two votes in one term", fmtRV(rv))
	rv = raftapi.RequestVoteArgs{Term: 1, CandidateID: 1}
	r = h.requestVote(1, rv)
	h.check(r.VoteGranted, "after a restart, a node that had voted for candidate 1 in term 1 refused the same candidate's RequestVote(%s); votedFor is still 1", fmtRV(rv))
}

// testVoteInAdoptedTerm: the node adopts term T from a leader's heartbeat
// (no vote yet in T), then grants its vote in T to a candidate of T. The
// vote changes votedFor alone, in a turn that changes no term: an
// implementation that saves only when the term changes loses it. Every
// turn is checked (a crash right after the granting turn must keep the
// vote), and a real crash and restart must then refuse another candidate
// of T.
func testVoteInAdoptedTerm(t TB, f raftapi.Factory) {
	const T = 3
	h := newHarness(t, f, 0, 5)
	hb := raftapi.AppendEntriesArgs{Term: T, LeaderID: 1}
	r0 := h.appendEntries(1, hb)
	h.setupMust("a heartbeat from the leader of term 3", []props.ID{props.FollowersRespond, props.HigherTermConvertsToFollower}, r0.Success && r0.Term == T,
		"heartbeat (%s) to a fresh node: reply %s, want success in term %d", fmtAE(hb), fmtAEReply(r0), T)
	s := h.inspect()
	h.setupMust("a heartbeat from the leader of term 3", []props.ID{props.HigherTermConvertsToFollower}, s.Term == T && s.VotedFor == raftapi.None,
		"after the heartbeat (%s) the node has term %d, votedFor %d; want term %d and no vote (-1): a new term starts with no vote", fmtAE(hb), s.Term, s.VotedFor, T)
	rv := raftapi.RequestVoteArgs{Term: T, CandidateID: 2}
	r := h.requestVote(2, rv)
	h.setupMust("a vote in the adopted term", []props.ID{props.OneVotePerTerm}, r.VoteGranted,
		"a node of term %d that has not voted in it refused RequestVote(%s) from a candidate with an (empty) log as up-to-date as its own", T, fmtRV(rv))
	h.crashAndRestart()
	rv = raftapi.RequestVoteArgs{Term: T, CandidateID: 3}
	r = h.requestVote(3, rv)
	h.check(!r.VoteGranted, "a node adopted term %d from a heartbeat, then voted for candidate 2 in term %d, crashed and restarted, and granted RequestVote(%s): two votes in one term. votedFor must be saved in the turn that grants the vote, also when the term does not change in that turn",
		T, T, fmtRV(rv))
	rv = raftapi.RequestVoteArgs{Term: T, CandidateID: 2}
	r = h.requestVote(2, rv)
	h.check(r.VoteGranted, "after a restart, a node that had voted for candidate 2 in term %d refused the same candidate's RequestVote(%s); votedFor is still 2", T, fmtRV(rv))
}

func testTermSurvives(t TB, f raftapi.Factory) {
	cases := []struct {
		name string
		run  func(h *harness) int
	}{
		{"from an AppendEntries request", func(h *harness) int {
			h.appendEntries(1, raftapi.AppendEntriesArgs{Term: 5, LeaderID: 1})
			return 5
		}},
		{"from a RequestVote it refuses", func(h *harness) int {
			h.follow(1, 1, []int{1, 1}, 0)
			h.requestVote(2, raftapi.RequestVoteArgs{Term: 7, CandidateID: 2})
			return 7
		}},
		{"from a RequestVote reply", func(h *harness) int {
			rvs := h.waitElection("the node starting an election")
			h.replyRV(rvs[0], raftapi.RequestVoteReply{Term: rvs[0].args.Term + 4})
			return rvs[0].args.Term + 4
		}},
		{"from an AppendEntries reply", func(h *harness) int {
			m := h.mark()
			T := h.becomeLeader()
			ae := h.nextAE(m, 1, "the new leader sending AppendEntries to 1")
			h.replyAE(ae, raftapi.AppendEntriesReply{Term: T + 3, XTerm: -1, XIndex: -1, XLen: 1})
			return T + 3
		}},
	}
	for _, c := range cases {
		h := newHarness(t, f, 0, 3)
		T := c.run(h)
		h.must(h.inspect().Term == T, "%s: the node's term is %d, want %d (Figure 2, All Servers: adopt a higher term)", c.name, h.inspect().Term, T)
		h.crashAndRestart()
		rv := raftapi.RequestVoteArgs{Term: T - 1, CandidateID: 2, LastLogIndex: 9, LastLogTerm: T - 1}
		r := h.requestVote(2, rv)
		h.check(!r.VoteGranted && r.Term == T, "%s: after adopting term %d, a crash and a restart, the node answered RequestVote(%s) with Term %d, VoteGranted %v; want Term %d, false", c.name, T, fmtRV(rv), r.Term, r.VoteGranted, T)
	}
}

func testEntriesSurvive(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 2, []int{1, 1, 2}, 0)
	h.crashAndRestart()
	a := raftapi.AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 2, PrevLogTerm: 1, Entries: ents(2, 3)}
	r := h.appendEntries(2, a)
	h.must(r.Success, "after a restart, AppendEntries(%s) was refused (%s); the log [1 1 2] should have survived", fmtAE(a), fmtAEReply(r))
	h.crashAndRestart()
	h.wantLog(fmt.Sprintf("AppendEntries(%s), a crash and a restart,", fmtAE(a)), []int{1, 1, 3}, "the truncated and extended log must be what was saved")
	a = raftapi.AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 3, PrevLogTerm: 3, LeaderCommit: 3}
	r = h.appendEntries(2, a)
	h.check(r.Success, "after restarts, AppendEntries(%s) was refused (%s)", fmtAE(a), fmtAEReply(r))
	h.waitApplied(3, "leaderCommit 3 after a restart")
	h.wantApplied(map[int]int{1: 1, 2: 1, 3: 3}, 1, 3, "after the restarts and leaderCommit 3")
}

func testCandidateLeaderSurvive(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	rvs := h.waitElection("the node starting an election")
	T := rvs[0].args.Term
	h.crashAndRestart()
	rv := raftapi.RequestVoteArgs{Term: T, CandidateID: 2}
	r := h.requestVote(2, rv)
	h.check(!r.VoteGranted, "a candidate of term %d (which voted for itself) crashed, restarted and then granted RequestVote(%s): two votes in term %d", T, fmtRV(rv), T)

	h = newHarness(t, f, 0, 3)
	T = h.becomeLeader()
	idx, _, _ := h.start("x")
	h.crashAndRestart()
	v := h.logView()
	h.check(idx == 1 && len(v.Terms) == 1 && v.Terms[0] == T && string(v.Commands[0]) == "x",
		"a leader of term %d appended \"x\" at %d by Start, crashed and restarted with log terms %v, commands %s; want [%d], [\"x\"]", T, idx, v.Terms, fmtCmds(v.Commands), T)
}

func testRestartVolatile(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	terms := []int{1, 1, 1}
	h.follow(1, 1, terms, 3)
	h.waitApplied(3, "leaderCommit 3")
	h.crashAndRestart()
	h.tickN(3)
	h.wantAppliedSeq(nil, "a restarted node before it learns of any commit (no snapshot)")
	a := raftapi.AppendEntriesArgs{Term: 1, LeaderID: 1, PrevLogIndex: 3, PrevLogTerm: 1, LeaderCommit: 3}
	h.appendEntries(1, a)
	h.waitApplied(3, "leaderCommit 3 after a restart")
	h.wantApplied(termsMap(terms), 1, 3, fmt.Sprintf("a restarted node (without a snapshot, so its service restarts empty) after AppendEntries(%s)", fmtAE(a)))
}

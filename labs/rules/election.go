package rules

import (
	"fmt"
	"slices"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
)

func electionRules() []Rule {
	return []Rule{
		rule("RequestVote_Rule1_RejectsStaleTerm", Election, props.RejectStaleTerm, testRVRule1),
		rule("RequestVote_Rule2_OneVotePerTerm", Election, props.OneVotePerTerm, testRVRule2OneVote),
		rule("AllServers_HigherTermConvertsToFollower", Election, props.HigherTermConvertsToFollower, testHigherTerm),
		rule("Followers_RespondToRPCs", Election, props.FollowersRespond, testFollowersRespond),
		rule("Followers_ElectionTimeoutStartsElection", Election, props.ElectionTimeout, testFollowerTimeout),
		rule("Followers_ElectionTimeoutIsRandomized", Election, props.RandomizedElectionTimeout, testRandomizedTimeout),
		rule("Followers_NoElectionWhileHearingFromLeaderOrGrantingVotes", Election, props.HeartbeatsPreventElections, testFollowerNoTimeout),
		rule("Candidates_OnConversionIncrementTermVoteSelfSendRequestVote", Election, props.StartElection, testCandidateConversion),
		rule("Candidates_MajorityOfVotesBecomesLeader", Election, props.MajorityElects, testCandidateMajority),
		rule("Candidates_AppendEntriesFromNewLeaderConvertsToFollower", Election, props.CandidateYieldsToLeader, testCandidateAE),
		rule("Candidates_ElectionTimeoutStartsNewElection", Election, props.ElectionTimeout, testCandidateNewElection),
		rule("Candidates_StaleVoteRepliesIgnored", Election, props.StaleRepliesIgnored, testStaleVotes),
		rule("Leaders_HeartbeatsOnElectionAndWhenIdle", Election, props.LeaderHeartbeats, testLeaderHeartbeats),
	}
}

func testRVRule1(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	// The node adopts term 3 from a RequestVote, so that this rule of
	// RequestVote needs nothing of AppendEntries.
	first := raftapi.RequestVoteArgs{Term: 3, CandidateID: 1}
	r0 := h.requestVote(1, first)
	h.setupMust("a vote in term 3, which makes the node adopt term 3", []props.ID{props.HigherTermConvertsToFollower, props.OneVotePerTerm}, r0.VoteGranted && r0.Term == 3,
		"RequestVote(%s) to a fresh node: reply {Term %d, VoteGranted %v}, want {Term 3, VoteGranted true}", fmtRV(first), r0.Term, r0.VoteGranted)

	rv := raftapi.RequestVoteArgs{Term: 2, CandidateID: 2}
	r := h.requestVote(2, rv)
	h.check(!r.VoteGranted, "a node in term 3 granted RequestVote(%s); reply false if term < currentTerm", fmtRV(rv))
	h.check(r.Term == 3, "a node in term 3 replied to RequestVote(%s) with Term %d; the reply carries currentTerm (3) so the stale candidate can update itself", fmtRV(rv), r.Term)
	s := h.inspect()
	h.check(s.Term == 3 && s.VotedFor == 1 && s.Role == raftapi.Follower,
		"after refusing a stale RequestVote(%s) the node has term %d, votedFor %d, role %v; want term 3, votedFor 1 (its vote of term 3), follower: a stale request changes nothing", fmtRV(rv), s.Term, s.VotedFor, s.Role)
}

func testRVRule2OneVote(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	steps := []struct {
		from, term int
		grant      bool
		why        string
	}{
		{1, 1, true, "votedFor is none and the candidate's (empty) log is as up-to-date as the receiver's (empty) log"},
		{2, 1, false, "the node already voted for candidate 1 in term 1: at most one vote per term"},
		{1, 1, true, "votedFor is already candidate 1: a duplicated request must get the same answer"},
		{2, 2, true, "term 2 is a new term, in which the node has not voted yet"},
		{1, 2, false, "the node already voted for candidate 2 in term 2"},
	}
	voted := map[int]int{}
	for i, st := range steps {
		rv := raftapi.RequestVoteArgs{Term: st.term, CandidateID: st.from}
		r := h.requestVote(st.from, rv)
		if st.grant {
			voted[st.term] = st.from
		}
		h.check(r.VoteGranted == st.grant, "step %d, RequestVote(%s): VoteGranted = %v, want %v: %s", i+1, fmtRV(rv), r.VoteGranted, st.grant, st.why)
		h.check(r.Term == st.term, "step %d, RequestVote(%s): reply Term = %d, want currentTerm %d", i+1, fmtRV(rv), r.Term, st.term)
		s := h.inspect()
		h.check(s.Term == st.term && s.VotedFor == voted[st.term],
			"step %d, after RequestVote(%s): Inspect reports term %d, votedFor %d; want term %d, votedFor %d (the candidate that received the node's vote in its current term)",
			i+1, fmtRV(rv), s.Term, s.VotedFor, st.term, voted[st.term])
	}
}

func testHigherTerm(t TB, f raftapi.Factory) {
	cases := []struct {
		name string
		// run drives the node and returns the term it must adopt, the
		// vote it must then have and a description of the message.
		run func(h *harness) (term, votedFor int, what string)
	}{
		{"follower receives AppendEntries", func(h *harness) (int, int, string) {
			r := h.requestVote(2, raftapi.RequestVoteArgs{Term: 1, CandidateID: 2})
			h.setupMust("a first vote", []props.ID{props.OneVotePerTerm}, r.VoteGranted, "a fresh node refused the first RequestVote of term 1")
			h.appendEntries(1, raftapi.AppendEntriesArgs{Term: 4, LeaderID: 1})
			return 4, raftapi.None, "AppendEntries of term 4 to a follower of term 1 that voted for 2"
		}},
		{"candidate receives RequestVote", func(h *harness) (int, int, string) {
			T := h.waitElection("setup: starting an election")[0].args.Term
			r := h.requestVote(2, raftapi.RequestVoteArgs{Term: T + 2, CandidateID: 2})
			h.check(r.VoteGranted, "a candidate of term %d, having adopted term %d from RequestVote(term %d, candidate 2, last log 0/0) with an empty log of its own, refused the vote; in the new term it has not voted and the candidate's log is as up-to-date (Figure 2, RequestVote receiver rule 2)", T, T+2, T+2)
			return T + 2, 2, fmt.Sprintf("RequestVote of term %d to a candidate of term %d", T+2, T)
		}},
		{"candidate receives a RequestVote reply", func(h *harness) (int, int, string) {
			rvs := h.waitElection("setup: starting an election")
			T := rvs[0].args.Term
			h.replyRV(rvs[0], raftapi.RequestVoteReply{Term: T + 3})
			return T + 3, raftapi.None, fmt.Sprintf("a RequestVote reply of term %d to a candidate of term %d", T+3, T)
		}},
		{"leader receives RequestVote", func(h *harness) (int, int, string) {
			T := h.becomeLeader()
			h.requestVote(2, raftapi.RequestVoteArgs{Term: T + 1, CandidateID: 2})
			return T + 1, 2, fmt.Sprintf("RequestVote(term %d, candidate 2, last log 0/0) to a leader of term %d with an empty log", T+1, T)
		}},
		{"leader receives AppendEntries", func(h *harness) (int, int, string) {
			T := h.becomeLeader()
			h.appendEntries(2, raftapi.AppendEntriesArgs{Term: T + 1, LeaderID: 2})
			return T + 1, raftapi.None, fmt.Sprintf("AppendEntries of term %d to a leader of term %d", T+1, T)
		}},
		{"leader receives an AppendEntries reply", func(h *harness) (int, int, string) {
			m := h.mark()
			T := h.becomeLeader()
			ae := h.nextAE(m, 1, "setup: the new leader sending AppendEntries to peer 1")
			h.replyAE(ae, raftapi.AppendEntriesReply{Term: T + 5, XTerm: -1, XIndex: -1, XLen: 1})
			return T + 5, raftapi.None, fmt.Sprintf("an AppendEntries reply of term %d to a leader of term %d", T+5, T)
		}},
	}
	for _, c := range cases {
		h := newHarness(t, f, 0, 3)
		term, vote, what := c.run(h)
		s := h.inspect()
		gt, leader := h.getState()
		h.check(s.Term == term && gt == term, "%s: after %s the node's term is %d (GetState %d), want %d", c.name, what, s.Term, gt, term)
		h.check(s.Role == raftapi.Follower && !leader, "%s: after %s the node's role is %v (GetState leader=%v), want follower", c.name, what, s.Role, leader)
		h.check(s.VotedFor == vote, "%s: after %s votedFor is %d, want %d (votedFor belongs to the current term: a new term starts with no vote unless the node grants one)", c.name, what, s.VotedFor, vote)
	}
}

func testFollowersRespond(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	type step struct {
		desc       string
		do         func() (term int, ok bool)
		term       int
		ok         bool
		okMeansWhy string
	}
	rv := func(a raftapi.RequestVoteArgs) func() (int, bool) {
		return func() (int, bool) { r := h.requestVote(a.CandidateID, a); return r.Term, r.VoteGranted }
	}
	ae := func(a raftapi.AppendEntriesArgs) func() (int, bool) {
		return func() (int, bool) { r := h.appendEntries(a.LeaderID, a); return r.Term, r.Success }
	}
	steps := []step{
		{"RequestVote(term 2, candidate 1)", rv(raftapi.RequestVoteArgs{Term: 2, CandidateID: 1}), 2, true, "VoteGranted"},
		{"RequestVote(term 1, candidate 2)", rv(raftapi.RequestVoteArgs{Term: 1, CandidateID: 2}), 2, false, "VoteGranted"},
		{"AppendEntries(term 1, leader 2)", ae(raftapi.AppendEntriesArgs{Term: 1, LeaderID: 2}), 2, false, "Success"},
		{"AppendEntries(term 2, leader 1, prev 0/0)", ae(raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1}), 2, true, "Success"},
		{"AppendEntries(term 3, leader 2, prev 0/0)", ae(raftapi.AppendEntriesArgs{Term: 3, LeaderID: 2}), 3, true, "Success"},
	}
	m := h.mark()
	for _, st := range steps {
		term, ok := st.do()
		h.check(term == st.term && ok == st.ok, "the follower answered %s with Term %d, %s %v; want Term %d (its currentTerm after the request), %s %v",
			st.desc, term, st.okMeansWhy, ok, st.term, st.okMeansWhy, st.ok)
	}
	h.check(len(h.rvsSince(m)) == 0 && len(h.aesSince(m, -1)) == 0, "a follower that only received requests (no ticks) sent RPCs of its own")
}

func testFollowerTimeout(t TB, f raftapi.Factory) {
	cases := []struct {
		name  string
		setup func(h *harness)
		each  func(h *harness) // before every tick
	}{
		{"fresh node, no messages", func(*harness) {}, func(*harness) {}},
		{"only AppendEntries from a stale leader (term 1 < currentTerm 2)",
			func(h *harness) { h.appendEntries(1, raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1}) },
			func(h *harness) { h.appendEntries(2, raftapi.AppendEntriesArgs{Term: 1, LeaderID: 2}) }},
		{"only RequestVotes it refuses (it already voted for 1 in term 1)",
			func(h *harness) {
				r := h.requestVote(1, raftapi.RequestVoteArgs{Term: 1, CandidateID: 1})
				h.setupMust("a first vote", []props.ID{props.OneVotePerTerm}, r.VoteGranted, "a fresh node refused RequestVote(term 1, candidate 1, last log 0/0) (Figure 2, RequestVote receiver rule 2)")
			},
			func(h *harness) {
				r := h.requestVote(2, raftapi.RequestVoteArgs{Term: 1, CandidateID: 2})
				h.must(!r.VoteGranted, "RequestVote(term 1, candidate 2, last log 0/0) was granted by a node that already voted for 1 in term 1 (Figure 2, RequestVote receiver rule 2)")
			}},
	}
	for _, c := range cases {
		h := newHarness(t, f, 0, 3)
		c.setup(h)
		base := h.inspect().Term
		m := h.mark()
		started := false
		for range maxTicks {
			c.each(h)
			h.tick()
			if len(h.rvsSince(m)) > 0 {
				started = true
				break
			}
		}
		h.must(started, "%s: the follower did not start an election within %d ticks; only AppendEntries from the current leader and granting a vote restart the election timer", c.name, maxTicks)
		s := h.inspect()
		h.check(s.Role == raftapi.Candidate && s.Term == base+1, "%s: after its election timeout the node sent RequestVote but has role %v, term %d; want candidate in term %d", c.name, s.Role, s.Term, base+1)
	}
}

func testFollowerNoTimeout(t TB, f raftapi.Factory) {
	cases := []struct {
		name string
		each func(h *harness, i int)
	}{
		{"AppendEntries from the current leader of term 1 before every tick", func(h *harness, _ int) {
			r := h.appendEntries(1, raftapi.AppendEntriesArgs{Term: 1, LeaderID: 1})
			h.must(r.Success, "heartbeat AppendEntries(term 1, leader 1, prev 0/0) refused: reply %s", fmtAEReply(r))
		}},
		{"a granted vote (in a new term) before every tick", func(h *harness, i int) {
			rv := raftapi.RequestVoteArgs{Term: i + 1, CandidateID: 1 + i%2}
			r := h.requestVote(rv.CandidateID, rv)
			h.must(r.VoteGranted, "RequestVote(%s) refused by a follower with an empty log that has not voted in term %d", fmtRV(rv), i+1)
		}},
	}
	for _, c := range cases {
		h := newHarness(t, f, 0, 3)
		m := h.mark()
		for i := range maxTicks {
			c.each(h, i)
			h.tick()
			if rvs := h.rvsSince(m); len(rvs) > 0 {
				h.fatalf("%s: the follower started an election (%s) after %d ticks although its election timer should have restarted before every tick", c.name, fmtRV(rvs[0].args), i+1)
			}
		}
	}
}

func testCandidateConversion(t TB, f raftapi.Factory) {
	const me, peers = 2, 5
	h := newHarness(t, f, me, peers)
	rvs := h.waitElection("a fresh follower starting an election (sending RequestVote)")
	s := h.inspect()
	h.check(s.Role == raftapi.Candidate, "after starting an election the node's role is %v, want candidate", s.Role)
	h.check(s.Term == 1, "a fresh node (term 0) started an election in term %d; on conversion to candidate increment currentTerm (to 1)", s.Term)
	h.check(s.VotedFor == me, "after starting an election votedFor is %d; a candidate votes for itself (%d)", s.VotedFor, me)
	var to []int
	for _, rv := range rvs {
		to = append(to, rv.to)
		want := raftapi.RequestVoteArgs{Term: s.Term, CandidateID: me}
		h.check(rv.args == want, "the RequestVote to %d is (%s), want (%s): the candidate's term, its id, and its last log index/term (0/0 for an empty log)", rv.to, fmtRV(rv.args), fmtRV(want))
	}
	slices.Sort(to)
	h.check(slices.Equal(to, []int{0, 1, 3, 4}), "in the turn that started the election, node %d sent RequestVote to %v; want each other server exactly once, [0 1 3 4]", me, to)
	m := h.mark()
	h.tick()
	h.check(len(h.rvsSince(m)) == 0 && h.inspect().Term == s.Term, "the candidate started yet another election on the very next tick; starting an election resets the election timer")
}

func testCandidateMajority(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 5)
	rvs := h.waitElection("a fresh follower starting an election")
	T := rvs[0].args.Term
	by := map[int]*sentRV{}
	for _, rv := range rvs {
		by[rv.to] = rv
	}
	for _, p := range []int{1, 2, 3} {
		h.setupMust("an election", []props.ID{props.StartElection}, by[p] != nil, "the candidate did not send RequestVote to %d in its election", p)
	}
	notYet := func(after string) {
		t.Helper()
		_, leader := h.getState()
		s := h.inspect()
		h.check(!leader && s.Role == raftapi.Candidate, "with 5 servers, after %s the candidate of term %d has only 2 votes but GetState leader=%v, role %v; it needs 3 (a majority), and each server's vote counts once", after, T, leader, s.Role)
	}
	h.replyRV(by[1], raftapi.RequestVoteReply{Term: T, VoteGranted: true})
	notYet("one grant from server 1")
	h.replyRV(by[1], raftapi.RequestVoteReply{Term: T, VoteGranted: true})
	notYet("the same grant from server 1 delivered twice (the network duplicates replies)")
	h.replyRV(by[2], raftapi.RequestVoteReply{Term: T, VoteGranted: false})
	notYet("a refusal from server 2")
	h.replyRV(by[3], raftapi.RequestVoteReply{Term: T, VoteGranted: true})
	term, leader := h.getState()
	s := h.inspect()
	h.check(leader && term == T && s.Role == raftapi.Leader, "with 5 servers, after grants from 1 and 3 (plus its own vote) in term %d, GetState() = (%d, %v) and role %v; want (%d, true), leader", T, term, leader, s.Role, T)
}

func testCandidateAE(t TB, f raftapi.Factory) {
	for _, d := range []int{0, 1} {
		h := newHarness(t, f, 0, 3)
		T := h.waitElection("a fresh follower starting an election")[0].args.Term
		a := raftapi.AppendEntriesArgs{Term: T + d, LeaderID: 1}
		r := h.appendEntries(1, a)
		s := h.inspect()
		h.check(r.Success && r.Term == T+d, "a candidate of term %d answered AppendEntries(%s) with %s; want success in term %d (an empty log matches prev 0/0)", T, fmtAE(a), fmtAEReply(r), T+d)
		h.check(s.Role == raftapi.Follower && s.Term == T+d, "a candidate of term %d, after AppendEntries(%s) from the new leader, has role %v and term %d; want follower in term %d", T, fmtAE(a), s.Role, s.Term, T+d)
	}
}

func testCandidateNewElection(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	rvs := h.waitElection("a fresh follower starting an election")
	T := rvs[0].args.Term
	h.replyRV(rvs[0], raftapi.RequestVoteReply{Term: T, VoteGranted: false})
	m := h.mark()
	h.tickUntil(fmt.Sprintf("the candidate of term %d, without a majority, starting a new election", T), func() bool { return len(h.rvsSince(m)) > 0 }, maxTicks)
	var to []int
	for _, rv := range h.rvsSince(m) {
		to = append(to, rv.to)
		h.check(rv.args.Term == T+1 && rv.args.CandidateID == 0, "the new election's RequestVote to %d is (%s); want term %d from candidate 0", rv.to, fmtRV(rv.args), T+1)
	}
	slices.Sort(to)
	h.check(slices.Equal(to, []int{1, 2}), "the new election sent RequestVote to %v, want [1 2]", to)
	s := h.inspect()
	h.check(s.Role == raftapi.Candidate && s.Term == T+1 && s.VotedFor == 0, "after the new election started: role %v, term %d, votedFor %d; want candidate, term %d, votedFor 0", s.Role, s.Term, s.VotedFor, T+1)
}

func testStaleVotes(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	old := h.waitElection("a fresh follower starting an election")
	T := old[0].args.Term
	cur := h.waitElection(fmt.Sprintf("the candidate of term %d starting a new election after its election timeout", T))
	for _, rv := range old {
		h.replyRV(rv, raftapi.RequestVoteReply{Term: T, VoteGranted: true})
	}
	term, leader := h.getState()
	h.check(!leader, "a candidate in term %d became leader from votes granted in term %d (replies to its previous election's RequestVotes); those votes are stale and must not count", term, T)
	if leader {
		return
	}
	h.winElection(cur)
}

func testLeaderHeartbeats(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	rvs := h.waitElection("a fresh follower starting an election")
	timeout := h.ticks // an upper bound of the node's shortest election timeout
	m := h.mark()
	T := h.winElection(rvs)
	inTurn := h.aesSince(m, -1)
	if len(inTurn) < 2 {
		h.tick()
	}
	first := map[int]*sentAE{}
	for _, ae := range h.aesSince(m, -1) {
		if first[ae.to] == nil {
			first[ae.to] = ae
		}
	}
	for _, p := range []int{1, 2} {
		ae := first[p]
		if !h.check(ae != nil, "the new leader of term %d sent no AppendEntries to %d in the turn it won the election nor on the next tick; upon election send an initial heartbeat to each server", T, p) {
			continue
		}
		want := raftapi.AppendEntriesArgs{Term: T, LeaderID: 0}
		h.check(ae.args.Term == want.Term && ae.args.LeaderID == 0 && len(ae.args.Entries) == 0 && ae.args.PrevLogIndex == 0 && ae.args.PrevLogTerm == 0 && ae.args.LeaderCommit == 0,
			"the new leader's first AppendEntries to %d is (%s), want an empty heartbeat (%s): its term, its id, prev = its last log entry (0/0), no entries", p, fmtAE(ae.args), fmtAE(want))
	}
	// Idle: every peer hears from the leader at least once per election
	// timeout of the leader's own (measured: the first election took
	// timeout ticks).
	last := map[int]int{1: h.ticks, 2: h.ticks}
	seen := h.mark()
	for range 4 * timeout {
		h.tick()
		for _, ae := range h.aesSince(seen, -1) {
			last[ae.to] = h.ticks
			h.replyAE(ae, raftapi.AppendEntriesReply{Term: T, Success: true})
		}
		seen = h.mark()
		for _, p := range []int{1, 2} {
			if h.ticks-last[p] > timeout {
				h.fatalf("an idle leader of term %d sent nothing to %d for %d ticks, longer than its own first election timeout (%d ticks): followers would start elections; heartbeats must repeat more often than the election timeout", T, p, h.ticks-last[p], timeout)
			}
		}
	}
	_, leader := h.getState()
	h.check(leader, "a leader whose heartbeats all succeeded stopped being leader")
}

// The interval raftlab accepts for an election timeout, in ticks. Below:
// a leader may send heartbeats as rarely as every 10 ticks (the heartbeat
// rate allows at most 10 per second), and a follower of a live leader must
// not time out between two of them. Above: 100 ticks (1 s) leaves room for
// a few split votes within the 5 s the election checks allow. The course
// suggests [20, 40) (the starter and the reference); raftapi's doc names
// 15–30 as a usual choice: both lie inside.
const (
	minElectionTimeout = 11
	maxElectionTimeout = 100
)

// testRandomizedTimeout measures election timeouts: for each node of a
// five-node cluster, the first one (from boot to its first RequestVote)
// and those of three elections that follow as a candidate that nobody
// answers (from one election to the next term's RequestVote). Each must
// lie in the accepted interval; they must not all be equal (a fixed
// timeout), and not each node's all equal (a timeout drawn once, not anew
// for each election, §5.2: "each candidate restarts its randomized
// election timeout at the start of an election").
func testRandomizedTimeout(t TB, f raftapi.Factory) {
	const peers, elections = 5, 4
	var all []int
	constant := 0
	var h *harness
	for me := range peers {
		h = newHarness(t, f, me, peers)
		var mine []int
		term, from := h.inspect().Term, h.ticks
		for k := range elections {
			m := h.mark()
			what := fmt.Sprintf("setup: node %d (of %d) starting election %d (a RequestVote of a term above %d; nobody answers its RequestVotes)", me, peers, k+1, term)
			func() {
				defer h.inSetup("timing elections", props.ElectionTimeout, props.StartElection)()
				h.tickUntil(what, func() bool {
					for _, rv := range h.rvsSince(m) {
						if rv.args.Term > term {
							return true
						}
					}
					return false
				}, maxTicks)
			}()
			d := h.ticks - from
			start := "its boot"
			if k > 0 {
				start = "its previous election"
			}
			h.must(d >= minElectionTimeout && d <= maxElectionTimeout,
				"node %d (of %d) started election %d %d ticks after %s; an election timeout must lie in %d..%d ticks: more than the 10 ticks a leader may leave between heartbeats, and short enough that split votes resolve well within the 5 s an election may take (the course suggests [20, 40))",
				me, peers, k+1, d, start, minElectionTimeout, maxElectionTimeout)
			mine = append(mine, d)
			term, from = h.inspect().Term, h.ticks
		}
		if slices.Min(mine) == slices.Max(mine) {
			constant++
		}
		all = append(all, mine...)
	}
	if slices.Min(all) == slices.Max(all) {
		h.fatalf("every election timeout was %d ticks (%d elections of %d nodes, from boot and from one election to the next): a fixed timeout. Draw each one at random from an interval (e.g. [20, 40) ticks with Env.Rand()), or nodes that time out together split the vote again and again (§5.2)",
			all[0], elections, peers)
	}
	h.check(constant < peers, "each node's election timeouts were all equal (%v, %d per node, in ticks): the timeout is drawn once per node, not anew when the timer restarts. Draw a new random timeout at the start of every election (and whenever the timer restarts), or two candidates whose timeouts collide split the vote forever (§5.2)",
		all, elections)
}

// electionAfterSnapshotRules are the election rules that meet a snapshot
// (the snapshots stage): once a node has compacted its whole log, its last
// log entry is the snapshot's last included entry, in the RequestVote it
// sends and in the election restriction it applies as a voter.
func electionAfterSnapshotRules() []Rule {
	return []Rule{
		rule("Candidates_LastLogEntryAfterSnapshotIsTheSnapshots", Snapshots, props.RequestVoteCarriesLastEntry, testLastLogAfterSnapshot),
		rule("RequestVote_Rule2_ElectionRestrictionAfterSnapshot", Snapshots, props.ElectionRestriction, testRestrictionAfterSnapshot),
	}
}

// compactedFollower makes the node a follower of leader 1 in term 2 with
// the log [1 1 2], all committed and applied, then compacts it whole with
// Snapshot(3): its log is empty after the snapshot through 3 (term 2).
func compactedFollower(h *harness) {
	h.t.Helper()
	h.follow(1, 2, []int{1, 1, 2}, 3)
	func() {
		defer h.inSetup("applying the committed entries", props.ApplyCommittedInOrder)()
		h.waitApplied(3, "setup: leaderCommit 3")
	}()
	h.snapshot(3, "snap-3")
	s := h.inspect()
	h.setupMust("a snapshot of the whole log", []props.ID{props.LogCompaction}, s.SnapshotIndex == 3 && s.SnapshotTerm == 2,
		"after Snapshot(3) of the log [1 1 2], Inspect reports snapshot %d/%d; want 3/2", s.SnapshotIndex, s.SnapshotTerm)
}

func testLastLogAfterSnapshot(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	compactedFollower(h)
	rvs := h.waitElection("the follower, which no longer hears its leader, starting an election")
	for _, rv := range rvs {
		h.check(rv.args.LastLogIndex == 3 && rv.args.LastLogTerm == 2,
			"a node whose log [1 1 2] was compacted whole by Snapshot(3) sent RequestVote(%s) to %d; want last log 3/2: with no entries after the snapshot, the last log entry is the snapshot's last included one (index 3, term 2), not 0/0",
			fmtRV(rv.args), rv.to)
	}
}

func testRestrictionAfterSnapshot(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	compactedFollower(h)
	steps := []struct {
		rv    raftapi.RequestVoteArgs
		grant bool
		why   string
	}{
		{raftapi.RequestVoteArgs{Term: 3, CandidateID: 2, LastLogIndex: 5, LastLogTerm: 1}, false,
			"the candidate's last term 1 is older than the voter's (2, the snapshot's last included term)"},
		{raftapi.RequestVoteArgs{Term: 4, CandidateID: 2, LastLogIndex: 2, LastLogTerm: 2}, false,
			"same last term 2, but the candidate's log (2 entries) is shorter than the voter's (3, through its snapshot)"},
		{raftapi.RequestVoteArgs{Term: 5, CandidateID: 2, LastLogIndex: 3, LastLogTerm: 2}, true,
			"the candidate's log ends where the voter's snapshot does (3/2): as up-to-date"},
	}
	for _, st := range steps {
		r := h.requestVote(st.rv.CandidateID, st.rv)
		h.check(r.VoteGranted == st.grant, "a voter whose log [1 1 2] was compacted whole by Snapshot(3) answered RequestVote(%s) with VoteGranted %v, want %v: %s",
			fmtRV(st.rv), r.VoteGranted, st.grant, st.why)
	}
}

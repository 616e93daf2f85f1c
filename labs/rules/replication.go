package rules

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
)

func replicationRules() []Rule {
	return []Rule{
		rule("RequestVote_Rule2_ElectionRestriction", Replication, props.ElectionRestriction, testElectionRestriction),
		rule("Candidates_RequestVoteCarriesLastLogIndexAndTerm", Replication, props.RequestVoteCarriesLastEntry, testCandidateLastLog),
		rule("AppendEntries_Rule1_RejectsStaleTerm", Replication, props.RejectStaleTerm, testAERule1),
		rule("AppendEntries_Rule2_RejectsMissingOrMismatchedPrevEntryWithHints", Replication, props.AppendEntriesConsistencyCheck, testAERule2),
		rule("AppendEntries_Rule3_ConflictTruncatesOnlyOnRealConflict", Replication, props.TruncateOnlyOnConflict, testAERule3),
		rule("AppendEntries_Rule4_AppendsNewEntries", Replication, props.AppendNewEntries, testAERule4),
		rule("AppendEntries_Rule5_CommitIndexIsMinOfLeaderCommitAndLastNewEntry", Replication, props.CommitIndexMinLeaderCommit, testAERule5),
		rule("AllServers_AppliesCommittedEntriesInOrder", Replication, props.ApplyCommittedInOrder, testApply),
		rule("Start_NonLeaderAppendsNothing", Replication, props.StartOnNonLeader, testStartNonLeader),
		rule("Leaders_StartAppendsWithoutNoOp", Replication, props.EveryEntryFromStart, testStartLeader),
		rule("Leaders_SendEntriesFromNextIndex", Replication, props.SendFromNextIndex, testSendFromNextIndex),
		rule("Leaders_SuccessUpdatesNextIndexAndMatchIndex", Replication, props.MatchIndexFromAcknowledgedRequest, testSuccessUpdates),
		rule("Leaders_MatchIndexFromAcknowledgedRequest", Replication, props.MatchIndexFromAcknowledgedRequest, testMatchFromAck),
		rule("Leaders_FailureBacksUpNextIndexWithHints", Replication, props.BackUpNextIndex, testBackup),
		rule("Leaders_CommitRuleNeedsMajority", Replication, props.LeaderCommitRule, testCommitMajority),
		rule("Leaders_Figure8_NoCommitOfOlderTermByCounting", Replication, props.CommitOnlyCurrentTermByCounting, testFigure8),
		rule("Leaders_StaleAppendEntriesRepliesIgnored", Replication, props.StaleRepliesIgnored, testStaleAEReplies),
	}
}

// wantLog checks the node's log (after its snapshot) against terms, with
// the commands the tests put there (cmd(term, index)).
func (h *harness) wantLog(after string, terms []int, why string) bool {
	h.t.Helper()
	v := h.logView()
	if !h.check(slices.Equal(v.Terms, terms), "after %s the follower's log terms are %v but should be %v: %s", after, v.Terms, terms, why) {
		return false
	}
	want := make([][]byte, len(terms))
	for i, t := range terms {
		want[i] = cmd(t, v.FirstIndex+i)
	}
	return h.check(slices.EqualFunc(v.Commands, want, bytes.Equal), "after %s the follower's log commands are %s but should be %s", after, fmtCmds(v.Commands), fmtCmds(want))
}

func testElectionRestriction(t TB, f raftapi.Factory) {
	cases := []struct {
		lastIndex, lastTerm int
		grant               bool
		why                 string
	}{
		{3, 2, true, "same last term, same length: as up-to-date"},
		{4, 2, true, "same last term, longer log: more up-to-date"},
		{2, 2, false, "same last term, shorter log: less up-to-date"},
		{10, 1, false, "longer log but older last term: less up-to-date (last term decides first)"},
		{1, 3, true, "shorter log but newer last term: more up-to-date"},
		{0, 0, false, "empty log against a non-empty one"},
	}
	for _, c := range cases {
		h := newHarness(t, f, 0, 3)
		h.follow(1, 2, []int{1, 1, 2}, 0)
		rv := raftapi.RequestVoteArgs{Term: 3, CandidateID: 2, LastLogIndex: c.lastIndex, LastLogTerm: c.lastTerm}
		r := h.requestVote(2, rv)
		h.check(r.VoteGranted == c.grant, "a voter whose log ends at 3/2 (terms [1 1 2]) answered RequestVote(%s) with VoteGranted %v, want %v: %s", fmtRV(rv), r.VoteGranted, c.grant, c.why)
		s := h.inspect()
		vote := raftapi.None
		if c.grant {
			vote = 2
		}
		h.check(r.Term == 3 && s.Term == 3 && s.VotedFor == vote, "after RequestVote(%s): reply Term %d, node term %d, votedFor %d; want 3, 3, %d", fmtRV(rv), r.Term, s.Term, s.VotedFor, vote)
	}
}

func testCandidateLastLog(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 2, []int{1, 1, 2}, 0)
	rvs := h.waitElection("the follower starting an election after its election timeout")
	for _, rv := range rvs {
		want := raftapi.RequestVoteArgs{Term: 3, CandidateID: 0, LastLogIndex: 3, LastLogTerm: 2}
		h.check(rv.args == want, "a candidate whose log is [1 1 2] (in term 2) sent RequestVote(%s) to %d, want (%s)", fmtRV(rv.args), rv.to, fmtRV(want))
	}
}

func testAERule1(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 3, []int{1, 1, 2}, 0)
	a := raftapi.AppendEntriesArgs{Term: 2, LeaderID: 2, PrevLogIndex: 3, PrevLogTerm: 2, Entries: ents(3, 2, 2), LeaderCommit: 5}
	r := h.appendEntries(2, a)
	h.check(!r.Success && r.Term == 3, "a follower in term 3 answered the stale AppendEntries(%s) with %s; reply false (and the current term, 3) if term < currentTerm", fmtAE(a), fmtAEReply(r))
	h.wantLog(fmt.Sprintf("the stale AppendEntries(%s)", fmtAE(a)), []int{1, 1, 2}, "a request of an older term must not change the log")
	s := h.inspect()
	h.check(s.Term == 3 && s.Role == raftapi.Follower && s.CommitIndex == 0, "after the stale AppendEntries(%s): term %d, role %v, commitIndex %d; want 3, follower, 0", fmtAE(a), s.Term, s.Role, s.CommitIndex)
}

func testAERule2(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	log := []int{1, 1, 2, 2, 2, 3}
	h.follow(1, 3, log, 0)
	cases := []struct {
		prev, prevTerm      int
		xTerm, xIndex, xLen int
		why                 string
	}{
		{8, 3, -1, -1, 7, "the log is too short (no entry at 8): XTerm = XIndex = -1, XLen = 7"},
		{7, 3, -1, -1, 7, "the log is too short (no entry at 7): XTerm = XIndex = -1, XLen = 7"},
		{5, 3, 2, 3, 7, "entry 5 has term 2, not 3: XTerm = 2, XIndex = 3 (first index of term 2), XLen = 7"},
		{2, 2, 1, 1, 7, "entry 2 has term 1, not 2: XTerm = 1, XIndex = 1, XLen = 7"},
		{6, 4, 3, 6, 7, "entry 6 has term 3, not 4: XTerm = 3, XIndex = 6, XLen = 7"},
	}
	for _, c := range cases {
		a := raftapi.AppendEntriesArgs{Term: 4, LeaderID: 2, PrevLogIndex: c.prev, PrevLogTerm: c.prevTerm, Entries: ents(c.prev, 4)}
		r := h.appendEntries(2, a)
		want := raftapi.AppendEntriesReply{Term: 4, Success: false, XTerm: c.xTerm, XIndex: c.xIndex, XLen: c.xLen}
		h.check(r == want, "a follower with log terms %v answered AppendEntries(%s) with %s, want %s: %s", log, fmtAE(a), fmtAEReply(r), fmtAEReply(want), c.why)
		h.wantLog(fmt.Sprintf("the refused AppendEntries(%s)", fmtAE(a)), log, "a refused request must not change the log")
	}
	s := h.inspect()
	h.check(s.Term == 4, "after refused AppendEntries of term 4 the follower's term is %d, want 4 (a request with a higher term updates currentTerm even when rule 2 refuses it)", s.Term)
	for _, prev := range []int{6, 0} {
		pt := 0
		if prev > 0 {
			pt = log[prev-1]
		}
		a := raftapi.AppendEntriesArgs{Term: 4, LeaderID: 2, PrevLogIndex: prev, PrevLogTerm: pt}
		r := h.appendEntries(2, a)
		h.check(r.Success && r.Term == 4, "a follower with log terms %v answered AppendEntries(%s) with %s; its log has an entry at %d with term %d, so reply true", log, fmtAE(a), fmtAEReply(r), prev, pt)
		h.wantLog(fmt.Sprintf("the heartbeat AppendEntries(%s)", fmtAE(a)), log, "a heartbeat whose prev entry matches adds and removes nothing")
	}
}

func testAERule3(t TB, f raftapi.Factory) {
	start := []int{1, 1, 2, 2}
	cases := []struct {
		name  string
		args  raftapi.AppendEntriesArgs
		after []int
		why   string
	}{
		{"conflict at the first new entry",
			raftapi.AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 2, PrevLogTerm: 1, Entries: ents(2, 3)},
			[]int{1, 1, 3}, "entry 3 conflicts (term 2 vs 3): delete it and all that follow, then append"},
		{"conflict in the middle of the new entries",
			raftapi.AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 1, PrevLogTerm: 1, Entries: ents(1, 1, 3, 3)},
			[]int{1, 1, 3, 3}, "entry 2 matches; entry 3 conflicts: truncate from 3, then append"},
		{"stale AppendEntries carrying a prefix of the log",
			raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 1, PrevLogTerm: 1, Entries: ents(1, 1)},
			start, "a duplicated/stale AppendEntries must not delete entries the follower already has; only a real conflict truncates"},
		{"duplicate of the AppendEntries that built the log",
			raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, Entries: ents(0, 1, 1, 2, 2)},
			start, "a duplicated AppendEntries must leave the log as it is"},
		{"stale AppendEntries with fewer entries",
			raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, Entries: ents(0, 1, 1, 2)},
			start, "a duplicated/stale AppendEntries must not delete entries the follower already has; only a real conflict truncates"},
		{"heartbeat in the middle of the log",
			raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 2, PrevLogTerm: 1},
			start, "a heartbeat has no entries, so nothing conflicts: the entries after PrevLogIndex stay"},
	}
	for _, c := range cases {
		h := newHarness(t, f, 0, 3)
		h.follow(1, 2, start, 0)
		r := h.appendEntries(c.args.LeaderID, c.args)
		h.check(r.Success, "%s: a follower with log terms %v answered AppendEntries(%s) with %s; the prev entry matches, so reply true", c.name, start, fmtAE(c.args), fmtAEReply(r))
		h.wantLog(fmt.Sprintf("%s, AppendEntries(%s) to a follower with log terms %v,", c.name, fmtAE(c.args), start), c.after, c.why)
	}
}

func testAERule4(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 2, []int{1, 1}, 0)
	steps := []struct {
		args  raftapi.AppendEntriesArgs
		after []int
	}{
		{raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 2, PrevLogTerm: 1, Entries: ents(2, 2, 2)}, []int{1, 1, 2, 2}},
		{raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 1, PrevLogTerm: 1, Entries: ents(1, 1, 2, 2, 2)}, []int{1, 1, 2, 2, 2}},
	}
	for _, st := range steps {
		r := h.appendEntries(1, st.args)
		h.check(r.Success && r.Term == 2, "AppendEntries(%s) answered with %s, want success in term 2", fmtAE(st.args), fmtAEReply(r))
		h.wantLog(fmt.Sprintf("AppendEntries(%s)", fmtAE(st.args)), st.after, "append any new entries not already in the log")
	}
}

func testAERule5(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 1, []int{1, 1, 1, 1}, 0)
	steps := []struct {
		args   raftapi.AppendEntriesArgs
		commit int
		why    string
	}{
		{raftapi.AppendEntriesArgs{Term: 1, LeaderID: 1, PrevLogIndex: 2, PrevLogTerm: 1, LeaderCommit: 4}, 2,
			"commitIndex = min(leaderCommit 4, index of last new entry 2): a heartbeat at prev 2 proves nothing about entries 3 and 4"},
		{raftapi.AppendEntriesArgs{Term: 1, LeaderID: 1, PrevLogIndex: 4, PrevLogTerm: 1, LeaderCommit: 3}, 3,
			"commitIndex = min(leaderCommit 3, index of last new entry 4)"},
		{raftapi.AppendEntriesArgs{Term: 1, LeaderID: 1, PrevLogIndex: 4, PrevLogTerm: 1, LeaderCommit: 1}, 3,
			"leaderCommit 1 is not > commitIndex 3: commitIndex never decreases"},
		{raftapi.AppendEntriesArgs{Term: 1, LeaderID: 1, PrevLogIndex: 4, PrevLogTerm: 1, Entries: ents(4, 1), LeaderCommit: 10}, 5,
			"commitIndex = min(leaderCommit 10, index of last new entry 5)"},
	}
	for _, st := range steps {
		r := h.appendEntries(1, st.args)
		h.must(r.Success, "AppendEntries(%s) answered with %s, want success", fmtAE(st.args), fmtAEReply(r))
		s := h.inspect()
		h.check(s.CommitIndex == st.commit, "after AppendEntries(%s) the follower's commitIndex is %d but should be %d: %s", fmtAE(st.args), s.CommitIndex, st.commit, st.why)
		h.check(h.lastAppliedIndex() <= s.CommitIndex, "the follower applied index %d but its commitIndex is %d: only committed entries are applied", h.lastAppliedIndex(), s.CommitIndex)
	}
}

// wantApplied checks that the current incarnation applied exactly the
// commands at indexes from..to, in order, with the tests' commands.
func (h *harness) wantApplied(terms map[int]int, from, to int, ctx string) {
	h.t.Helper()
	var want []string
	for i := from; i <= to; i++ {
		want = append(want, appliedCmd(terms[i], i))
	}
	h.wantAppliedSeq(want, ctx)
}

func appliedCmd(term, index int) string {
	return fmt.Sprintf("command %q index %d term %d", cmd(term, index), index, term)
}

func appliedSnap(index, term int, data string) string {
	return fmt.Sprintf("snapshot %q index %d term %d", data, index, term)
}

// wantAppliedSeq checks everything the current incarnation applied.
func (h *harness) wantAppliedSeq(want []string, ctx string) {
	h.t.Helper()
	var got []string
	for _, m := range h.appliedNow() {
		switch {
		case m.CommandValid && m.SnapshotValid:
			got = append(got, "an ApplyMsg with both CommandValid and SnapshotValid")
		case m.CommandValid:
			got = append(got, fmt.Sprintf("command %q index %d term %d", m.Command, m.CommandIndex, m.CommandTerm))
		case m.SnapshotValid:
			got = append(got, appliedSnap(m.SnapshotIndex, m.SnapshotTerm, string(m.Snapshot)))
		default:
			got = append(got, "an ApplyMsg with neither CommandValid nor SnapshotValid")
		}
	}
	h.check(slices.Equal(got, want), "%s: the node applied\n\t%q\nbut should have applied, in order, without gaps or repeats,\n\t%q", ctx, got, want)
}

func termsMap(terms []int) map[int]int {
	m := map[int]int{}
	for i, t := range terms {
		m[i+1] = t
	}
	return m
}

func testApply(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	terms := []int{1, 1, 2, 2}
	h.follow(1, 2, terms[:3], 0)
	h.tickN(3)
	h.wantApplied(nil, 1, 0, "before anything was committed")
	a := raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 3, PrevLogTerm: 2, LeaderCommit: 3}
	h.appendEntries(1, a)
	h.waitApplied(3, "after AppendEntries with leaderCommit 3")
	h.wantApplied(termsMap(terms), 1, 3, fmt.Sprintf("after AppendEntries(%s)", fmtAE(a)))
	a = raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 3, PrevLogTerm: 2, Entries: ents(3, 2), LeaderCommit: 4}
	h.appendEntries(1, a)
	h.waitApplied(4, "after AppendEntries with leaderCommit 4")
	h.wantApplied(termsMap(terms), 1, 4, fmt.Sprintf("after AppendEntries(%s)", fmtAE(a)))
	s := h.inspect()
	h.check(s.LastApplied == 4 && s.CommitIndex == 4, "after applying through 4, Inspect reports lastApplied %d, commitIndex %d; want 4 and 4", s.LastApplied, s.CommitIndex)
}

func testStartNonLeader(t TB, f raftapi.Factory) {
	for _, role := range []raftapi.Role{raftapi.Follower, raftapi.Candidate} {
		h := newHarness(t, f, 0, 3)
		h.follow(1, 1, []int{1, 1}, 0)
		if role == raftapi.Candidate {
			h.waitElection("the follower starting an election")
		}
		before := h.inspect()
		m := h.mark()
		_, _, ok := h.start("not-for-you")
		after := h.inspect()
		h.check(!ok, "Start on a %v returned isLeader = true", before.Role)
		h.check(after.LastIndex == before.LastIndex && slices.Equal(h.logTerms(), []int{1, 1}), "Start on a %v appended to its log: last index %d → %d, log terms %v; want [1 1]", before.Role, before.LastIndex, after.LastIndex, h.logTerms())
		h.check(len(h.aesSince(m, -1)) == 0, "Start on a %v sent AppendEntries", before.Role)
	}
}

func testStartLeader(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	T := h.becomeLeader()
	s := h.inspect()
	h.check(s.LastIndex == 0 && len(h.logTerms()) == 0, "a new leader with an empty log has last index %d, log terms %v right after its election; there is no no-op entry: every entry comes from Start", s.LastIndex, h.logTerms())
	for i, c := range []string{"a", "b"} {
		idx, term, ok := h.start(c)
		h.check(idx == i+1 && term == T && ok, "Start(%q) on the leader of term %d returned (%d, %d, %v), want (%d, %d, true): the index the command will have if committed", c, T, idx, term, ok, i+1, T)
	}
	v := h.logView()
	h.check(slices.Equal(v.Terms, []int{T, T}) && slices.EqualFunc(v.Commands, [][]byte{[]byte("a"), []byte("b")}, bytes.Equal),
		"after Start(\"a\"), Start(\"b\") the leader's log is terms %v, commands %s; want [%d %d], [\"a\" \"b\"]", v.Terms, fmtCmds(v.Commands), T, T)

	h = newHarness(t, f, 0, 3)
	h.follow(1, 1, []int{1, 1}, 0)
	T = h.becomeLeader()
	idx, term, ok := h.start("c")
	h.check(idx == 3 && term == T && ok, "Start(\"c\") on a new leader of term %d whose log is [1 1] returned (%d, %d, %v), want (3, %d, true)", T, idx, term, ok, T)
}

func testSendFromNextIndex(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 1, []int{1, 1}, 0)
	T := h.becomeLeader()
	m := h.mark()
	idx, _, _ := h.start("x")
	for _, p := range []int{1, 2} {
		ae := h.waitAE(m, p, fmt.Sprintf("the leader sending entry %d (Start(\"x\")) to %d", idx, p), func(a *sentAE) bool { return a.lastIndex() >= idx })
		want := raftapi.AppendEntriesArgs{Term: T, LeaderID: 0, PrevLogIndex: 2, PrevLogTerm: 1, Entries: []raftapi.Entry{{Term: T, Command: []byte("x")}}}
		h.check(ae.args.Term == T && ae.args.LeaderID == 0 && ae.args.PrevLogIndex == 2 && ae.args.PrevLogTerm == 1 && ae.args.LeaderCommit == 0 &&
			len(ae.args.Entries) == 1 && ae.args.Entries[0].Term == T && string(ae.args.Entries[0].Command) == "x",
			"a new leader of term %d with log [1 1] (so nextIndex = 3), after Start(\"x\"), sent %d AppendEntries(%s) with commands %s; want (%s) with command \"x\"",
			T, p, fmtAE(ae.args), fmtCmds(cmdsOf(ae.args.Entries)), fmtAE(want))
	}
}

func cmdsOf(es []raftapi.Entry) [][]byte {
	out := make([][]byte, len(es))
	for i, e := range es {
		out[i] = e.Command
	}
	return out
}

func testSuccessUpdates(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 1, []int{1, 1}, 0)
	T := h.becomeLeader()
	s := h.inspect()
	for _, p := range []int{1, 2} {
		h.check(len(s.NextIndex) == 3 && len(s.MatchIndex) == 3 && s.NextIndex[p] == 3 && s.MatchIndex[p] == 0,
			"right after winning the election with log [1 1], the leader's nextIndex = %v and matchIndex = %v; want nextIndex[%d] = 3 (last log index + 1) and matchIndex[%d] = 0 (reinitialized after election)", s.NextIndex, s.MatchIndex, p, p)
	}
	m := h.mark()
	h.start("x")
	ae := h.waitAE(m, 1, "the leader sending entry 3 to 1", func(a *sentAE) bool { return a.lastIndex() >= 3 })
	h.replyAE(ae, raftapi.AppendEntriesReply{Term: T, Success: true})
	s = h.inspect()
	h.check(s.MatchIndex[1] == ae.lastIndex() && s.NextIndex[1] == ae.lastIndex()+1,
		"after a successful reply to AppendEntries(%s) from 1, matchIndex[1] = %d and nextIndex[1] = %d; want %d and %d", fmtAE(ae.args), s.MatchIndex[1], s.NextIndex[1], ae.lastIndex(), ae.lastIndex()+1)
	h.check(s.MatchIndex[2] == 0, "a reply from 1 changed matchIndex[2] to %d", s.MatchIndex[2])
}

func testMatchFromAck(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	T := h.becomeLeader()
	m := h.mark()
	h.start("c1")
	ae1 := h.waitAE(m, 1, "the leader sending entry 1 to 1", func(a *sentAE) bool { return a.lastIndex() >= 1 })
	m2 := h.mark()
	h.start("c2")
	h.replyAE(ae1, raftapi.AppendEntriesReply{Term: T, Success: true})
	h.check(h.matchIndex(1) == 1, "the leader's log has 2 entries; a success reply to AppendEntries(%s), which carried only entry 1, set matchIndex[1] = %d; want 1: take matchIndex from the acknowledged request (prevLogIndex + len(entries)), not from the leader's log now", fmtAE(ae1.args), h.matchIndex(1))
	h.tickN(3)
	h.check(h.inspect().CommitIndex <= 1 && h.lastAppliedIndex() <= 1, "with 3 servers, only the leader holds entry 2, yet its commitIndex is %d (applied %d): an index commits only when a majority's matchIndex reaches it", h.inspect().CommitIndex, h.lastAppliedIndex())

	ae2 := h.waitAE(m2, 1, "the leader sending entry 2 to 1", func(a *sentAE) bool { return a.lastIndex() >= 2 })
	h.replyAE(ae2, raftapi.AppendEntriesReply{Term: T, Success: true})
	h.check(h.matchIndex(1) == 2, "after a success reply to AppendEntries(%s), matchIndex[1] = %d, want 2", fmtAE(ae2.args), h.matchIndex(1))
	h.replyAE(ae1, raftapi.AppendEntriesReply{Term: T, Success: true})
	h.check(h.matchIndex(1) == 2, "a late (duplicated or reordered) success reply to the older AppendEntries(%s) lowered matchIndex[1] from 2 to %d; matchIndex never decreases within a term", fmtAE(ae1.args), h.matchIndex(1))
}

func testBackup(t TB, f raftapi.Factory) {
	leaderLog := []int{1, 1, 2, 2, 4, 4}
	cases := []struct {
		name  string
		reply raftapi.AppendEntriesReply
		next  int
	}{
		{"follower's log too short (XTerm -1, XLen 3)", raftapi.AppendEntriesReply{XTerm: -1, XIndex: -1, XLen: 3}, 3},
		{"leader has no entry of XTerm 3 (XIndex 4)", raftapi.AppendEntriesReply{XTerm: 3, XIndex: 4, XLen: 7}, 4},
		{"leader has entries of XTerm 2, the last at 4 (XIndex 2)", raftapi.AppendEntriesReply{XTerm: 2, XIndex: 2, XLen: 7}, 5},
		{"leader has entries of XTerm 1, the last at 2 (XIndex 1)", raftapi.AppendEntriesReply{XTerm: 1, XIndex: 1, XLen: 9}, 3},
	}
	for _, c := range cases {
		h := newHarness(t, f, 0, 3)
		h.follow(1, 4, leaderLog, 0)
		m := h.mark()
		T := h.becomeLeader()
		ae := h.nextAE(m, 1, "the new leader sending AppendEntries to 1")
		h.must(ae.args.PrevLogIndex == 6 && ae.args.PrevLogTerm == 4, "the first AppendEntries of a new leader with log %v is (%s); want prev 6/4: nextIndex starts at last log index + 1 (Figure 2, state on leaders)", leaderLog, fmtAE(ae.args))
		r := c.reply
		r.Term = T
		m = h.mark()
		h.replyAE(ae, r)
		retry := h.nextAE(m, 1, fmt.Sprintf("%s: the leader retrying AppendEntries to 1 after the failure %s", c.name, fmtAEReply(r)))
		a := retry.args
		wantPrevTerm := 0
		if c.next > 1 {
			wantPrevTerm = leaderLog[c.next-2]
		}
		ok := a.PrevLogIndex == c.next-1 && a.PrevLogTerm == wantPrevTerm && len(a.Entries) > 0 &&
			c.next-1+len(a.Entries) <= len(leaderLog) && slices.Equal(entryTerms(a.Entries), leaderLog[c.next-1:c.next-1+len(a.Entries)])
		h.check(ok, "%s: leader log %v; after the failure %s to AppendEntries(%s) the leader retried with AppendEntries(%s); want nextIndex = %d, so prev %d/%d and the leader's entries from %d on (XTerm -1: nextIndex = XLen; leader has XTerm: one past its last entry of XTerm; otherwise XIndex)",
			c.name, leaderLog, fmtAEReply(r), fmtAE(ae.args), fmtAE(a), c.next, c.next-1, wantPrevTerm, c.next)
	}
}

func testCommitMajority(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 5)
	T := h.becomeLeader()
	m := h.mark()
	h.start("t" + fmt.Sprint(T) + "-i1")
	h.start("t" + fmt.Sprint(T) + "-i2")
	acks := map[int]*sentAE{}
	for _, p := range []int{1, 2} {
		acks[p] = h.waitAE(m, p, fmt.Sprintf("the leader sending entries 1-2 to %d", p), func(a *sentAE) bool { return a.lastIndex() >= 2 })
	}
	h.replyAE(acks[1], raftapi.AppendEntriesReply{Term: T, Success: true})
	h.tickN(3)
	h.check(h.inspect().CommitIndex == 0 && h.lastAppliedIndex() == 0, "with 5 servers, entries 1-2 are on the leader and server 1 only (2 of 5), yet the leader's commitIndex is %d (applied through %d)", h.inspect().CommitIndex, h.lastAppliedIndex())
	h.replyAE(acks[2], raftapi.AppendEntriesReply{Term: T, Success: true})
	h.tickUntil("the leader committing entries 1-2 once 3 of 5 servers hold them", func() bool { return h.inspect().CommitIndex >= 2 }, maxTicks)
	h.check(h.inspect().CommitIndex == 2, "the leader's commitIndex is %d but its log ends at 2", h.inspect().CommitIndex)
	h.waitApplied(2, "entries 1-2 are committed")
	h.wantApplied(map[int]int{1: T, 2: T}, 1, 2, "the leader, after committing 1-2")
	m = h.mark()
	h.waitAE(m, 3, "the leader telling 3 its new commitIndex (LeaderCommit 2)", func(a *sentAE) bool { return a.args.LeaderCommit == 2 })
}

func testFigure8(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 2, []int{1, 2}, 0)
	m := h.mark()
	T := h.becomeLeader()
	for _, p := range []int{1, 2} {
		ae := h.nextAE(m, p, fmt.Sprintf("the new leader sending AppendEntries to %d", p))
		h.replyAE(ae, raftapi.AppendEntriesReply{Term: T, Success: true})
		h.check(h.matchIndex(p) == ae.lastIndex(), "after a success reply to AppendEntries(%s) from %d, matchIndex[%d] = %d, want %d", fmtAE(ae.args), p, p, h.matchIndex(p), ae.lastIndex())
	}
	h.tickN(5)
	s := h.inspect()
	h.check(s.CommitIndex == 0 && h.lastAppliedIndex() == 0, "the leader of term %d with log [1 2] committed index %d (applied %d) because every server holds entries 1-2; entry 2 is of term 2, not the current term %d, and must not be committed by counting replicas (Figure 8)", T, s.CommitIndex, h.lastAppliedIndex(), T)
	m = h.mark()
	idx, _, _ := h.start(string(cmd(T, 3)))
	ae := h.waitAE(m, 1, "the leader sending entry 3 to 1", func(a *sentAE) bool { return a.lastIndex() >= idx })
	h.replyAE(ae, raftapi.AppendEntriesReply{Term: T, Success: true})
	h.tickUntil(fmt.Sprintf("the leader committing index 3 (term %d) once a majority holds it, and with it entries 1-2", T), func() bool { return h.inspect().CommitIndex >= 3 }, maxTicks)
	h.waitApplied(3, "entry 3 of the current term is committed")
	h.wantApplied(map[int]int{1: 1, 2: 2, 3: T}, 1, 3, "after entry 3 of the current term reached a majority")
}

func testStaleAEReplies(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	m := h.mark()
	T1 := h.becomeLeader()
	h.start(string(cmd(T1, 1)))
	ae1 := h.waitAE(m, 1, "the leader sending entry 1 to 1", func(a *sentAE) bool { return a.lastIndex() >= 1 })
	rv := raftapi.RequestVoteArgs{Term: T1 + 1, CandidateID: 2, LastLogIndex: 1, LastLogTerm: T1}
	r := h.requestVote(2, rv)
	h.setupMust("a vote for a candidate with an up-to-date log", []props.ID{props.HigherTermConvertsToFollower, props.OneVotePerTerm, props.ElectionRestriction}, r.VoteGranted,
		"RequestVote(%s) to the leader of term %d with log [%d] was refused", fmtRV(rv), T1, T1)
	T2 := h.becomeLeader()
	h.must(h.matchIndex(1) == 0, "right after winning term %d, matchIndex[1] = %d, want 0 (reinitialized after election)", T2, h.matchIndex(1))
	h.replyAE(ae1, raftapi.AppendEntriesReply{Term: T1, Success: true})
	h.check(h.matchIndex(1) == 0, "the leader of term %d took a success reply to its term-%d AppendEntries(%s) as an acknowledgement: matchIndex[1] = %d, want 0. A reply to a request of an older term is stale and must be ignored", T2, T1, fmtAE(ae1.args), h.matchIndex(1))
	term, leader := h.getState()
	h.check(leader && term == T2, "after a stale reply of term %d, GetState() = (%d, %v), want (%d, true)", T1, term, leader, T2)
}

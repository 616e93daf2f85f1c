package rules

import (
	"fmt"
	"slices"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
)

func snapshotRules() []Rule {
	return []Rule{
		rule("Snapshot_TrimsLogPersistsAndIsNotReappliedAfterRestart", Snapshots, props.SnapshotPersistence, testServiceSnapshot),
		rule("Snapshot_AtOrBelowCurrentSnapshotIsNoOp", Snapshots, props.StaleSnapshotCallIsNoOp, testSnapshotNoOp),
		rule("InstallSnapshot_Rule1_RejectsStaleTerm", Snapshots, props.RejectStaleTerm, testISRule1),
		rule("InstallSnapshot_Rule2_IgnoresStaleSnapshot", Snapshots, props.StaleInstallSnapshotChangesNothing, testISRule2),
		rule("InstallSnapshot_Rule3_MatchingEntryKeepsFollowingEntries", Snapshots, props.InstallSnapshotKeepsFollowingEntries, testISRule3),
		rule("InstallSnapshot_Rule4_OtherwiseDiscardsLog", Snapshots, props.InstallSnapshotDiscardsLog, testISRule4),
		rule("InstallSnapshot_Rule5_AppliedOnlyWhenItMovesServiceForward", Snapshots, props.SnapshotsNeverMoveBackwards, testISRule5Apply),
		rule("InstallSnapshot_Rule5_SavedWithStateAndNotReappliedAfterRestart", Snapshots, props.SnapshotPersistence, testISRule5Saved),
		rule("AppendEntries_Rule2_PrevLogIndexInsideSnapshot", Snapshots, props.AppendEntriesConsistencyCheck, testAEInsideSnapshot),
		rule("Leaders_SendInstallSnapshotWhenNextIndexInSnapshot", Snapshots, props.InstallSnapshotWhenBehind, testLeaderSendsIS),
	}
}

// snapState checks the node's snapshot and log after what.
func (h *harness) snapState(what string, snapIndex, snapTerm int, terms []int, data string) {
	h.t.Helper()
	s := h.inspect()
	v := h.logView()
	lastIndex, lastTerm := snapIndex+len(terms), snapTerm
	if len(terms) > 0 {
		lastTerm = terms[len(terms)-1]
	}
	h.check(s.SnapshotIndex == snapIndex && s.SnapshotTerm == snapTerm, "after %s the node's snapshot is %d/%d (index/term), want %d/%d", what, s.SnapshotIndex, s.SnapshotTerm, snapIndex, snapTerm)
	h.check(v.FirstIndex == snapIndex+1 && slices.Equal(v.Terms, terms), "after %s InspectLog reports first index %d and terms %v, want first index %d (snapshot index + 1) and terms %v", what, v.FirstIndex, v.Terms, snapIndex+1, terms)
	h.check(s.LastIndex == lastIndex && s.LastTerm == lastTerm, "after %s the node's last log entry is %d/%d, want %d/%d", what, s.LastIndex, s.LastTerm, lastIndex, lastTerm)
	h.check(string(h.store.Snapshot()) == data, "after %s the saved snapshot (Persister.ReadSnapshot) is %q, want %q: Save(state, snapshot) must carry the current snapshot", what, h.store.Snapshot(), data)
}

func testServiceSnapshot(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	terms := []int{1, 1, 2, 2, 2}
	h.follow(1, 2, terms, 4)
	h.waitApplied(4, "leaderCommit 4")
	h.snapshot(3, "snap3")
	h.snapState("Snapshot(3, \"snap3\") on a follower with log [1 1 2 2 2]", 3, 2, []int{2, 2}, "snap3")
	s := h.inspect()
	h.check(s.CommitIndex == 4 && s.LastApplied == 4, "Snapshot(3) changed commitIndex/lastApplied from 4/4 to %d/%d", s.CommitIndex, s.LastApplied)
	h.crashAndRestart()
	h.snapState("Snapshot(3, \"snap3\"), a crash and a restart,", 3, 2, []int{2, 2}, "snap3")
	h.tickN(3)
	h.wantAppliedSeq(nil, "a restarted node whose service restored itself from the saved snapshot (index 3), before any new commit")
	a := raftapi.AppendEntriesArgs{Term: 2, LeaderID: 1, PrevLogIndex: 5, PrevLogTerm: 2, LeaderCommit: 5}
	h.appendEntries(1, a)
	h.waitApplied(5, "leaderCommit 5 after a restart from snapshot 3")
	h.wantApplied(termsMap(terms), 4, 5, fmt.Sprintf("after restarting from snapshot 3 and AppendEntries(%s)", fmtAE(a)))
}

func testSnapshotNoOp(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 2, []int{1, 1, 2, 2, 2}, 4)
	h.waitApplied(4, "leaderCommit 4")
	h.snapshot(3, "snap3")
	h.snapshot(2, "old")
	h.snapState("Snapshot(3, \"snap3\") then Snapshot(2, \"old\")", 3, 2, []int{2, 2}, "snap3")
	h.snapshot(3, "again")
	h.snapState("Snapshot(3, \"snap3\") then Snapshot(3, \"again\")", 3, 2, []int{2, 2}, "snap3")
	h.snapshot(4, "snap4")
	h.snapState("Snapshot(3, \"snap3\") then Snapshot(4, \"snap4\")", 4, 2, []int{2}, "snap4")
	h.crashAndRestart()
}

func testISRule1(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 3, []int{1, 1}, 0)
	a := raftapi.InstallSnapshotArgs{Term: 2, LeaderID: 2, LastIncludedIndex: 5, LastIncludedTerm: 2, Data: []byte("stale")}
	r := h.installSnapshot(2, a)
	h.check(r.Term == 3, "a node in term 3 answered InstallSnapshot(%s) with Term %d, want 3", fmtIS(a), r.Term)
	h.snapState(fmt.Sprintf("the stale InstallSnapshot(%s)", fmtIS(a)), 0, 0, []int{1, 1}, "")
	h.tickN(2)
	h.wantAppliedSeq(nil, "after a stale InstallSnapshot")

	h = newHarness(t, f, 0, 3)
	T := h.waitElection("the node starting an election")[0].args.Term
	a = raftapi.InstallSnapshotArgs{Term: T + 1, LeaderID: 1, LastIncludedIndex: 2, LastIncludedTerm: T, Data: []byte("s2")}
	r = h.installSnapshot(1, a)
	s := h.inspect()
	h.check(r.Term == T+1 && s.Term == T+1 && s.Role == raftapi.Follower, "a candidate of term %d answered InstallSnapshot(%s) with Term %d and is now %v in term %d; want follower in term %d", T, fmtIS(a), r.Term, s.Role, s.Term, T+1)
}

func testISRule2(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 2, []int{1, 1, 2, 2, 2}, 4)
	h.waitApplied(4, "leaderCommit 4")
	h.snapshot(4, "snap4")
	n := len(h.appliedNow())
	for _, lii := range []int{3, 4} {
		a := raftapi.InstallSnapshotArgs{Term: 2, LeaderID: 1, LastIncludedIndex: lii, LastIncludedTerm: 2, Data: []byte("stale")}
		r := h.installSnapshot(1, a)
		h.check(r.Term == 2, "InstallSnapshot(%s) answered with Term %d, want 2", fmtIS(a), r.Term)
		h.snapState(fmt.Sprintf("InstallSnapshot(%s) to a node whose own snapshot is 4/2", fmtIS(a)), 4, 2, []int{2}, "snap4")
	}
	h.tickN(2)
	h.check(len(h.appliedNow()) == n, "a stale InstallSnapshot made the node apply %d more messages", len(h.appliedNow())-n)
}

func testISRule3(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	terms := []int{1, 1, 1, 1, 1, 1}
	h.follow(1, 1, terms, 2)
	h.waitApplied(2, "leaderCommit 2")
	a := raftapi.InstallSnapshotArgs{Term: 1, LeaderID: 1, LastIncludedIndex: 4, LastIncludedTerm: 1, Data: []byte("s4")}
	r := h.installSnapshot(1, a)
	h.check(r.Term == 1, "InstallSnapshot(%s) answered with Term %d, want 1", fmtIS(a), r.Term)
	what := fmt.Sprintf("InstallSnapshot(%s) to a follower with log %v", fmtIS(a), terms)
	h.snapState(what, 4, 1, []int{1, 1}, "s4")
	h.waitApplied(4, "the snapshot moves the service from 2 to 4")
	h.wantAppliedSeq([]string{appliedCmd(1, 1), appliedCmd(1, 2), appliedSnap(4, 1, "s4")}, "after "+what)
	s := h.inspect()
	h.check(s.CommitIndex >= 4 && s.LastApplied == 4, "after %s and applying it, commitIndex = %d, lastApplied = %d; want commitIndex ≥ 4, lastApplied = 4", what, s.CommitIndex, s.LastApplied)
	ae := raftapi.AppendEntriesArgs{Term: 1, LeaderID: 1, PrevLogIndex: 6, PrevLogTerm: 1, LeaderCommit: 6}
	h.appendEntries(1, ae)
	h.waitApplied(6, "leaderCommit 6")
	h.wantAppliedSeq([]string{appliedCmd(1, 1), appliedCmd(1, 2), appliedSnap(4, 1, "s4"), appliedCmd(1, 5), appliedCmd(1, 6)}, fmt.Sprintf("after AppendEntries(%s)", fmtAE(ae)))
}

func testISRule4(t TB, f raftapi.Factory) {
	cases := []struct {
		name     string
		log      []int
		lii, lit int
	}{
		{"log shorter than the snapshot", []int{1, 1, 2}, 5, 3},
		{"entry at the last included index has another term", []int{1, 1, 2, 2, 2, 2}, 4, 3},
	}
	for _, c := range cases {
		h := newHarness(t, f, 0, 3)
		h.follow(1, 2, c.log, 0)
		data := fmt.Sprintf("s%d", c.lii)
		a := raftapi.InstallSnapshotArgs{Term: 3, LeaderID: 2, LastIncludedIndex: c.lii, LastIncludedTerm: c.lit, Data: []byte(data)}
		r := h.installSnapshot(2, a)
		h.check(r.Term == 3, "%s: InstallSnapshot(%s) answered with Term %d, want 3", c.name, fmtIS(a), r.Term)
		what := fmt.Sprintf("%s: InstallSnapshot(%s) to a follower with log %v", c.name, fmtIS(a), c.log)
		h.snapState(what, c.lii, c.lit, nil, data)
		h.waitApplied(c.lii, "the snapshot moves the service forward")
		h.wantAppliedSeq([]string{appliedSnap(c.lii, c.lit, data)}, "after "+what)
		s := h.inspect()
		h.check(s.CommitIndex == c.lii && s.LastApplied == c.lii, "after %s, commitIndex = %d, lastApplied = %d; want both %d", what, s.CommitIndex, s.LastApplied, c.lii)
		ae := raftapi.AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: c.lii, PrevLogTerm: c.lit, Entries: ents(c.lii, 3), LeaderCommit: c.lii + 1}
		r2 := h.appendEntries(2, ae)
		h.check(r2.Success, "%s: after installing the snapshot, AppendEntries(%s) was refused (%s); PrevLogIndex equal to LastIncludedIndex is checked against LastIncludedTerm", c.name, fmtAE(ae), fmtAEReply(r2))
		h.waitApplied(c.lii+1, "leaderCommit just after the snapshot")
		h.wantAppliedSeq([]string{appliedSnap(c.lii, c.lit, data), appliedCmd(3, c.lii+1)}, fmt.Sprintf("%s: after AppendEntries(%s); the next command after a snapshot with index k is k+1", c.name, fmtAE(ae)))
	}
}

func testISRule5Apply(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 1, []int{1, 1, 1, 1, 1}, 5)
	h.waitApplied(5, "leaderCommit 5")
	n := len(h.appliedNow())
	for _, lii := range []int{3, 5} {
		a := raftapi.InstallSnapshotArgs{Term: 1, LeaderID: 1, LastIncludedIndex: lii, LastIncludedTerm: 1, Data: []byte(fmt.Sprintf("s%d", lii))}
		h.installSnapshot(1, a)
		h.tickN(2)
		for _, m := range h.appliedNow()[n:] {
			h.check(!m.SnapshotValid, "the service had applied through index 5; after InstallSnapshot(%s) the node applied the snapshot (index %d), which would move the service backwards: a snapshot at or below the service's last applied index must never be applied", fmtIS(a), m.SnapshotIndex)
		}
		s := h.inspect()
		h.check(s.LastApplied == 5 && s.CommitIndex == 5 && s.LastIndex == 5, "after InstallSnapshot(%s) to a node that had committed and applied 1-5, lastApplied = %d, commitIndex = %d, last log index = %d; want 5, 5, 5 (the entries after the snapshot's last included entry are retained)", fmtIS(a), s.LastApplied, s.CommitIndex, s.LastIndex)
	}
}

func testISRule5Saved(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 2, []int{1, 1, 2}, 0)
	a := raftapi.InstallSnapshotArgs{Term: 3, LeaderID: 2, LastIncludedIndex: 5, LastIncludedTerm: 3, Data: []byte("s5")}
	h.installSnapshot(2, a)
	what := fmt.Sprintf("InstallSnapshot(%s)", fmtIS(a))
	h.snapState(what, 5, 3, nil, "s5")
	h.crashAndRestart()
	h.snapState(what+", a crash and a restart,", 5, 3, nil, "s5")
	h.tickN(3)
	h.wantAppliedSeq(nil, "a restarted node whose service restored itself from the saved snapshot (index 5): the node must not apply that snapshot again")
	ae := raftapi.AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 5, PrevLogTerm: 3, Entries: ents(5, 3), LeaderCommit: 6}
	h.appendEntries(2, ae)
	h.waitApplied(6, "leaderCommit 6 after restarting from snapshot 5")
	h.wantAppliedSeq([]string{appliedCmd(3, 6)}, fmt.Sprintf("after restarting from snapshot 5 and AppendEntries(%s)", fmtAE(ae)))
}

func testAEInsideSnapshot(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 2, []int{1, 1, 2, 2, 2, 2}, 4)
	h.waitApplied(4, "leaderCommit 4")
	h.snapshot(4, "snap4")
	a := raftapi.AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 2, PrevLogTerm: 1, Entries: ents(2, 2, 2, 2, 2, 3)}
	r := h.appendEntries(2, a)
	// raftapi accepts two answers: refuse with the hints that send the
	// leader past the snapshot, changing nothing; or trim the request to
	// the entries after the snapshot (7 is new) and accept it. On
	// success the hints are unspecified, so they are not compared.
	refusal := raftapi.AppendEntriesReply{Term: 3, Success: false, XTerm: -1, XIndex: -1, XLen: 5}
	if r.Success {
		h.check(r.Term == 3, "a follower with snapshot 4/2 and entries 5-6 accepted AppendEntries(%s) with %s: the reply's term must be 3", fmtAE(a), fmtAEReply(r))
		h.snapState(fmt.Sprintf("accepting AppendEntries(%s), which reaches into the snapshot (a follower that accepts it must store its entries after the snapshot, 5-7, as a request after 4/2 would; or refuse it with %s)", fmtAE(a), fmtAEReply(refusal)), 4, 2, []int{2, 2, 3}, "snap4")
	} else {
		h.check(r == refusal, "a follower with snapshot 4/2 and entries 5-6 answered AppendEntries(%s) with %s, want %s: PrevLogIndex 2 lies inside the snapshot, so either reply false with XTerm = XIndex = -1 and XLen = LastIncludedIndex + 1, or trim the request to the entries after the snapshot and accept it (raftapi.AppendEntriesReply)", fmtAE(a), fmtAEReply(r), fmtAEReply(refusal))
		h.snapState(fmt.Sprintf("the refused AppendEntries(%s)", fmtAE(a)), 4, 2, []int{2, 2}, "snap4")
	}
	a = raftapi.AppendEntriesArgs{Term: 3, LeaderID: 2, PrevLogIndex: 4, PrevLogTerm: 2, Entries: ents(4, 2, 3)}
	r = h.appendEntries(2, a)
	h.check(r.Success && r.Term == 3, "a follower with snapshot 4/2 answered AppendEntries(%s) with %s; PrevLogIndex equal to LastIncludedIndex is checked against LastIncludedTerm (2): reply true", fmtAE(a), fmtAEReply(r))
	h.snapState(fmt.Sprintf("AppendEntries(%s)", fmtAE(a)), 4, 2, []int{2, 3}, "snap4")
}

func testLeaderSendsIS(t TB, f raftapi.Factory) {
	h := newHarness(t, f, 0, 3)
	h.follow(1, 1, []int{1, 1, 1, 1}, 4)
	h.waitApplied(4, "leaderCommit 4")
	h.snapshot(3, "snap3")
	m := h.mark()
	T := h.becomeLeader()
	ae := h.nextAE(m, 1, "the new leader sending AppendEntries to 1")
	m = h.mark()
	h.replyAE(ae, raftapi.AppendEntriesReply{Term: T, XTerm: -1, XIndex: -1, XLen: 1})
	var is *sentIS
	h.tickUntil("the leader (snapshot 3/1) sending InstallSnapshot to 1, whose log is empty (XLen 1, so nextIndex 1 ≤ 3)", func() bool {
		if l := h.issSince(m, 1); len(l) > 0 {
			is = l[0]
		}
		return is != nil
	}, maxTicks)
	want := raftapi.InstallSnapshotArgs{Term: T, LeaderID: 0, LastIncludedIndex: 3, LastIncludedTerm: 1, Data: []byte("snap3")}
	h.check(is.args.Term == want.Term && is.args.LeaderID == 0 && is.args.LastIncludedIndex == 3 && is.args.LastIncludedTerm == 1 && string(is.args.Data) == "snap3",
		"the leader sent InstallSnapshot(%s) with data %q, want (%s) with data \"snap3\"", fmtIS(is.args), is.args.Data, fmtIS(want))
	m = h.mark()
	h.replyIS(is, raftapi.InstallSnapshotReply{Term: T})
	next := h.nextAE(m, 1, "the leader continuing with AppendEntries to 1 after its InstallSnapshot was acknowledged")
	h.check(next.args.PrevLogIndex >= 3 && next.args.PrevLogTerm == 1 && next.args.Term == T,
		"after 1 acknowledged InstallSnapshot(%s), the leader sent AppendEntries(%s); want PrevLogIndex ≥ 3 (the follower now holds the snapshot) with the matching PrevLogTerm 1", fmtIS(is.args), fmtAE(next.args))
	idx, term, ok := h.start("x")
	h.check(idx == 5 && term == T && ok, "Start(\"x\") on the leader of term %d with snapshot 3 and log through 4 returned (%d, %d, %v), want (5, %d, true)", T, idx, term, ok, T)
}

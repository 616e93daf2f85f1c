package labs

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// targeted returns the stage's targeted schedules: scripted, deterministic
// scenarios for the bugs that random faults find only by chance. Each one
// builds, step by step and waiting for each expected state rather than for
// a fixed time, the exact situation in which a wrong implementation breaks,
// so that it fails on every seed; the seed only moves timeouts and delays
// around the script. labs/mutants proves it: each schedule fails a copy of
// the reference with the bug put back.
//
// Each schedule belongs to the first stage where its bug can appear. The
// replication-stage schedules use partitions and never crash a node, since
// persistence comes later.
func targeted(stage Stage) []Scenario {
	all := []Scenario{
		{Name: "TargetedStaleAppendEntries", Stage: Replication, Paper: "§5.3", Nodes: 3, Run: tgStaleAppendEntries},
		{Name: "TargetedOutOfOrderReplies", Stage: Replication, Paper: "§5.3", Nodes: 3, Run: tgOutOfOrderReplies},
		{Name: "TargetedCommitMinRule", Stage: Replication, Paper: "§5.3, Figure 2", Nodes: 5, Run: tgCommitMinRule},
		{Name: "TargetedMismatchedHeartbeats", Stage: Replication, Paper: "§5.3", Nodes: 5, Run: tgMismatchedHeartbeats},
		{Name: "TargetedLongerLogOlderTerm", Stage: Replication, Paper: "§5.4.1", Nodes: 3, Run: tgLongerLogOlderTerm},
		{Name: "TargetedFigure8Exact", Stage: Replication, Paper: "§5.4.2, Figure 8", Nodes: 5, Run: tgFigure8Exact},
		{Name: "TargetedIsolatedLeaderMinority", Stage: Replication, Paper: "§5.1, §5.3", Nodes: 5, Run: tgIsolatedLeaderMinority},
		{Name: "TargetedElectionTimerDiscipline", Stage: Replication, Paper: "§5.2, §5.4.1", Nodes: 3, Run: tgElectionTimerDiscipline},
		{Name: "TargetedVoteSurvivesCrash", Stage: Persistence, Paper: "§5.2, Figure 2", Nodes: 3, Run: tgVoteSurvivesCrash},
		{Name: "TargetedPersistBeforeReply", Stage: Persistence, Paper: "Figure 2, §5.3", Nodes: 3, Run: tgPersistBeforeReply},
		{Name: "TargetedStaleInstallSnapshot", Stage: Snapshots, Paper: "§7, Figure 13", Nodes: 3,
			Configure: tgSnapshotEvery(5), Run: tgStaleInstallSnapshot},
		{Name: "TargetedInstallSnapshotKeepsSuffix", Stage: Snapshots, Paper: "§7, Figure 13", Nodes: 3,
			Configure: tgSnapshotEvery(10), Run: tgInstallSnapshotKeepsSuffix},
		{Name: "TargetedSnapshotDroppedBySave", Stage: Snapshots, Paper: "§7", Nodes: 3,
			Configure: tgSnapshotEvery(5), Run: tgSnapshotDroppedBySave},
	}
	all = append(all, classicSchedules()...)
	var out []Scenario
	for _, sc := range all {
		if sc.Stage == stage {
			// A schedule is deterministic in what it builds; more seeds
			// only vary the timing around it, so a few are enough.
			sc.Seeds = 8
			out = append(out, sc)
		}
	}
	return out
}

func tgSnapshotEvery(k int) func(cfg *sim.Config, seed uint64) {
	return func(cfg *sim.Config, _ uint64) { cfg.SnapshotEvery = k }
}

// ---- helpers of the targeted schedules ----

// tgInOrder is the verdict of a schedule's interceptor for messages it
// does not single out while the order of deliveries matters: a fixed delay,
// so that messages between two nodes arrive in the order they were sent
// (the network's random delays reorder messages).
func tgInOrder() sim.Verdict { return sim.Verdict{Delay: 2 * time.Millisecond} }

// tgStepBound bounds each scripted step that waits for the cluster (a
// message to arrive, an entry to replicate): generous, since a correct
// implementation does each within a few heartbeats.
const tgStepBound = 3 * time.Second

// tgWait runs until cond holds; if it does not within the bound, the run
// fails as a liveness failure that names the step the script waited for,
// and what each leader knows of its followers.
func tgWait(c *sim.Cluster, within time.Duration, rule props.ID, what string, cond func() bool) {
	deadline := c.Now() + within
	if !c.RunUntil(within, cond) {
		c.FailLiveness(rule, "the schedule expected %s within %s of simulated time (by %s), but it did not happen.%s", what, within, deadline, tgLeaders(c))
	}
}

// tgLeaders describes what every node that believes it leads knows of its
// followers (nextIndex, matchIndex), which the report's node list leaves
// out: "" if no node leads.
func tgLeaders(c *sim.Cluster) string {
	var b strings.Builder
	for i := range c.N() {
		s := c.State(i)
		if !c.Up(i) || s.Role != raftapi.Leader {
			continue
		}
		fmt.Fprintf(&b, " Leader %d (term %d, log through %d, commit %d) has nextIndex %v and matchIndex %v (its own entries unspecified).", i, s.Term, s.LastIndex, s.CommitIndex, s.NextIndex, s.MatchIndex)
	}
	return b.String()
}

// tgWaitExplained is tgWait whose failure also says, through explain
// (called only on failure), what the schedule was waiting for in terms of
// the nodes' state, so that a student need not read the schedule.
func tgWaitExplained(c *sim.Cluster, within time.Duration, rule props.ID, what string, cond func() bool, explain func() string) {
	deadline := c.Now() + within
	if !c.RunUntil(within, cond) {
		c.FailLiveness(rule, "the schedule expected %s within %s of simulated time (by %s), but it did not happen. %s", what, within, deadline, explain())
	}
}

// tgLeaderView describes what node l, as leader, knows of follower f, and
// f's log: what a report needs to say why a step of a schedule did not
// happen.
func tgLeaderView(c *sim.Cluster, l, f int) string {
	s, fs := c.State(l), c.State(f)
	view := fmt.Sprintf("Follower %d's log ends at %d (snapshot through %d, commit %d). ", f, fs.LastIndex, fs.SnapshotIndex, fs.CommitIndex)
	if s.Role != raftapi.Leader || len(s.NextIndex) != c.N() || len(s.MatchIndex) != c.N() {
		return view + fmt.Sprintf("Node %d is %s of term %d, no longer the leader the schedule made it.%s", l, s.Role, s.Term, tgLeaders(c))
	}
	return view + fmt.Sprintf("Leader %d (term %d, log through %d, snapshot through %d, commit %d) has nextIndex[%d] = %d and matchIndex[%d] = %d.",
		l, s.Term, s.LastIndex, s.SnapshotIndex, s.CommitIndex, f, s.NextIndex[f], f, s.MatchIndex[f])
}

// tgOthers returns the cluster's nodes except the given ones, in id order.
func tgOthers(c *sim.Cluster, not ...int) []int {
	var out []int
	for i := range c.N() {
		if !slices.Contains(not, i) {
			out = append(out, i)
		}
	}
	return out
}

// tgStart calls Start on node i, which the script has made leader, and
// fails the run if it does not accept the command or returns an index other
// than want (when want > 0).
func tgStart(c *sim.Cluster, i int, cmd string, want int) int {
	idx, term, ok := c.Start(i, []byte(cmd))
	if !ok {
		c.Failf(props.StartOnLeader, "node %d leads term %d (it won the election and nothing has deposed it), but Start(%q) returned isLeader = false: a leader appends every command it is given", i, c.State(i).Term, cmd)
	}
	if want > 0 && idx != want {
		c.Failf(props.StartIndex, "Start(%q) on leader %d (term %d) returned index %d, expected %d: the index of a new entry is one past the leader's last log index", cmd, i, term, idx, want)
	}
	return idx
}

// tgSettle waits until leader l knows that every follower holds its whole
// log (matchIndex = its last index), so that nothing it sent is still
// unacknowledged: what the script starts next goes out in requests of its
// own.
func tgSettle(c *sim.Cluster, l int) {
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("leader %d to learn that every follower holds its log", l),
		func() bool {
			s := c.State(l)
			if s.Role != raftapi.Leader || len(s.MatchIndex) != c.N() {
				return false
			}
			for i, m := range s.MatchIndex {
				if i != l && m < s.LastIndex {
					return false
				}
			}
			return true
		})
}

// tgElect makes node x the leader of a group with the votes of voters,
// deterministically: the voters are paused, so that none of them times out
// and competes, until x campaigns in a term above all of theirs; then they
// resume and receive x's vote requests. x must not believe it leads (it
// would never campaign), and its log must be at least as up-to-date as the
// voters'.
func tgElect(c *sim.Cluster, x int, voters []int) {
	for _, v := range voters {
		c.Pause(v)
	}
	// x's vote requests must be sent after the pause, so that they are
	// held for the voters rather than lost to a partition: wait for a new
	// campaign, in a term above the voters' and x's own.
	top := c.State(x).Term
	for _, v := range voters {
		top = max(top, c.State(v).Term)
	}
	tgWait(c, 10*time.Second, props.LeaderElection, fmt.Sprintf("node %d, which hears from no leader, to time out and campaign (in a term above %d)", x, top),
		func() bool { s := c.State(x); return s.Role == raftapi.Candidate && s.Term > top })
	for _, v := range voters {
		c.Resume(v)
	}
	if !c.RunUntil(electionBound, func() bool { return c.State(x).Role == raftapi.Leader }) {
		s := c.State(x)
		c.FailLiveness(props.LeaderElection, "node %d campaigned in term %d with a log at least as up-to-date as those of nodes %v, which had not voted in that term, yet it did not become leader within %s of simulated time (it is %s of term %d): a voter grants its vote to such a candidate (§5.2, §5.4.1), and a candidate with votes from a majority becomes leader",
			x, top+1, voters, electionBound, s.Role, s.Term)
	}
}

// ---- replication ----

// tgStaleAppendEntries: a duplicate of an early AppendEntries (ending at
// entry i1) arrives after the follower appended later entries i2 and i3. A
// follower that truncates its log on every AppendEntries, not only on a
// real conflict, drops entries it acknowledged.
//
// The schedule singles out messages only by what the paper fixes: the
// duplicated request is the first AppendEntries to f that carries entry
// i1, which must end at i1 since i2 is started only after f holds i1 —
// whatever the leader's batching, pipelining or pacing.
func tgStaleAppendEntries(c *sim.Cluster) {
	l := c.WaitLeader(electionBound)
	f, g := (l+1)%3, (l+2)%3
	base := c.Submit([]byte("stale-ae base"), 3, agreeBound)
	tgSettle(c, l)
	c.Note("node %d leaves: entries %d..%d can commit only on follower %d's acknowledgements", g, base+1, base+3, f)
	c.Isolate(g)

	// The first AppendEntries that carries entry base+1 to f is
	// duplicated, and the copy held back 50 ms: the stale request. Until
	// just after it, requests that would tell f a commit index past
	// base+1 arrive just after it too, so that what f loses is plainly
	// entries it appended, not entries it was told are committed. Every
	// other message between the nodes takes 2 ms, in order.
	const hold = 50 * time.Millisecond
	dupAt := time.Duration(-1)
	c.Intercept(func(m sim.Msg) sim.Verdict {
		if m.Kind != sim.MsgAppendEntries || m.From != l || m.To != f {
			return tgInOrder()
		}
		switch {
		case dupAt < 0 && m.Entries > 0 && m.PrevLogIndex < base+1 && m.PrevLogIndex+m.Entries >= base+1:
			dupAt = c.Now() + hold
			return sim.Verdict{Delay: 2 * time.Millisecond, Dup: true, DupDelay: hold}
		case dupAt >= 0 && m.LeaderCommit > base+1 && c.Now() < dupAt:
			return sim.Verdict{Delay: dupAt + 3*time.Millisecond - c.Now()}
		}
		return tgInOrder()
	})
	i1 := tgStart(c, l, "stale-ae 1", base+1)
	tgWaitExplained(c, tgStepBound, props.LogReplication, fmt.Sprintf("follower %d to append entry %d", f, i1),
		func() bool { return c.State(f).LastIndex >= i1 },
		func() string { return tgLeaderView(c, l, f) })
	if dupAt < 0 || c.Now() >= dupAt-hold/2 {
		c.FailLiveness(props.LogReplication, "follower %d appended entry %d only %s after leader %d was given it (its log ends at %d): a leader sends a new entry to its followers within a heartbeat interval, and this schedule needs the entry to arrive within %s", f, i1, c.Now()-(dupAt-hold), l, c.State(f).LastIndex, hold/2)
	}
	tgStart(c, l, "stale-ae 2", i1+1)
	i3 := tgStart(c, l, "stale-ae 3", i1+2)
	tgWaitExplained(c, dupAt-c.Now(), props.LogReplication, fmt.Sprintf("follower %d to append entries %d..%d before a late copy of the request that carried entry %d reaches it (at %s)", f, i1+1, i3, i1, dupAt),
		func() bool { return c.State(f).LastIndex >= i3 },
		func() string { return tgLeaderView(c, l, f) })
	// Watch f's log turn by turn until just after the stale copy: in one
	// term, with one leader, no entry it appended may disappear.
	var was raftapi.NodeState
	truncated := c.RunUntil(dupAt+20*time.Millisecond-c.Now(), func() bool {
		was = c.State(f)
		return was.LastIndex < i3
	})
	if truncated {
		c.Failf(props.TruncateOnlyOnConflict,
			"follower %d appended (and acknowledged) entries through %d, then received a late duplicate of an earlier AppendEntries (prevLogIndex %d, entries through %d, all of which match its log); its log now ends at %d. Delete entries only from the first real conflict (same index, different term); a request whose entries are all already present changes nothing",
			f, i3, base, i1, was.LastIndex)
	}
	c.Intercept(nil)
	c.Connect(g)
	c.Submit([]byte("stale-ae final"), 3, agreeBound)
}

// tgOutOfOrderReplies: the acknowledgement of an earlier AppendEntries
// arrives after the leader appended a newer entry that the follower does
// not have yet. A leader that sets matchIndex from its own log (or from
// nextIndex) instead of from the request that was acknowledged commits the
// newer entry on a majority that does not hold it. Then, old-term replies
// arrive after the leader was deposed and re-elected.
func tgOutOfOrderReplies(c *sim.Cluster) {
	l := c.WaitLeader(electionBound)
	f, g := (l+1)%3, (l+2)%3
	base := c.Submit([]byte("ooo base"), 3, agreeBound)
	c.Note("node %d leaves: commits depend on follower %d alone", g, f)
	c.Isolate(g)

	// f's replies are held 30 ms until 20 ms after entry base+2 is
	// started, which happens once f holds base+1: the acknowledgement of
	// base+1 reaches the leader after it appended base+2. Any request that
	// carries entry base+2 to f before 50 ms after that reaches f only
	// after 150 ms. The rule singles out requests by the entries they
	// carry, whatever the leader's batching or pacing.
	t2 := time.Duration(-1)
	c.Intercept(func(m sim.Msg) sim.Verdict {
		now := c.Now()
		switch {
		case m.Kind == sim.MsgAppendEntriesReply && m.From == f && m.To == l && (t2 < 0 || now < t2+20*time.Millisecond):
			return sim.Verdict{Delay: 30 * time.Millisecond}
		case m.Kind == sim.MsgAppendEntries && m.From == l && m.To == f && m.Entries > 0 && m.PrevLogIndex+m.Entries >= base+2 &&
			(t2 < 0 || now < t2+50*time.Millisecond):
			return sim.Verdict{Delay: 150 * time.Millisecond}
		}
		return tgInOrder()
	})
	i1 := tgStart(c, l, "ooo 1", base+1)
	tgWaitExplained(c, tgStepBound, props.LogReplication, fmt.Sprintf("follower %d to append entry %d", f, i1),
		func() bool { return c.State(f).LastIndex >= i1 },
		func() string { return tgLeaderView(c, l, f) })
	t2 = c.Now()
	i2 := tgStart(c, l, "ooo 2", base+2)
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("leader %d to commit entry %d", l, i1),
		func() bool { return c.State(l).CommitIndex >= i1 })
	c.RunFor(5 * time.Millisecond)
	if s := c.State(l); s.CommitIndex >= i2 && c.State(f).LastIndex < i2 {
		c.Failf(props.MatchIndexFromAcknowledgedRequest,
			"leader %d committed entry %d when follower %d had acknowledged only the AppendEntries that carried entry %d (entry %d had not reached it): on a successful reply set matchIndex to prevLogIndex + len(entries) of the request that reply answers, not to the leader's last index or nextIndex-1",
			l, i2, f, i1, i2)
	}
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("entry %d to reach follower %d and commit", i2, f),
		func() bool { return c.State(l).CommitIndex >= i2 })

	// Old-term replies: f's replies are held 400 ms while the leader is
	// deposed by g and elected again; they must not count in the new term.
	c.Intercept(func(m sim.Msg) sim.Verdict {
		if m.Kind == sim.MsgAppendEntriesReply && m.From == f && m.To == l && m.Term == c.State(l).Term {
			return sim.Verdict{Delay: 400 * time.Millisecond}
		}
		return tgInOrder()
	})
	oldTerm := c.State(l).Term
	tgStart(c, l, "ooo 3", i2+1)
	c.RunFor(20 * time.Millisecond)
	c.Intercept(nil)
	c.Note("node %d, cut off and in a higher term, rejoins: leader %d steps down", g, l)
	c.Connect(g)
	c.Submit([]byte("ooo final"), 3, agreeBound)
	if c.State(l).Term == oldTerm && c.State(l).Role == raftapi.Leader {
		return // g's term did not depose the leader; nothing more to see
	}
	c.RunFor(500 * time.Millisecond) // the old-term replies arrive
	c.Submit([]byte("ooo final 2"), 3, agreeBound)
}

// tgCommitMinRule: a follower whose log holds a stale entry after the
// entries it shares with the new leader receives, in a heartbeat anchored
// where their logs match, a leaderCommit beyond that point. commitIndex =
// min(leaderCommit, index of the last new entry): a follower that takes
// min(leaderCommit, its last index) applies its stale entry.
func tgCommitMinRule(c *sim.Cluster) {
	z := c.WaitLeader(electionBound)
	rest := tgOthers(c, z)
	f, w, g1, g2 := rest[0], rest[1], rest[2], rest[3]
	i1 := c.Submit([]byte("min 1"), 5, agreeBound)

	c.Note("entry %d reaches nodes %d and %d only; node %d never learns that it commits", i1+1, f, w, w)
	c.Partition([]int{z, f, w}, []int{g1, g2})
	i2 := tgStart(c, z, "min 2", i1+1)
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("nodes %d and %d to append entry %d", f, w, i2),
		func() bool { return c.State(f).LastIndex >= i2 && c.State(w).LastIndex >= i2 })
	c.Partition([]int{z, f}, []int{w, g1, g2})
	c.Note("entry %d reaches node %d only: its stale tail", i2+1, f)
	i3 := tgStart(c, z, "min 3 stale", i2+1)
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("node %d to append entry %d", f, i3),
		func() bool { return c.State(f).LastIndex >= i3 })

	c.Note("node %d leads nodes %d and %d; then node %d joins them", w, g1, g2, f)
	tgElect(c, w, []int{g1, g2})
	c.Partition([]int{z}, []int{w, g1, g2, f})
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("leader %d to find where the logs of nodes %d, %d and %d match its own (index %d)", w, f, g1, g2, i2),
		func() bool {
			s := c.State(w)
			return s.Role == raftapi.Leader && len(s.MatchIndex) == c.N() &&
				s.MatchIndex[f] >= i2 && s.MatchIndex[g1] >= i2 && s.MatchIndex[g2] >= i2
		})

	// The leader's next entries reach f 60 ms late; meanwhile the leader
	// commits them and tells f in a heartbeat after index i2.
	until := c.Now() + 30*time.Millisecond
	c.Intercept(func(m sim.Msg) sim.Verdict {
		if m.Kind == sim.MsgAppendEntries && m.From == w && m.To == f && m.Entries > 0 && c.Now() < until {
			return sim.Verdict{Delay: 60 * time.Millisecond}
		}
		return tgInOrder()
	})
	iw := tgStart(c, w, "min 3", i3)
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("leader %d to commit entry %d with nodes %d and %d", w, iw, g1, g2),
		func() bool { return c.State(w).CommitIndex >= iw })
	c.RunFor(25 * time.Millisecond)
	if s := c.State(f); s.CommitIndex > i2 && s.LastTerm != c.State(w).Term {
		c.Failf(props.CommitIndexMinLeaderCommit,
			"follower %d set commitIndex to %d although the leader's requests vouched for its log only through index %d; its entry %d (term %d) is a stale one the leader does not have. Take min(leaderCommit, prevLogIndex + len(entries)), not min(leaderCommit, your last index)",
			f, s.CommitIndex, i2, i3, s.LastTerm)
	}
	c.Intercept(nil)
	c.Heal()
	c.Submit([]byte("min final"), 5, agreeBound)
}

// tgMismatchedHeartbeats: a new leader's first heartbeat names a
// prevLogIndex/prevLogTerm that one follower holds with another term, and
// that lies beyond the end of another follower's log. Both must reply
// false; a follower that accepts heartbeats without the consistency check
// takes the leader's commit index and applies its own stale entries.
func tgMismatchedHeartbeats(c *sim.Cluster) {
	x := c.WaitLeader(electionBound)
	rest := tgOthers(c, x)
	f, z, g1, g2 := rest[0], rest[1], rest[2], rest[3]
	i1 := c.Submit([]byte("mm 1"), 5, agreeBound)

	c.Note("old leader %d writes entries %d..%d that never commit; follower %d gets only the first", x, i1+1, i1+2, f)
	c.Partition([]int{x, f}, []int{z, g1, g2})
	i2 := tgStart(c, x, "mm 2 stale", i1+1)
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("node %d to append entry %d", f, i2),
		func() bool { return c.State(f).LastIndex >= i2 })
	c.Cut(x, f)
	tgStart(c, x, "mm 3 stale", i2+1)

	c.Note("node %d leads nodes %d and %d and commits other entries at %d..%d", z, g1, g2, i2, i2+1)
	tgElect(c, z, []int{g1, g2})
	c.Submit([]byte("mm 2"), 3, agreeBound)
	i3 := c.Submit([]byte("mm 3"), 3, agreeBound)

	c.Note("node %d takes over with nodes %d, %d and %d; its first heartbeat names entry %d of term %d", g1, x, f, g2, i3, c.State(g1).LastTerm)
	c.Partition([]int{z}, []int{x, f, g1, g2})
	tgElect(c, g1, []int{x, f, g2})
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("nodes %d and %d to take leader %d's entries through %d", x, f, g1, i3),
		func() bool {
			t := c.State(g1).LastTerm
			return c.State(x).LastIndex >= i3 && c.State(x).LastTerm == t && c.State(f).LastIndex >= i3 && c.State(f).LastTerm == t
		})
	c.Heal()
	c.Submit([]byte("mm final"), 5, agreeBound)
}

// tgLongerLogOlderTerm: a node with a longer log whose last entry has an
// older term campaigns against nodes holding a shorter log with a newer
// last term, including a committed entry it lacks. It must lose: logs are
// compared by last term first, then by length (§5.4.1).
func tgLongerLogOlderTerm(c *sim.Cluster) {
	a := c.WaitLeader(electionBound)
	b, d := (a+1)%3, (a+2)%3
	i1 := c.Submit([]byte("older 1"), 3, agreeBound)
	c.Note("leader %d, cut off, appends two entries nobody else gets", a)
	c.Isolate(a)
	tgStart(c, a, "older 2", i1+1)
	tgStart(c, a, "older 3", i1+2)
	tgElect(c, b, []int{d})
	c.Submit([]byte("newer 2"), 2, agreeBound)
	aTerm, bTerm := c.State(a).Term, c.State(b).Term

	c.Note("node %d (log ends at %d, term %d) comes back without hearing leader %d, and campaigns", a, i1+2, aTerm, b)
	c.Heal()
	c.Cut(b, a)
	won := c.RunUntil(1500*time.Millisecond, func() bool { s := c.State(a); return s.Role == raftapi.Leader && s.Term > aTerm })
	if won {
		c.Failf(props.ElectionRestriction,
			"node %d, whose last log entry is %d of term %d, became leader (term %d) with votes of nodes whose logs end with entry %d of term %d: a voter denies its vote unless the candidate's log is at least as up-to-date as its own — the later last term wins, and only with equal last terms does the longer log win",
			a, i1+2, aTerm, c.State(a).Term, i1+1, bTerm)
	}
	c.Mend(b, a)
	c.Submit([]byte("older final"), 3, agreeBound)
}

// tgFigure8Exact scripts Figure 8 of the paper on five nodes, s1..s5 being
// the paper's S1..S5 (crashes are isolations: this is the replication
// stage). (a) s1 leads and replicates its entry at index 2 to s2 only. (b)
// s5 is elected by s3 and s4 and writes a different entry at index 2, of a
// later term, locally. (c) s1 is elected again and replicates its entry at
// index 2 to s3: it is now on a majority, but of an old term, and must not
// be committed. (d) s5 is elected by s2, s3, s4 and overwrites index 2 —
// which is safe only because (c) did not commit it.
func tgFigure8Exact(c *sim.Cluster) {
	s1 := c.WaitLeader(electionBound)
	rest := tgOthers(c, s1)
	s2, s3, s4, s5 := rest[0], rest[1], rest[2], rest[3]
	i1 := c.Submit([]byte("fig8 1"), 5, agreeBound)

	c.Note("(a) leader %d replicates entry %d to node %d only", s1, i1+1, s2)
	c.Partition([]int{s1, s2}, []int{s3, s4, s5})
	idx := tgStart(c, s1, "fig8 a", i1+1)
	termA := c.State(s1).Term
	c.Note("(b) node %d is elected by nodes %d and %d", s5, s3, s4)
	tgElect(c, s5, []int{s3, s4})
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("node %d to append entry %d", s2, idx),
		func() bool { return c.State(s2).LastIndex >= idx })
	// s1 learns the new term from s5 (s5 has no entry at index 2 yet, so
	// nothing of s1's log changes), so that it can campaign again in (c).
	c.Partition([]int{s1, s5}, []int{s2}, []int{s3, s4})
	tgWait(c, tgStepBound, props.HigherTermConvertsToFollower, fmt.Sprintf("node %d to follow leader %d", s1, s5),
		func() bool { return c.State(s1).Role == raftapi.Follower && c.State(s1).Term == c.State(s5).Term })
	c.Partition([]int{s1}, []int{s2}, []int{s3, s4}, []int{s5})
	tgStart(c, s5, "fig8 b", idx)
	termB := c.State(s5).Term

	c.Note("(c) node %d is elected by nodes %d, %d, %d and replicates its entry %d (term %d) to them", s1, s2, s3, s4, idx, termA)
	c.Partition([]int{s1, s2, s3, s4}, []int{s5})
	tgElect(c, s1, []int{s2, s3, s4})
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("leader %d to replicate entry %d to nodes %d, %d, %d", s1, idx, s2, s3, s4),
		func() bool {
			s := c.State(s1)
			return s.Role == raftapi.Leader && len(s.MatchIndex) == c.N() &&
				s.MatchIndex[s2] >= idx && s.MatchIndex[s3] >= idx && s.MatchIndex[s4] >= idx
		})
	c.RunFor(50 * time.Millisecond)
	if s := c.State(s1); s.CommitIndex >= idx {
		c.Failf(props.CommitOnlyCurrentTermByCounting,
			"leader %d (term %d) committed index %d, whose entry is of term %d, because a majority (nodes %d, %d, %d, %d) stores it; but node %d holds a different entry at index %d of the later term %d and can still be elected and overwrite it (Figure 8 (d)). Commit N only if log[N].term == currentTerm; earlier entries commit with it",
			s1, s.Term, idx, termA, s1, s2, s3, s4, s5, idx, termB)
	}

	c.Note("(d) node %d, without hearing leader %d, campaigns and is elected by nodes %d, %d, %d", s5, s1, s2, s3, s4)
	c.Heal()
	c.Cut(s1, s5)
	c.Cut(s5, s1)
	if !c.RunUntil(electionBound, func() bool { s := c.State(s5); return s.Role == raftapi.Leader && s.Term > termB }) {
		s := c.State(s5)
		c.FailLiveness(props.LeaderElection, "node %d, whose last entry is of term %d (later than the term %d of the others' last entries), heard from no leader and should have been elected within %s of simulated time; it is %s of term %d: grant votes to a candidate whose log is at least as up-to-date (§5.4.1)",
			s5, termB, termA, electionBound, s.Role, s.Term)
	}
	c.Isolate(s1)
	c.Submit([]byte("fig8 d"), 4, agreeBound)
	if _, cmd := c.Applied(idx); !bytes.Equal(cmd, []byte("fig8 b")) {
		c.Failf(props.LeaderAppendOnly,
			"leader %d held entry %q at index %d and committed a later entry, yet index %d was applied as %q", s5, "fig8 b", idx, idx, cmd)
	}
	c.Heal()
	c.Submit([]byte("fig8 final"), 5, agreeBound)
}

// tgIsolatedLeaderMinority: a leader cut off with one follower keeps
// accepting commands, which must not commit; when it can talk again, it
// learns of the newer term only from the replies to its own AppendEntries
// (the new leader's messages cannot reach it) and must step down.
func tgIsolatedLeaderMinority(c *sim.Cluster) {
	l := c.WaitLeader(electionBound)
	rest := tgOthers(c, l)
	p := rest[0]
	i1 := c.Submit([]byte("minority 0"), 5, agreeBound)
	c.Note("leader %d is cut off with node %d and given commands", l, p)
	c.Partition([]int{l, p}, rest[1:])
	tgStart(c, l, "minority 1", i1+1)
	tgStart(c, l, "minority 2", i1+2)
	c.RunFor(time.Second)
	if s := c.State(l); s.CommitIndex > i1 || c.MaxApplied() > i1 {
		c.Failf(props.CommitNeedsMajority,
			"leader %d, cut off with node %d (2 of 5 nodes), advanced its commitIndex to %d (highest applied index anywhere: %d), beyond index %d: an entry commits only once a majority (3 of 5) stores it",
			l, p, s.CommitIndex, c.MaxApplied(), i1)
	}
	n := c.WaitLeader(electionBound)
	c.Submit([]byte("majority 1"), 3, agreeBound)
	oldTerm := c.State(l).Term

	c.Note("the partition heals, but leader %d's messages cannot reach old leader %d: it must learn the new term from replies", n, l)
	c.Heal()
	c.Cut(n, l)
	if !c.RunUntil(time.Second, func() bool { return c.State(l).Role != raftapi.Leader }) {
		c.Failf(props.HigherTermConvertsToFollower,
			"node %d still believes it leads term %d one second after it could reach the other nodes again, whose replies to its AppendEntries carry term %d: if an RPC request *or response* contains a term T > currentTerm, set currentTerm = T and convert to follower",
			l, oldTerm, c.State(n).Term)
	}
	c.Mend(n, l)
	c.Submit([]byte("minority final"), 5, agreeBound)
}

// tgElectionTimerDiscipline: a node with a stale log, which cannot win,
// campaigns on and on. Whenever it has been quiet for 150 ms, the others are
// paused (they neither tick nor receive) until its next vote request, which
// then reaches them at once: however their timeouts fall, each of them is
// awake at most about 160 ms between two of its requests. The others must
// still elect a leader, which they do only if a vote request they reject
// does not reset their election timers.
func tgElectionTimerDiscipline(c *sim.Cluster) {
	l := c.WaitLeader(electionBound)
	s := (l + 1) % 3
	others := tgOthers(c, s)
	c.Submit([]byte("timer 1"), 3, agreeBound)
	c.Note("node %d is cut off and falls behind", s)
	c.Isolate(s)
	c.Submit([]byte("timer 2"), 2, agreeBound)
	tgWait(c, tgStepBound, props.LeaderElection, fmt.Sprintf("node %d, alone, to campaign past leader %d's term", s, l),
		func() bool { return c.State(s).Term > c.State(l).Term })

	// s's vote requests arrive after exactly 1 ms. Until the first is
	// out, s's replies to the leader are dropped, so that the leader keeps
	// the others' timers fresh until that request deposes it.
	lastAsk := time.Duration(-1)
	c.Intercept(func(m sim.Msg) sim.Verdict {
		switch {
		case m.From == s && m.Kind == sim.MsgRequestVote:
			lastAsk = c.Now()
			return sim.Verdict{Delay: time.Millisecond}
		case m.From == s && m.Kind == sim.MsgAppendEntriesReply && lastAsk < 0:
			return sim.Verdict{Drop: true}
		}
		return sim.Verdict{}
	})
	c.Note("node %d rejoins, campaigning", s)
	c.Heal()
	tgWait(c, tgStepBound, props.LeaderElection, fmt.Sprintf("node %d to send a vote request", s), func() bool { return lastAsk >= 0 })
	deadline := c.Now() + electionBound
	elected := func() bool { w, ok := c.Leader(); return ok && w != s }
	for !elected() && c.Now() < deadline {
		const quiet = 150 * time.Millisecond
		c.RunUntil(deadline-c.Now(), func() bool { return elected() || c.Now()-lastAsk >= quiet })
		if elected() || c.Now() >= deadline {
			break
		}
		pausedAt := c.Now()
		for _, i := range others {
			c.Pause(i)
		}
		c.RunUntil(deadline-c.Now(), func() bool { return lastAsk > pausedAt })
		for _, i := range others {
			c.Resume(i)
		}
	}
	if !elected() {
		c.FailLiveness(props.LeaderElection,
			"no leader by %s: nodes %v, whose logs are up to date, elected none within %s of simulated time while node %d, whose log is stale and which cannot win, kept asking for votes (it is in term %d now). Reset the election timer only when you grant a vote, hear from the current leader, or start an election (Figure 2, Rules for Followers): a vote request you reject must not keep you from campaigning",
			deadline, others, electionBound, s, c.State(s).Term)
	}
	c.Intercept(nil)
	c.Submit([]byte("timer final"), 3, agreeBound)
}

// ---- persistence ----

// tgVoteSurvivesCrash: a node grants its vote, crashes at once, restarts,
// and is asked by a second candidate in the same term. The vote must have
// been saved before the granting turn ended.
func tgVoteSurvivesCrash(c *sim.Cluster) {
	v := c.WaitLeader(electionBound)
	a, b := (v+1)%3, (v+2)%3
	c.Submit([]byte("vote 1"), 3, agreeBound)
	term := c.State(v).Term + 1

	// v stops sending AppendEntries, so a and b, which cannot hear each
	// other, both time out and campaign in term `term`. The first vote
	// request v is sent in that term goes through; the other candidate's
	// is held 100 ms, until v has crashed and restarted. The first
	// candidate's later elections (if any) do not reach v.
	c.Cut(a, b)
	c.Cut(b, a)
	first, second := -1, -1
	c.Intercept(func(m sim.Msg) sim.Verdict {
		switch {
		case m.From == v && (m.Kind == sim.MsgAppendEntries || m.Kind == sim.MsgInstallSnapshot):
			return sim.Verdict{Drop: true}
		case m.Kind == sim.MsgRequestVote && m.To == v && !m.PreVote && m.Term == term:
			if first < 0 || m.From == first {
				first = m.From
				return sim.Verdict{}
			}
			second = m.From
			return sim.Verdict{Delay: 100 * time.Millisecond}
		case m.Kind == sim.MsgRequestVote && m.To == v && m.From == first && m.Term > term:
			return sim.Verdict{Drop: true}
		}
		return sim.Verdict{}
	})
	tgWait(c, tgStepBound, props.LeaderElection, fmt.Sprintf("node %d to grant its vote in term %d", v, term),
		func() bool { s := c.State(v); return s.Term == term && s.VotedFor != raftapi.None && s.VotedFor != v })
	granted := c.State(v).VotedFor
	c.Note("node %d voted for node %d in term %d; it crashes and restarts", v, granted, term)
	c.Crash(v)
	c.Restart(v)
	tgWait(c, tgStepBound, props.LeaderElection, fmt.Sprintf("the other candidate to ask node %d for its vote in term %d", v, term),
		func() bool { return second >= 0 })
	c.RunFor(200 * time.Millisecond)
	if s := c.State(v); s.Term == term && s.VotedFor != granted {
		c.Failf(props.OneVotePerTerm,
			"node %d voted for node %d in term %d, crashed and restarted, and now records a vote for %d in the same term: votedFor must be saved (Persister().Save) before the turn that grants the vote ends, and restored by the Factory",
			v, granted, term, s.VotedFor)
	}
	c.Intercept(nil)
	c.Mend(a, b)
	c.Mend(b, a)
	c.Submit([]byte("vote final"), 3, agreeBound)
}

// tgPersistBeforeReply: a follower appends an entry and acknowledges it,
// and crashes right after that turn; the entry commits on that
// acknowledgement. At restart the follower must still hold it.
func tgPersistBeforeReply(c *sim.Cluster) {
	l := c.WaitLeader(electionBound)
	f, g := (l+1)%3, (l+2)%3
	i1 := c.Submit([]byte("persist 1"), 3, agreeBound)
	c.Note("node %d leaves: entry %d can commit only on follower %d's acknowledgement", g, i1+1, f)
	c.Isolate(g)
	idx := tgStart(c, l, "persist 2", i1+1)
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("follower %d to append entry %d", f, idx),
		func() bool { return c.State(f).LastIndex >= idx })
	c.Note("follower %d crashes right after acknowledging entry %d", f, idx)
	c.Crash(f)
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("leader %d to commit entry %d on follower %d's acknowledgement", l, idx, f),
		func() bool { return c.State(l).CommitIndex >= idx })
	c.Restart(f)
	if s := c.State(f); s.LastIndex < idx {
		c.Failf(props.PersistBeforeReplying,
			"follower %d acknowledged entry %d, which then committed on that acknowledgement, but after a crash it restarted with its log ending at %d: save the log (Persister().Save) before the turn that appends entries ends — the reply leaves only after the turn",
			f, idx, s.LastIndex)
	}
	c.Connect(g)
	c.Submit([]byte("persist final"), 3, agreeBound)
}

// ---- snapshots ----

// tgStaleInstallSnapshot: an InstallSnapshot is duplicated and the copy
// arrives a second later, after the follower has applied more entries and
// taken newer snapshots. The stale copy must change nothing.
func tgStaleInstallSnapshot(c *sim.Cluster) {
	l := c.WaitLeader(electionBound)
	f := (l + 1) % 3
	c.Submit([]byte("stale-is 0"), 3, agreeBound)
	c.Note("node %d is cut off while the others commit and snapshot", f)
	c.Isolate(f)
	for k := range 10 {
		c.Submit(fmt.Appendf(nil, "stale-is a%d", k), 2, agreeBound)
	}
	tgWait(c, tgStepBound, props.LogCompaction, fmt.Sprintf("leader %d to take a snapshot", l),
		func() bool { return c.State(l).SnapshotIndex > 0 })
	dupAt := time.Duration(-1)
	c.Intercept(func(m sim.Msg) sim.Verdict {
		// From whichever node leads: f, back with a higher term, may have
		// deposed l.
		if dupAt < 0 && m.Kind == sim.MsgInstallSnapshot && m.To == f {
			dupAt = c.Now() + time.Second
			return sim.Verdict{Dup: true, DupDelay: time.Second}
		}
		return sim.Verdict{}
	})
	c.Connect(f)
	tgWait(c, tgStepBound, props.InstallSnapshotWhenBehind, fmt.Sprintf("the leader to send node %d its snapshot and node %d to install it", f, f),
		func() bool { return dupAt >= 0 && c.State(f).SnapshotIndex > 0 })
	first := c.State(f).SnapshotIndex
	for k := range 10 {
		c.Submit(fmt.Appendf(nil, "stale-is b%d", k), 3, agreeBound)
	}
	tgWait(c, dupAt-c.Now(), props.LogCompaction, fmt.Sprintf("node %d to take a snapshot past index %d", f, first),
		func() bool { return c.State(f).SnapshotIndex > first })
	top, last := c.State(f).SnapshotIndex, c.State(f).LastIndex
	var was raftapi.NodeState
	regressed := c.RunUntil(dupAt+50*time.Millisecond-c.Now(), func() bool {
		s := c.State(f)
		if s.SnapshotIndex < top || s.LastIndex < min(last, s.CommitIndex) {
			was = s
			return true
		}
		top, last = max(top, s.SnapshotIndex), max(last, s.LastIndex)
		return false
	})
	if regressed {
		c.Failf(props.StaleInstallSnapshotChangesNothing,
			"node %d held a snapshot through index %d and log entries through %d when a late copy of an InstallSnapshot through index %d arrived; afterwards its snapshot ends at %d and its log at %d. Ignore an InstallSnapshot whose LastIncludedIndex is not past your own snapshot",
			f, top, last, first, was.SnapshotIndex, was.LastIndex)
	}
	c.Intercept(nil)
	c.Submit([]byte("stale-is final"), 3, agreeBound)
}

// tgInstallSnapshotKeepsSuffix: a follower holds entries after the last
// entry of the snapshot it is sent. It must keep them (Figure 13, rule 3):
// a follower that discards its whole log on every InstallSnapshot loses
// entries it may have acknowledged.
//
// A leader sends InstallSnapshot only when it needs entries it compacted
// away, so the follower must get the suffix after the leader decided so.
// The schedule holds back every AppendEntries to f that carries entry
// snapAt or later (and loses those to g until one to f is held) until the
// leader, having committed and compacted through snapAt with g, sends f
// its snapshot; then it pauses f, and lets the held
// requests and then the snapshot reach it, in that order. Whatever the
// leader's flow control, it must send the snapshot: entries f lacks were
// compacted, and a leader retries until f has them (by a refusal of a
// request after them, or by presuming its requests lost).
func tgInstallSnapshotKeepsSuffix(c *sim.Cluster) {
	l := c.WaitLeader(electionBound)
	f, g := (l+1)%3, (l+2)%3
	base := c.Submit([]byte("suffix 0"), 3, agreeBound)
	tgSettle(c, l)
	const snapAt = 10 // the configured snapshot interval
	last := base + 15 // short of the next snapshot, at 2*snapAt
	if base >= snapAt {
		c.Failf(props.StartIndex, "the first command committed at index %d, expected 1", base)
	}

	// Held requests arrive at f one after the other from arrive on; the
	// snapshot, and anything the leader sends f after it, after them.
	// Requests carrying entry snapAt to g are lost until one to f is held,
	// so that the first held one tells f a commit index below snapAt; a
	// later one whose LeaderCommit reaches snapAt is lost too, so that f
	// cannot commit snapAt and take a snapshot of its own before the
	// leader's arrives. The leader sends lost requests again, whatever
	// its flow control.
	const hold = time.Second
	arrive := c.Now() + hold
	seq := time.Duration(0)
	sentIS := -1 // LastIncludedIndex of the snapshot sent
	heldF := false
	at := func() time.Duration { seq += time.Microsecond; return arrive + seq - c.Now() }
	covers := func(m sim.Msg) bool {
		return m.Kind == sim.MsgAppendEntries && m.Entries > 0 && m.PrevLogIndex+m.Entries >= snapAt
	}
	c.Intercept(func(m sim.Msg) sim.Verdict {
		if m.From == l && m.To == g && !heldF && covers(m) {
			return sim.Verdict{Drop: true}
		}
		if m.From != l || m.To != f {
			return tgInOrder()
		}
		switch {
		case sentIS < 0 && m.Kind == sim.MsgInstallSnapshot:
			sentIS = m.LastIncludedIndex
			return sim.Verdict{Delay: at()}
		case sentIS >= 0 && c.Now() < arrive:
			return sim.Verdict{Delay: at()}
		case sentIS < 0 && covers(m):
			if m.LeaderCommit >= snapAt {
				return sim.Verdict{Drop: true}
			}
			heldF = true
			return sim.Verdict{Delay: at()}
		}
		return tgInOrder()
	})
	c.Note("leader %d is given entries %d..%d; those from %d on reach follower %d only after the leader sends it a snapshot", l, base+1, last, snapAt, f)
	for i := base + 1; i <= last; i++ {
		tgStart(c, l, fmt.Sprintf("suffix %d", i), i)
	}
	tgWaitExplained(c, arrive-c.Now()-10*time.Millisecond, props.InstallSnapshotWhenBehind,
		fmt.Sprintf("leader %d to send follower %d InstallSnapshot", l, f),
		func() bool { return sentIS >= 0 },
		func() string {
			s := c.State(l)
			why := tgLeaderView(c, l, f) + fmt.Sprintf(" This schedule withholds from follower %d every AppendEntries that carries entry %d or later until the leader sends it a snapshot, so its log cannot grow past %d; ", f, snapAt, snapAt-1)
			if s.SnapshotIndex < snapAt {
				return why + fmt.Sprintf("leader %d was expected to commit entry %d with node %d's acknowledgements and compact its log through it (the service snapshots every %d entries), but its snapshot ends at %d", l, snapAt, g, snapAt, s.SnapshotIndex)
			}
			return why + fmt.Sprintf("the entries it needs next are compacted away, so the leader must send its snapshot: its heartbeats must let follower %d refuse (anchored at nextIndex-1), or it must presume its unanswered requests lost and send again from matchIndex+1 (§5.3, §7)", f)
		})
	c.Pause(f)
	c.RunFor(arrive + 2*time.Millisecond - c.Now())
	c.Note("follower %d, paused since the snapshot through %d left, receives the held entries, then the snapshot", f, sentIS)
	c.Resume(f)
	held := c.State(f).LastIndex
	var after raftapi.NodeState
	installed := c.RunUntil(50*time.Millisecond, func() bool {
		after = c.State(f)
		if after.SnapshotIndex >= sentIS {
			return true
		}
		held = max(held, after.LastIndex)
		return false
	})
	if !installed {
		c.FailLiveness(props.InstallSnapshotWhenBehind, "follower %d received InstallSnapshot through %d (its own snapshot ended at %d) but did not install it: its snapshot ends at %d. A follower installs a snapshot whose LastIncludedIndex is past its own (Figure 13)", f, sentIS, c.State(f).SnapshotIndex, after.SnapshotIndex)
	}
	if held <= sentIS {
		c.FailLiveness(props.LogReplication, "follower %d's log ended at %d when the snapshot through %d reached it, so the schedule could not test that it keeps the entries after the snapshot: it held back leader %d's requests carrying entries %d..%d and released them first, and the follower was expected to append them. %s", f, held, sentIS, l, snapAt, last, tgLeaderView(c, l, f))
	}
	if after.LastIndex < held {
		c.Failf(props.InstallSnapshotKeepsFollowingEntries,
			"follower %d held entries through %d, including the snapshot's last included entry %d with the same term, and received an InstallSnapshot through %d; its log now ends at %d: if an existing entry has the snapshot's last included index and term, retain the entries that follow it",
			f, held, sentIS, sentIS, after.LastIndex)
	}
	c.Intercept(nil)
	c.Submit([]byte("suffix final"), 3, agreeBound)
}

// tgSnapshotDroppedBySave: after a snapshot, the node saves its state
// again (new entries); then it crashes. If that later Save dropped the
// snapshot, the service restarts empty while the node's state says the
// log starts after the snapshot.
func tgSnapshotDroppedBySave(c *sim.Cluster) {
	l := c.WaitLeader(electionBound)
	f := (l + 1) % 3
	for k := range 5 {
		c.Submit(fmt.Appendf(nil, "keep %d", k), 3, agreeBound)
	}
	tgWait(c, tgStepBound, props.LogCompaction, fmt.Sprintf("node %d to take a snapshot", f),
		func() bool { return c.State(f).SnapshotIndex > 0 })
	// New entries after the snapshot: the node saves its state again.
	var last int
	for k := range 2 {
		last = c.Submit(fmt.Appendf(nil, "keep more %d", k), 3, agreeBound)
	}
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("node %d to append entries through %d", f, last),
		func() bool { return c.State(f).LastIndex >= last })
	snap := c.State(f).SnapshotIndex
	c.Note("node %d saved its state after its snapshot through %d; it crashes and restarts", f, snap)
	c.Crash(f)
	c.Restart(f)
	if got := c.LastApplied(f); got < snap {
		c.Failf(props.SaveKeepsSnapshot,
			"node %d took a snapshot through index %d and saved its state again afterwards; after a restart its service found a snapshot only through %d (0: none): Save(state, snapshot) replaces both blobs, so pass the current snapshot to every Save after compaction",
			f, snap, got)
	}
	c.Submit([]byte("keep final"), 3, agreeBound)
}

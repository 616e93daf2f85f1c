package labs

import (
	"fmt"
	"strings"
	"time"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// classicSchedules are the targeted schedules (targeted picks a stage's)
// for four classic bugs that the rule-level tests catch on a single node
// but that no other scenario showed end to end: a voter whose granted votes do not restart
// its election timer, a candidate that counts a vote of its previous
// election, a follower that skips entries it holds by index without
// comparing terms, and a leader that counts a success reply of an earlier
// term.
//
// Like the schedules of targeted.go they build the situation step by step
// and wait for states rather than for fixed times. They identify messages
// only by what the paper fixes (kind, term, PrevLogIndex, the entries,
// LeaderCommit, Success and VoteGranted) and do not depend on the leader's
// flow control: whether it keeps one request in flight or pipelines,
// sends from Start at once or on the next heartbeat, and how it batches.
// labs/mutants proves that each catches its bug and that the reference
// passes.
func classicSchedules() []Scenario {
	return []Scenario{
		{Name: "TargetedVoterKeepsGranting", Stage: Election, Paper: "§5.2, Figure 2 (Rules for Followers)", Nodes: 3, Run: tgVoterKeepsGranting},
		{Name: "TargetedStaleVoteNextElection", Stage: Election, Paper: "§5.1, §5.2", Nodes: 3, Run: tgStaleVoteNextElection},
		{Name: "TargetedStaleTailLongerThanRepair", Stage: Replication, Paper: "§5.3, Figure 2 (AppendEntries receiver rule 3)", Nodes: 5, Run: tgStaleTailLongerThanRepair},
		{Name: "TargetedReElectedStaleSuccess", Stage: Replication, Paper: "§5.1, §5.3", Nodes: 5, Run: tgReElectedStaleSuccess},
	}
}

// tgAwake is how long, at most, a node whose timer discipline a schedule
// tests is left awake between two events that restart its election timer:
// well under the shortest election timeout raftlab accepts (11 ticks, see
// the rule test Followers_ElectionTimeoutIsRandomized).
const tgAwake = 50 * time.Millisecond

// tgVoterKeepsGranting: two candidates that cannot hear each other campaign
// again and again, in rising terms, and node v grants each new term's vote
// (the grants never reach the candidates, so neither wins). Whenever v has
// been awake tgAwake since its last grant, it is paused (no ticks, no
// messages) until a candidate asks for a vote in a term above v's: so v is
// never awake for an election timeout without granting a vote. A follower
// restarts its election timer when it grants a vote (Figure 2, Rules for
// Followers), so v must never campaign; one that does not restart it
// times out after a few grants.
func tgVoterKeepsGranting(c *sim.Cluster) {
	l := c.WaitLeader(electionBound)
	v := (l + 1) % 3
	cands := tgOthers(c, v)
	a, b := cands[0], cands[1]
	c.Note("nodes %d and %d cannot hear each other; node %d grants their votes, but its grants never arrive", a, b, v)
	c.Cut(a, b)
	c.Cut(b, a)

	lastGrant, asked, campaigned := time.Duration(-1), time.Duration(-1), -1
	grants := 0
	c.Intercept(func(m sim.Msg) sim.Verdict {
		switch {
		case m.From == v && m.Kind == sim.MsgRequestVote && !m.PreVote && campaigned < 0:
			campaigned = m.Term
		case m.From == v && m.Kind == sim.MsgRequestVoteReply && m.VoteGranted && !m.PreVote:
			lastGrant = c.Now()
			grants++
			return sim.Verdict{Drop: true}
		case m.To == v && m.Kind == sim.MsgRequestVote && !m.PreVote && m.Term > c.State(v).Term:
			asked = c.Now()
			return sim.Verdict{Delay: time.Millisecond}
		}
		return sim.Verdict{}
	})
	tgWait(c, tgStepBound, props.LeaderElection, fmt.Sprintf("node %d to grant a vote to node %d or %d, which hear from no leader", v, a, b),
		func() bool { return lastGrant >= 0 })

	// v must stay a follower for longer than the longest election timeout
	// raftlab accepts (1 s), counting only the time it is awake.
	const awakeGoal = 1500 * time.Millisecond
	deadline := c.Now() + 60*time.Second
	awake := time.Duration(0)
	failIfCampaigned := func() {
		if campaigned >= 0 {
			c.Failf(props.HeartbeatsPreventElections,
				"node %d started an election (term %d) although it granted a vote at most %s of its own (awake) time before, every time: it had granted %d votes to candidates of rising terms. Figure 2, Rules for Followers: the election timer restarts when a follower grants a vote; it starts an election only after an election timeout without hearing from the leader or granting a vote",
				v, campaigned, tgAwake, grants)
		}
	}
	for awake < awakeGoal {
		from := c.Now()
		c.RunUntil(tgAwake, func() bool { return campaigned >= 0 || c.Now()-lastGrant >= tgAwake })
		awake += c.Now() - from
		failIfCampaigned()
		pausedAt := c.Now()
		c.Pause(v)
		if !c.RunUntil(max(deadline-c.Now(), time.Millisecond), func() bool { return asked > pausedAt }) {
			c.FailLiveness(props.ElectionTimeout,
				"nodes %d and %d, which hear from no leader and win no election, did not ask node %d for a vote in a new term by %s: a candidate whose election times out starts a new one (Figure 2, Rules for Candidates)",
				a, b, v, deadline)
		}
		c.Resume(v)
		// The request arrives 1 ms after it was sent; v grants it at once.
		c.RunUntil(5*time.Millisecond, func() bool { return campaigned >= 0 || lastGrant >= asked })
		failIfCampaigned()
	}
	c.Intercept(nil)
	c.Mend(a, b)
	c.Mend(b, a)
	c.Note("the candidates hear each other and node %d's votes again: a leader must emerge", v)
	c.WaitLeader(electionBound)
}

// tgStaleVoteNextElection: candidate x asks voter v for its vote in term
// T while v is paused; x hears from nobody else. x's election times out
// and it campaigns again in T+1, whose vote requests are lost. Only then
// does v wake up, grant x's term-T request and reply. The vote was granted
// in T: a candidate counts only votes of its current election, so x must
// not become leader of T+1 (it holds one vote, its own).
func tgStaleVoteNextElection(c *sim.Cluster) {
	w := c.WaitLeader(electionBound)
	x, v := (w+1)%3, (w+2)%3
	c.Note("node %d is paused; node %d no longer hears leader %d and campaigns", v, x, w)
	c.Pause(v)
	c.Cut(w, x)
	c.Cut(x, w)
	first, second := -1, -1
	c.Intercept(func(m sim.Msg) sim.Verdict {
		if m.From == x && m.Kind == sim.MsgRequestVote && !m.PreVote {
			switch {
			case first < 0:
				first = m.Term
			case m.Term > first:
				if second < 0 {
					second = m.Term
				}
				return sim.Verdict{Drop: true} // x's next elections get no votes
			}
		}
		return tgInOrder()
	})
	tgWait(c, tgStepBound, props.ElectionTimeout, fmt.Sprintf("node %d, which hears from no leader, to campaign", x), func() bool { return first >= 0 })
	tgWait(c, tgStepBound, props.ElectionTimeout, fmt.Sprintf("node %d, whose election of term %d got no answer, to campaign again", x, first), func() bool { return second >= 0 })
	c.Note("node %d campaigns in term %d; node %d wakes up and grants its term-%d request", x, second, v, first)
	c.Resume(v)
	won := c.RunUntil(40*time.Millisecond, func() bool { s := c.State(x); return s.Role == raftapi.Leader })
	if won {
		c.Failf(props.StaleRepliesIgnored,
			"node %d became leader of term %d, but the only vote it received besides its own was node %d's, granted in term %d to its previous election (its term-%d requests reached nobody): a vote counts only for the election it was granted in; ignore a reply to a request of an earlier term",
			x, c.State(x).Term, v, first, second)
	}
	c.Intercept(nil)
	c.Heal()
	c.Note("everyone hears everyone again: a leader must emerge")
	c.WaitLeader(electionBound)
}

// tgStaleTailLongerThanRepair: follower f holds a stale tail of eight
// entries that a deposed leader wrote; the new leader w has three entries
// of its own at those indexes, fewer than the tail, so whatever w sends f
// lands inside the tail. f must delete each conflicting entry and all
// that follow it (AppendEntries receiver rule 3). A follower that skips
// the entries it holds by index without comparing terms acknowledges w's
// entries while keeping its own; once w commits them (LeaderCommit beyond
// them), it applies its stale entries.
func tgStaleTailLongerThanRepair(c *sim.Cluster) {
	z := c.WaitLeader(electionBound)
	rest := tgOthers(c, z)
	f, w, g1, g2 := rest[0], rest[1], rest[2], rest[3]
	base := c.Submit([]byte("tail 0"), 5, agreeBound)

	const tail, fresh = 8, 3
	c.Note("leader %d, cut off with node %d, writes %d entries that only %d gets", z, f, tail, f)
	c.Partition([]int{z, f}, []int{w, g1, g2})
	for k := range tail {
		tgStart(c, z, fmt.Sprintf("tail stale %d", k+1), base+1+k)
	}
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("node %d to append entries %d..%d", f, base+1, base+tail),
		func() bool { return c.State(f).LastIndex >= base+tail })
	staleTerm := c.State(f).LastTerm

	c.Note("node %d leads nodes %d and %d; node %d joins them", w, g1, g2, f)
	tgElect(c, w, []int{g1, g2})
	wt := c.State(w).Term

	// Until f has acknowledged w's entries, the others' acknowledgements
	// are held: w commits nothing yet, so a follower that kept its stale
	// entries is seen before it can apply them. The requests w sends f
	// are matched with f's replies in order (every message on these links
	// is delayed the same).
	type req struct{ prev, n int }
	var sent []req
	acked := false // f acknowledged a request whose entries cover base+1
	released := false
	c.Intercept(func(m sim.Msg) sim.Verdict {
		switch {
		case m.Kind == sim.MsgAppendEntries && m.From == w && m.To == f && c.Linked(w, f):
			sent = append(sent, req{m.PrevLogIndex, m.Entries})
		case m.Kind == sim.MsgAppendEntriesReply && m.From == f && m.To == w && c.Linked(f, w) && len(sent) > 0:
			r := sent[0]
			sent = sent[1:]
			if m.Success && m.Term == wt && r.n > 0 && r.prev <= base && r.prev+r.n > base {
				acked = true
			}
		case m.Kind == sim.MsgAppendEntriesReply && (m.From == g1 || m.From == g2) && m.To == w && m.Success && !released:
			return sim.Verdict{Delay: 150 * time.Millisecond}
		}
		return tgInOrder()
	})
	c.Partition([]int{z}, []int{w, g1, g2, f})
	for k := range fresh {
		tgStart(c, w, fmt.Sprintf("tail fresh %d", k+1), base+1+k)
	}
	stale := func() bool {
		first, terms := c.Log(f)
		k := base + 1 - first
		return k >= 0 && k < len(terms) && terms[k] == staleTerm
	}
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("follower %d to acknowledge leader %d's entries from index %d", f, w, base+1),
		func() bool { return acked })
	if stale() {
		c.Failf(props.TruncateOnlyOnConflict,
			"follower %d acknowledged leader %d's AppendEntries carrying its entries from index %d (term %d), but still holds its own entry %d of term %d: its stale tail of %d entries is longer than what the leader sent, and it kept it. If an existing entry conflicts with a new one (same index, different terms), delete the existing entry and all that follow it, then append",
			f, w, base+1, wt, base+1, staleTerm, tail)
	}
	released = true
	c.Note("the others' acknowledgements arrive: leader %d commits through %d", w, base+fresh)
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("follower %d to hold leader %d's log through %d and apply it", f, w, base+fresh),
		func() bool {
			s := c.State(f)
			return s.LastIndex == c.State(w).LastIndex && s.LastTerm == wt && c.LastApplied(f) >= base+fresh
		})
	c.Intercept(nil)
	c.Heal()
	c.Submit([]byte("tail final"), 5, agreeBound)
}

// tgReElectedStaleSuccess: leader l sends follower f entries in term T
// while f is paused. Node m is elected in T+1 without them and overwrites
// them on l; l is elected again in T+2 and appends an entry of its own,
// which none of its followers acknowledges. Only then does f wake up and
// acknowledge, with Success in term T, the term-T request that carried the
// entries l no longer has. The reply answers a request of an earlier term:
// l must not move matchIndex for f, nor commit anything on it.
func tgReElectedStaleSuccess(c *sim.Cluster) {
	l := c.WaitLeader(electionBound)
	rest := tgOthers(c, l)
	f, m, g1, g2 := rest[0], rest[1], rest[2], rest[3]
	base := c.Submit([]byte("re 0"), 5, agreeBound)
	tgSettle(c, l)
	T := c.State(l).Term

	c.Note("node %d is paused; leader %d, cut off with it, sends it three entries of term %d", f, l, T)
	c.Pause(f)
	// From now on f receives nothing but l's requests of term T (held
	// while it is paused).
	withEntries := false
	c.Intercept(func(msg sim.Msg) sim.Verdict {
		if msg.To == f {
			if msg.From == l && msg.Kind == sim.MsgAppendEntries && msg.Term == T {
				if msg.Entries > 0 && msg.PrevLogIndex+msg.Entries > base {
					withEntries = true
				}
				return tgInOrder()
			}
			return sim.Verdict{Drop: true}
		}
		return tgInOrder()
	})
	c.Partition([]int{l, f}, []int{m, g1, g2})
	for k := range 3 {
		tgStart(c, l, fmt.Sprintf("re stale %d", k+1), base+1+k)
	}
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("leader %d to send follower %d its new entries", l, f), func() bool { return withEntries })

	c.Note("node %d is elected by nodes %d and %d and commits an entry of its own at %d", m, g1, g2, base+1)
	tgElect(c, m, []int{g1, g2})
	mi := c.Submit([]byte("re m"), 3, agreeBound)
	c.Note("node %d rejoins: leader %d replaces its entries %d..%d", l, m, base+1, base+3)
	c.Heal()
	tgWait(c, tgStepBound, props.LogReplication, fmt.Sprintf("node %d to take leader %d's log through %d", l, m, mi),
		func() bool {
			s := c.State(l)
			return s.LastIndex == mi && s.LastTerm == c.State(m).Term && s.CommitIndex >= mi
		})

	c.Note("node %d leaves; node %d is elected again, by nodes %d and %d", m, l, g1, g2)
	c.Isolate(m)
	tgElect(c, l, []int{g1, g2})
	lt := c.State(l).Term
	c.Cut(l, g1)
	c.Cut(l, g2)
	li := tgStart(c, l, "re l", mi+1)
	c.RunFor(20 * time.Millisecond)
	before := c.State(l)
	if len(before.MatchIndex) != c.N() {
		c.Failf(props.Inspect, "leader %d's Inspect reports %d matchIndex values for a cluster of %d: a leader reports nextIndex and matchIndex for every peer", l, len(before.MatchIndex), c.N())
	}

	c.Note("node %d wakes up and acknowledges leader %d's requests of term %d, now that %d leads term %d", f, l, T, l, lt)
	c.Resume(f)
	moved := c.RunUntil(100*time.Millisecond, func() bool {
		s := c.State(l)
		return len(s.MatchIndex) == c.N() && s.MatchIndex[f] > before.MatchIndex[f] || s.CommitIndex > before.CommitIndex
	})
	if moved {
		s := c.State(l)
		var what []string
		if len(s.MatchIndex) == c.N() && s.MatchIndex[f] != before.MatchIndex[f] {
			what = append(what, fmt.Sprintf("matchIndex[%d] from %d to %d", f, before.MatchIndex[f], s.MatchIndex[f]))
		}
		if s.CommitIndex != before.CommitIndex {
			what = append(what, fmt.Sprintf("commitIndex from %d to %d", before.CommitIndex, s.CommitIndex))
		}
		c.Failf(props.StaleRepliesIgnored,
			"leader %d of term %d moved %s on follower %d's Success replies of term %d, which answer requests it sent as leader of term %d (entries %d..%d, which it no longer has: its log now holds leader %d's entry %d and its own entry %d of term %d, which no follower has acknowledged): a reply to a request of an earlier term changes nothing",
			l, lt, strings.Join(what, " and "), f, T, T, base+1, base+3, m, mi, li, lt)
	}
	c.Intercept(nil)
	c.Heal()
	c.Submit([]byte("re final"), 5, agreeBound)
}

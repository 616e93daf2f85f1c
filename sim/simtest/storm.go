package simtest

import "github.com/raftlab/raftlab/raftapi"

// StormHeartbeat is how many ticks a Storm leader waits between
// heartbeats: Raft's usual 100 ms.
const StormHeartbeat = 10

// Storm builds the storming cluster of issue 12: node 0 leads term 1,
// sends every peer a heartbeat every StormHeartbeat ticks, and answers
// every AppendEntries reply with a new AppendEntries to the same peer;
// the others follow and acknowledge every request. Each heartbeat starts
// a chain of requests that never ends, and on a network that duplicates
// messages each duplicate forks a chain, so the chains grow exponentially:
// the run must end with a report of the flood, not with the process
// killed for memory.
//
// A reply callback may run more than once (the network duplicates
// requests), which is what forks the chains: Storm does what a leader
// that sends "the next batch" on every reply, success or duplicate, does.
func Storm() raftapi.Factory {
	return ToyFactory(func(t *Toy) {
		t.State.Term = 1
		if t.Me != 0 {
			t.OnAE = func(t *Toy, _ int, _ *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply) {
				r.Term, r.Success = 1, true
			}
			return
		}
		t.State.Role = raftapi.Leader
		t.State.VotedFor = 0
		var send func(to int)
		send = func(to int) {
			t.Env.SendAppendEntries(to, &raftapi.AppendEntriesArgs{Term: 1, LeaderID: 0},
				func(*raftapi.AppendEntriesReply) { send(to) })
		}
		t.OnTick = func(t *Toy) {
			if t.Ticks%StormHeartbeat != 1 {
				return
			}
			for p := range t.Peers {
				if p != t.Me {
					send(p)
				}
			}
		}
	})
}

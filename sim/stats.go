package sim

import "time"

// Stats counts what a run did. RPC counts and bytes are of messages sent
// (before the network dropped any), by message type and by sender.
type Stats struct {
	Events int64 // events the simulator processed (ticks, deliveries, service turns)

	RPCs  [numMsgKinds]int64 // messages sent, by type (index with the Msg* constants)
	Bytes [numMsgKinds]int64 // encoded bytes sent, by type
	Nodes []NodeStats        // per sender

	Delivered  int64 // messages that ran a turn at their destination
	Dropped    int64 // lost by the network's DropRate
	Duplicated int64 // delivered twice
	Cut        int64 // lost to partitions and cut links

	Saves          int64 // Persister.Save calls
	PersistedBytes int64 // bytes written by all Saves
	MaxState       int   // largest Raft state saved
	MaxSnapshot    int   // largest snapshot saved

	Peaks Peaks // the most in flight and the busiest simulated second (see FloodLimits)

	Committed      int           // indexes applied somewhere
	CommitLatency  time.Duration // sum, over commands started through Cluster.Start, of Start → first apply
	CommitLatMax   time.Duration
	LatencySamples int

	startAt map[int]time.Duration // index → time Start returned it
}

// NodeStats counts one node's sending and saving.
type NodeStats struct {
	RPCs  [numMsgKinds]int64
	Bytes [numMsgKinds]int64
	Saves int64
	State int // current saved sizes
	Snap  int
}

func (s *Stats) init(n int) {
	s.Nodes = make([]NodeStats, n)
	s.startAt = map[int]time.Duration{}
}

func (s *Stats) sent(m *message) {
	s.RPCs[m.kind]++
	s.Bytes[m.kind] += int64(len(m.data))
	ns := &s.Nodes[m.from]
	ns.RPCs[m.kind]++
	ns.Bytes[m.kind] += int64(len(m.data))
}

func (s *Stats) delivered(*message) { s.Delivered++ }

func (s *Stats) persisted(node, state, snap int) {
	s.Saves++
	s.PersistedBytes += int64(state + snap)
	s.MaxState = max(s.MaxState, state)
	s.MaxSnapshot = max(s.MaxSnapshot, snap)
	ns := &s.Nodes[node]
	ns.Saves++
	ns.State, ns.Snap = state, snap
}

func (s *Stats) started(index int, at time.Duration) { s.startAt[index] = at }

func (s *Stats) firstApplied(index int, at time.Duration) {
	s.Committed = max(s.Committed, index)
	if t0, ok := s.startAt[index]; ok {
		d := at - t0
		s.CommitLatency += d
		s.CommitLatMax = max(s.CommitLatMax, d)
		s.LatencySamples++
		delete(s.startAt, index)
	}
}

// TotalRPCs is the number of messages of all types sent.
func (s *Stats) TotalRPCs() int64 {
	var t int64
	for _, v := range s.RPCs {
		t += v
	}
	return t
}

// TotalBytes is the number of encoded bytes of all types sent.
func (s *Stats) TotalBytes() int64 {
	var t int64
	for _, v := range s.Bytes {
		t += v
	}
	return t
}

// Requests is the number of requests (not replies) sent.
func (s *Stats) Requests() int64 {
	return s.RPCs[MsgRequestVote] + s.RPCs[MsgAppendEntries] + s.RPCs[MsgInstallSnapshot]
}

// MeanCommitLatency is the mean simulated time from Start to first apply.
func (s *Stats) MeanCommitLatency() time.Duration {
	if s.LatencySamples == 0 {
		return 0
	}
	return s.CommitLatency / time.Duration(s.LatencySamples)
}

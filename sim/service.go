package sim

import (
	"bytes"
	"encoding/binary"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/trace"
)

// service is the state machine above one node, played by the simulator.
// Its whole state is the index of the last applied command and a hash
// chained over every command applied so far, which is also exactly what
// its snapshots hold: enough to prove that a snapshot carries the same
// history as the commands it replaces.
type service struct {
	lastApplied int
	hash        uint64 // chain over commands 1..lastApplied
	lastTerm    int    // term of the entry at lastApplied (or the snapshot's)
}

const snapshotLen = 16

func (s *service) snapshot() []byte {
	b := make([]byte, 0, snapshotLen)
	b = binary.BigEndian.AppendUint64(b, uint64(s.lastApplied))
	return binary.BigEndian.AppendUint64(b, s.hash)
}

func decodeServiceSnapshot(b []byte) (index int, hash uint64, ok bool) {
	if len(b) != snapshotLen {
		return 0, 0, false
	}
	return int(binary.BigEndian.Uint64(b)), binary.BigEndian.Uint64(b[8:]), true
}

// chain extends a service hash by one command (FNV-1a over the length and
// the bytes, folded into the previous value).
func chain(h uint64, cmd []byte) uint64 {
	const prime = 1099511628211
	h ^= uint64(len(cmd)) + 0x9e3779b97f4a7c15
	h *= prime
	for _, b := range cmd {
		h ^= uint64(b)
		h *= prime
	}
	return h
}

// restoreService restores sn's service from the saved snapshot, before the
// new incarnation's first turn.
func (c *Cluster) restoreService(sn *simNode) {
	sn.svc = service{}
	if sn.disk.Snapshot() == nil {
		return
	}
	idx, h, ok := decodeServiceSnapshot(sn.disk.Snapshot())
	if !ok {
		c.fail(&Failure{Kind: KindSafety, Rule: props.StateMachineSafety.Name(), Paper: props.StateMachineSafety.Section(), Nodes: []int{sn.id},
			Message: "the snapshot the node saved is not one its service made: Persister().Save must store the snapshot bytes given to Snapshot (or InstallSnapshot) unchanged"})
	}
	c.check.serviceRestored(sn, idx, h)
	sn.svc.lastApplied = idx
	sn.svc.hash = h
}

// apply is Env.Apply: the service consumes one ApplyMsg, the checkers judge
// it, and in snapshot mode the service queues a Snapshot turn every K
// commands.
func (c *Cluster) apply(sn *simNode, msg raftapi.ApplyMsg) {
	switch {
	case msg.CommandValid && msg.SnapshotValid:
		c.fail(&Failure{Kind: KindContract, Rule: props.ApplyMsg.Name(), Paper: props.ApplyMsg.Section(), Nodes: []int{sn.id},
			Message: "an ApplyMsg must carry a command (CommandValid) or a snapshot (SnapshotValid), not both"})
	case msg.CommandValid:
		c.firstNew = len(c.applied)
		c.check.applyCommand(sn, msg)
		s := &sn.svc
		if msg.CommandIndex == len(c.applied) {
			c.applied = append(c.applied, appliedEntry{term: msg.CommandTerm, cmd: bytes.Clone(msg.Command),
				prefix: chain(s.hash, msg.Command), node: sn.id, at: c.now})
			c.stats.firstApplied(msg.CommandIndex, c.now)
		}
		s.lastApplied = msg.CommandIndex
		s.hash = chain(s.hash, msg.Command)
		s.lastTerm = msg.CommandTerm
		c.rec.add(record{at: c.now, kind: trace.KindApply, node: sn.id, peer: -1, n: msg.CommandIndex, m: msg.CommandTerm})
		if k := c.cfg.SnapshotEvery; k > 0 && s.lastApplied%k == 0 {
			c.q.push(event{at: c.now, kind: evSnapshot, node: sn.id, inc: sn.inc, index: s.lastApplied, data: s.snapshot()})
		}
	case msg.SnapshotValid:
		idx, h, ok := decodeServiceSnapshot(msg.Snapshot)
		c.check.applySnapshot(sn, msg, idx, h, ok)
		sn.svc = service{lastApplied: idx, hash: h, lastTerm: msg.SnapshotTerm}
		c.rec.add(record{at: c.now, kind: trace.KindApply, node: sn.id, peer: -1, n: msg.SnapshotIndex, m: msg.SnapshotTerm, text: "snapshot"})
	default:
		c.fail(&Failure{Kind: KindContract, Rule: props.ApplyMsg.Name(), Paper: props.ApplyMsg.Section(), Nodes: []int{sn.id},
			Message: "an ApplyMsg with neither CommandValid nor SnapshotValid set"})
	}
}

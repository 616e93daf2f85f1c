package sim

import (
	"github.com/raftlab/raftlab/nodehost"
	"github.com/raftlab/raftlab/raftapi"
)

// The simulator drives each incarnation of a node through a nodehost.Host:
// the host owns the turn guard, the Env and Persister, the outbox and the
// routing of replies; this file connects it to the world (the service, the
// counters, the checkers and failure reports).

// bootHost builds sn's next incarnation over its disk: the factory runs as
// the host's boot. A violation in the factory fails the run.
func (c *Cluster) bootHost(sn *simNode) {
	cfg := nodehost.Config{
		ID: sn.id, Peers: c.n, Incarnation: uint64(sn.inc), Disk: &sn.disk,
		Rand:        newStream(c.cfg.Seed, streamNode, uint64(sn.id), uint64(sn.inc)),
		OnApply:     func(msg raftapi.ApplyMsg) { c.apply(sn, msg) },
		OnSave:      func(state, snap int) { c.stats.persisted(sn.id, state, snap) },
		OnViolation: c.violatedOffTurn,
	}
	c.runTurn(sn, turnFactory, -1, func() error {
		var err error
		sn.host, err = nodehost.Boot(cfg, c.cfg.Factory)
		return err
	})
	sn.node = sn.host.Node()
	sn.watched.Store(sn.host)
}

// violatedOffTurn records a violation no turn returned (the Env used by a
// node's goroutine, or after its crash) for the scenario's goroutine to pick
// up after the current turn. It may run on any goroutine.
func (c *Cluster) violatedOffTurn(v *nodehost.Violation) {
	c.async.CompareAndSwap(nil, violationFailure(v))
}

// violationFailure is a host's violation as the run's failure.
func violationFailure(v *nodehost.Violation) *Failure {
	f := &Failure{Kind: v.Kind, Rule: v.Prop.Name(), Paper: v.Prop.Section(), Nodes: []int{v.Node}, Message: v.Message}
	if v.Cause == nodehost.CausePanic {
		f.Stack = userStack(v.Stack)
	}
	return f
}

// hostKinds maps the simulator's turn kinds to the host's.
var hostKinds = [...]nodehost.TurnKind{
	turnFactory: nodehost.TurnFactory, turnTick: nodehost.TurnTick, turnStart: nodehost.TurnStart,
	turnSnapshot: nodehost.TurnSnapshot, turnGetState: nodehost.TurnGetState,
	turnRequestVote: nodehost.TurnRequestVote, turnAppendEntries: nodehost.TurnAppendEntries,
	turnInstallSnapshot: nodehost.TurnInstallSnapshot, turnRequestVoteReply: nodehost.TurnRequestVoteReply,
	turnAppendEntriesReply: nodehost.TurnAppendEntriesReply, turnInstallSnapshotReply: nodehost.TurnInstallSnapshotReply,
	turnInspect: nodehost.TurnInspect, turnInspectLog: nodehost.TurnInspectLog,
}

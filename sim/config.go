package sim

import (
	"time"

	"github.com/raftlab/raftlab/raftapi"
)

// Config describes a world. The zero value of every field but Nodes and
// Factory means the default noted beside it.
type Config struct {
	Nodes   int             // cluster size
	Factory raftapi.Factory // builds each node at boot and at every restart
	Seed    uint64          // the one seed the whole run derives from

	Implementation string // names the implementation in reports and traces
	Scenario       string // names the scenario in reports and traces
	Replay         string // the command that replays this run, printed in failure reports

	Network Network // the network's faults at the start

	// ClockSkew bounds how far a node's tick interval strays from
	// raftapi.TickInterval: each node's interval is drawn once per run in
	// [1-ClockSkew, 1+ClockSkew] × TickInterval. 0 means no skew.
	ClockSkew float64
	// LockstepTicks makes every node tick on the same phase (some timer
	// bugs only show then). Otherwise each node's first tick is offset by a
	// random fraction of its interval.
	LockstepTicks bool

	// SnapshotEvery makes each node's service call Snapshot every
	// SnapshotEvery applied commands. 0 disables snapshots.
	SnapshotEvery int

	// NoChecks turns the safety checkers off (for measuring their cost;
	// never for grading).
	NoChecks bool
	// RecordTrace keeps every event and state change so that Result.Trace
	// can be written. Off, the world keeps only the last TimelineLen
	// events for failure reports (a failing run is replayed with the
	// trace on: runs are deterministic).
	RecordTrace bool
	// TraceLimit bounds the events a trace keeps (default 125,000, about
	// 17 MB of JSON; the longest passing runs of the suites and soaks have
	// about 60,000 events): the first four fifths of it and the last fifth
	// before the end, with a note between them saying what was left out,
	// and each node's state at the end. A flood's trace stays readable.
	TraceLimit int
	// TimelineLen is how many recent events a failure report shows
	// (default 24).
	TimelineLen int

	// HangBound is how long, in wall time, a single turn may run before
	// the run is failed as a hang (default 5s). The simulator cannot
	// stop a node stuck in an infinite loop; it reports it and abandons
	// the run.
	HangBound time.Duration
	// MaxEvents bounds the events of one run (default 50 million): a
	// node that floods the network fails the run instead of running
	// forever.
	MaxEvents int64
	// Flood bounds the messages and bytes in flight and the events per
	// simulated second (zero fields: the defaults, see FloodLimits).
	Flood FloodLimits
}

// Network is the simulated network's behaviour for messages that cross an
// intact link. Partitions and cut links are separate (see Cluster).
type Network struct {
	DropRate float64 // probability that a message is lost
	DupRate  float64 // probability that a message is delivered twice

	// Each message is delayed uniformly in [DelayMin, DelayMax]
	// (defaults 1ms and 5ms when both are zero).
	DelayMin, DelayMax time.Duration

	// With probability LongDelayRate a message is instead delayed
	// uniformly up to LongDelayMax: long reordering.
	LongDelayRate float64
	LongDelayMax  time.Duration
}

// Reliable is a network that delivers every message once, in 1–5 ms.
func Reliable() Network { return Network{DelayMin: time.Millisecond, DelayMax: 5 * time.Millisecond} }

// Unreliable is MIT 6.5840's "unreliable" network: 10% of messages lost,
// some duplicated, delays up to 27 ms.
func Unreliable() Network {
	return Network{DropRate: 0.1, DupRate: 0.05, DelayMin: time.Millisecond, DelayMax: 27 * time.Millisecond}
}

// LongReordering is an unreliable network where one message in ten is held
// back for up to two seconds (Figure 8 on an unreliable network).
func LongReordering() Network {
	n := Unreliable()
	n.LongDelayRate = 0.1
	n.LongDelayMax = 2 * time.Second
	return n
}

func (c Config) withDefaults() Config {
	if c.Network.DelayMin == 0 && c.Network.DelayMax == 0 {
		c.Network.DelayMin, c.Network.DelayMax = time.Millisecond, 5*time.Millisecond
	}
	if c.TimelineLen <= 0 {
		c.TimelineLen = 24
	}
	if c.HangBound <= 0 {
		c.HangBound = 5 * time.Second
	}
	if c.TraceLimit <= 0 {
		c.TraceLimit = 125_000
	}
	c.TraceLimit = max(c.TraceLimit, 10) // room for a head and a tail
	if c.MaxEvents <= 0 {
		c.MaxEvents = 50_000_000
	}
	return c
}

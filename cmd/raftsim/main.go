// Command raftsim runs a Raft implementation (the reference, by default)
// in raftlab's deterministic simulated world for one seed: it elects a
// leader, runs a randomized fault mix with a client offering commands,
// stops the faults (for every node, or for a core majority only) and
// checks that the cluster (or the core) recovers, with every safety
// checker on. It is one run of the simulator's swarm plan (sim.Swarm), as
// cmd/soak and the stages' Swarm scenarios run it. It prints what happened
// and writes the run's trace.
//
//	go run ./cmd/raftsim -seed 7
//	go run ./cmd/raftview raftsim-seed7.json
//
// The same seed always gives the same run, byte for byte.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/trace"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

const usage = `usage: raftsim [flags]

Runs the reference Raft in the deterministic simulator for one seed:
leader election, then a randomized fault mix while a client offers
commands, then recovery (faults stop; a leader and a new commit must
follow), with every safety checker on. The faults stop for every node,
or only for a core majority that must converge while the other nodes
stay crashed or cut off: -liveness chooses, or the seed draws. Writes
the run's trace.

examples:
  raftsim -seed 7                          5 nodes, every fault, 20s of simulated time
  raftsim -seed 7 -faults crashes -nodes 3 only crashes and restarts
  raftsim -seed 7 -snapshot-every 10       with log compaction
  raftsim -seed 7 -prevote -checkquorum    with the thesis' optional extensions
  raftsim -seed 7 -liveness core           only a core majority heals at the end

flags:
`

type options struct {
	seed          uint64
	nodes         int
	duration      time.Duration
	faults        string
	snapshotEvery int
	preVote       bool
	checkQuorum   bool
	skew          float64
	liveness      sim.Liveness
	tracePath     string
	traceLimit    int
	timeline      int
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("raftsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { say(stderr, "%s", usage); fs.PrintDefaults() }
	fs.Uint64Var(&o.seed, "seed", 1, "the seed; the same seed gives the same run")
	fs.IntVar(&o.nodes, "nodes", 5, "cluster size")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long the faults run, in simulated time")
	fs.StringVar(&o.faults, "faults", "all", "faults to draw from: all, none, or a comma list of partitions,unreliable,crashes,pauses")
	fs.IntVar(&o.snapshotEvery, "snapshot-every", 0, "the service snapshots every N applied commands (0: never)")
	fs.BoolVar(&o.preVote, "prevote", false, "enable PreVote (Raft thesis §9.6)")
	fs.BoolVar(&o.checkQuorum, "checkquorum", false, "enable CheckQuorum (a leader that cannot reach a majority steps down)")
	fs.Float64Var(&o.skew, "skew", 0, "clock skew between nodes, a fraction (0.1 = ±10%)")
	liveness := fs.String("liveness", sim.LivenessDrawn.String(), "after the faults, heal every node (all), only a core majority (core), or either, drawn from the seed (drawn)")
	fs.StringVar(&o.tracePath, "trace", "", "where to write the trace (default raftsim-seed<N>.json; \"-\" for none)")
	fs.IntVar(&o.traceLimit, "trace-limit", 0, "keep at most N events in the trace (the first four fifths and the last fifth, with a note between; 0: 125,000)")
	fs.IntVar(&o.timeline, "timeline", 0, "also print the last N events as a timeline")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (raftsim takes only flags)", fs.Arg(0))
	}
	var err error
	if o.liveness, err = sim.ParseLiveness(*liveness); err != nil {
		return o, fmt.Errorf("-liveness: %w", err)
	}
	switch {
	case o.nodes < 1 || o.nodes > 15:
		return o, errors.New("-nodes must be between 1 and 15")
	case o.duration < 0:
		return o, errors.New("-duration must not be negative")
	case o.snapshotEvery < 0:
		return o, errors.New("-snapshot-every must not be negative")
	case o.skew < 0 || o.skew >= 1:
		return o, errors.New("-skew must be in [0, 1)")
	case o.traceLimit < 0:
		return o, errors.New("-trace-limit must not be negative (0: the default, 125,000 events)")
	}
	if o.tracePath == "" {
		o.tracePath = fmt.Sprintf("raftsim-seed%d.json", o.seed)
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		say(stderr, "raftsim: %v\n", err)
		return 2
	}
	faults, err := sim.ParseFaults(o.faults)
	if err != nil {
		say(stderr, "raftsim: -faults: %v\n", err)
		return 2
	}
	var factory raftapi.Factory = raft.New
	impl := "reference"
	if o.preVote || o.checkQuorum {
		factory = raft.NewFactory(raft.Options{PreVote: o.preVote, CheckQuorum: o.checkQuorum})
		impl = fmt.Sprintf("reference (prevote=%t checkquorum=%t)", o.preVote, o.checkQuorum)
	}
	replay := "go run ./cmd/raftsim " + strings.Join(args, " ")
	plan := sim.Swarm{Faults: faults, Nodes: o.nodes, Duration: o.duration, Liveness: o.liveness}
	if o.snapshotEvery > 0 {
		plan.SnapshotEvery = []int{o.snapshotEvery}
	}
	draw := plan.Draw(o.seed)
	draw.ClockSkew = o.skew
	cfg := sim.Config{
		Factory: factory, Implementation: impl, Scenario: "raftsim " + o.faults,
		Replay: strings.TrimSpace(replay), RecordTrace: o.tracePath != "-", TraceLimit: o.traceLimit, TimelineLen: max(24, o.timeline),
	}
	draw.Configure(&cfg)
	res := sim.Run(cfg, func(c *sim.Cluster) { plan.Run(c, draw) })
	say(stdout, "raftsim: %s, %d nodes, seed %d\n", impl, o.nodes, o.seed)
	say(stdout, "  plan:    %s\n", draw)
	report(stdout, res, draw.Core)
	if res.Trace != nil {
		if err := trace.WriteFile(o.tracePath, res.Trace); err != nil {
			say(stderr, "raftsim: %v\n", err)
			return 1
		}
		say(stdout, "  trace:   %s (read it with: go run ./cmd/raftview %s)\n", o.tracePath, o.tracePath)
	}
	if res.Failure != nil {
		say(stdout, "\n%s\n", res.Failure.Error())
		return 1
	}
	return 0
}

// say prints to w. Output errors are ignored on purpose: there is nobody
// left to tell when stdout or stderr fails.
func say(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}

func report(w io.Writer, res *sim.Result, core []int) {
	s := &res.Stats
	verdict := "PASS: no safety violation; the cluster recovered after the faults stopped"
	if core != nil {
		verdict = fmt.Sprintf("PASS: no safety violation; the core %v recovered after its faults stopped", core)
	}
	if res.Failure != nil {
		verdict = "FAIL: " + res.Failure.Rule
	}
	say(w, "  result:  %s\n", verdict)
	say(w, "  run:     %s simulated in %s wall (%.0f× real time), %d events (%.2fM events/s)\n",
		res.End.Round(time.Millisecond), res.Wall.Round(100*time.Microsecond), res.End.Seconds()/res.Wall.Seconds(),
		s.Events, float64(s.Events)/res.Wall.Seconds()/1e6)
	say(w, "  commits: %d indexes applied; mean Start→apply %s (max %s)\n",
		s.Committed, s.MeanCommitLatency().Round(100*time.Microsecond), s.CommitLatMax.Round(100*time.Microsecond))
	say(w, "  rpcs:    %d sent (RequestVote %d, AppendEntries %d, InstallSnapshot %d, and their replies), %d KB\n",
		s.TotalRPCs(), s.RPCs[sim.MsgRequestVote], s.RPCs[sim.MsgAppendEntries], s.RPCs[sim.MsgInstallSnapshot], s.TotalBytes()/1024)
	say(w, "  network: %d dropped, %d duplicated, %d cut by partitions\n", s.Dropped, s.Duplicated, s.Cut)
	say(w, "  disk:    %d saves, largest state %d B, largest snapshot %d B\n", s.Saves, s.MaxState, s.MaxSnapshot)
}

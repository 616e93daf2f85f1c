package hidden

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// The scenarios of hidden.go (seven nodes, skew, lockstep ticks, fault
// mixes) exercise the algorithm broadly, but alone they let through the
// bugs that only a precise situation shows: timer rules, replies of an
// earlier term, the receiver rules of AppendEntries and InstallSnapshot.
// The visible suite has a test for each of those (a rule-level test or a
// targeted schedule); the variants below carry them into the hidden set,
// so that the hidden cases catch every bug class on their own:
//
//   - every targeted schedule of the stage, under lockstep ticks and clock
//     skew, which the visible schedules never use: the same situations,
//     built with other timing (one hidden scenario per stage);
//   - the stage's cost checks (RPC counts, bytes, heartbeat rate, persisted
//     size), under lockstep ticks;
//   - the stage's rule-level tests, run inside a scenario against the
//     factory under test, so that a rule a node breaks fails a hidden case
//     too, named after the rule.

// targetedScenario returns a scenario that runs every visible targeted
// schedule of stage, one after the other, each in a world of its own
// (with its own cluster size and configuration) in which every node ticks
// on the same phase and the clocks are skewed (±skew). The first schedule
// that fails fails the scenario, with the schedule's rule and message. It
// returns false if the stage has no targeted schedule.
func targetedScenario(stage labs.Stage) (labs.Scenario, bool) {
	return replayScenario(stage, "HiddenTargeted"+titled(stage)+"SkewedLockstep",
		fmt.Sprintf("with every node ticking on the same phase and clocks skewed by up to %.0f%%", skew*100),
		func(name string) bool { return strings.HasPrefix(name, "Targeted") }, skewed, lockstep)
}

// efficiencyScenario returns a scenario that runs the stage's visible
// cost checks (RPCs per agreement, bytes per entry, heartbeats per second,
// the persisted size under snapshots) again with lockstep ticks, on seeds
// of its own. Not with skew: a clock 10% fast makes a leader that
// heartbeats every 10 ticks send 11 a second, over the budget of 10.
func efficiencyScenario(stage labs.Stage) (labs.Scenario, bool) {
	costs := []string{"Count", "RPCBytes", "SizeBound"}
	return replayScenario(stage, "HiddenEfficiency"+titled(stage)+"Lockstep", "with every node ticking on the same phase",
		func(name string) bool { return slices.Contains(costs, name) }, lockstep)
}

// replayScenario returns a hidden scenario that runs the stage's visible
// scenarios that pick selects, one after the other, each in a world of its
// own (its cluster size and configuration, then opts, which how
// describes). The first that fails fails the scenario, with its rule and
// message. It returns false if pick selects nothing.
func replayScenario(stage labs.Stage, name, how string, pick func(string) bool, opts ...func(*sim.Config)) (labs.Scenario, bool) {
	var scs []labs.Scenario
	var paper []string
	for _, sc := range labs.Suite(stage) {
		if pick(sc.Name) {
			scs = append(scs, sc)
			if !slices.Contains(paper, sc.Paper) {
				paper = append(paper, sc.Paper)
			}
		}
	}
	if len(scs) == 0 {
		return labs.Scenario{}, false
	}
	return labs.Scenario{
		Name: name, Stage: stage, Paper: strings.Join(paper, "; "), Nodes: 3, Seeds: 4,
		Run: func(c *sim.Cluster) {
			outer := c.Config()
			for _, sc := range scs {
				cfg := sim.Config{Nodes: sc.Nodes, Factory: outer.Factory, Seed: outer.Seed,
					Implementation: outer.Implementation, Scenario: sc.Name, Replay: outer.Replay}
				if sc.Configure != nil {
					sc.Configure(&cfg, outer.Seed)
				}
				for _, o := range opts {
					o(&cfg)
				}
				res := sim.Run(cfg, sc.Run)
				if f := res.Failure; f != nil {
					id, ok := props.ByName(f.Rule)
					if !ok {
						id = props.InternalError
					}
					c.Failf(id, "scenario %s, %s, failed (%s) at simulated time %s of its own run: %s\n  its last events:\n    %s",
						sc.Name, how, f.Kind, f.At, f.Message, strings.Join(f.Timeline, "\n    "))
				}
			}
		},
	}, true
}

// titled returns the stage's name with a capital first letter.
func titled(stage labs.Stage) string {
	s := string(stage)
	return strings.ToUpper(s[:1]) + s[1:]
}

// ruleScenario returns a scenario that runs the rule-level tests of stage
// against the factory of the cluster it is given; the first rule that
// fails fails the scenario, with the rule's property and message. The
// cluster itself only boots: the rule tests drive nodes of their own.
func ruleScenario(stage labs.Stage) labs.Scenario {
	var paper []string
	for _, r := range rules.All() {
		if r.Stage == stage && !slices.Contains(paper, r.Prop.Section()) {
			paper = append(paper, r.Prop.Section())
		}
	}
	return labs.Scenario{
		Name:  "HiddenRules" + titled(stage),
		Stage: stage, Paper: strings.Join(paper, ", "), Nodes: 3, Seeds: 1,
		Run: func(c *sim.Cluster) {
			f := c.Config().Factory
			for _, r := range rules.All() {
				if r.Stage != stage {
					continue
				}
				rec, hang := runRule(r, f, c.Config().HangBound)
				if hang != nil {
					c.FailHang(hang.Node, "rule test %s: %s", r.Name, hang.Error())
				}
				if rec.Failed() {
					msgs := rec.Messages()
					if len(msgs) == 0 {
						msgs = []string{"the rule test stopped"}
					}
					c.Failf(r.Prop, "rule test %s: %s", r.Name, strings.Join(msgs, "; "))
				}
			}
		},
	}
}

// runRule runs rule r against f, watched (rules.Rule.RunWatched: on a
// goroutine of its own, since the rule may stop its goroutine with
// FailNow, which must not be the scenario's), and returns what it
// recorded, or the hang when a call into the node never returned. The
// rule's turns run one at a time on that goroutine while the scenario's
// goroutine waits, so the run stays deterministic.
func runRule(r rules.Rule, f raftapi.Factory, hangBound time.Duration) (*rules.Recorder, *rules.Hang) {
	rec := rules.NewRecorder(r.Name)
	if hang := r.RunWatched(rec, f, hangBound); hang != nil {
		return rec, hang // the rule's goroutine is stuck: its cleanups cannot run
	}
	rec.RunCleanups()
	return rec, nil
}

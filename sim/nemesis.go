package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Faults says which kinds of fault a nemesis may inject.
type Faults struct {
	Partitions bool // partitions of any shape, isolated nodes, one-way cuts
	Unreliable bool // message drops, duplicates and long reordering
	Crashes    bool // crash and restart, including all nodes at once
	Pauses     bool // pause and resume (zombie leaders)
}

// ParseFaults reads a comma list of fault kinds: partitions, unreliable,
// crashes, pauses, or all; none (or an empty list) is no fault. It is the
// one syntax of raftsim's -faults and the serverless host's mix.faults.
func ParseFaults(s string) (Faults, error) {
	var f Faults
	for _, name := range strings.Split(s, ",") {
		switch strings.TrimSpace(name) {
		case "all":
			f = Faults{Partitions: true, Unreliable: true, Crashes: true, Pauses: true}
		case "none", "":
		case "partitions":
			f.Partitions = true
		case "unreliable":
			f.Unreliable = true
		case "crashes":
			f.Crashes = true
		case "pauses":
			f.Pauses = true
		default:
			return f, fmt.Errorf("unknown fault %q (want all, none, or a comma list of partitions, unreliable, crashes, pauses)", name)
		}
	}
	return f, nil
}

// Mix is one draw of a randomized nemesis: which faults it injects and how
// hard. Each seed draws its own mix (swarm testing), so that runs explore
// different corners instead of averaging every fault together.
type Mix struct {
	Faults
	Gap       time.Duration // mean time between faults
	Net       Network       // the unreliable network used while faults are on
	CrashAll  float64       // probability that a crash takes down every node
	Asymmetry float64       // probability that a partition is a one-way cut
	ClientGap time.Duration // time between client commands; 0: no client
}

func (m Mix) String() string {
	var on []string
	if m.Partitions {
		on = append(on, fmt.Sprintf("partitions(asym %.0f%%)", 100*m.Asymmetry))
	}
	if m.Unreliable {
		on = append(on, fmt.Sprintf("unreliable(drop %.0f%% dup %.0f%% long %.0f%%)", 100*m.Net.DropRate, 100*m.Net.DupRate, 100*m.Net.LongDelayRate))
	}
	if m.Crashes {
		on = append(on, fmt.Sprintf("crashes(all %.0f%%)", 100*m.CrashAll))
	}
	if m.Pauses {
		on = append(on, "pauses")
	}
	if len(on) == 0 {
		on = append(on, "no faults")
	}
	client := "no client"
	if m.ClientGap > 0 {
		client = "a command every " + m.ClientGap.String()
	}
	return fmt.Sprintf("%s every ~%s, %s", strings.Join(on, " "), m.Gap, client)
}

// DrawMix draws a fault mix from r among the allowed faults: each allowed
// kind is on with probability 3/4, so some seeds isolate one kind.
func DrawMix(r *rand.Rand, allowed Faults) Mix {
	pick := func(ok bool) bool { return ok && r.IntN(4) != 0 }
	m := Mix{Faults: Faults{
		Partitions: pick(allowed.Partitions),
		Unreliable: pick(allowed.Unreliable),
		Crashes:    pick(allowed.Crashes),
		Pauses:     pick(allowed.Pauses),
	}}
	m.Gap = []time.Duration{150 * time.Millisecond, 400 * time.Millisecond, time.Second, 2 * time.Second}[r.IntN(4)]
	m.ClientGap = []time.Duration{5 * time.Millisecond, 30 * time.Millisecond, 100 * time.Millisecond}[r.IntN(3)]
	m.Net = Reliable()
	if m.Unreliable {
		m.Net = Network{
			DropRate:      []float64{0.02, 0.1, 0.3}[r.IntN(3)],
			DupRate:       []float64{0, 0.05, 0.2}[r.IntN(3)],
			DelayMin:      time.Millisecond,
			DelayMax:      []time.Duration{5 * time.Millisecond, 27 * time.Millisecond, 80 * time.Millisecond}[r.IntN(3)],
			LongDelayRate: []float64{0, 0.02, 0.1}[r.IntN(3)],
			LongDelayMax:  2 * time.Second,
		}
	}
	m.CrashAll = []float64{0, 0.1, 0.3}[r.IntN(3)]
	m.Asymmetry = []float64{0, 0.2, 0.5}[r.IntN(3)]
	return m
}

// RunNemesis injects the mix's faults for d of simulated time while a
// client offers a stream of unique commands to whichever node leads, one
// every m.ClientGap (0: no client). It returns how many commands the
// client offered to a leader.
func (c *Cluster) RunNemesis(m Mix, d time.Duration) int {
	r := c.scenR
	c.Note("nemesis: %s for %s", m, d)
	if m.Unreliable {
		c.SetNetwork(m.Net)
	}
	end := c.now + d
	nextFault := c.now + jitter(r, m.Gap)
	offered := 0
	for c.now < end {
		if m.ClientGap <= 0 { // no client: run from fault to fault
			c.RunFor(max(0, min(nextFault, end)-c.now))
		} else {
			c.RunFor(min(jitter(r, m.ClientGap), end-c.now))
		}
		if l, ok := c.Leader(); ok && m.ClientGap > 0 {
			c.clientSeq++
			cmd := fmt.Appendf(nil, "c%d", c.clientSeq)
			if _, _, isLeader := c.Start(l, cmd); isLeader {
				offered++
			}
		}
		if c.now >= nextFault {
			c.nemesisStep(m, r)
			nextFault = c.now + jitter(r, m.Gap)
		}
	}
	return offered
}

// jitter draws uniformly in [d/2, 3d/2].
func jitter(r *rand.Rand, d time.Duration) time.Duration {
	return d/2 + time.Duration(r.Int64N(int64(d)+1))
}

func (c *Cluster) nemesisStep(m Mix, r *rand.Rand) {
	var actions []func()
	if m.Partitions {
		actions = append(actions, func() { c.randomPartition(r, m.Asymmetry) }, c.Heal)
	}
	if m.Crashes {
		actions = append(actions, func() {
			if r.Float64() < m.CrashAll {
				c.CrashAll()
				return
			}
			c.Crash(r.IntN(c.n))
		}, func() {
			for _, i := range r.Perm(c.n) {
				if !c.nodes[i].up {
					c.Restart(i)
					return
				}
			}
		})
	}
	if m.Pauses {
		actions = append(actions, func() {
			if l, ok := c.Leader(); ok && r.IntN(2) == 0 {
				c.Pause(l) // the zombie leader
				return
			}
			c.Pause(r.IntN(c.n))
		}, func() {
			for _, i := range r.Perm(c.n) {
				if c.nodes[i].paused {
					c.Resume(i)
					return
				}
			}
		})
	}
	if len(actions) == 0 {
		return
	}
	actions[r.IntN(len(actions))]()
}

func (c *Cluster) randomPartition(r *rand.Rand, asym float64) {
	if c.n == 1 {
		return // nothing to cut
	}
	if r.Float64() < asym {
		from := r.IntN(c.n)
		c.Cut(from, (from+1+r.IntN(c.n-1))%c.n)
		return
	}
	if l, ok := c.Leader(); ok && r.IntN(3) == 0 {
		c.Isolate(l)
		return
	}
	perm := r.Perm(c.n)
	k := 1 + r.IntN(max(1, c.n-1))
	c.Partition(perm[:k], perm[k:])
}

// Quiesce ends every fault: heal the network, make it reliable, resume
// paused nodes and restart crashed ones.
func (c *Cluster) Quiesce() {
	c.Heal()
	c.SetNetwork(Reliable())
	for i := range c.n {
		c.Resume(i)
		c.Restart(i)
	}
}

// CheckLiveness is the liveness check after faults stop: a leader within
// electBound, then a fresh command applied on every node within
// commitBound. Both bounds are in simulated time.
func (c *Cluster) CheckLiveness(electBound, commitBound time.Duration) {
	c.WaitLeader(electBound)
	c.Submit(fmt.Appendf(nil, "liveness@%d", c.now), c.n, commitBound)
}

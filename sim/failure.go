package sim

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/raftlab/raftlab/props"
)

// Kinds of failure.
const (
	KindSafety         = "safety"         // a safety property of the paper was violated
	KindLiveness       = "liveness"       // something that should happen did not, within a bound in simulated time
	KindPanic          = "panic"          // the implementation panicked in a turn
	KindHang           = "hang"           // a turn did not return
	KindContract       = "contract"       // the implementation broke the course contract (turns, peers, Inspect)
	KindScenario       = "scenario"       // a scenario's own assertion (wrong index from Start, RPC budget, ...)
	KindNondeterminism = "nondeterminism" // two runs of the same seed differed
	KindInternal       = "internal"       // a bug in raftlab itself
)

// Failure is what ends a run: which rule broke, where in the paper, who
// and what was involved, and how to replay it. Its JSON form (the field
// tags) is what a grader serializes; the keys are part of that interface.
type Failure struct {
	Kind    string `json:"kind"`
	Rule    string `json:"rule"`            // e.g. "Election Safety"
	Paper   string `json:"paper,omitempty"` // e.g. "§5.2"
	Message string `json:"message"`         // what happened, in a sentence a student can act on
	Nodes   []int  `json:"nodes,omitempty"`
	Terms   []int  `json:"terms,omitempty"`
	Indexes []int  `json:"indexes,omitempty"`
	// At is the simulated time of the failure; in JSON, in nanoseconds
	// (time.Duration's own encoding), as the key says.
	At time.Duration `json:"at_ns"`

	// Filled in by Run.
	Seed           uint64   `json:"seed"`
	Scenario       string   `json:"scenario,omitempty"`
	Implementation string   `json:"implementation,omitempty"`
	Replay         string   `json:"replay,omitempty"`     // the command that replays the run
	Timeline       []string `json:"timeline,omitempty"`   // the last events before the failure
	States         []string `json:"states,omitempty"`     // each node's state at the failure
	TracePath      string   `json:"trace_path,omitempty"` // where the trace was written, if it was
	Stack          string   `json:"stack,omitempty"`      // for panics: the implementation's stack
}

// Error renders the full report.
func (f *Failure) Error() string {
	var b strings.Builder
	title := f.Rule
	if f.Paper != "" {
		title += " (" + f.Paper + ")"
	}
	fmt.Fprintf(&b, "%s: %s at simulated time %s\n", strings.ToUpper(f.Kind), title, fmtTime(f.At))
	fmt.Fprintf(&b, "  %s\n", f.Message)
	var who []string
	if len(f.Nodes) > 0 {
		who = append(who, fmt.Sprintf("nodes %v", f.Nodes))
	}
	if len(f.Terms) > 0 {
		who = append(who, fmt.Sprintf("terms %v", f.Terms))
	}
	if len(f.Indexes) > 0 {
		who = append(who, fmt.Sprintf("indexes %v", f.Indexes))
	}
	if len(who) > 0 {
		fmt.Fprintf(&b, "  involved: %s\n", strings.Join(who, ", "))
	}
	if f.Scenario != "" || f.Implementation != "" {
		fmt.Fprintf(&b, "  scenario: %s   implementation: %s   seed: %d\n", f.Scenario, f.Implementation, f.Seed)
	} else {
		fmt.Fprintf(&b, "  seed: %d\n", f.Seed)
	}
	if f.Replay != "" {
		fmt.Fprintf(&b, "  replay:   %s\n", f.Replay)
	}
	if f.Stack != "" {
		fmt.Fprintf(&b, "  where it panicked (your code first):\n%s", indent(f.Stack, "    "))
	}
	if len(f.States) > 0 {
		b.WriteString("  nodes at the failure:\n")
		for _, s := range f.States {
			fmt.Fprintf(&b, "    %s\n", s)
		}
	}
	if len(f.Timeline) > 0 {
		if len(f.Timeline) == 1 {
			b.WriteString("  last event:\n")
		} else {
			fmt.Fprintf(&b, "  last %d events:\n", len(f.Timeline))
		}
		for _, s := range f.Timeline {
			fmt.Fprintf(&b, "    %s\n", s)
		}
	}
	if f.TracePath != "" {
		fmt.Fprintf(&b, "  trace:    %s\n", f.TracePath)
	}
	return strings.TrimRight(b.String(), "\n")
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = pre + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

func (c *Cluster) failPanicIn(sn *simNode, where string, r any) {
	if f, ok := r.(*Failure); ok { // not expected: failures end runs with Goexit
		c.fail(f)
	}
	c.fail(&Failure{Kind: KindPanic, Rule: props.Panic.Name(), Paper: props.Panic.Section(), Nodes: []int{sn.id},
		Message: fmt.Sprintf("node %d panicked in %s: %v", sn.id, where, r),
		Stack:   userStack(string(debug.Stack()))})
}

// userStack keeps the frames of the panicking code and drops the runtime's
// and the simulator's own, so a student sees their line first.
func userStack(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	for i := 1; i+1 < len(lines); i += 2 {
		fn, loc := strings.TrimSpace(lines[i]), strings.TrimSpace(lines[i+1])
		if strings.HasPrefix(fn, "runtime") || strings.HasPrefix(fn, "panic(") ||
			strings.Contains(fn, "raftlab/sim.") || strings.HasPrefix(fn, "testing.") {
			continue
		}
		out = append(out, fn, "    "+loc)
		if len(out) >= 16 {
			break
		}
	}
	return strings.Join(out, "\n")
}

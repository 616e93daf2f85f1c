package nodehost

import (
	"errors"
	"fmt"
	"strings"

	"github.com/raftlab/raftlab/props"
)

// Cause says which rule of the contract a [Violation] broke.
type Cause uint8

// The contract violations a host detects.
const (
	CauseOutsideTurn Cause = iota // the Env used between turns or during a query (a goroutine?)
	CauseStale                    // the Env of a dead incarnation used (a goroutine or timer left over from before the crash?)
	CauseFactoryEnv               // the Factory used the Env beyond Persister and Rand
	CauseBadPeer                  // a send to an id that is not a peer (out of range, or the node itself)
	CauseNilNode                  // the Factory returned a nil Node
	CauseGoexit                   // runtime.Goexit unwound a turn (t.FailNow in node code?)
	CausePanic                    // node code panicked
)

// Kinds of violation, as failure reports classify them.
const (
	KindContract = "contract"
	KindPanic    = "panic"
)

// causeRules is the catalogue's property each cause breaks.
var causeRules = [...]props.ID{props.Turns, props.Turns, props.Turns, props.Peers, props.Factory, props.TurnsReturn, props.Panic}

// Violation is a contract violation by node code, as a value. Kind, Rule,
// Node and Message are what a failure report needs; the other fields say
// where it happened.
type Violation struct {
	Cause   Cause
	Kind    string   // KindContract or KindPanic
	Prop    props.ID // the contract's rule in the catalogue: props.Turns, Peers, Factory, TurnsReturn or Panic
	Rule    string   // Prop's name, as reports print it
	Node    int
	Inc     uint64   // the incarnation
	Turn    TurnKind // the call in progress (for CausePanic, CauseGoexit, CauseBadPeer, CauseFactoryEnv)
	Peer    int      // the sender of the message that caused the turn, -1 if none
	Method  string   // the Env method called (for the Env causes), e.g. "SendAppendEntries"
	Message string   // the whole explanation, for the student
	Value   any      // what the node panicked with (CausePanic)
	Stack   string   // the node's frames at the panic (CausePanic), as debug.Stack prints them
}

func (v *Violation) Error() string { return v.Message }

// AsViolation returns the violation in err's chain, if any.
func AsViolation(err error) (*Violation, bool) {
	var v *Violation
	ok := errors.As(err, &v)
	return v, ok
}

func (h *Host) violation(c Cause, turn TurnKind, peer int, method, format string, args ...any) *Violation {
	kind := KindContract
	if c == CausePanic {
		kind = KindPanic
	}
	return &Violation{Cause: c, Kind: kind, Prop: causeRules[c], Rule: causeRules[c].Name(), Node: h.id, Inc: h.inc, Turn: turn, Peer: peer,
		Method: method, Message: fmt.Sprintf(format, args...)}
}

// envViolation explains a refused Env call in the phase ph.
func (h *Host) envViolation(ph phase, method string) *Violation {
	switch ph {
	case phaseFactory:
		return h.violation(CauseFactoryEnv, TurnFactory, -1, method,
			"node %d called Env.%s from its Factory; the factory may use only Persister() and Rand(): sending and applying start with the first turn (send from Tick)", h.id, method)
	case phaseDead:
		k, _, _ := h.Current()
		return h.violation(CauseStale, k, -1, method,
			"node %d called Env.%s after it crashed (a stale incarnation is still running: a goroutine or a timer left over from before the crash?). Nodes must not start goroutines", h.id, method)
	default:
		k, _, _ := h.Current()
		return h.violation(CauseOutsideTurn, k, -1, method,
			"node %d called Env.%s outside its turn (from a goroutine, or from GetState, Inspect or InspectLog?). A node runs only inside the calls the driver makes (Tick, handlers, reply callbacks, Start, Snapshot) and must not start goroutines", h.id, method)
	}
}

// nodeStack keeps the goroutine header and the frames of the node's code
// from a debug.Stack dump: the runtime's, the host's and the testing
// package's frames go.
func nodeStack(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) == 0 {
		return ""
	}
	out := []string{lines[0]}
	for i := 1; i+1 < len(lines); i += 2 {
		fn := strings.TrimSpace(lines[i])
		if strings.HasPrefix(fn, "runtime") || strings.HasPrefix(fn, "panic(") ||
			strings.Contains(fn, "raftlab/nodehost.") || strings.HasPrefix(fn, "testing.") {
			continue
		}
		out = append(out, lines[i], lines[i+1])
	}
	return strings.Join(out, "\n") + "\n"
}

// Package trace defines raftlab's trace: the versioned JSON document that
// records one simulated run (header, events, node states over time and the
// verdict). It is the single input of the visual replay in the browser and
// of the terminal trace viewer, and its bytes prove determinism: the same
// implementation, scenario and seed give a byte-identical trace.
//
// The format is documented in docs/trace-format.md at the repository root.
package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Format is the value of the "format" field of every trace.
const Format = "raftlab-trace"

// Version is the trace format version this package reads and writes. A
// reader refuses other versions with a clear error rather than guessing.
const Version = 1

// Trace is one run.
type Trace struct {
	Format  string  `json:"format"`
	Version int     `json:"version"`
	Header  Header  `json:"header"`
	Events  []Event `json:"events"`
	States  []State `json:"states"`
	Result  Result  `json:"result"`
}

// Header says what ran: enough to replay it.
type Header struct {
	Implementation string `json:"implementation"`
	Scenario       string `json:"scenario"`
	Seed           uint64 `json:"seed"`
	Nodes          int    `json:"nodes"`
	Replay         string `json:"replay,omitempty"` // the command that replays this run
	Config         Config `json:"config"`
}

// Config is the world's configuration at the start of the run. Faults that a
// scenario injects later appear as events.
type Config struct {
	TickMicros      int64   `json:"tick_us"`
	ClockSkew       float64 `json:"clock_skew"`
	TickPhase       string  `json:"tick_phase"` // "lockstep" or "offset"
	DropRate        float64 `json:"drop_rate"`
	DupRate         float64 `json:"dup_rate"`
	DelayMinMicros  int64   `json:"delay_min_us"`
	DelayMaxMicros  int64   `json:"delay_max_us"`
	LongDelayRate   float64 `json:"long_delay_rate"`
	LongDelayMicros int64   `json:"long_delay_max_us"`
	SnapshotEvery   int     `json:"snapshot_every"`
}

// Event kinds.
const (
	KindSend      = "send"      // a node sent a message (Fault says if the network dropped, cut or duplicated it)
	KindDeliver   = "deliver"   // a message reached its destination and ran a turn there
	KindDiscard   = "discard"   // a message arrived but nobody could take it (crashed node, dead incarnation)
	KindStart     = "start"     // the client called Start on a node
	KindApply     = "apply"     // a node applied a command or a snapshot to its service
	KindSnapshot  = "snapshot"  // the service asked its node to snapshot through an index
	KindCrash     = "crash"     // a node crashed
	KindRestart   = "restart"   // a node restarted from its saved state
	KindPause     = "pause"     // a node stopped receiving ticks and messages
	KindResume    = "resume"    // a paused node resumed
	KindPartition = "partition" // the network's shape changed (Detail describes the cut)
	KindHeal      = "heal"      // every link restored
	KindNetwork   = "network"   // the network's fault rates changed (Detail)
	KindNote      = "note"      // a scenario's own annotation
	KindFailure   = "failure"   // a checker fired; the run stops here
)

// Event is one thing that happened. Node is where it happened (-1 for the
// world as a whole); Peer the other end of a message (-1 if none).
type Event struct {
	T      int64  `json:"t"` // simulated time in microseconds
	Kind   string `json:"kind"`
	Node   int    `json:"node"`
	Peer   int    `json:"peer"`
	Msg    string `json:"msg,omitempty"`   // message summary, e.g. "AppendEntries t=3 prev=4/2 n=2 commit=4"
	Fault  string `json:"fault,omitempty"` // "drop", "cut", "dup", "long-delay"
	Detail string `json:"detail,omitempty"`
}

// State is a node's state after a turn that changed it (as Inspect
// reported it), or at a crash or restart.
type State struct {
	T             int64  `json:"t"`
	Seq           int    `json:"seq"` // how many events precede this state: it follows events[seq-1]
	Node          int    `json:"node"`
	Up            bool   `json:"up"`
	Role          string `json:"role"`
	Term          int    `json:"term"`
	VotedFor      int    `json:"voted_for"`
	LastIndex     int    `json:"last_index"`
	LastTerm      int    `json:"last_term"`
	CommitIndex   int    `json:"commit"`
	LastApplied   int    `json:"applied"`
	SnapshotIndex int    `json:"snapshot_index"`
	SnapshotTerm  int    `json:"snapshot_term"`
}

// Result is the run's verdict.
type Result struct {
	OK      bool     `json:"ok"`
	Failure *Failure `json:"failure,omitempty"`
	EndT    int64    `json:"end_t"` // simulated time at the end of the run, microseconds
	Hash    string   `json:"hash"`  // the run's determinism hash
}

// Failure is what a checker found.
type Failure struct {
	Kind    string `json:"kind"` // safety, liveness, panic, hang, contract, scenario, nondeterminism
	Rule    string `json:"rule"`
	Paper   string `json:"paper,omitempty"`
	Message string `json:"message"`
	Nodes   []int  `json:"nodes,omitempty"`
	Terms   []int  `json:"terms,omitempty"`
	Indexes []int  `json:"indexes,omitempty"`
	T       int64  `json:"t"`
}

// Encode writes t as indented JSON. The output is a pure function of t.
func Encode(w io.Writer, t *Trace) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(t); err != nil {
		return fmt.Errorf("encode trace: %w", err)
	}
	return nil
}

// Marshal returns the bytes Encode would write.
func Marshal(t *Trace) ([]byte, error) {
	var b bytes.Buffer
	if err := Encode(&b, t); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ErrNotTrace is wrapped by Decode's error when the input is JSON but not a
// raftlab trace.
var ErrNotTrace = errors.New("not a raftlab trace")

// Decode reads a trace, refusing input that is not a raftlab trace of this
// Version. Its errors say what is wrong and where.
func Decode(r io.Reader) (*Trace, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var t Trace
	if err := dec.Decode(&t); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("trace is not valid JSON (at byte %d): %w", se.Offset, err)
		}
		return nil, fmt.Errorf("read trace: %w", err)
	}
	if t.Format != Format {
		return nil, fmt.Errorf("%w: its \"format\" field is %q, want %q", ErrNotTrace, t.Format, Format)
	}
	if t.Version != Version {
		return nil, fmt.Errorf("trace format version %d is not supported by this build (it reads version %d); regenerate the trace with this build or use a matching raftlab", t.Version, Version)
	}
	for i, e := range t.Events {
		if e.Node < -1 || e.Node >= t.Header.Nodes || e.Peer < -1 || e.Peer >= t.Header.Nodes {
			return nil, fmt.Errorf("trace event %d (%s at t=%dus) names node %d/peer %d, but the cluster has %d nodes", i, e.Kind, e.T, e.Node, e.Peer, t.Header.Nodes)
		}
		if i > 0 && e.T < t.Events[i-1].T {
			return nil, fmt.Errorf("trace event %d goes back in time (t=%dus after t=%dus)", i, e.T, t.Events[i-1].T)
		}
	}
	return &t, nil
}

// ReadFile decodes the trace in the named file.
func ReadFile(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError already names the file and the operation
	}
	t, err := Decode(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// WriteFile encodes t into the named file.
func WriteFile(path string, t *Trace) error {
	b, err := Marshal(t)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write trace: %w", err)
	}
	return nil
}

// Package trace defines raftlab's trace: the versioned JSON document that
// records one simulated run (header with the build, typed events, node
// states over time and the verdict). It is the single input of the visual
// replay in the browser, of the terminal viewer (package traceview) and of
// any grader, and its bytes prove determinism: the same build,
// implementation, scenario and seed give a byte-identical trace.
//
// Events hold numbers and enums, never text to parse back: a message is a
// Message with its fields, a partition lists its groups, a lost message
// names its Reason. The text people read (Event.String, Message.String) is
// derived from those fields.
//
// The format is documented in docs/trace-format.md at the repository root,
// and docs/trace.schema.json is its JSON Schema.
package trace

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// Format is the value of the "format" field of every trace.
const Format = "raftlab-trace"

// Version is the trace format version this package reads and writes. A
// reader refuses other versions with a clear error rather than guessing.
const Version = 2

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
	Build          Build  `json:"build"`
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
	KindSend      = "send"      // a node sent a message (Reason says if it was lost, Fault if the network interfered otherwise)
	KindDeliver   = "deliver"   // a message reached its destination and ran a turn there
	KindDiscard   = "discard"   // a message arrived but nobody could take it (Reason says why)
	KindStart     = "start"     // the client called Start on a node (Index, Term)
	KindApply     = "apply"     // a node applied a command (Index, Term) or a snapshot (Snapshot)
	KindSnapshot  = "snapshot"  // the service asked its node to snapshot through Index
	KindCrash     = "crash"     // a node crashed
	KindRestart   = "restart"   // a node restarted from its saved state
	KindPause     = "pause"     // a node stopped receiving ticks and messages
	KindResume    = "resume"    // a paused node resumed
	KindPartition = "partition" // links were cut: Groups, an isolated Node, or the one-way link Node→Peer
	KindHeal      = "heal"      // links were restored: all, Node's, or the one-way link Node→Peer
	KindNetwork   = "network"   // the network's fault rates changed (Net)
	KindNote      = "note"      // a scenario's own annotation (Text)
	KindFailure   = "failure"   // a checker fired (Rule); the run stops here
)

// Kinds lists every event kind, in the order of the constants.
var Kinds = []string{KindSend, KindDeliver, KindDiscard, KindStart, KindApply, KindSnapshot,
	KindCrash, KindRestart, KindPause, KindResume, KindPartition, KindHeal, KindNetwork, KindNote, KindFailure}

// Faults: what the network or the scenario did to a sent message that
// still travels (Event.Fault of a send).
const (
	FaultDup       = "dup"        // delivered twice
	FaultLongDelay = "long-delay" // delayed far beyond the usual range: may arrive after later messages
	FaultScripted  = "scripted"   // a scenario's interceptor fixed its delay or duplicated it (Text says how)
)

// Reasons: why a message was lost (Event.Reason of a send) or why nobody
// took it on arrival (of a discard).
const (
	ReasonLoss     = "loss"              // send: the network's random loss
	ReasonCut      = "cut"               // send: the link sender→destination was cut; discard: cut while in flight
	ReasonScenario = "scenario"          // send: a scenario's interceptor dropped it
	ReasonCrashed  = "crashed"           // discard: the destination was down
	ReasonStale    = "stale-incarnation" // discard: a reply to an incarnation that has crashed since it made the call
)

// Event is one thing that happened. Node is where it happened (-1 for the
// world as a whole); Peer the other end of a message or link (-1 if none).
// Which other fields are set depends on Kind (see the Kind* constants and
// docs/trace-format.md); MarshalJSON writes exactly those.
type Event struct {
	T    int64  `json:"t"` // simulated time in microseconds
	Kind string `json:"kind"`
	Node int    `json:"node"`
	Peer int    `json:"peer"`

	Msg    *Message `json:"msg,omitempty"`    // send, deliver, discard
	Fault  string   `json:"fault,omitempty"`  // send: a Fault* constant
	Reason string   `json:"reason,omitempty"` // send (lost), discard: a Reason* constant

	Index    int  `json:"index,omitempty"`    // start, apply, snapshot
	Term     int  `json:"term,omitempty"`     // start, apply
	Snapshot bool `json:"snapshot,omitempty"` // apply: a snapshot through Index/Term, not a command

	Groups [][]int  `json:"groups,omitempty"` // partition of the world: every group, each node in one
	Net    *Network `json:"net,omitempty"`    // network: the new fault rates
	Text   string   `json:"text,omitempty"`   // note; a scripted fault's description
	Rule   string   `json:"rule,omitempty"`   // failure: the rule that was broken
}

// Message kinds: the names of wire.Kind.
const (
	MsgRequestVote          = "RequestVote"
	MsgRequestVoteReply     = "RequestVoteReply"
	MsgAppendEntries        = "AppendEntries"
	MsgAppendEntriesReply   = "AppendEntriesReply"
	MsgInstallSnapshot      = "InstallSnapshot"
	MsgInstallSnapshotReply = "InstallSnapshotReply"
)

// MsgKinds lists the message kinds in wire.Kind's order.
var MsgKinds = []string{MsgRequestVote, MsgRequestVoteReply, MsgAppendEntries, MsgAppendEntriesReply,
	MsgInstallSnapshot, MsgInstallSnapshotReply}

// Message is an RPC request or reply with the fields of its kind (the
// others are zero). Term is the sender's term.
//
// Call pairs a reply with its request: the requester numbers its calls
// (from 1, per incarnation), a request carries its number and the reply
// carries it back. So a reply from B to A with call c answers A's latest
// request to B with call c. 0 means not recorded (a trace written before
// calls were; such a trace still reads).
type Message struct {
	Kind string `json:"kind"`
	Term int    `json:"term"`
	Call uint64 `json:"call,omitempty"`

	Candidate    int  `json:"candidate,omitempty"`      // RequestVote
	LastLogIndex int  `json:"last_log_index,omitempty"` // RequestVote
	LastLogTerm  int  `json:"last_log_term,omitempty"`  // RequestVote
	PreVote      bool `json:"prevote,omitempty"`        // RequestVote and its reply
	Granted      bool `json:"granted,omitempty"`        // RequestVoteReply

	PrevLogIndex int `json:"prev_log_index,omitempty"` // AppendEntries
	PrevLogTerm  int `json:"prev_log_term,omitempty"`  // AppendEntries
	Entries      int `json:"entries,omitempty"`        // AppendEntries: how many (0: a heartbeat)
	LeaderCommit int `json:"leader_commit,omitempty"`  // AppendEntries

	Success bool `json:"success,omitempty"` // AppendEntriesReply
	XTerm   int  `json:"xterm,omitempty"`   // AppendEntriesReply, when not Success
	XIndex  int  `json:"xindex,omitempty"`  // AppendEntriesReply, when not Success
	XLen    int  `json:"xlen,omitempty"`    // AppendEntriesReply, when not Success

	LastIncludedIndex int `json:"last_included_index,omitempty"` // InstallSnapshot
	LastIncludedTerm  int `json:"last_included_term,omitempty"`  // InstallSnapshot
	Bytes             int `json:"bytes,omitempty"`               // InstallSnapshot: the snapshot's size
}

// Network is the network's fault rates (a network event).
type Network struct {
	DropRate        float64 `json:"drop_rate"`
	DupRate         float64 `json:"dup_rate"`
	DelayMinMicros  int64   `json:"delay_min_us"`
	DelayMaxMicros  int64   `json:"delay_max_us"`
	LongDelayRate   float64 `json:"long_delay_rate"`
	LongDelayMicros int64   `json:"long_delay_max_us"`
}

// Equal reports whether e and o are the same event.
func (e *Event) Equal(o *Event) bool {
	return e.T == o.T && e.Kind == o.Kind && e.Node == o.Node && e.Peer == o.Peer &&
		ptrEqual(e.Msg, o.Msg) && e.Fault == o.Fault && e.Reason == o.Reason &&
		e.Index == o.Index && e.Term == o.Term && e.Snapshot == o.Snapshot &&
		slices.EqualFunc(e.Groups, o.Groups, slices.Equal) && ptrEqual(e.Net, o.Net) &&
		e.Text == o.Text && e.Rule == o.Rule
}

func ptrEqual[T comparable](a, b *T) bool {
	return a == b || a != nil && b != nil && *a == *b
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

	// A leader's nextIndex and matchIndex, one per node by id, as its
	// Inspect reported them (raftapi.NodeState): absent for other roles
	// and for an implementation that leaves them nil. The leader's own
	// entries are whatever it reported. A state that differs from the
	// node's previous one only here was recorded because they changed.
	NextIndex  Indexes `json:"next_index,omitzero"`
	MatchIndex Indexes `json:"match_index,omitzero"`
}

// Indexes is a list of log indexes, one per node: a comparable value (two
// lists are == when their elements are), so that a State stays comparable
// and two runs' states compare with ==. The zero value is the empty list.
// In JSON it is an array of integers.
type Indexes struct {
	packed string // the elements as varints
}

// NewIndexes returns the list v (copied).
func NewIndexes(v []int) Indexes {
	var b []byte
	for _, x := range v {
		b = binary.AppendVarint(b, int64(x))
	}
	return Indexes{packed: string(b)}
}

// Ints returns the elements (nil for the empty list).
func (x Indexes) Ints() []int {
	var v []int
	for s := x.packed; len(s) > 0; {
		n, k := binary.Varint([]byte(s))
		if k <= 0 { // NewIndexes wrote it; it cannot be malformed
			break
		}
		v = append(v, int(n))
		s = s[k:]
	}
	return v
}

// IsZero reports whether the list is empty.
func (x Indexes) IsZero() bool { return x.packed == "" }

// MarshalJSON writes the list as an array of integers.
func (x Indexes) MarshalJSON() ([]byte, error) {
	v := x.Ints()
	if v == nil {
		v = []int{}
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads an array of integers.
func (x *Indexes) UnmarshalJSON(b []byte) error {
	var v []int
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("a list of indexes: %w", err)
	}
	*x = NewIndexes(v)
	return nil
}

// Result is the run's verdict.
type Result struct {
	OK      bool     `json:"ok"`
	Failure *Failure `json:"failure,omitempty"`
	EndT    int64    `json:"end_t"` // simulated time at the end of the run, microseconds
	Hash    string   `json:"hash"`  // the run's determinism hash (independent of Header.Build)
}

// Failure is what a checker found.
type Failure struct {
	Kind    string `json:"kind"` // safety, liveness, panic, hang, contract, scenario, nondeterminism, internal
	Rule    string `json:"rule"`
	Paper   string `json:"paper,omitempty"`
	Message string `json:"message"`
	Nodes   []int  `json:"nodes,omitempty"`
	Terms   []int  `json:"terms,omitempty"`
	Indexes []int  `json:"indexes,omitempty"`
	T       int64  `json:"t"`
}

// Encode writes t as JSON: the header and the result indented, and each
// event and state on a line of its own, which keeps large traces compact
// and still readable and diffable line by line. The output is a pure
// function of t.
func Encode(w io.Writer, t *Trace) error {
	var b bytes.Buffer
	b.WriteString("{\n")
	field := func(name string, v any, last bool) error {
		j, err := json.MarshalIndent(v, " ", " ")
		if err != nil {
			return fmt.Errorf("encode trace %s: %w", name, err)
		}
		fmt.Fprintf(&b, " %q: %s", name, j)
		if !last {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
		return nil
	}
	if err := field("format", t.Format, false); err != nil {
		return err
	}
	if err := field("version", t.Version, false); err != nil {
		return err
	}
	if err := field("header", t.Header, false); err != nil {
		return err
	}
	if err := lines(&b, "events", t.Events); err != nil {
		return err
	}
	if err := lines(&b, "states", t.States); err != nil {
		return err
	}
	if err := field("result", t.Result, true); err != nil {
		return err
	}
	b.WriteString("}\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("encode trace: %w", err)
	}
	return nil
}

// lines writes "name": [ ... ], with one compact element a line.
func lines[T any](b *bytes.Buffer, name string, xs []T) error {
	fmt.Fprintf(b, " %q: [", name)
	for i := range xs {
		j, err := json.Marshal(&xs[i])
		if err != nil {
			return fmt.Errorf("encode trace %s[%d]: %w", name, i, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n  ")
		b.Write(j)
	}
	if len(xs) > 0 {
		b.WriteString("\n ")
	}
	b.WriteString("],\n")
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

// ErrVersion is wrapped by Decode's error when the input is a raftlab
// trace of another format version.
var ErrVersion = errors.New("unsupported trace format version")

// Decode reads a trace, refusing input that is not a raftlab trace of this
// Version. Its errors say what is wrong and where.
func Decode(r io.Reader) (*Trace, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the trace is empty (was its run cut short before the trace was written?)")
	}
	// The format and version first, leniently: a trace of another version
	// must get the version error, not a complaint about a field it has.
	var probe struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
		Header  struct {
			Replay string `json:"replay"`
		} `json:"header"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("trace is not valid JSON (at byte %d): %w", se.Offset, err)
		}
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("read trace: %w", err)
		}
	}
	if probe.Format != Format {
		return nil, fmt.Errorf("%w: its \"format\" field is %q, want %q", ErrNotTrace, probe.Format, Format)
	}
	if probe.Version != Version {
		how := "re-run the test or command that wrote it with this build of raftlab to get a version " + fmt.Sprint(Version) + " trace"
		if probe.Header.Replay != "" {
			how += fmt.Sprintf(" (its replay command: %s)", probe.Header.Replay)
		}
		return nil, fmt.Errorf("%w: this trace has format version %d, and this build of raftlab reads only version %d: %s, or read it with the raftlab that wrote it",
			ErrVersion, probe.Version, Version, how)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t Trace
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	for i := range t.Events {
		e := &t.Events[i]
		if e.Node < -1 || e.Node >= t.Header.Nodes || e.Peer < -1 || e.Peer >= t.Header.Nodes {
			return nil, fmt.Errorf("trace event %d (%s at t=%dus) names node %d/peer %d, but the cluster has %d nodes", i, e.Kind, e.T, e.Node, e.Peer, t.Header.Nodes)
		}
		if i > 0 && e.T < t.Events[i-1].T {
			return nil, fmt.Errorf("trace event %d goes back in time (t=%dus after t=%dus)", i, e.T, t.Events[i-1].T)
		}
		for _, g := range e.Groups {
			for _, n := range g {
				if n < 0 || n >= t.Header.Nodes {
					return nil, fmt.Errorf("trace event %d (%s at t=%dus) has node %d in a group, but the cluster has %d nodes", i, e.Kind, e.T, n, t.Header.Nodes)
				}
			}
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

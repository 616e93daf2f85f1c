package sandbox

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/trace"
)

// maxLog is how many log entries of a node the state shows: the last ones.
const maxLog = 200

// State is what the page draws: every node, the messages in flight, the
// recent events, the failure if any, and what re-creates the world.
type State struct {
	NowUs    int64         `json:"now_us"`
	Events   int64         `json:"events"` // events run so far
	Nodes    []NodeView    `json:"nodes"`
	InFlight []Flight      `json:"in_flight"`
	Recent   []trace.Event `json:"recent"` // the last ≤ 200 events, trace v2
	Failure  *FailureView  `json:"failure"`
	// Hash is a hash of the run so far (every event and state change,
	// the clock and the event count): equal hashes, same run.
	Hash      string   `json:"hash"`
	Actions   []Action `json:"actions"`
	Truncated bool     `json:"truncated"` // the last Advance stopped at its bound of events
	Stopped   bool     `json:"stopped"`   // a failure stopped the world

	Implementation string   `json:"implementation"`
	Config         Config   `json:"config"` // without the actions (they are above)
	Outcome        *Outcome `json:"outcome,omitempty"`
}

// NodeView is one node as the page draws it.
type NodeView struct {
	ID       int    `json:"id"`
	Up       bool   `json:"up"`
	Paused   bool   `json:"paused"`
	Role     string `json:"role"` // leader, candidate, follower (a crashed node: follower)
	Term     int    `json:"term"`
	VotedFor int    `json:"voted_for"` // -1: none
	// Log is [index, term] per entry after the snapshot: all of them, or
	// the last 200, starting at LogFrom.
	Log           [][2]int `json:"log"`
	LogFrom       int      `json:"log_from"`
	LastIndex     int      `json:"last_index"`
	LastTerm      int      `json:"last_term"`
	Commit        int      `json:"commit"`
	Applied       int      `json:"applied"` // the service's last applied index
	SnapshotIndex int      `json:"snapshot_index"`
	SnapshotTerm  int      `json:"snapshot_term"`
	Next          []int    `json:"next,omitempty"`  // leader only
	Match         []int    `json:"match,omitempty"` // leader only
}

// Flight is one message in flight.
type Flight struct {
	Kind     string         `json:"kind"`
	From     int            `json:"from"`
	To       int            `json:"to"`
	SentUs   int64          `json:"sent_us"` // -1 if the send is older than the recent events
	ArriveUs int64          `json:"arrive_us"`
	Summary  string         `json:"summary"`
	Msg      *trace.Message `json:"msg"`
}

// FailureView is a failure as the page shows it.
type FailureView struct {
	Kind    string `json:"kind"`
	Rule    string `json:"rule"`
	Paper   string `json:"paper"`
	Message string `json:"message"`
	Nodes   []int  `json:"nodes"`
	Terms   []int  `json:"terms"`
	Indexes []int  `json:"indexes"`
	AtUs    int64  `json:"at_us"`
}

func failureView(f *sim.Failure) *FailureView {
	if f == nil {
		return nil
	}
	return &FailureView{Kind: f.Kind, Rule: f.Rule, Paper: f.Paper, Message: f.Message,
		Nodes: orEmpty(f.Nodes), Terms: orEmpty(f.Terms), Indexes: orEmpty(f.Indexes), AtUs: f.At.Microseconds()}
}

func orEmpty(xs []int) []int {
	if xs == nil {
		return []int{}
	}
	return xs
}

// State reads the world. While it runs, the read happens on the
// cluster's goroutine; once a failure stopped it, from what the
// simulator left (a world stopped by a hang keeps its last state read:
// the hung goroutine still holds the cluster).
func (w *World) State() *State {
	var st *State
	if !w.closed && w.do(func(c *sim.Cluster) { st = readState(c) }) {
		w.last = st
	} else {
		switch {
		case w.closed || w.res == nil:
			st = w.last
		case w.res.Failure != nil && w.res.Failure.Kind == sim.KindHang:
			st = w.last
			if st == nil {
				st = &State{Nodes: []NodeView{}}
			}
			cp := *st
			st = &cp
		case w.c == nil: // the world failed while booting, before the scenario ran
			st = bootFailure(w.cfg.Nodes, w.res)
		default:
			st = readState(w.c) // the scenario's goroutine has ended
		}
		if st == nil {
			st = &State{Nodes: []NodeView{}}
		}
		if w.res != nil && w.res.Failure != nil {
			st.Failure = failureView(w.res.Failure)
			st.Stopped = true
		}
	}
	st.Actions = w.Actions()
	if st.Actions == nil {
		st.Actions = []Action{}
	}
	st.Truncated = w.truncated
	st.Implementation = w.impl.Name
	st.Config = w.cfg
	return st
}

// bootFailure is the state of a world that failed while booting: the
// simulator's result is all there is.
func bootFailure(n int, res *sim.Result) *State {
	st := &State{NowUs: res.End.Microseconds(), Events: res.Stats.Events, Nodes: make([]NodeView, n),
		InFlight: []Flight{}, Recent: []trace.Event{}, Hash: fmt.Sprintf("%016x", res.Hash)}
	for i := range st.Nodes {
		st.Nodes[i] = NodeView{ID: i, Up: true, Role: raftapi.Follower.String(), VotedFor: raftapi.None, Log: [][2]int{}, LogFrom: 1}
	}
	return st
}

func readState(c *sim.Cluster) *State {
	st := &State{NowUs: c.Now().Microseconds(), Events: c.Stats().Events, Nodes: make([]NodeView, c.N())}
	for i := range c.N() {
		s := c.State(i)
		v := NodeView{ID: i, Up: c.Up(i), Paused: c.Up(i) && c.Paused(i), Role: s.Role.String(), Term: s.Term, VotedFor: s.VotedFor,
			LastIndex: s.LastIndex, LastTerm: s.LastTerm, Commit: s.CommitIndex, Applied: c.LastApplied(i),
			SnapshotIndex: s.SnapshotIndex, SnapshotTerm: s.SnapshotTerm}
		if s.Role == raftapi.Leader && v.Up {
			v.Next, v.Match = s.NextIndex, s.MatchIndex
		}
		first, terms := c.Log(i)
		if len(terms) > maxLog {
			first += len(terms) - maxLog
			terms = terms[len(terms)-maxLog:]
		}
		v.LogFrom = first
		v.Log = make([][2]int, len(terms))
		for k, t := range terms {
			v.Log[k] = [2]int{first + k, t}
		}
		st.Nodes[i] = v
	}
	st.InFlight = []Flight{}
	for _, m := range c.InFlight() {
		st.InFlight = append(st.InFlight, Flight{Kind: m.Message.Kind, From: m.From, To: m.To,
			SentUs: usOrUnknown(m.Sent), ArriveUs: m.Arrive.Microseconds(), Summary: m.Summary, Msg: m.Message})
	}
	st.Recent = c.Recent()
	st.Failure = failureView(c.Failed())
	st.Stopped = st.Failure != nil
	h := fnv.New64a()
	var buf [24]byte
	binary.LittleEndian.PutUint64(buf[0:], c.Hash())
	binary.LittleEndian.PutUint64(buf[8:], uint64(c.Now()))
	binary.LittleEndian.PutUint64(buf[16:], uint64(c.Stats().Events))
	_, _ = h.Write(buf[:]) // a hash.Hash never fails to write
	st.Hash = fmt.Sprintf("%016x", h.Sum64())
	return st
}

func usOrUnknown(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return d.Microseconds()
}

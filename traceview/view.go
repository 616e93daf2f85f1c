// Package traceview renders a raftlab trace (package trace) for a
// terminal: a timeline with one column per node, or a table of node states
// over time, with filters by node, kind and time. It reads the trace's
// typed fields; cmd/raftview is its command line. It lives apart from the
// format so that the browser, the grader and the Worker, which need only
// the format, do not carry a terminal renderer.
package traceview

import (
	"errors"
	"fmt"
	"github.com/raftlab/raftlab/trace"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Options says what View prints and how. The zero value prints every
// event and state change at DefaultWidth columns, without colour.
type Options struct {
	// Width is the width of every line, in terminal columns. 0 means
	// DefaultWidth.
	Width int
	// Color turns on ANSI colours (role colours, faults in red, the
	// failure in bold red).
	Color bool

	// Nodes keeps only events involving these nodes, as actor or as peer,
	// and their state changes. World events (node -1: partitions, heals,
	// network changes, notes, the failure) are always kept. Empty: all.
	Nodes []int
	// Kinds keeps only events of these kinds (the Kind* constants, and
	// KindState for state changes). Empty: all kinds.
	Kinds []string
	// Hide drops events of these kinds, after Kinds.
	Hide []string
	// From and To keep only what happened in [From, To] of simulated
	// time. To == 0 means until the end.
	From, To time.Duration
	// Last keeps only the last Last rows that pass the other filters.
	// 0 means all.
	Last int

	// States prints the table of node states over time instead of the
	// event timeline. Nodes, From, To and Last apply to it too.
	States bool
	// Raw prints message summaries as recorded instead of abbreviated.
	Raw bool
}

// DefaultWidth is the line width View uses when Options.Width is 0.
const DefaultWidth = 160

// KindState is the pseudo event kind of a state change in
// Options.Kinds and Hide.
const KindState = "state"

// Kinds lists the kinds Options.Kinds and Hide accept: every event
// kind, and KindState.
var Kinds = append(slices.Clone(trace.Kinds), KindState)

// ErrOption is wrapped by View's error when an option does not make
// sense (an unknown kind, a node the trace does not have, an empty window).
var ErrOption = errors.New("bad view option")

// View prints t for a terminal: a header saying what ran, then one row per
// event and state change in a time column and one fixed-width column per
// node (sends in the sender's column, deliveries in the receiver's; world
// events span the row), then the verdict. With o.States it prints the
// table of node states instead of the events. Every line fits in o.Width.
func View(w io.Writer, t *trace.Trace, o Options) error {
	if t == nil {
		return errors.New("no trace")
	}
	if err := o.check(t); err != nil {
		return err
	}
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
	v := &viewer{t: t, o: o, n: max(t.Header.Nodes, 0)}
	var b strings.Builder
	v.b = &b
	v.header()
	if o.States {
		v.stateTable()
	} else {
		v.timeline()
	}
	v.footer()
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *Options) check(t *trace.Trace) error {
	for _, k := range append(slices.Clone(o.Kinds), o.Hide...) {
		if !slices.Contains(Kinds, k) {
			return fmt.Errorf("%w: unknown kind %q (kinds: %s)", ErrOption, k, strings.Join(Kinds, ", "))
		}
	}
	for _, n := range o.Nodes {
		if n < 0 || n >= t.Header.Nodes {
			return fmt.Errorf("%w: node %d is not in this trace (it has nodes 0 to %d)", ErrOption, n, t.Header.Nodes-1)
		}
	}
	if o.From < 0 || o.To < 0 || o.To != 0 && o.To < o.From {
		return fmt.Errorf("%w: the time window %s to %s is empty", ErrOption, o.From, o.To)
	}
	if o.Last < 0 {
		return fmt.Errorf("%w: last %d is negative", ErrOption, o.Last)
	}
	return nil
}

// ---- rows: events and state changes in one ordered list ----

// row is one line of the timeline: an event, or a state change (st).
type row struct {
	t    int64
	ev   *trace.Event
	st   *trace.State
	prev *trace.State // the node's previous state, nil for its first
}

// rows merges events and states in time order. The trace records a state
// after the turn that changed it but does not say which of the events of
// the same microsecond that turn was. The events of one node at one time
// split into turns at each event that starts a turn (a delivery, Start,
// Snapshot, a crash or restart; events before the first one belong to a
// tick). When there are as many states as turns, each state follows its
// turn; otherwise the states follow the node's last event at that time, or
// every event up to their time when the node has none.
func (v *viewer) rows() []row {
	evs, sts := v.t.Events, v.t.States
	type at struct {
		node int
		t    int64
	}
	turns := map[at][]int{} // the index of each turn's last event
	for i := range evs {
		e := &evs[i]
		if e.Node < 0 {
			continue
		}
		k := at{e.Node, e.T}
		switch ends := turns[k]; {
		case len(ends) == 0 || startsTurn(e.Kind):
			turns[k] = append(ends, i)
		default:
			ends[len(ends)-1] = i
		}
	}
	states := map[at][]int{}
	for i := range sts {
		k := at{sts[i].Node, sts[i].T}
		states[k] = append(states[k], i)
	}
	after := make([]int, len(sts)) // index of the event the state follows, -1 for none
	j := 0
	for i := range sts {
		s := &sts[i]
		for j < len(evs) && evs[j].T <= s.T {
			j++
		}
		after[i] = j - 1
		k := at{s.Node, s.T}
		ends := turns[k]
		if len(ends) == 0 {
			continue
		}
		after[i] = ends[len(ends)-1]
		if ss := states[k]; len(ss) == len(ends) {
			after[i] = ends[slices.Index(ss, i)]
		}
	}
	order := make([]int, len(sts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return after[a] - after[b] })

	out := make([]row, 0, len(evs)+len(sts))
	last := map[int]*trace.State{}
	k := 0
	emitStates := func(upTo int) {
		for ; k < len(order) && after[order[k]] <= upTo; k++ {
			s := &sts[order[k]]
			out = append(out, row{t: s.T, st: s, prev: last[s.Node]})
			last[s.Node] = s
		}
	}
	emitStates(-1)
	for i := range evs {
		out = append(out, row{t: evs[i].T, ev: &evs[i]})
		emitStates(i)
	}
	emitStates(len(evs))
	return out
}

func startsTurn(kind string) bool {
	switch kind {
	case trace.KindDeliver, trace.KindStart, trace.KindSnapshot, trace.KindCrash, trace.KindRestart:
		return true
	}
	return false
}

func (v *viewer) keep(r *row) bool {
	o := &v.o
	if r.t < o.From.Microseconds() || o.To > 0 && r.t > o.To.Microseconds() {
		return false
	}
	kind := KindState
	if r.ev != nil {
		kind = r.ev.Kind
	}
	if len(o.Kinds) > 0 && !slices.Contains(o.Kinds, kind) || slices.Contains(o.Hide, kind) {
		return false
	}
	if len(o.Nodes) > 0 {
		if r.st != nil {
			return slices.Contains(o.Nodes, r.st.Node)
		}
		e := r.ev
		return e.Node < 0 && e.Peer < 0 || slices.Contains(o.Nodes, e.Node) || slices.Contains(o.Nodes, e.Peer)
	}
	return true
}

// ---- the viewer ----

type viewer struct {
	t *trace.Trace
	o Options
	n int
	b *strings.Builder

	timeW, colW int
	show        []bool // the node columns shown
	shown       int    // rows printed
	total       int    // rows before filtering
}

const (
	sgrReset   = "\x1b[0m"
	sgrBold    = "\x1b[1m"
	sgrDim     = "\x1b[2m"
	sgrRed     = "\x1b[31m"
	sgrGreen   = "\x1b[32m"
	sgrYellow  = "\x1b[33m"
	sgrBlue    = "\x1b[34m"
	sgrMagenta = "\x1b[35m"
	sgrCyan    = "\x1b[36m"
	sgrBoldRed = "\x1b[1;31m"
	sgrLeader  = "\x1b[1;32m"
)

// paint wraps s in an SGR sequence when colour is on.
func (v *viewer) paint(style, s string) string {
	if !v.o.Color || style == "" || s == "" {
		return s
	}
	return style + s + sgrReset
}

// line writes one line, truncated to the width (s must be plain text).
func (v *viewer) line(style, s string) {
	v.b.WriteString(v.paint(style, fit(s, v.o.Width)))
	v.b.WriteByte('\n')
}

// para writes s word-wrapped to the width after a first-line lead, every
// later line indented as much.
func (v *viewer) para(style, lead, s string) {
	indent := strings.Repeat(" ", utf8.RuneCountInString(lead))
	for i, l := range wrap(s, v.o.Width-len(indent)) {
		if i == 0 {
			v.line(style, lead+l)
		} else {
			v.line(style, indent+l)
		}
	}
}

func (v *viewer) header() {
	h := &v.t.Header
	c := &h.Config
	v.line(sgrBold, fmt.Sprintf("raftlab trace · %s · scenario %s · seed %d · %d nodes",
		orDash(h.Implementation), orDash(h.Scenario), h.Seed, h.Nodes))
	if h.Replay != "" {
		v.line("", "replay:  "+clean(h.Replay))
	}
	net := fmt.Sprintf("network: delay %s–%s", us(c.DelayMinMicros), us(c.DelayMaxMicros))
	if c.DropRate > 0 {
		net += fmt.Sprintf(", drop %g", c.DropRate)
	}
	if c.DupRate > 0 {
		net += fmt.Sprintf(", dup %g", c.DupRate)
	}
	if c.LongDelayRate > 0 {
		net += fmt.Sprintf(", long delays %g up to %s", c.LongDelayRate, us(c.LongDelayMicros))
	}
	net += fmt.Sprintf(" · tick %s %s", us(c.TickMicros), clean(c.TickPhase))
	if c.ClockSkew > 0 {
		net += fmt.Sprintf(" skew ±%g", c.ClockSkew)
	}
	if c.SnapshotEvery > 0 {
		net += fmt.Sprintf(" · snapshot every %d", c.SnapshotEvery)
	}
	v.line(sgrDim, net)
	if b := build(&h.Build); b != "" {
		v.line(sgrDim, "build:   "+b)
	}
}

// build says which build wrote the trace, in one line.
func build(b *trace.Build) string {
	var parts []string
	if b.Module != "" {
		parts = append(parts, strings.TrimSpace(clean(b.Module+" "+b.Version)))
	}
	if b.Revision != "" {
		rev := "rev " + clean(b.Revision)
		if b.Modified {
			rev += " (modified)"
		}
		parts = append(parts, rev)
	}
	if b.Go != "" {
		parts = append(parts, clean(b.Go+" "+b.OS+"/"+b.Arch))
	}
	return strings.Join(parts, " · ")
}

func (v *viewer) footer() {
	r := &v.t.Result
	v.line(sgrDim, strings.Repeat("─", v.o.Width))
	if f := r.Failure; f != nil {
		where := f.Kind
		if f.Rule != "" {
			where += " · " + f.Rule
		}
		if f.Paper != "" {
			where += " (" + f.Paper + ")"
		}
		v.line(sgrBoldRed, fmt.Sprintf("FAILED at %s: %s", fmtT(f.T), clean(where)))
		for _, l := range strings.Split(strings.TrimSpace(f.Message), "\n") {
			if strings.TrimSpace(l) != "" {
				v.para(sgrRed, "  ", clean(l))
			}
		}
		var about []string
		if len(f.Nodes) > 0 {
			about = append(about, "nodes "+nodeList(f.Nodes))
		}
		if len(f.Terms) > 0 {
			about = append(about, "terms "+intList(f.Terms))
		}
		if len(f.Indexes) > 0 {
			about = append(about, "indexes "+intList(f.Indexes))
		}
		if len(about) > 0 {
			v.line("", "  "+strings.Join(about, " · "))
		}
	} else if r.OK {
		v.line(sgrGreen, "ok: no checker fired")
	} else {
		v.line(sgrBoldRed, "FAILED (the trace names no failure)")
	}
	v.line(sgrDim, fmt.Sprintf("end %s · hash %s · %d events, %d state changes · shown %d of %d rows",
		fmtT(r.EndT), clean(r.Hash), len(v.t.Events), len(v.t.States), v.shown, v.total))
	if r.Failure != nil && v.t.Header.Replay != "" {
		v.line("", "replay:  "+clean(v.t.Header.Replay))
	}
}

// ---- the timeline ----

// layout chooses the columns: every node's, or with a node filter the
// filtered nodes' and those of any node that acts in a row kept.
func (v *viewer) layout(all []row, kept []int) {
	v.show = make([]bool, v.n)
	for i := range v.show {
		v.show[i] = len(v.o.Nodes) == 0 || slices.Contains(v.o.Nodes, i)
	}
	for _, k := range kept {
		if n := all[k].node(); n >= 0 && n < v.n {
			v.show[n] = true
		}
	}
	cols := 0
	for _, s := range v.show {
		if s {
			cols++
		}
	}
	v.timeW = 9
	// time│ col│ col…: a separator and a blank before each column.
	v.colW = max((v.o.Width-v.timeW)/max(cols, 1), 3)
}

func (r *row) node() int {
	if r.st != nil {
		return r.st.Node
	}
	return r.ev.Node
}

func (v *viewer) timeline() {
	v.legend()
	// A state that only moved a leader's nextIndex or matchIndex (most
	// replies to a leader) would double the rows: --states shows those.
	all := slices.DeleteFunc(v.rows(), func(r row) bool { return r.st != nil && r.prev != nil && onlyProgress(r.prev, r.st) })
	v.total = len(all)
	var kept []int // indexes in all of the rows that pass the filters
	for i := range all {
		if v.keep(&all[i]) {
			kept = append(kept, i)
		}
	}
	if v.o.Last > 0 && len(kept) > v.o.Last {
		kept = kept[len(kept)-v.o.Last:]
	}
	v.shown = len(kept)
	v.layout(all, kept)
	v.columnsHeader()
	if len(kept) == 0 {
		v.line(sgrDim, "(no events match the filters)")
		return
	}
	if kept[0] > 0 {
		v.context(all[:kept[0]])
	}
	prevT := ""
	for i := 0; i < len(kept); i++ {
		r := &all[kept[i]]
		l := v.rowLine(r)
		// State changes of different nodes at the same instant (the
		// boot, a crash of every node) share a line.
		for l.cells != nil && r.st != nil && i+1 < len(kept) {
			next := &all[kept[i+1]]
			if next.st == nil || next.t != r.t || next.st.Node < 0 || next.st.Node >= v.n || l.cells[next.st.Node].text != "" {
				break
			}
			l.cells[next.st.Node] = v.stateCell(next)
			i++
		}
		ts := fmtT(r.t)
		label := ts
		if ts == prevT {
			label = ""
		}
		prevT = ts
		v.b.WriteString(v.paint(sgrDim, fmt.Sprintf("%*s", v.timeW, label)))
		if l.cells != nil {
			v.cells(l.cells)
			continue
		}
		v.b.WriteString(v.paint(sgrDim, "│") + " ")
		v.b.WriteString(v.paint(l.style, fit(l.text, v.o.Width-v.timeW-2)))
		v.b.WriteByte('\n')
	}
}

func (v *viewer) legend() {
	const indent = "        "
	v.para(sgrDim, "legend  ", "→n2 sent to n2 · ←n0 delivered from n0 · [drop] [cut] [dup] [long-delay] network faults on a send, [scripted …] the scenario's"+
		" · ✗←n0 discarded on arrival: [down] node down, [stale] reply to a crashed incarnation, [cut] link cut in flight")
	if !v.o.Raw {
		v.para(sgrDim, indent, "RV RequestVote (last=index/term of the log) · AE AppendEntries (prev=index/term, n=entries, hb=heartbeat, c=leader commit)"+
			" · IS InstallSnapshot · RVR AER ISR replies")
		if v.hasCalls() {
			v.para(sgrDim, indent, "#7 the sender's call number of a request, ↩#7 a reply to its receiver's request #7 (the pair shows in the requester's column)")
		}
	}
	v.para(sgrDim, indent, "state rows: what changed in the node after the turn above them (★ leader, term t=, log last index/term, commit index c=)")
}

// hasCalls reports whether the trace's messages carry call numbers.
func (v *viewer) hasCalls() bool {
	return slices.ContainsFunc(v.t.Events, func(e trace.Event) bool { return e.Msg != nil && e.Msg.Call != 0 })
}

func (v *viewer) columnsHeader() {
	cells := make([]cell, v.n)
	for i := range cells {
		cells[i] = cell{text: "n" + strconv.Itoa(i), style: sgrBold}
	}
	v.b.WriteString(v.paint(sgrDim, fmt.Sprintf("%*s", v.timeW, "time")))
	v.cells(cells)
	v.rule("─")
}

// context prints each node's state as of the first row shown, when rows
// before it were left out.
func (v *viewer) context(before []row) {
	cells := make([]cell, v.n)
	found := false
	for i := len(before) - 1; i >= 0; i-- {
		s := before[i].st
		if s == nil || s.Node < 0 || s.Node >= v.n || cells[s.Node].text != "" {
			continue
		}
		if !v.show[s.Node] {
			continue
		}
		cells[s.Node] = cell{text: stateFull(s), style: roleStyle(s)}
		found = true
	}
	if !found {
		return
	}
	v.b.WriteString(v.paint(sgrDim, fmt.Sprintf("%*s", v.timeW, "before")))
	v.cells(cells)
	v.rule("╌")
}

// rule draws a dim line of dash under the time column and the columns
// shown, crossed where they meet.
func (v *viewer) rule(dash string) {
	rule := strings.Repeat(dash, v.timeW)
	for i := range v.n {
		if v.show[i] {
			rule += "┼" + strings.Repeat(dash, v.colW-1)
		}
	}
	v.line(sgrDim, rule)
}

// cell is the text of one column, with an optional tag (a fault) that
// survives truncation.
type cell struct {
	text, style string
	tag, tagSt  string
}

// cells writes the node columns of a row and ends the line.
func (v *viewer) cells(cs []cell) {
	var out strings.Builder
	for i, c := range cs {
		if !v.show[i] {
			continue
		}
		out.WriteString(v.paint(sgrDim, "│") + " ")
		out.WriteString(v.cell(c, v.colW-2))
	}
	v.b.WriteString(strings.TrimRight(out.String(), " "))
	v.b.WriteByte('\n')
}

// cell renders c in exactly w columns (its trailing blanks included).
func (v *viewer) cell(c cell, w int) string {
	text, tag := clean(c.text), clean(c.tag)
	if tag != "" {
		tag = " " + tag
	}
	tw := utf8.RuneCountInString(tag)
	if tw >= w {
		text, tag, tw = fit(text+tag, w), "", 0
	} else {
		text = fit(text, w-tw)
	}
	pad := w - utf8.RuneCountInString(text) - tw
	return v.paint(c.style, text) + v.paint(c.tagSt, tag) + strings.Repeat(" ", pad)
}

// line is one printed row: cells in the node columns, or a text that
// spans them.
type line struct {
	cells       []cell
	text, style string
}

func (v *viewer) rowLine(r *row) line {
	if r.st != nil {
		if r.st.Node < 0 || r.st.Node >= v.n {
			return line{text: fmt.Sprintf("state of node %d: %s", r.st.Node, stateFull(r.st)), style: sgrDim}
		}
		cs := make([]cell, v.n)
		cs[r.st.Node] = v.stateCell(r)
		return line{cells: cs}
	}
	e := r.ev
	if c, ok := v.eventCell(e); ok && e.Node >= 0 && e.Node < v.n {
		cs := make([]cell, v.n)
		cs[e.Node] = c
		return line{cells: cs}
	}
	// A world event (or one naming no node of the cluster) spans the row.
	text, style := v.worldText(e)
	return line{text: text, style: style}
}

func (v *viewer) stateCell(r *row) cell {
	return cell{text: stateChange(r.prev, r.st), style: roleStyle(r.st)}
}

// eventCell renders an event that happens at one node; ok is false for
// world events.
func (v *viewer) eventCell(e *trace.Event) (cell, bool) {
	switch e.Kind {
	case trace.KindSend:
		c := cell{text: "→" + peer(e.Peer) + " " + v.short(e.Msg, e.Node)}
		if tag := sendTag(e); tag != "" {
			c.tag, c.tagSt = "["+tag+"]", sgrYellow
			if e.Lost() {
				c.style, c.tagSt = sgrDim, sgrRed
			}
		}
		return c, true
	case trace.KindDeliver:
		return cell{text: "←" + peer(e.Peer) + " " + v.short(e.Msg, e.Peer), style: sgrCyan}, true
	case trace.KindDiscard:
		return cell{text: "✗←" + peer(e.Peer) + " " + v.short(e.Msg, e.Peer), style: sgrDim,
			tag: "[" + discardTag(e.Reason) + "]", tagSt: sgrRed}, true
	case trace.KindStart:
		return cell{text: fmt.Sprintf("start i=%d t=%d", e.Index, e.Term), style: sgrBlue}, true
	case trace.KindApply:
		if e.Snapshot {
			return cell{text: fmt.Sprintf("apply snapshot %d/%d", e.Index, e.Term), style: sgrMagenta}, true
		}
		return cell{text: fmt.Sprintf("apply i=%d t=%d", e.Index, e.Term)}, true
	case trace.KindSnapshot:
		return cell{text: "snapshot " + strconv.Itoa(e.Index), style: sgrMagenta}, true
	case trace.KindCrash:
		return cell{text: "✗ CRASH", style: sgrBoldRed}, true
	case trace.KindRestart:
		return cell{text: "↻ restart", style: sgrGreen}, true
	case trace.KindPause:
		return cell{text: "‖ paused", style: sgrYellow}, true
	case trace.KindResume:
		return cell{text: "▷ resumed", style: sgrYellow}, true
	}
	return cell{}, false
}

func (v *viewer) worldText(e *trace.Event) (string, string) {
	who := ""
	switch {
	case e.Node >= 0 && e.Peer >= 0:
		who = fmt.Sprintf("n%d→n%d ", e.Node, e.Peer)
	case e.Node >= 0:
		who = fmt.Sprintf("n%d ", e.Node)
	}
	detail := clean(e.Detail())
	switch e.Kind {
	case trace.KindFailure:
		if f := v.t.Result.Failure; f != nil && f.Message != "" && !strings.Contains(e.Rule, f.Message) {
			first, _, _ := strings.Cut(f.Message, "\n")
			detail = strings.TrimSpace(detail + ": " + clean(first))
		}
		return "✗ FAILURE " + detail, sgrBoldRed
	case trace.KindPartition:
		if e.Node < 0 && e.Groups != nil {
			detail = v.groups(e.Groups)
		}
		return "═══ partition: " + who + detail, sgrMagenta
	case trace.KindHeal:
		if who == "" && detail == "" {
			detail = "every link restored"
		}
		return "═══ heal: " + who + detail, sgrMagenta
	case trace.KindNetwork:
		return "═══ network: " + detail, sgrMagenta
	case trace.KindNote:
		return "── " + detail, sgrYellow
	}
	// An event kind this viewer does not know, or a node event naming a
	// node outside the cluster: show what it holds.
	s := e.Kind + " " + who
	if e.Peer >= 0 && e.Node < 0 {
		s += "peer " + peer(e.Peer) + " "
	}
	return strings.TrimSpace(s + " " + strings.TrimSpace(clean(e.Summary())+" "+detail)), ""
}

// groups writes a partition's groups as "n0 n1 | n2 | n3 n4". Nodes that
// no group names (a trace written by hand may leave them out) form one
// more group, as in sim.Cluster.Partition.
func (v *viewer) groups(gs [][]int) string {
	var parts []string
	seen := map[int]bool{}
	for _, g := range gs {
		if len(g) == 0 {
			continue
		}
		var names []string
		for _, n := range g {
			seen[n] = true
			names = append(names, peer(n))
		}
		parts = append(parts, strings.Join(names, " "))
	}
	var rest []string
	for i := range v.n {
		if !seen[i] {
			rest = append(rest, peer(i))
		}
	}
	if len(rest) > 0 {
		parts = append(parts, strings.Join(rest, " "))
	}
	return strings.Join(parts, " | ")
}

// short abbreviates a message: AppendEntries with term 3, prev 4/2, two
// entries and leader commit 4, the sender's call 17, is "AE t=3 prev=4/2
// n=2 c=4 #17", and its reply "AER t=3 ok ↩#17". from is the sender (a
// RequestVote's candidate is not repeated when it is the sender). With
// Options.Raw it is the message's full summary ("… reply to #17").
func (v *viewer) short(m *trace.Message, from int) string {
	if m == nil {
		return ""
	}
	if v.o.Raw {
		return clean(m.String())
	}
	s := v.shortFields(m, from)
	switch {
	case m.Call == 0: // a trace written before calls were recorded
	case m.IsReply():
		s += " ↩#" + strconv.FormatUint(m.Call, 10)
	default:
		s += " #" + strconv.FormatUint(m.Call, 10)
	}
	return s
}

// shortFields is short without the call.
func (v *viewer) shortFields(m *trace.Message, from int) string {
	pre := ""
	if m.PreVote {
		pre = " pre"
	}
	switch m.Kind {
	case trace.MsgRequestVote:
		cand := ""
		if m.Candidate != from {
			cand = fmt.Sprintf(" cand=%d", m.Candidate)
		}
		return fmt.Sprintf("RV%s t=%d%s last=%d/%d", pre, m.Term, cand, m.LastLogIndex, m.LastLogTerm)
	case trace.MsgRequestVoteReply:
		return fmt.Sprintf("RVR%s t=%d %s", pre, m.Term, map[bool]string{true: "yes", false: "no"}[m.Granted])
	case trace.MsgAppendEntries:
		n := "hb"
		if m.Entries > 0 {
			n = "n=" + strconv.Itoa(m.Entries)
		}
		return fmt.Sprintf("AE t=%d prev=%d/%d %s c=%d", m.Term, m.PrevLogIndex, m.PrevLogTerm, n, m.LeaderCommit)
	case trace.MsgAppendEntriesReply:
		if m.Success {
			return fmt.Sprintf("AER t=%d ok", m.Term)
		}
		return fmt.Sprintf("AER t=%d fail xt=%d xi=%d xl=%d", m.Term, m.XTerm, m.XIndex, m.XLen)
	case trace.MsgInstallSnapshot:
		return fmt.Sprintf("IS t=%d last=%d/%d bytes=%d", m.Term, m.LastIncludedIndex, m.LastIncludedTerm, m.Bytes)
	case trace.MsgInstallSnapshotReply:
		return fmt.Sprintf("ISR t=%d", m.Term)
	}
	return clean(m.String())
}

// ---- states ----

// stateChange says compactly what changed since prev ("★ leader t=3",
// "commit 7"), or the whole state for a node's first record.
func stateChange(prev, s *trace.State) string {
	if prev == nil {
		return stateFull(s)
	}
	if !s.Up {
		if prev.Up {
			return "down"
		}
		return "down " + stateFull(s)
	}
	if !prev.Up {
		return "up " + stateFull(s)
	}
	var parts []string
	if s.Role != prev.Role || s.Term != prev.Term {
		parts = append(parts, roleTerm(s))
	}
	if s.VotedFor >= 0 && (s.VotedFor != prev.VotedFor || s.Term != prev.Term) {
		parts = append(parts, "voted n"+strconv.Itoa(s.VotedFor))
	}
	if s.LastIndex != prev.LastIndex || s.LastTerm != prev.LastTerm {
		parts = append(parts, fmt.Sprintf("log %d/%d", s.LastIndex, s.LastTerm))
	}
	if s.CommitIndex != prev.CommitIndex {
		parts = append(parts, fmt.Sprintf("commit %d", s.CommitIndex))
	}
	if s.SnapshotIndex != prev.SnapshotIndex || s.SnapshotTerm != prev.SnapshotTerm {
		parts = append(parts, fmt.Sprintf("snap %d/%d", s.SnapshotIndex, s.SnapshotTerm))
	}
	if len(parts) == 0 && s.LastApplied != prev.LastApplied {
		parts = append(parts, fmt.Sprintf("applied %d", s.LastApplied))
	}
	if len(parts) == 0 {
		return "·"
	}
	return strings.Join(parts, " ")
}

// onlyProgress reports whether s differs from prev in nothing but the
// leader's nextIndex and matchIndex.
func onlyProgress(prev, s *trace.State) bool {
	a, b := *prev, *s
	a.T, a.Seq, a.NextIndex, a.MatchIndex = 0, 0, trace.Indexes{}, trace.Indexes{}
	b.T, b.Seq, b.NextIndex, b.MatchIndex = 0, 0, trace.Indexes{}, trace.Indexes{}
	return a == b
}

// progress is a leader's nextIndex/matchIndex per peer, "n1 11/10 n2 8/7"
// (its own entry left out), or "" when the state has none.
func progress(s *trace.State) string {
	next, match := s.NextIndex.Ints(), s.MatchIndex.Ints()
	var parts []string
	for i := range max(len(next), len(match)) {
		if i == s.Node {
			continue
		}
		n, m := "?", "?"
		if i < len(next) {
			n = strconv.Itoa(next[i])
		}
		if i < len(match) {
			m = strconv.Itoa(match[i])
		}
		parts = append(parts, fmt.Sprintf("n%d %s/%s", i, n, m))
	}
	return strings.Join(parts, " ")
}

func roleTerm(s *trace.State) string {
	r := clean(s.Role) + " t=" + strconv.Itoa(s.Term)
	if s.Role == "leader" {
		r = "★ " + r
	}
	return r
}

// stateFull is a state in one short line.
func stateFull(s *trace.State) string {
	up := ""
	if !s.Up {
		up = "down "
	}
	return fmt.Sprintf("%s%s log %d/%d c=%d", up, roleTerm(s), s.LastIndex, s.LastTerm, s.CommitIndex)
}

func roleStyle(s *trace.State) string {
	if !s.Up {
		return sgrRed
	}
	switch s.Role {
	case "leader":
		return sgrLeader
	case "candidate":
		return sgrYellow
	}
	return sgrGreen
}

// hasProgress reports whether any state carries a leader's progress.
func (v *viewer) hasProgress() bool {
	return slices.ContainsFunc(v.t.States, func(s trace.State) bool { return !s.NextIndex.IsZero() || !s.MatchIndex.IsZero() })
}

func (v *viewer) stateTable() {
	cols := fmt.Sprintf("%9s  %-4s %-4s %-9s %5s %5s %9s %7s %7s %9s",
		"time", "node", "up", "role", "term", "vote", "log", "commit", "applied", "snapshot")
	if v.hasProgress() {
		cols += "  leader's nextIndex/matchIndex per peer"
	}
	v.line(sgrBold, cols)
	var rows []*trace.State
	for i := range v.t.States {
		s := &v.t.States[i]
		r := row{t: s.T, st: s}
		if v.keep(&r) {
			rows = append(rows, s)
		}
	}
	v.total = len(v.t.States)
	if v.o.Last > 0 && len(rows) > v.o.Last {
		rows = rows[len(rows)-v.o.Last:]
	}
	prevT := ""
	for _, s := range rows {
		ts := fmtT(s.T)
		label := ts
		if ts == prevT {
			label = ""
		}
		prevT = ts
		up, vote := "up", "-"
		if !s.Up {
			up = "DOWN"
		}
		if s.VotedFor >= 0 {
			vote = "n" + strconv.Itoa(s.VotedFor)
		}
		role := clean(s.Role)
		if role == "leader" {
			role = "★ leader"
		}
		l := fmt.Sprintf("%9s  %-4s %-4s %-9s %5d %5s %9s %7d %7d %9s", label, "n"+strconv.Itoa(s.Node), up, role,
			s.Term, vote, fmt.Sprintf("%d/%d", s.LastIndex, s.LastTerm), s.CommitIndex, s.LastApplied,
			fmt.Sprintf("%d/%d", s.SnapshotIndex, s.SnapshotTerm))
		if p := progress(s); p != "" {
			l += "  " + p
		}
		v.line(roleStyle(s), l)
	}
	v.shown = len(rows)
	if len(rows) == 0 {
		v.line(sgrDim, "(no states match the filters)")
	}
}

// ---- text helpers ----

// sendTag names what happened to a sent message: "drop" (lost), "cut",
// "scripted drop" (the scenario dropped it), "dup", "long-delay" or
// "scripted" (the scenario delayed or duplicated it); "" for nothing.
func sendTag(e *trace.Event) string {
	switch e.Reason {
	case trace.ReasonLoss:
		return "drop"
	case trace.ReasonScenario:
		return "scripted drop"
	case "":
		return clean(e.Fault)
	}
	return clean(e.Reason)
}

// discardTag names why nobody took a message that arrived.
func discardTag(reason string) string {
	switch reason {
	case trace.ReasonCrashed:
		return "down"
	case trace.ReasonStale:
		return "stale"
	case "":
		return "discarded"
	}
	return clean(reason)
}

func peer(p int) string {
	if p < 0 {
		return "?"
	}
	return "n" + strconv.Itoa(p)
}

func nodeList(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = peer(n)
	}
	return strings.Join(s, " ")
}

func intList(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " ")
}

// fmtT prints microseconds of simulated time as seconds, to the
// millisecond.
func fmtT(t int64) string {
	return fmt.Sprintf("%.3fs", float64(t)/1e6)
}

func us(t int64) string { return (time.Duration(t) * time.Microsecond).String() }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return clean(s)
}

// clean makes text from a trace safe to print on one terminal line:
// control characters (escape sequences, newlines) become spaces or "?".
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == utf8.RuneError {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			return ' '
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == utf8.RuneError:
			return '?'
		}
		return r
	}, s)
}

// fit truncates s to w runes, ending it with "…" if it was cut.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	r := []rune(s)
	return string(r[:w-1]) + "…"
}

// wrap splits s into lines of at most w runes at spaces (a longer word
// gets a line of its own, which the caller truncates).
func wrap(s string, w int) []string {
	var lines []string
	var cur []rune
	for _, word := range strings.Fields(s) {
		wr := []rune(word)
		switch {
		case len(cur) == 0:
			cur = wr
		case len(cur)+1+len(wr) <= w:
			cur = append(append(cur, ' '), wr...)
		default:
			lines = append(lines, string(cur))
			cur = wr
		}
	}
	return append(lines, string(cur))
}

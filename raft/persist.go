package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The persistent state of Figure 2 (currentTerm, votedFor, log[]) and the
// snapshot metadata of Figure 13 (lastIncludedIndex, lastIncludedTerm) are
// saved as one blob; the snapshot itself is the Persister's second blob.
//
// Format, version 1: all integers are varints (encoding/binary):
//
//	version (=1)
//	currentTerm, votedFor, lastIncludedIndex, lastIncludedTerm
//	number of entries after the snapshot
//	per entry: term minus the previous entry's term (the first entry's
//	           minus lastIncludedTerm), then the command: length+1 and
//	           the bytes, or 0 for a nil command
//
// Terms are delta-encoded because they change rarely along a log; a long
// log then costs about two bytes per entry beyond its commands.
const stateVersion = 1

// errCorrupt is wrapped by decodeState's errors.
var errCorrupt = errors.New("raft: corrupt persistent state")

// persistentState is what decodeState returns.
type persistentState struct {
	term     int
	votedFor int
	log      raftLog
}

// encodeState appends the encoding of the persistent state to b. It is
// the format's definition; nodes save through a stateEncoder, which
// produces the same bytes without re-encoding the whole log every time.
func encodeState(b []byte, term, votedFor int, l *raftLog) []byte {
	b = appendHeader(b, term, votedFor, l)
	prev := l.snapTerm
	for k, t := range l.terms {
		b = appendEntry(b, t-prev, l.cmds[k])
		prev = t
	}
	return b
}

// appendHeader appends everything before the entries.
func appendHeader(b []byte, term, votedFor int, l *raftLog) []byte {
	b = binary.AppendUvarint(b, stateVersion)
	b = binary.AppendVarint(b, int64(term))
	b = binary.AppendVarint(b, int64(votedFor))
	b = binary.AppendVarint(b, int64(l.snapIndex))
	b = binary.AppendVarint(b, int64(l.snapTerm))
	return binary.AppendUvarint(b, uint64(len(l.terms)))
}

// appendEntry appends one entry: its term's delta, then its command.
func appendEntry(b []byte, delta int, c []byte) []byte {
	b = binary.AppendVarint(b, int64(delta))
	if c == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(c))+1)
	return append(b, c...)
}

// decodeState decodes what encodeState wrote. The commands it returns are
// sub-slices of b, which the caller must not reuse.
func decodeState(b []byte) (persistentState, error) {
	var st persistentState
	d := decoder{b: b}
	if v := d.uvarint(); d.err == nil && v != stateVersion {
		return st, fmt.Errorf("%w: version %d, want %d", errCorrupt, v, stateVersion)
	}
	st.term = d.varint()
	st.votedFor = d.varint()
	st.log.snapIndex = d.varint()
	st.log.snapTerm = d.varint()
	count := d.uvarint()
	if count > uint64(len(d.b))/2 { // every entry takes at least two bytes
		return st, fmt.Errorf("%w: %d entries in %d bytes", errCorrupt, count, len(d.b))
	}
	st.log.terms = make([]int, 0, count)
	st.log.cmds = make([][]byte, 0, count)
	t := st.log.snapTerm
	for range count {
		t += d.varint()
		st.log.append(t, d.bytes())
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return st, fmt.Errorf("%w: %w", errCorrupt, d.err)
	}
	return st, nil
}

// decoder reads varints and byte strings in order; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) varint() int {
	if d.err != nil {
		return 0
	}
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[k:]
	return int(v)
}

func (d *decoder) bytes() []byte {
	l := d.uvarint()
	if d.err != nil || l == 0 {
		return nil
	}
	l--
	if l > uint64(len(d.b)) {
		d.err = errShort
		return nil
	}
	// The three-index slice caps the command, so that nothing appended
	// to it could overwrite the next one.
	c := d.b[:l:l]
	d.b = d.b[l:]
	return c
}

// persist saves the persistent state and the current snapshot (Figure 2:
// before responding to RPCs; here, at the end of the turn). The encoder
// keeps the encoding between saves; Save copies it.
func (n *node) persist() {
	n.env.Persister().Save(n.enc.encode(n.term, n.votedFor, &n.log), n.snapshot)
}

// headroom is the space the stateEncoder keeps in front of the entries for
// the header: six varints at most.
const headroom = 6 * binary.MaxVarintLen64

// stateEncoder produces the bytes of encodeState incrementally: it keeps
// the encoding of the entries it encoded last time, and re-encodes only
// from the first entry that changed since. A save then costs the new
// entries' bytes plus a comparison per kept entry (a term and a slice
// header, no bytes), instead of the whole log's bytes: a node that saves
// once per Start would otherwise spend time quadratic in its log.
//
// The log changes only at its end (append, truncateFrom) or all at once
// (compact, reset: the snapshot's index or term moves, and everything is
// re-encoded), but the encoder does not rely on it: it compares every
// kept entry with the log's. An entry is unchanged when its term is equal
// and its command is the same slice (same backing array and length, or
// nil for nil). Commands are never modified in place, and the encoder
// holds a reference to every command it kept, so its memory cannot be
// reused for another command at the same address.
type stateEncoder struct {
	buf       []byte   // headroom bytes, then the entries' encoding
	ok        bool     // buf holds an encoding for snapIndex and snapTerm
	snapIndex int      // the log's snapIndex when buf was encoded
	snapTerm  int      // the log's snapTerm when buf was encoded
	terms     []int    // the encoded entries' terms
	cmds      [][]byte // the encoded entries' commands
	ends      []int    // ends[k]: where entry k's encoding ends in buf
}

// encode returns encodeState(nil, term, votedFor, l), byte for byte. The
// slice is the encoder's: it is valid until the next call.
func (e *stateEncoder) encode(term, votedFor int, l *raftLog) []byte {
	if !e.ok || e.snapIndex != l.snapIndex || e.snapTerm != l.snapTerm {
		e.truncate(0)
		e.ok, e.snapIndex, e.snapTerm = true, l.snapIndex, l.snapTerm
	}
	k, n := 0, min(len(e.terms), len(l.terms))
	for k < n && e.terms[k] == l.terms[k] && sameSlice(e.cmds[k], l.cmds[k]) {
		k++
	}
	e.truncate(k)
	prev := l.snapTerm
	if k > 0 {
		prev = l.terms[k-1]
	}
	for ; k < len(l.terms); k++ {
		t, c := l.terms[k], l.cmds[k]
		e.buf = appendEntry(e.buf, t-prev, c)
		prev = t
		e.terms = append(e.terms, t)
		e.cmds = append(e.cmds, c)
		e.ends = append(e.ends, len(e.buf))
	}
	var h [headroom]byte
	hb := appendHeader(h[:0], term, votedFor, l)
	start := headroom - len(hb)
	copy(e.buf[start:], hb)
	return e.buf[start:]
}

// truncate forgets the encoded entries from k on.
func (e *stateEncoder) truncate(k int) {
	end := headroom
	if k > 0 {
		end = e.ends[k-1]
	}
	if len(e.buf) < headroom {
		e.buf = append(e.buf[:0], make([]byte, headroom)...)
	}
	e.buf = e.buf[:end]
	clear(e.cmds[k:]) // let the dropped commands be collected
	e.terms, e.cmds, e.ends = e.terms[:k], e.cmds[:k], e.ends[:k]
}

// sameSlice reports whether a and b are the same command: both nil, or
// the same bytes in memory (empty non-nil commands encode alike, wherever
// they point).
func sameSlice(a, b []byte) bool {
	switch {
	case len(a) != len(b) || (a == nil) != (b == nil):
		return false
	case len(a) == 0:
		return true
	}
	return &a[0] == &b[0]
}

// restore loads what persist saved, at boot. A node with nothing saved
// starts empty, in term 0. Corrupt state is a driver bug, and panics.
func (n *node) restore() {
	p := n.env.Persister()
	b := p.ReadState()
	if len(b) == 0 {
		return
	}
	st, err := decodeState(b)
	if err != nil {
		panic(err)
	}
	n.term, n.votedFor, n.log = st.term, st.votedFor, st.log
	if n.log.snapIndex > 0 {
		n.snapshot = p.ReadSnapshot()
	}
}

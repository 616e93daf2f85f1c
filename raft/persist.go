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

// encodeState appends the encoding of the persistent state to b.
func encodeState(b []byte, term, votedFor int, l *raftLog) []byte {
	b = binary.AppendUvarint(b, stateVersion)
	b = binary.AppendVarint(b, int64(term))
	b = binary.AppendVarint(b, int64(votedFor))
	b = binary.AppendVarint(b, int64(l.snapIndex))
	b = binary.AppendVarint(b, int64(l.snapTerm))
	b = binary.AppendUvarint(b, uint64(len(l.terms)))
	prev := l.snapTerm
	for k, t := range l.terms {
		b = binary.AppendVarint(b, int64(t-prev))
		prev = t
		c := l.cmds[k]
		if c == nil {
			b = append(b, 0)
			continue
		}
		b = binary.AppendUvarint(b, uint64(len(c))+1)
		b = append(b, c...)
	}
	return b
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
// before responding to RPCs; here, at the end of the turn). The encoding
// buffer is reused; Save copies it.
func (n *node) persist() {
	n.buf = encodeState(n.buf[:0], n.term, n.votedFor, &n.log)
	n.env.Persister().Save(n.buf, n.snapshot)
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

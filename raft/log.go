package raft

import (
	"slices"
	"sort"

	"github.com/raftlab/raftlab/raftapi"
)

// raftLog is the log of Figure 2 with the offset of §7: the entries up to
// and including snapIndex have been compacted into the snapshot, and only
// their last index and term (Figure 13's lastIncludedIndex and
// lastIncludedTerm) remain.
//
// Entries are kept in two parallel slices rather than one []raftapi.Entry so
// that InspectLog can hand out the terms without building anything.
// terms[k] and cmds[k] belong to index snapIndex+1+k.
//
// Terms never decrease along a log: a leader appends only entries of its own
// term after entries of earlier terms, and a follower's log is always a
// prefix of some leader's log followed by that leader's entries (§5.3, Log
// Matching). The term searches below rely on this and use binary search.
type raftLog struct {
	snapIndex int // lastIncludedIndex: last index covered by the snapshot (0: none)
	snapTerm  int // lastIncludedTerm: term of snapIndex (0: none)
	terms     []int
	cmds      [][]byte
}

// lastIndex is the index of the last entry, counting the snapshot (§7).
func (l *raftLog) lastIndex() int { return l.snapIndex + len(l.terms) }

// lastTerm is the term of the last entry, or of the snapshot when the log
// after it is empty (§5.4.1 compares these).
func (l *raftLog) lastTerm() int {
	if len(l.terms) == 0 {
		return l.snapTerm
	}
	return l.terms[len(l.terms)-1]
}

// term returns the term at index i, for snapIndex <= i <= lastIndex.
func (l *raftLog) term(i int) int {
	if i == l.snapIndex {
		return l.snapTerm
	}
	return l.terms[i-l.snapIndex-1]
}

// command returns the command at index i, for snapIndex < i <= lastIndex.
func (l *raftLog) command(i int) []byte { return l.cmds[i-l.snapIndex-1] }

// has reports whether the log holds an entry at index i with term t; the
// snapshot's last included entry counts (Figure 13, receiver rule 6; rule 3
// in raftapi.InstallSnapshotArgs).
func (l *raftLog) has(i, t int) bool {
	return i >= l.snapIndex && i <= l.lastIndex() && l.term(i) == t
}

// append adds one entry at lastIndex+1.
func (l *raftLog) append(term int, cmd []byte) {
	l.terms = append(l.terms, term)
	l.cmds = append(l.cmds, cmd)
}

// appendEntries adds entries at lastIndex+1 onwards.
func (l *raftLog) appendEntries(es []raftapi.Entry) {
	for _, e := range es {
		l.append(e.Term, e.Command)
	}
}

// truncateFrom deletes the entry at index i and all that follow it
// (Figure 2, AppendEntries receiver rule 3). i must be > snapIndex.
func (l *raftLog) truncateFrom(i int) {
	k := i - l.snapIndex - 1
	clear(l.cmds[k:]) // let the dropped commands be collected
	l.terms = l.terms[:k]
	l.cmds = l.cmds[:k]
}

// entries returns the entries with indexes in [lo, hi), for an
// AppendEntries. The commands alias the log's; the driver copies arguments
// when the turn ends.
func (l *raftLog) entries(lo, hi int) []raftapi.Entry {
	if lo >= hi {
		return nil
	}
	es := make([]raftapi.Entry, hi-lo)
	off := lo - l.snapIndex - 1
	for k := range es {
		es[k] = raftapi.Entry{Term: l.terms[off+k], Command: l.cmds[off+k]}
	}
	return es
}

// batchEnd returns the last index of a batch that starts at lo and holds at
// most maxN entries and, unless its first entry alone is larger, maxBytes
// of commands. It returns lo-1 when there is nothing from lo on.
func (l *raftLog) batchEnd(lo, maxN, maxBytes int) int {
	hi, size := lo-1, 0
	for hi < l.lastIndex() && hi-lo+1 < maxN {
		c := len(l.command(hi + 1))
		if hi >= lo && size+c > maxBytes {
			break
		}
		size += c
		hi++
	}
	return hi
}

// compact discards the entries through index, which becomes the snapshot's
// last included entry (§7). snapIndex < index <= lastIndex.
func (l *raftLog) compact(index int) {
	k := index - l.snapIndex
	l.snapTerm = l.terms[k-1]
	l.snapIndex = index
	// Copy the tail so the compacted prefix's memory can be freed.
	l.terms = slices.Clone(l.terms[k:])
	l.cmds = slices.Clone(l.cmds[k:])
}

// reset discards the whole log and starts it after a snapshot whose last
// included entry is (index, term) (Figure 13, receiver rule 7; rule 4 in
// raftapi.InstallSnapshotArgs).
func (l *raftLog) reset(index, term int) {
	l.snapIndex, l.snapTerm = index, term
	l.terms, l.cmds = nil, nil
}

// lastIndexOfTerm returns the last index holding term t, looking at the
// entries and at the snapshot's last included entry, and whether there is
// one. The leader's side of fast backup (§5.3).
func (l *raftLog) lastIndexOfTerm(t int) (int, bool) {
	// k = number of entries with term <= t.
	k := sort.Search(len(l.terms), func(j int) bool { return l.terms[j] > t })
	switch {
	case k > 0 && l.terms[k-1] == t:
		return l.snapIndex + k, true
	case k == 0 && l.snapIndex > 0 && l.snapTerm == t:
		return l.snapIndex, true
	}
	return 0, false
}

// firstIndexOfTerm returns the first index after the snapshot that holds
// term t; the follower's XIndex hint (§5.3). The log must hold t after the
// snapshot (if t is only the snapshot's term, it returns snapIndex+1).
func (l *raftLog) firstIndexOfTerm(t int) int {
	k := sort.Search(len(l.terms), func(j int) bool { return l.terms[j] >= t })
	return l.snapIndex + 1 + k
}

package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

func TestLogIndexing(t *testing.T) {
	l := raftLog{snapIndex: 4, snapTerm: 2}
	assert.Equal(t, 4, l.lastIndex())
	assert.Equal(t, 2, l.lastTerm())
	l.appendEntries([]raftapi.Entry{{Term: 2, Command: []byte("a")}, {Term: 3, Command: []byte("b")}, {Term: 3}})
	assert.Equal(t, 7, l.lastIndex())
	assert.Equal(t, 3, l.lastTerm())
	assert.Equal(t, 2, l.term(4))
	assert.Equal(t, 2, l.term(5))
	assert.Equal(t, []byte("b"), l.command(6))
	assert.True(t, l.has(4, 2))
	assert.True(t, l.has(6, 3))
	assert.False(t, l.has(6, 2))
	assert.False(t, l.has(3, 2)) // compacted
	assert.False(t, l.has(8, 3)) // beyond the end
	assert.Equal(t, []raftapi.Entry{{Term: 2, Command: []byte("a")}, {Term: 3, Command: []byte("b")}}, l.entries(5, 7))
	assert.Nil(t, l.entries(8, 8))

	l.truncateFrom(6)
	assert.Equal(t, 5, l.lastIndex())
	assert.Equal(t, []int{2}, l.terms)
}

func TestLogCompactAndReset(t *testing.T) {
	l := raftLog{}
	for _, term := range []int{1, 1, 2, 2, 3} {
		l.append(term, []byte{byte(term)})
	}
	l.compact(3)
	assert.Equal(t, raftLog{snapIndex: 3, snapTerm: 2, terms: []int{2, 3}, cmds: [][]byte{{2}, {3}}}, l)
	l.compact(5)
	assert.Equal(t, 5, l.snapIndex)
	assert.Equal(t, 3, l.snapTerm)
	assert.Empty(t, l.terms)
	assert.Equal(t, 3, l.lastTerm())
	l.reset(9, 4)
	assert.Equal(t, 9, l.lastIndex())
	assert.Equal(t, 4, l.lastTerm())
}

func TestLogTermSearch(t *testing.T) {
	// Indexes 4..10 with terms 2 2 4 4 4 6 6 after a snapshot through 3
	// in term 2.
	l := raftLog{snapIndex: 3, snapTerm: 2}
	for _, term := range []int{2, 2, 4, 4, 4, 6, 6} {
		l.append(term, nil)
	}
	tests := []struct {
		term      int
		last      int
		found     bool
		firstFrom int
	}{
		{term: 2, last: 5, found: true, firstFrom: 4},
		{term: 4, last: 8, found: true, firstFrom: 6},
		{term: 6, last: 10, found: true, firstFrom: 9},
		{term: 3, found: false},
		{term: 1, found: false},
		{term: 7, found: false},
	}
	for _, tc := range tests {
		last, ok := l.lastIndexOfTerm(tc.term)
		assert.Equal(t, tc.found, ok, "term %d", tc.term)
		if tc.found {
			assert.Equal(t, tc.last, last, "last index of term %d", tc.term)
			assert.Equal(t, tc.firstFrom, l.firstIndexOfTerm(tc.term), "first index of term %d", tc.term)
		}
	}
	// Only the snapshot's last entry has the term.
	s := raftLog{snapIndex: 3, snapTerm: 2, terms: []int{5}, cmds: [][]byte{nil}}
	last, ok := s.lastIndexOfTerm(2)
	require.True(t, ok)
	assert.Equal(t, 3, last)
}

func TestLogBatchEnd(t *testing.T) {
	l := raftLog{}
	for range 10 {
		l.append(1, make([]byte, 100))
	}
	l.append(1, make([]byte, 1000))
	tests := []struct{ lo, maxN, maxBytes, want int }{
		{lo: 1, maxN: 64, maxBytes: 1 << 20, want: 11},
		{lo: 1, maxN: 3, maxBytes: 1 << 20, want: 3},
		{lo: 1, maxN: 64, maxBytes: 250, want: 2},
		{lo: 11, maxN: 64, maxBytes: 10, want: 11}, // one large entry still goes
		{lo: 12, maxN: 64, maxBytes: 10, want: 11}, // nothing to send
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, l.batchEnd(tc.lo, tc.maxN, tc.maxBytes), "%+v", tc)
	}
}

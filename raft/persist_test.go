package raft

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

func TestPersistRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		term     int
		votedFor int
		log      raftLog
	}{
		{name: "empty", votedFor: raftapi.None},
		{name: "voted", term: 7, votedFor: 2},
		{name: "entries", term: 3, votedFor: 0, log: raftLog{
			terms: []int{1, 1, 3}, cmds: [][]byte{[]byte("x"), nil, {}}}},
		{name: "snapshot only", term: 9, votedFor: raftapi.None, log: raftLog{snapIndex: 100, snapTerm: 8,
			terms: []int{}, cmds: [][]byte{}}},
		{name: "snapshot and entries", term: 1 << 40, votedFor: 4, log: raftLog{snapIndex: 100, snapTerm: 8,
			terms: []int{8, 9, 1 << 40}, cmds: [][]byte{[]byte("a"), make([]byte, 300), []byte("c")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeState(nil, tc.term, tc.votedFor, &tc.log)
			st, err := decodeState(b)
			require.NoError(t, err)
			assert.Equal(t, tc.term, st.term)
			assert.Equal(t, tc.votedFor, st.votedFor)
			assert.Equal(t, tc.log.snapIndex, st.log.snapIndex)
			assert.Equal(t, tc.log.snapTerm, st.log.snapTerm)
			assert.Equal(t, len(tc.log.terms), len(st.log.terms))
			for k := range tc.log.terms {
				assert.Equal(t, tc.log.terms[k], st.log.terms[k])
				assert.Equal(t, tc.log.cmds[k], st.log.cmds[k], "nil and empty commands stay apart")
			}
			// Every strict prefix is an error, never a panic.
			for i := range len(b) {
				_, err := decodeState(b[:i])
				require.ErrorIs(t, err, errCorrupt, "prefix of %d bytes", i)
			}
			_, err = decodeState(append(b, 0))
			require.ErrorIs(t, err, errCorrupt, "trailing byte")
		})
	}
	_, err := decodeState([]byte{2})
	require.ErrorIs(t, err, errCorrupt, "unknown version")
}

// A node restarted over its persister has exactly the persistent state it
// had at the end of its last turn (Figure 2), and starts with
// lastApplied = commitIndex = snapshot index.
func TestPersistRestart(t *testing.T) {
	n, e := newTestNode(t, 3, Options{})
	lead(t, n, e, 4)
	for i := range 10 {
		n.Start([]byte{byte(i)})
	}
	n.lastApplied, n.commitIndex = 6, 6
	n.Snapshot(4, []byte("snap"))
	before, log := n.Inspect(), n.InspectLog()

	r := newNode(0, 3, e, Options{})
	st := r.Inspect()
	assert.Equal(t, raftapi.Follower, st.Role)
	assert.Equal(t, before.Term, st.Term)
	assert.Equal(t, before.VotedFor, st.VotedFor)
	assert.Equal(t, before.LastIndex, st.LastIndex)
	assert.Equal(t, before.LastTerm, st.LastTerm)
	assert.Equal(t, 4, st.SnapshotIndex)
	assert.Equal(t, before.SnapshotTerm, st.SnapshotTerm)
	assert.Equal(t, 4, st.CommitIndex)
	assert.Equal(t, 4, st.LastApplied)
	assert.Equal(t, log, r.InspectLog())
	assert.Equal(t, []byte("snap"), r.snapshot)
	assert.Empty(t, e.applied, "the snapshot is never re-applied")

	// A save after the restart still carries the snapshot.
	r.term++
	r.dirty = true
	r.finish()
	assert.Equal(t, []byte("snap"), e.p.snap)
}

// Only turns that change the persistent state save.
func TestPersistOnlyWhenChanged(t *testing.T) {
	n, e := newTestNode(t, 3, Options{})
	n.Tick()
	assert.Equal(t, 0, e.p.saves)
	n.GetState()
	n.Inspect()
	assert.Equal(t, 0, e.p.saves)
	for range electionTimeoutMax {
		n.Tick()
	}
	assert.Equal(t, 1, e.p.saves, "the election saves term and vote once")
}

// BenchmarkEncodeState10k measures the full encoding of a log of 10,000
// entries of 100 bytes (about 1 MB): what every save cost before the
// stateEncoder (compare BenchmarkStateEncoderAppend10k).
func BenchmarkEncodeState10k(b *testing.B) {
	var l raftLog
	for i := range 10_000 {
		l.append(1+i/1000, make([]byte, 100))
	}
	var buf []byte
	b.ReportAllocs()
	for range b.N {
		buf = encodeState(buf[:0], 5, 1, &l)
	}
	b.SetBytes(int64(len(buf)))
}

// The incremental encoder's bytes are encodeState's, byte for byte, after
// every step of random sequences of appends, truncations (also re-filled
// with other commands of the same terms, in the same backing arrays),
// compactions, snapshot installs and term or vote changes.
func TestStateEncoderMatchesFullEncoding(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var l raftLog
		var e stateEncoder
		term, votedFor := 1, raftapi.None
		// A shared arena: commands are sub-slices of it, so two commands
		// may share a backing array, as decoded messages' commands do.
		arena := make([]byte, 4096)
		for i := range arena {
			arena[i] = byte(rng.IntN(256))
		}
		command := func() []byte {
			switch rng.IntN(6) {
			case 0:
				return nil
			case 1:
				return []byte{}
			case 2:
				off := rng.IntN(len(arena) - 300)
				return arena[off : off+rng.IntN(300)]
			}
			c := make([]byte, rng.IntN(200))
			for i := range c {
				c[i] = byte(rng.IntN(256))
			}
			return c
		}
		for step := range 300 {
			switch op := rng.IntN(20); {
			case op < 10:
				for range 1 + rng.IntN(5) {
					l.append(term, command())
				}
			case op < 13 && len(l.terms) > 0:
				l.truncateFrom(l.snapIndex + 1 + rng.IntN(len(l.terms)))
			case op < 14 && len(l.terms) > 0:
				l.compact(l.snapIndex + 1 + rng.IntN(len(l.terms)))
			case op < 15:
				l.reset(l.lastIndex()+rng.IntN(3), term)
			case op < 17:
				term += rng.IntN(3)
			case op < 18:
				votedFor = rng.IntN(5) - 1
			default:
				if len(l.terms) > 0 { // same length and terms, other commands
					k := rng.IntN(len(l.terms))
					ts := append([]int(nil), l.terms[k:]...)
					l.truncateFrom(l.snapIndex + 1 + k)
					for _, tt := range ts {
						l.append(tt, command())
					}
				}
			}
			if rng.IntN(3) == 0 && step != 299 {
				continue // several changes between two saves
			}
			want := encodeState(nil, term, votedFor, &l)
			require.Equal(t, want, e.encode(term, votedFor, &l), "seed %d step %d", seed, step)
		}
	}
}

// BenchmarkStateEncoderAppend10k measures what a leader's save costs with
// the incremental encoder: one new entry on a log of 10,000.
func BenchmarkStateEncoderAppend10k(b *testing.B) {
	var l raftLog
	for i := range 10_000 {
		l.append(1+i/1000, make([]byte, 100))
	}
	var e stateEncoder
	e.encode(5, 1, &l)
	b.ReportAllocs()
	for range b.N {
		l.append(11, make([]byte, 100))
		e.encode(5, 1, &l)
		l.truncateFrom(l.lastIndex())
	}
}

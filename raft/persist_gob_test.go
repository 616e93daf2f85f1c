package raft

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"testing"

	"github.com/raftlab/raftlab/raftapi"
)

// gobState is what a student typically saves with encoding/gob: the
// persistent state of Figure 2 in one struct, the log as raftapi.Entry.
type gobState struct {
	Term     int
	VotedFor int
	Log      []raftapi.Entry
}

// BenchmarkSave1000 compares what one save of the whole persistent state
// costs at 1000 entries of the simulator's client commands ("c123"): the
// reference's varint encoding into a reused buffer against encoding/gob
// with a new Encoder per save (the handout's "quickest start", which
// writes its type description into every save). The figures back the
// cost the handouts quote for gob (assignments/raft/persist.go,
// assignments/persistence.md).
func BenchmarkSave1000(b *testing.B) {
	const n = 1000
	var l raftLog
	entries := make([]raftapi.Entry, n)
	for i := range n {
		cmd := fmt.Appendf(nil, "c%d", i+1)
		l.append(1+i/100, cmd)
		entries[i] = raftapi.Entry{Term: 1 + i/100, Command: cmd}
	}
	b.Run("reference", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for range b.N {
			buf = encodeState(buf[:0], 5, 1, &l)
		}
		b.ReportMetric(float64(len(buf)), "bytes/save")
	})
	b.Run("gob", func(b *testing.B) {
		var size int
		b.ReportAllocs()
		for range b.N {
			var w bytes.Buffer
			if err := gob.NewEncoder(&w).Encode(gobState{Term: 5, VotedFor: 1, Log: entries}); err != nil {
				b.Fatal(err)
			}
			size = w.Len()
		}
		b.ReportMetric(float64(size), "bytes/save")
	})
}

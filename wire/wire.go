// Package wire encodes and decodes the course contract's RPC messages.
//
// Every message crosses the simulated network (and localnet's TCP links)
// as bytes, so that nothing a node sends aliases what another node holds and
// so that bytes can be counted exactly. The format is compact and fast
// rather than self-describing: a message is a sequence of zig-zag varints
// and length-prefixed byte strings in the field order of the Go structs.
// This is the simulator's hot path; the encoders append to a caller's
// buffer and the decoders allocate only the byte slices they return.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/raftlab/raftlab/raftapi"
)

// ErrShort is returned when a buffer ends in the middle of a message.
var ErrShort = errors.New("wire: message truncated")

func putInt(b []byte, v int) []byte { return binary.AppendVarint(b, int64(v)) }

func putBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func putBytes(b []byte, p []byte) []byte {
	if p == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(p))+1)
	return append(b, p...)
}

// reader decodes fields in order; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) int() int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = ErrShort
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *reader) bool() bool {
	if r.err != nil {
		return false
	}
	if len(r.b) == 0 {
		r.err = ErrShort
		return false
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v != 0
}

// bytes returns a fresh copy, nil for an encoded nil.
func (r *reader) bytes() []byte {
	p := r.bytesAlias()
	if p == nil {
		return nil
	}
	return append(make([]byte, 0, len(p)), p...)
}

// bytesAlias returns the next byte string as a slice of the buffer, nil
// for an encoded nil.
func (r *reader) bytesAlias() []byte {
	l := r.uvarint()
	if r.err != nil || l == 0 {
		return nil
	}
	l--
	if uint64(len(r.b)) < l {
		r.err = ErrShort
		return nil
	}
	p := r.b[:l:l]
	r.b = r.b[l:]
	return p
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = ErrShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) done(what string) error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("wire: %d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("decode %s: %w", what, r.err)
	}
	return nil
}

// AppendRequestVoteArgs appends the encoding of a to b.
func AppendRequestVoteArgs(b []byte, a *raftapi.RequestVoteArgs) []byte {
	b = putInt(b, a.Term)
	b = putInt(b, a.CandidateID)
	b = putInt(b, a.LastLogIndex)
	b = putInt(b, a.LastLogTerm)
	return putBool(b, a.PreVote)
}

// DecodeRequestVoteArgs decodes what AppendRequestVoteArgs wrote.
func DecodeRequestVoteArgs(b []byte, a *raftapi.RequestVoteArgs) error {
	r := reader{b: b}
	a.Term = r.int()
	a.CandidateID = r.int()
	a.LastLogIndex = r.int()
	a.LastLogTerm = r.int()
	a.PreVote = r.bool()
	return r.done("RequestVoteArgs")
}

// AppendRequestVoteReply appends the encoding of a to b.
func AppendRequestVoteReply(b []byte, a *raftapi.RequestVoteReply) []byte {
	b = putInt(b, a.Term)
	b = putBool(b, a.VoteGranted)
	return putBool(b, a.PreVote)
}

// DecodeRequestVoteReply decodes what AppendRequestVoteReply wrote.
func DecodeRequestVoteReply(b []byte, a *raftapi.RequestVoteReply) error {
	r := reader{b: b}
	a.Term = r.int()
	a.VoteGranted = r.bool()
	a.PreVote = r.bool()
	return r.done("RequestVoteReply")
}

// AppendAppendEntriesArgs appends the encoding of a to b.
func AppendAppendEntriesArgs(b []byte, a *raftapi.AppendEntriesArgs) []byte {
	b = putInt(b, a.Term)
	b = putInt(b, a.LeaderID)
	b = putInt(b, a.PrevLogIndex)
	b = putInt(b, a.PrevLogTerm)
	b = putInt(b, a.LeaderCommit)
	b = binary.AppendUvarint(b, uint64(len(a.Entries)))
	for i := range a.Entries {
		b = putInt(b, a.Entries[i].Term)
		b = putBytes(b, a.Entries[i].Command)
	}
	return b
}

// DecodeAppendEntriesArgs decodes what AppendAppendEntriesArgs wrote. The
// entries' commands are fresh copies.
func DecodeAppendEntriesArgs(b []byte, a *raftapi.AppendEntriesArgs) error {
	r := reader{b: b}
	a.Term = r.int()
	a.LeaderID = r.int()
	a.PrevLogIndex = r.int()
	a.PrevLogTerm = r.int()
	a.LeaderCommit = r.int()
	n := 0
	if r.err == nil {
		v, k := binary.Uvarint(r.b)
		if k <= 0 || v > uint64(len(r.b)) { // each entry takes at least one byte
			r.err = ErrShort
		} else {
			r.b = r.b[k:]
			n = int(v)
		}
	}
	a.Entries = nil
	if n > 0 {
		a.Entries = make([]raftapi.Entry, n)
		for i := range a.Entries {
			a.Entries[i].Term = r.int()
			a.Entries[i].Command = r.bytes()
		}
	}
	return r.done("AppendEntriesArgs")
}

// AppendAppendEntriesReply appends the encoding of a to b.
func AppendAppendEntriesReply(b []byte, a *raftapi.AppendEntriesReply) []byte {
	b = putInt(b, a.Term)
	b = putBool(b, a.Success)
	b = putInt(b, a.XTerm)
	b = putInt(b, a.XIndex)
	return putInt(b, a.XLen)
}

// DecodeAppendEntriesReply decodes what AppendAppendEntriesReply wrote.
func DecodeAppendEntriesReply(b []byte, a *raftapi.AppendEntriesReply) error {
	r := reader{b: b}
	a.Term = r.int()
	a.Success = r.bool()
	a.XTerm = r.int()
	a.XIndex = r.int()
	a.XLen = r.int()
	return r.done("AppendEntriesReply")
}

// AppendInstallSnapshotArgs appends the encoding of a to b.
func AppendInstallSnapshotArgs(b []byte, a *raftapi.InstallSnapshotArgs) []byte {
	b = putInt(b, a.Term)
	b = putInt(b, a.LeaderID)
	b = putInt(b, a.LastIncludedIndex)
	b = putInt(b, a.LastIncludedTerm)
	return putBytes(b, a.Data)
}

// DecodeInstallSnapshotArgs decodes what AppendInstallSnapshotArgs wrote.
func DecodeInstallSnapshotArgs(b []byte, a *raftapi.InstallSnapshotArgs) error {
	r := reader{b: b}
	a.Term = r.int()
	a.LeaderID = r.int()
	a.LastIncludedIndex = r.int()
	a.LastIncludedTerm = r.int()
	a.Data = r.bytes()
	return r.done("InstallSnapshotArgs")
}

// AppendInstallSnapshotReply appends the encoding of a to b.
func AppendInstallSnapshotReply(b []byte, a *raftapi.InstallSnapshotReply) []byte {
	return putInt(b, a.Term)
}

// DecodeInstallSnapshotReply decodes what AppendInstallSnapshotReply wrote.
func DecodeInstallSnapshotReply(b []byte, a *raftapi.InstallSnapshotReply) error {
	r := reader{b: b}
	a.Term = r.int()
	return r.done("InstallSnapshotReply")
}

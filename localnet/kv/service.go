package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Status is the outcome of a command.
type Status uint8

// The statuses.
const (
	StatusOK    Status = 0 // applied (a Get of a missing key too, with NoKey)
	StatusNoKey Status = 1 // a Get of a key that does not exist; Value is ""
	StatusStale Status = 2 // older than the client's last command: ignored, nobody waits for it
)

// String returns the status's name.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "OK"
	case StatusNoKey:
		return "NoKey"
	case StatusStale:
		return "Stale"
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// Reply is what a client gets back for a command.
type Reply struct {
	Status Status
	Value  string // a Get's value ("" for a missing key); empty for Put and Append
}

// Result is what applying one committed log entry did.
type Result struct {
	Index     int     // the entry's log index
	Command   Command // the decoded command
	Reply     Reply   // the reply for the command's client
	Duplicate bool    // a retry of the client's last command: nothing changed, Reply is the cached one
}

// session is a client's entry in the dedup table.
type session struct {
	seq   uint64 // the last sequence number applied for the client
	reply Reply  // its reply, returned again to a retry
}

// Service is the key/value state machine: the data, the dedup table and
// the index of the last applied entry. The zero value is not ready; use
// New. A Service is not safe for concurrent use: the goroutine that runs
// the node's turns applies to it.
type Service struct {
	data        map[string]*item
	sessions    map[uint64]session
	lastApplied int

	// Snapshot's sorted orders, kept between snapshots: keys and clients
	// are never removed (only Restore replaces them), so an order is
	// still right while its length matches its map's. items are data's
	// own, so Snapshot reads the values without a lookup per key (which
	// was most of its time).
	items    []*item
	ids      []uint64
	snapSize int // the last snapshot's size: the next one's capacity
}

// item is one key and its value.
type item struct{ key, value string }

// New returns an empty service at index 0.
func New() *Service {
	return &Service{data: map[string]*item{}, sessions: map[uint64]session{}}
}

// ErrOrder is wrapped by the error Apply returns for an entry that is not
// the next one.
var ErrOrder = errors.New("kv: entry applied out of order")

// Apply applies the committed log entry at index, which must be
// LastApplied()+1, and returns what it did.
//
// An entry that is not the next one is an error wrapping ErrOrder and
// changes nothing. An entry whose command does not decode is an error
// wrapping ErrMalformed, and still counts as applied: every replica skips
// it the same way and stays at the same index (a client that wrote it
// never gets a reply).
func (s *Service) Apply(index int, command []byte) (Result, error) {
	if index != s.lastApplied+1 {
		return Result{}, fmt.Errorf("%w: entry %d after %d", ErrOrder, index, s.lastApplied)
	}
	s.lastApplied = index
	c, err := DecodeCommand(command)
	if err != nil {
		return Result{Index: index}, fmt.Errorf("kv: entry %d skipped: %w", index, err)
	}
	return s.apply(index, c), nil
}

// ApplyEntry is Apply for an entry that holds one command or a batch (see
// AppendBatch): it returns one Result per command, in the batch's order.
// A batch whose encoding is malformed anywhere is skipped whole, on every
// replica alike.
func (s *Service) ApplyEntry(index int, entry []byte, results []Result) ([]Result, error) {
	if index != s.lastApplied+1 {
		return results, fmt.Errorf("%w: entry %d after %d", ErrOrder, index, s.lastApplied)
	}
	s.lastApplied = index
	cmds, err := DecodeEntry(entry)
	if err != nil {
		return results, fmt.Errorf("kv: entry %d skipped: %w", index, err)
	}
	for _, c := range cmds {
		results = append(results, s.apply(index, c))
	}
	return results, nil
}

// apply applies one decoded command of the entry at index.
func (s *Service) apply(index int, c Command) Result {
	res := Result{Index: index, Command: c}
	sess, known := s.sessions[c.ClientID]
	switch {
	case known && c.Seq == sess.seq:
		res.Reply, res.Duplicate = sess.reply, true
		return res
	case known && c.Seq < sess.seq:
		res.Reply = Reply{Status: StatusStale}
		return res
	}
	switch c.Op {
	case OpGet:
		res.Reply = Reply{Status: StatusNoKey}
		if it := s.data[c.Key]; it != nil {
			res.Reply = Reply{Status: StatusOK, Value: it.value}
		}
	case OpPut, OpAppend:
		it := s.data[c.Key]
		switch {
		case it == nil:
			s.data[c.Key] = &item{key: c.Key, value: c.Value}
		case c.Op == OpPut:
			it.value = c.Value
		default:
			it.value += c.Value
		}
	}
	s.sessions[c.ClientID] = session{seq: c.Seq, reply: res.Reply}
	return res
}

// LastApplied returns the index of the last applied entry (or of the
// restored snapshot).
func (s *Service) LastApplied() int { return s.lastApplied }

// Lookup returns the local value of key, for tests and tools. It is not a
// linearizable read: only a Get through the log is.
func (s *Service) Lookup(key string) (string, bool) {
	if it := s.data[key]; it != nil {
		return it.value, true
	}
	return "", false
}

// Len returns the number of keys.
func (s *Service) Len() int { return len(s.data) }

const (
	snapMagic   = "RLKV"
	snapVersion = 1
)

// Snapshot returns the service's whole state, the dedup table and the last
// applied index included, for raftapi.Node.Snapshot:
//
//	"RLKV" | u8 version | uvarint last applied
//	uvarint n | n × (uvarint len, key | uvarint len, value), keys ascending
//	uvarint m | m × (uvarint client id | uvarint seq | u8 status | uvarint len, value), ids ascending
//
// Equal states give equal bytes.
func (s *Service) Snapshot() []byte {
	if len(s.items) != len(s.data) {
		s.items = slices.SortedFunc(maps.Values(s.data), func(a, b *item) int { return strings.Compare(a.key, b.key) })
	}
	if len(s.ids) != len(s.sessions) {
		s.ids = slices.Sorted(maps.Keys(s.sessions))
	}
	b := make([]byte, 0, s.snapSize+s.snapSize/8+64)
	b = append(b, snapMagic...)
	b = append(b, snapVersion)
	b = binary.AppendUvarint(b, uint64(s.lastApplied))
	b = binary.AppendUvarint(b, uint64(len(s.data)))
	for _, it := range s.items {
		b = appendString(b, it.key)
		b = appendString(b, it.value)
	}
	b = binary.AppendUvarint(b, uint64(len(s.sessions)))
	for _, id := range s.ids {
		sess := s.sessions[id]
		b = binary.AppendUvarint(b, id)
		b = binary.AppendUvarint(b, sess.seq)
		b = append(b, byte(sess.reply.Status))
		b = appendString(b, sess.reply.Value)
	}
	s.snapSize = len(b)
	return b
}

// Restore replaces the service's state with the one snapshot holds, as
// Snapshot wrote it. A malformed snapshot is an error wrapping
// ErrMalformed and leaves the service unchanged.
func (s *Service) Restore(snapshot []byte) error {
	r := reader{b: snapshot}
	if len(snapshot) < len(snapMagic)+1 || string(snapshot[:len(snapMagic)]) != snapMagic {
		return fmt.Errorf("%w snapshot: not a key/value snapshot", ErrMalformed)
	}
	r.off = len(snapMagic)
	if v := r.byte(); v != snapVersion {
		return fmt.Errorf("%w snapshot: version %d, this build reads version %d", ErrMalformed, v, snapVersion)
	}
	last := r.uvarint()
	// Every key takes at least two bytes and every client four: a count
	// beyond that is a lie, and must not size an allocation.
	n := r.count(2)
	data := make(map[string]*item, n)
	prev := ""
	for i := range n {
		k, v := r.string(), r.string()
		if r.err == nil && i > 0 && k <= prev {
			r.fail("key %q after %q: keys must ascend", k, prev)
		}
		data[k], prev = &item{key: k, value: v}, k
	}
	m := r.count(4)
	sessions := make(map[uint64]session, m)
	var prevID uint64
	for i := range m {
		id, seq, st := r.uvarint(), r.uvarint(), Status(r.byte())
		v := r.string()
		switch {
		case r.err != nil:
		case i > 0 && id <= prevID:
			r.fail("client %d after %d: clients must ascend", id, prevID)
		case seq == 0:
			r.fail("client %d with seq 0", id)
		case st != StatusOK && st != StatusNoKey:
			r.fail("client %d with reply status %d", id, uint8(st))
		case st == StatusNoKey && v != "":
			r.fail("client %d with a NoKey reply holding a value", id)
		}
		sessions[id], prevID = session{seq: seq, reply: Reply{Status: st, Value: v}}, id
	}
	switch {
	case r.err != nil:
		return fmt.Errorf("%w snapshot: %w", ErrMalformed, r.err)
	case r.off != len(snapshot):
		return fmt.Errorf("%w snapshot: %d trailing bytes", ErrMalformed, len(snapshot)-r.off)
	case last > math.MaxInt:
		return fmt.Errorf("%w snapshot: last applied index %d out of range", ErrMalformed, last)
	}
	s.data, s.sessions, s.lastApplied = data, sessions, int(last)
	s.items, s.ids = nil, nil // other keys, maybe as many
	return nil
}

// count reads an element count whose elements take at least minSize bytes
// each, failing if the rest of the input cannot hold that many.
func (r *reader) count(minSize int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64((len(r.b)-r.off)/minSize) {
		r.fail("count %d exceeds what %d bytes can hold", n, len(r.b)-r.off)
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Op is the operation of a command.
type Op uint8

// The operations. Their values are the first byte of an encoded command.
const (
	OpGet    Op = 1 // read a key
	OpPut    Op = 2 // set a key
	OpAppend Op = 3 // append to a key (a missing key counts as "")
)

// String returns the operation's name.
func (o Op) String() string {
	switch o {
	case OpGet:
		return "Get"
	case OpPut:
		return "Put"
	case OpAppend:
		return "Append"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Valid reports whether o is one of the three operations.
func (o Op) Valid() bool { return o >= OpGet && o <= OpAppend }

// Command is one client request as it goes through the Raft log.
type Command struct {
	Op       Op
	ClientID uint64 // the client's id, unique among clients
	Seq      uint64 // the client's sequence number, from 1
	Key      string
	Value    string // Put and Append only; empty for Get
}

// ErrMalformed is wrapped by every decoding error of this package.
var ErrMalformed = errors.New("kv: malformed")

// AppendCommand appends the encoding of c to b:
//
//	u8 op | uvarint client id | uvarint seq | uvarint len, key | uvarint len, value (Put, Append)
//
// The encoding is canonical: DecodeCommand accepts exactly what
// AppendCommand produces.
func AppendCommand(b []byte, c Command) []byte {
	b = append(b, byte(c.Op))
	b = binary.AppendUvarint(b, c.ClientID)
	b = binary.AppendUvarint(b, c.Seq)
	b = appendString(b, c.Key)
	if c.Op != OpGet {
		b = appendString(b, c.Value)
	}
	return b
}

// DecodeCommand decodes a command from b, which must hold exactly one. A
// malformed command is an error wrapping ErrMalformed that says what is
// wrong.
func DecodeCommand(b []byte) (Command, error) {
	var c Command
	r := reader{b: b}
	c.Op = Op(r.byte())
	if r.err == nil && !c.Op.Valid() {
		return Command{}, fmt.Errorf("%w command: unknown op %d", ErrMalformed, uint8(c.Op))
	}
	c.ClientID = r.uvarint()
	c.Seq = r.uvarint()
	c.Key = r.string()
	if c.Op != OpGet {
		c.Value = r.string()
	}
	switch {
	case r.err != nil:
		return Command{}, fmt.Errorf("%w command: %w", ErrMalformed, r.err)
	case c.Seq == 0:
		return Command{}, fmt.Errorf("%w command: seq 0 (clients number commands from 1)", ErrMalformed)
	case r.off != len(b):
		return Command{}, fmt.Errorf("%w command: %d trailing bytes", ErrMalformed, len(b)-r.off)
	}
	return c, nil
}

// batchMarker opens a batch entry: a byte no command starts with.
const batchMarker = 0

// AppendBatch appends the encoding of one log entry holding the commands
// encoded (each one an AppendCommand encoding), in order: group commit at
// the log's level, so that one Start, one save and one AppendEntries carry
// them all.
//
//	u8 0 | uvarint n (at least 2) | n × (uvarint len, command)
//
// A single command is encoded alone (AppendCommand), which is also what
// AppendBatch writes for a batch of one.
func AppendBatch(b []byte, encoded [][]byte) []byte {
	if len(encoded) == 1 {
		return append(b, encoded[0]...)
	}
	b = append(b, batchMarker)
	b = binary.AppendUvarint(b, uint64(len(encoded)))
	for _, c := range encoded {
		b = binary.AppendUvarint(b, uint64(len(c)))
		b = append(b, c...)
	}
	return b
}

// DecodeEntry decodes a log entry: one command, or a batch of them. Like
// DecodeCommand it accepts exactly what AppendCommand and AppendBatch
// produce, and says what is wrong otherwise.
func DecodeEntry(b []byte) ([]Command, error) {
	if len(b) == 0 || b[0] != batchMarker {
		c, err := DecodeCommand(b)
		if err != nil {
			return nil, err
		}
		return []Command{c}, nil
	}
	r := reader{b: b, off: 1}
	n := r.uvarint()
	switch {
	case r.err != nil:
		return nil, fmt.Errorf("%w batch: %w", ErrMalformed, r.err)
	case n < 2:
		return nil, fmt.Errorf("%w batch: %d commands (a batch holds at least 2)", ErrMalformed, n)
	case n > uint64(len(b)):
		return nil, fmt.Errorf("%w batch: %d commands in %d bytes", ErrMalformed, n, len(b))
	}
	cmds := make([]Command, 0, n)
	for i := range n {
		l := r.uvarint()
		if r.err == nil && l > uint64(len(b)-r.off) {
			r.fail("command %d: length %d runs past the end (%d bytes left)", i, l, len(b)-r.off)
		}
		if r.err != nil {
			return nil, fmt.Errorf("%w batch: %w", ErrMalformed, r.err)
		}
		c, err := DecodeCommand(b[r.off : r.off+int(l)])
		if err != nil {
			return nil, fmt.Errorf("batch command %d: %w", i, err)
		}
		r.off += int(l)
		cmds = append(cmds, c)
	}
	if r.off != len(b) {
		return nil, fmt.Errorf("%w batch: %d trailing bytes", ErrMalformed, len(b)-r.off)
	}
	return cmds, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// reader decodes canonical encodings; the first error sticks and later
// reads return zero values.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("at byte %d: "+format, append([]any{r.off}, args...)...)
	}
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail("unexpected end")
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		r.fail("unexpected end in a varint")
		return 0
	case n < 0:
		r.fail("varint overflows 64 bits")
		return 0
	case n != uvarintLen(v):
		// A longer encoding than needed would make two byte strings
		// decode to one command, and snapshots non-canonical.
		r.fail("varint not in its shortest form")
		return 0
	}
	r.off += n
	return v
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail("length %d runs past the end (%d bytes left)", n, len(r.b)-r.off)
		return ""
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s
}

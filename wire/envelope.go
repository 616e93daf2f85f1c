package wire

import (
	"encoding/binary"
	"fmt"
)

// Kind is the type of an RPC message: one of the three requests of the
// contract or its reply. Requests have even values and their replies the
// next odd value, so a reply's kind is its request's kind + 1.
type Kind uint8

// The six message kinds, in a fixed order that counters index by.
const (
	KindRequestVote Kind = iota
	KindRequestVoteReply
	KindAppendEntries
	KindAppendEntriesReply
	KindInstallSnapshot
	KindInstallSnapshotReply
	// NumKinds is the number of message kinds: the length of arrays
	// indexed by Kind.
	NumKinds
)

var kindNames = [NumKinds]string{"RequestVote", "RequestVoteReply", "AppendEntries", "AppendEntriesReply", "InstallSnapshot", "InstallSnapshotReply"}

// String is the kind's name, as the contract's types are named without
// "Args": "AppendEntries", "AppendEntriesReply".
func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Valid reports whether k is one of the six kinds.
func (k Kind) Valid() bool { return k < NumKinds }

// IsReply reports whether k is a reply.
func (k Kind) IsReply() bool { return k%2 == 1 }

// Reply is the kind of the reply to a request of kind k.
func (k Kind) Reply() Kind { return k | 1 }

// ParseKind returns the kind named name (as String returns it).
func ParseKind(name string) (Kind, error) {
	for k, n := range kindNames {
		if n == name {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("wire: unknown message kind %q", name)
}

// Envelope is one message between two nodes as it crosses a network: who
// sent it to whom, which call it belongs to, and the encoded message.
//
// Call and Incarnation route a reply back to the callback that is waiting
// for it: a request carries the sender's call id and incarnation, and its
// reply carries them back unchanged, so a driver delivers the reply only to
// the incarnation that sent the request (the contract: replies addressed to
// a crashed incarnation are discarded).
type Envelope struct {
	Kind        Kind
	From, To    int
	Call        uint64 // the sender's id for this call; the reply carries it back
	Incarnation uint64 // the requesting node's incarnation; the reply carries it back
	Body        []byte // the message, encoded by this package's Append functions
}

// envelopeVersion is the first byte of an encoded envelope, so that a peer
// running another format is told so instead of misreading the bytes.
const envelopeVersion = 1

// AppendEnvelope appends the encoding of e to b.
func AppendEnvelope(b []byte, e *Envelope) []byte {
	b = append(b, envelopeVersion, byte(e.Kind))
	b = binary.AppendUvarint(b, uint64(e.From))
	b = binary.AppendUvarint(b, uint64(e.To))
	b = binary.AppendUvarint(b, e.Call)
	b = binary.AppendUvarint(b, e.Incarnation)
	return putBytes(b, e.Body)
}

// DecodeEnvelope decodes an envelope from b, which must hold exactly one.
// Body aliases b. A malformed envelope is an error that says what is wrong,
// never a panic: it may come from anyone who can open a socket.
func DecodeEnvelope(b []byte, e *Envelope) error {
	if len(b) < 2 {
		return fmt.Errorf("decode envelope: %w", ErrShort)
	}
	if b[0] != envelopeVersion {
		return fmt.Errorf("decode envelope: format version %d, this build reads version %d", b[0], envelopeVersion)
	}
	k := Kind(b[1])
	if !k.Valid() {
		return fmt.Errorf("decode envelope: unknown message kind %d", b[1])
	}
	r := reader{b: b[2:]}
	from, to := r.uvarint(), r.uvarint()
	call, inc := r.uvarint(), r.uvarint()
	body := r.bytesAlias()
	if err := r.done("envelope"); err != nil {
		return err
	}
	const maxNode = 1 << 16
	if from >= maxNode || to >= maxNode {
		return fmt.Errorf("decode envelope: node ids %d→%d out of range", from, to)
	}
	*e = Envelope{Kind: k, From: int(from), To: int(to), Call: call, Incarnation: inc, Body: body}
	return nil
}

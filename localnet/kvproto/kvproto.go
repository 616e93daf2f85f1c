// Package kvproto is localnet's binary client protocol: length-prefixed
// frames over one persistent TCP connection, pipelined (a client may send
// many requests before reading an answer; every answer carries its
// request's tag, and answers may come back in any order).
//
// A node serves it on its client port, next to HTTP/JSON: a connection
// whose first four bytes are [Magic] speaks this protocol, any other is
// handed to the HTTP server. After the magic the client sends one version
// byte ([Version]); then both sides send frames. All integers are little
// endian.
//
//	frame    = u32 body length, body (at most MaxFrame bytes)
//	request  = u64 tag, u8 op (1 put, 2 append, 3 get), u64 client id,
//	           u64 seq, u32 key length, key, value (the rest of the body)
//	response = u64 tag, u8 status, then by status:
//	           OK:        the value (the rest of the body)
//	           NoKey:     nothing
//	           NotLeader: i32 leader id (-1: unknown), the leader's client
//	                      address (the rest)
//	           otherwise: an error message (the rest)
//
// A frame whose length is out of range, or a bad magic or version, ends
// the connection (the node logs why). A request that frames correctly but
// does not parse is answered with StatusBadRequest and the connection
// goes on.
package kvproto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Magic opens a connection of this protocol.
const Magic = "RLKV"

// Version is the protocol version this build speaks.
const Version = 1

// MaxFrame bounds a frame's body: a command's key and value travel in the
// log and in every snapshot, so a megabyte is already generous (the same
// bound as the HTTP body).
const MaxFrame = 1<<20 + 64

// Ops on the wire.
const (
	OpPut    = 1
	OpAppend = 2
	OpGet    = 3
)

// Statuses of a response.
const (
	StatusOK          = 0 // done; a get's value follows
	StatusNoKey       = 1 // a get of a missing key
	StatusNotLeader   = 2 // retry at the hinted leader
	StatusUnavailable = 3 // timeout, node stopping: retry (same seq)
	StatusStale       = 4 // the client already had a later command answered
	StatusBadRequest  = 5 // the request is malformed: do not retry
	StatusInternal    = 6 // the service failed the command
)

// Request is one command.
type Request struct {
	Tag      uint64
	Op       byte
	ClientID uint64
	Seq      uint64
	Key      []byte
	Value    []byte
}

// Response is a command's answer.
type Response struct {
	Tag        uint64
	Status     byte
	Value      []byte // OK: the value; errors: the message
	Leader     int32  // NotLeader: the hinted leader, -1 if unknown
	LeaderAddr []byte // NotLeader: its client address, may be empty
}

const reqHeader = 8 + 1 + 8 + 8 + 4

// AppendRequest appends r's frame to b.
func AppendRequest(b []byte, r *Request) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(reqHeader+len(r.Key)+len(r.Value)))
	b = binary.LittleEndian.AppendUint64(b, r.Tag)
	b = append(b, r.Op)
	b = binary.LittleEndian.AppendUint64(b, r.ClientID)
	b = binary.LittleEndian.AppendUint64(b, r.Seq)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(r.Key)))
	b = append(b, r.Key...)
	return append(b, r.Value...)
}

// ErrMalformed is wrapped by the parse errors.
var ErrMalformed = errors.New("kvproto: malformed frame")

// ParseRequest parses a request frame's body. Key and Value alias body.
// On an error, the tag is still returned when the body holds one, so that
// the answer can name the request.
func ParseRequest(body []byte) (Request, error) {
	var r Request
	if len(body) >= 8 {
		r.Tag = binary.LittleEndian.Uint64(body)
	}
	if len(body) < reqHeader {
		return r, fmt.Errorf("%w: request of %d bytes, want at least %d", ErrMalformed, len(body), reqHeader)
	}
	r.Op = body[8]
	r.ClientID = binary.LittleEndian.Uint64(body[9:])
	r.Seq = binary.LittleEndian.Uint64(body[17:])
	kl := uint64(binary.LittleEndian.Uint32(body[25:]))
	rest := body[reqHeader:]
	if kl > uint64(len(rest)) {
		return r, fmt.Errorf("%w: key of %d bytes in %d", ErrMalformed, kl, len(rest))
	}
	r.Key, r.Value = rest[:kl:kl], rest[kl:]
	return r, nil
}

// AppendResponse appends r's frame to b.
func AppendResponse(b []byte, r *Response) []byte {
	n := 8 + 1 + len(r.Value)
	if r.Status == StatusNotLeader {
		n = 8 + 1 + 4 + len(r.LeaderAddr)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(n))
	b = binary.LittleEndian.AppendUint64(b, r.Tag)
	b = append(b, r.Status)
	if r.Status == StatusNotLeader {
		b = binary.LittleEndian.AppendUint32(b, uint32(r.Leader))
		return append(b, r.LeaderAddr...)
	}
	return append(b, r.Value...)
}

// ParseResponse parses a response frame's body; the slices alias body.
func ParseResponse(body []byte) (Response, error) {
	var r Response
	if len(body) < 9 {
		return r, fmt.Errorf("%w: response of %d bytes", ErrMalformed, len(body))
	}
	r.Tag, r.Status, r.Leader = binary.LittleEndian.Uint64(body), body[8], -1
	rest := body[9:]
	if r.Status == StatusNotLeader {
		if len(rest) < 4 {
			return r, fmt.Errorf("%w: not-leader response without a leader", ErrMalformed)
		}
		r.Leader = int32(binary.LittleEndian.Uint32(rest))
		r.LeaderAddr = rest[4:]
		return r, nil
	}
	r.Value = rest
	return r, nil
}

// ReadFrame reads one frame's body into buf (grown as needed) and returns
// it. A length above MaxFrame is an error wrapping ErrMalformed.
func ReadFrame(br *bufio.Reader, buf []byte) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return buf, err
	}
	n := binary.LittleEndian.Uint32(h[:])
	if n > MaxFrame {
		return buf, fmt.Errorf("%w: frame of %d bytes, the limit is %d (is this a kvproto client?)", ErrMalformed, n, MaxFrame)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(br, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return buf, err
	}
	return buf, nil
}

// ReadHello reads the magic and version a client opens with.
func ReadHello(br *bufio.Reader) error {
	var h [len(Magic) + 1]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return fmt.Errorf("read the greeting: %w", err)
	}
	if string(h[:len(Magic)]) != Magic {
		return fmt.Errorf("%w: greeting %q, want %q", ErrMalformed, h[:len(Magic)], Magic)
	}
	if h[len(Magic)] != Version {
		return fmt.Errorf("%w: protocol version %d, this node speaks %d", ErrMalformed, h[len(Magic)], Version)
	}
	return nil
}

// Hello is what a client sends first.
func Hello() []byte { return append([]byte(Magic), Version) }

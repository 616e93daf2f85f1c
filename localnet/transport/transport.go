// Package transport carries localnet's Raft messages between node
// processes over TCP.
//
// # Frames
//
// A connection is a stream of frames, each a big-endian uint32 length
// followed by that many bytes: one [wire.Envelope] as
// [wire.AppendEnvelope] encodes it. Frames longer than [Config.MaxFrame]
// are refused before anything is allocated for them, since the length comes
// from whoever opened the socket.
//
// # Connections
//
// Every node dials one outgoing connection to every peer and sends all its
// messages to that peer over it (requests and its replies to the peer's
// requests alike); it reads what peers send on the connections they
// dialled. So a connection carries one direction only, and a reader never
// has to tell requests from replies or route anything: the envelope's
// call id and incarnation do that (package nodehost).
//
// # Why sends never block
//
// A turn of the node must never wait for a slow or dead peer: the node's
// goroutine would stop ticking and a single stuck follower would stall the
// leader. [Transport.Send] therefore only puts the envelope in a bounded
// queue per peer and returns; a writer goroutine per peer dials (with
// exponential backoff), encodes and writes. When the queue is full the
// message is dropped, which Raft tolerates by design: it retries
// AppendEntries on the next heartbeat and elections on the next timeout.
//
// # Bad input
//
// Anyone can connect to a node's port. A frame that is too long, an
// envelope that does not decode, or one that is not addressed to this node
// from a known peer closes that connection with a log line; the node and
// its other connections carry on.
//
// # Partitions
//
// [Transport.SetBlocked] installs a partition table: messages to a blocked
// peer are dropped when sent, and messages from it are dropped when
// received, so a partition holds even against a peer that does not know
// about it.
package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftlab/raftlab/wire"
)

// Defaults for the zero fields of [Config].
const (
	DefaultMaxFrame = 64 << 20 // bytes of one envelope
	DefaultQueueLen = 4096     // envelopes waiting for one peer
	DefaultInboxLen = 4096     // received envelopes waiting for the node
)

// maxEnvelopeHeader bounds the bytes an envelope adds to its body: version,
// kind, four uvarints and the body's length.
const maxEnvelopeHeader = 2 + 5*binary.MaxVarintLen64

// Backoff between dial attempts: doubled after every failure up to the
// maximum, reset by a connection that works.
const (
	minBackoff = 10 * time.Millisecond
	maxBackoff = time.Second
)

// Config describes one node's transport.
type Config struct {
	ID    int
	Peers []string // host:port of every node's peer port, indexed by node id

	// Listener, if not nil, is the peer port, already bound (tests bind
	// port 0 first). Otherwise the transport listens on ListenAddr, or on
	// Peers[ID] when ListenAddr is empty.
	Listener   net.Listener
	ListenAddr string

	MaxFrame int // 0: DefaultMaxFrame
	QueueLen int // 0: DefaultQueueLen
	InboxLen int // 0: DefaultInboxLen

	Logf func(format string, args ...any) // nil: no logging
}

// Stats counts what a transport did.
type Stats struct {
	Sent      int64 // envelopes written to a connection
	Dropped   int64 // envelopes dropped on send: queue full, peer blocked, or lost with a broken connection
	Received  int64 // envelopes handed to the node
	Blocked   int64 // envelopes dropped on receive because their sender is blocked
	BadFrames int64 // connections closed for a bad frame or envelope
}

// Transport is one node's end of the network. Its methods are safe for
// concurrent use.
type Transport struct {
	cfg   Config
	ln    net.Listener
	inbox chan *wire.Envelope
	peers []*peer // nil at cfg.ID

	blocked atomic.Pointer[[]bool] // indexed by node id; nil: nothing blocked

	sent, dropped, received, blockedIn, badFrames atomic.Int64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{} // open connections, closed by Close
}

type peer struct {
	id    int
	addr  string
	queue chan wire.Envelope
}

// New listens on the node's peer port and starts the transport's
// goroutines; Close stops them.
func New(cfg Config) (*Transport, error) {
	if cfg.ID < 0 || cfg.ID >= len(cfg.Peers) {
		return nil, fmt.Errorf("transport: node id %d out of range for %d peers", cfg.ID, len(cfg.Peers))
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.InboxLen <= 0 {
		cfg.InboxLen = DefaultInboxLen
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	ln := cfg.Listener
	if ln == nil {
		addr := cfg.ListenAddr
		if addr == "" {
			addr = cfg.Peers[cfg.ID]
		}
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("transport: listen for peers: %w", err)
		}
	}
	t := &Transport{cfg: cfg, ln: ln, inbox: make(chan *wire.Envelope, cfg.InboxLen),
		peers: make([]*peer, len(cfg.Peers)), conns: map[net.Conn]struct{}{}}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	for id, addr := range cfg.Peers {
		if id == cfg.ID {
			continue
		}
		p := &peer{id: id, addr: addr, queue: make(chan wire.Envelope, cfg.QueueLen)}
		t.peers[id] = p
		t.wg.Add(1)
		go t.write(p)
	}
	t.wg.Add(1)
	go t.accept()
	return t, nil
}

// Addr is the address the peer port listens on.
func (t *Transport) Addr() net.Addr { return t.ln.Addr() }

// Inbox delivers the envelopes peers sent to this node, in the order each
// connection carried them. The node's goroutine reads it.
func (t *Transport) Inbox() <-chan *wire.Envelope { return t.inbox }

// Send queues e for its destination, e.To, and returns at once. It drops
// e if the destination is blocked, unknown, or its queue is full. The
// transport keeps e (its Body included) until it is written.
func (t *Transport) Send(e wire.Envelope) {
	if e.To < 0 || e.To >= len(t.peers) || t.peers[e.To] == nil || t.isBlocked(e.To) {
		t.dropped.Add(1)
		return
	}
	if len(e.Body)+maxEnvelopeHeader > t.cfg.MaxFrame {
		// The peer would refuse it and drop the connection with it.
		t.dropped.Add(1)
		t.cfg.Logf("transport: node %d: dropped a %s of %d bytes to node %d: frames are limited to %d bytes",
			t.cfg.ID, e.Kind, len(e.Body), e.To, t.cfg.MaxFrame)
		return
	}
	select {
	case t.peers[e.To].queue <- e:
	default:
		t.dropped.Add(1)
	}
}

// SetBlocked replaces the partition table: messages to and from the listed
// nodes are dropped from now on. An empty list heals the partition. Ids
// out of range are an error and change nothing.
func (t *Transport) SetBlocked(ids []int) error {
	if len(ids) == 0 {
		t.blocked.Store(nil)
		return nil
	}
	b := make([]bool, len(t.cfg.Peers))
	for _, id := range ids {
		if id < 0 || id >= len(b) {
			return fmt.Errorf("transport: blocked node %d out of range 0..%d", id, len(b)-1)
		}
		b[id] = true
	}
	t.blocked.Store(&b)
	return nil
}

// Blocked lists the blocked nodes, ascending.
func (t *Transport) Blocked() []int {
	ids := []int{}
	if b := t.blocked.Load(); b != nil {
		for id, on := range *b {
			if on {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

func (t *Transport) isBlocked(id int) bool {
	b := t.blocked.Load()
	return b != nil && id >= 0 && id < len(*b) && (*b)[id]
}

// Stats returns the transport's counters.
func (t *Transport) Stats() Stats {
	return Stats{Sent: t.sent.Load(), Dropped: t.dropped.Load(), Received: t.received.Load(),
		Blocked: t.blockedIn.Load(), BadFrames: t.badFrames.Load()}
}

// Close stops listening, closes every connection and waits for the
// transport's goroutines. Queued envelopes are dropped.
func (t *Transport) Close() error {
	t.cancel()
	err := t.ln.Close()
	t.mu.Lock()
	for c := range t.conns {
		_ = c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (t *Transport) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			if t.ctx.Err() == nil {
				t.cfg.Logf("transport: node %d: accept: %v; no longer accepting peers", t.cfg.ID, err)
			}
			return
		}
		if !t.track(c) {
			return
		}
		t.wg.Add(1)
		go t.read(c)
	}
}

// read receives the frames of one accepted connection until it breaks or
// carries something that is not a frame for this node.
func (t *Transport) read(c net.Conn) {
	defer t.wg.Done()
	defer t.forget(c)
	r := bufio.NewReaderSize(c, 64<<10)
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return // the peer closed or crashed: nothing to report
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 || int64(n) > int64(t.cfg.MaxFrame) {
			t.bad(c, "frame of %d bytes (limit %d)", n, t.cfg.MaxFrame)
			return
		}
		// A fresh buffer per frame: the envelope's Body aliases it and
		// travels to the node, which may keep it.
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return
		}
		e := new(wire.Envelope)
		if err := wire.DecodeEnvelope(b, e); err != nil {
			t.bad(c, "%v", err)
			return
		}
		if e.To != t.cfg.ID || e.From < 0 || e.From >= len(t.cfg.Peers) || e.From == t.cfg.ID {
			t.bad(c, "a %s from node %d to node %d (this is node %d of %d)", e.Kind, e.From, e.To, t.cfg.ID, len(t.cfg.Peers))
			return
		}
		if t.isBlocked(e.From) {
			t.blockedIn.Add(1)
			continue
		}
		select {
		case t.inbox <- e:
			t.received.Add(1)
		case <-t.ctx.Done():
			return
		}
	}
}

// track records a connection for Close to close (a write to a stopped
// peer blocks until then); false if the transport is closing, and c is
// closed.
func (t *Transport) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx.Err() != nil {
		_ = c.Close()
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *Transport) forget(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	_ = c.Close()
}

func (t *Transport) bad(c net.Conn, format string, args ...any) {
	t.badFrames.Add(1)
	t.cfg.Logf("transport: node %d: dropping the connection from %s: %s", t.cfg.ID, c.RemoteAddr(), fmt.Sprintf(format, args...))
}

// write owns the connection to one peer: it dials with backoff, then
// writes the queued envelopes, flushing whenever the queue runs dry so
// that a burst costs one write system call.
func (t *Transport) write(p *peer) {
	defer t.wg.Done()
	backoff := minBackoff
	var (
		c   net.Conn
		w   *bufio.Writer
		buf []byte
	)
	defer func() {
		if c != nil {
			t.forget(c)
		}
	}()
	dialer := net.Dialer{Timeout: time.Second, KeepAlive: 15 * time.Second}
	for {
		var e wire.Envelope
		select {
		case <-t.ctx.Done():
			return
		case e = <-p.queue:
		}
		if t.isBlocked(p.id) { // blocked while it waited in the queue
			t.dropped.Add(1)
			continue
		}
		if c == nil {
			var err error
			c, err = dialer.DialContext(t.ctx, "tcp", p.addr)
			if err != nil {
				// The peer is down: this message is lost (Raft resends),
				// and the queue keeps filling until the backoff ends.
				t.dropped.Add(1)
				select {
				case <-t.ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, maxBackoff)
				continue
			}
			if !t.track(c) {
				return
			}
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetNoDelay(true)
			}
			w = bufio.NewWriterSize(c, 64<<10)
		}
		buf = AppendFrame(buf[:0], &e)
		_, err := w.Write(buf)
		n := int64(1)
		for err == nil && len(p.queue) > 0 {
			e = <-p.queue
			if t.isBlocked(p.id) {
				t.dropped.Add(1)
				continue
			}
			buf = AppendFrame(buf[:0], &e)
			_, err = w.Write(buf)
			n++
		}
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			// What the buffer held may or may not have reached the peer:
			// count it lost, and redial for the next message.
			t.dropped.Add(n)
			t.cfg.Logf("transport: node %d: connection to node %d at %s: %v; redialling", t.cfg.ID, p.id, p.addr, err)
			t.forget(c)
			c, w = nil, nil
			continue
		}
		t.sent.Add(n)
		backoff = minBackoff
	}
}

// AppendFrame appends the frame of e (length prefix and envelope) to b:
// what the transport writes, for tools and tests that speak to a node's
// peer port directly.
func AppendFrame(b []byte, e *wire.Envelope) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b = wire.AppendEnvelope(b, e)
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

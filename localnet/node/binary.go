package node

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/raftlab/raftlab/localnet/kv"
	"github.com/raftlab/raftlab/localnet/kvproto"
)

// maxInFlight bounds the requests of one binary connection that wait for
// an answer: past it the connection's reader stops reading, and TCP holds
// the client back.
const maxInFlight = 4096

// sniffListener serves the client port's two protocols: a connection that
// opens with kvproto.Magic goes to binary, any other one to the HTTP
// server, which accepts from this listener.
type sniffListener struct {
	net.Listener
	conns  chan net.Conn
	binary func(net.Conn, *bufio.Reader)
	logf   func(string, ...any)
	done   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

func newSniffListener(ln net.Listener, binary func(net.Conn, *bufio.Reader), logf func(string, ...any)) *sniffListener {
	l := &sniffListener{Listener: ln, conns: make(chan net.Conn), binary: binary, logf: logf, done: make(chan struct{})}
	l.wg.Go(l.acceptLoop)
	return l
}

func (l *sniffListener) acceptLoop() {
	defer func() { _ = l.Close() }() // the accept loop ends: so does the listener
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return
		}
		l.wg.Go(func() { l.sniff(c) })
	}
}

// sniff reads the connection's first bytes (a client that sends nothing
// for five seconds is dropped, the way the HTTP server's header timeout
// would) and routes it.
func (l *sniffListener) sniff(c net.Conn) {
	br := bufio.NewReaderSize(c, 64<<10)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	head, err := br.Peek(len(kvproto.Magic))
	_ = c.SetReadDeadline(time.Time{})
	if err == nil && string(head) == kvproto.Magic {
		l.binary(c, br)
		return
	}
	if err != nil && len(head) == 0 {
		_ = c.Close() // nothing sent at all
		return
	}
	select {
	case l.conns <- &peekedConn{Conn: c, r: br}:
	case <-l.done:
		_ = c.Close()
	}
}

func (l *sniffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *sniffListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.Listener.Close()
	})
	return err
}

// peekedConn is a connection whose first bytes sit in r.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// binConn is one binary client connection. Its reader submits requests to
// the node; the node answers through answer (never blocking: the frame is
// queued), and the writer goroutine writes what queued in one write, which
// also answers, with StatusUnavailable, the requests that passed their
// deadline (the node forgets those without answering).
type binConn struct {
	n    *node
	c    net.Conn
	slot chan struct{} // one per request in flight
	// dead is closed by the writer when a write fails: nothing frees a
	// slot after that, so a reader waiting for one must stop waiting.
	dead chan struct{}

	mu      sync.Mutex
	pending map[uint64]pendingReq // by the connection's own request id
	nextID  uint64
	out     []byte // frames to write
	outN    int    // how many
	wake    chan struct{}
}

type pendingReq struct {
	tag      uint64 // the client's
	deadline time.Time
}

// errWriteFailed ends a connection whose answers could not be written
// (the writer logs nothing itself; the reader's end says why).
var errWriteFailed = errors.New("writing the answers failed (the client went away?)")

// serveBinary runs a binary connection until it ends.
func (n *node) serveBinary(c net.Conn, br *bufio.Reader) {
	n.binMu.Lock()
	if n.binClosed {
		n.binMu.Unlock()
		_ = c.Close()
		return
	}
	n.binConns[c] = struct{}{}
	n.binMu.Unlock()
	defer func() {
		n.binMu.Lock()
		delete(n.binConns, c)
		n.binMu.Unlock()
	}()
	bc := &binConn{n: n, c: c, slot: make(chan struct{}, maxInFlight), pending: map[uint64]pendingReq{},
		wake: make(chan struct{}, 1), dead: make(chan struct{})}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() { bc.writer(stop) })
	err := bc.read(br)
	close(stop)
	_ = c.Close()
	wg.Wait()
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		n.logf("node %d: binary client %s: %v; closed the connection", n.cfg.ID, c.RemoteAddr(), err)
	}
}

func (bc *binConn) read(br *bufio.Reader) error {
	if err := kvproto.ReadHello(br); err != nil {
		return err
	}
	var buf []byte
	for {
		var err error
		if buf, err = kvproto.ReadFrame(br, buf); err != nil {
			return err
		}
		r, err := kvproto.ParseRequest(buf)
		var op kv.Op
		switch {
		case err != nil:
		case r.Op == kvproto.OpPut:
			op = kv.OpPut
		case r.Op == kvproto.OpAppend:
			op = kv.OpAppend
		case r.Op == kvproto.OpGet && len(r.Value) == 0:
			op = kv.OpGet
		case r.Op == kvproto.OpGet:
			err = errors.New("a get has no value")
		default:
			err = errors.New("unknown op: want 1 (put), 2 (append) or 3 (get)")
		}
		if err == nil && r.Seq == 0 {
			err = errors.New("seq must be at least 1")
		}
		select { // every answer, a bad request's too, holds a slot until written
		case bc.slot <- struct{}{}:
		case <-bc.n.done:
			return nil
		case <-bc.dead:
			return errWriteFailed
		}
		if err != nil {
			bc.n.logf("node %d: binary client %s: bad request: %v", bc.n.cfg.ID, bc.c.RemoteAddr(), err)
			bc.queue(&kvproto.Response{Tag: r.Tag, Status: kvproto.StatusBadRequest, Value: []byte(err.Error())})
			continue
		}
		cmd := kv.Command{Op: op, ClientID: r.ClientID, Seq: r.Seq, Key: string(r.Key), Value: string(r.Value)}
		deadline := time.Now().Add(bc.n.cfg.RequestTimeout)
		bc.mu.Lock()
		bc.nextID++
		id := bc.nextID
		bc.pending[id] = pendingReq{tag: r.Tag, deadline: deadline}
		bc.mu.Unlock()
		req := &request{cmd: cmd, enc: kv.AppendCommand(nil, cmd), deadline: deadline, bin: bc, binID: id}
		select {
		case bc.n.reqs <- req:
		case <-bc.n.done:
			return nil
		}
	}
}

// answer is the node's reply to the request id: queued unless the
// connection already answered it (a timeout).
func (bc *binConn) answer(id uint64, resp response) {
	bc.mu.Lock()
	p, ok := bc.pending[id]
	if ok {
		delete(bc.pending, id)
		r := binResponse(resp)
		r.Tag = p.tag
		bc.appendLocked(&r)
	}
	bc.mu.Unlock()
	if ok {
		bc.signal()
	}
}

func (bc *binConn) queue(r *kvproto.Response) {
	bc.mu.Lock()
	bc.appendLocked(r)
	bc.mu.Unlock()
	bc.signal()
}

func (bc *binConn) appendLocked(r *kvproto.Response) {
	bc.out = kvproto.AppendResponse(bc.out, r)
	bc.outN++
}

func (bc *binConn) signal() {
	select {
	case bc.wake <- struct{}{}:
	default:
	}
}

// writer writes the queued answers, all that queued in one write, until
// stop; every 100 ms it answers the requests past their deadline.
func (bc *binConn) writer(stop <-chan struct{}) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var buf []byte
	done := bc.n.done
	for {
		select {
		case <-stop:
			return
		case <-done:
			done = nil // once: the connection closes soon
			bc.expire(time.Now().Add(time.Hour), "node stopped")
		case <-t.C:
			bc.expire(time.Now(), "timeout")
		case <-bc.wake:
		}
		bc.mu.Lock()
		buf, bc.out = bc.out, buf[:0]
		k := bc.outN
		bc.outN = 0
		bc.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		if _, err := bc.c.Write(buf); err != nil {
			_ = bc.c.Close() // the reader sees it and ends the connection
			close(bc.dead)   // also when it is waiting for a slot
			<-stop
			return
		}
		for range k {
			<-bc.slot
		}
	}
}

// expire answers, with StatusUnavailable, the requests whose deadline is
// before now.
func (bc *binConn) expire(now time.Time, why string) {
	bc.mu.Lock()
	for id, p := range bc.pending {
		if now.After(p.deadline) {
			delete(bc.pending, id)
			bc.appendLocked(&kvproto.Response{Tag: p.tag, Status: kvproto.StatusUnavailable, Value: []byte(why)})
		}
	}
	bc.mu.Unlock()
}

// binResponse translates the node's (HTTP-shaped) answer.
func binResponse(resp response) kvproto.Response {
	switch b := resp.body.(type) {
	case kvReply:
		if b.Status == "no-key" {
			return kvproto.Response{Status: kvproto.StatusNoKey}
		}
		return kvproto.Response{Status: kvproto.StatusOK, Value: []byte(b.Value)}
	case notLeaderBody:
		return kvproto.Response{Status: kvproto.StatusNotLeader, Leader: int32(b.Leader), LeaderAddr: []byte(b.LeaderAddr)}
	case errorBody:
		st := byte(kvproto.StatusInternal)
		switch resp.code {
		case http.StatusServiceUnavailable:
			st = kvproto.StatusUnavailable
		case http.StatusConflict:
			st = kvproto.StatusStale
		case http.StatusBadRequest:
			st = kvproto.StatusBadRequest
		}
		return kvproto.Response{Status: st, Value: []byte(b.Error)}
	}
	return kvproto.Response{Status: kvproto.StatusInternal, Value: []byte("unknown answer")}
}

// closeBinary closes every binary connection, for shutdown.
func (n *node) closeBinary() {
	n.binMu.Lock()
	n.binClosed = true
	for c := range n.binConns {
		_ = c.Close()
	}
	n.binMu.Unlock()
}

package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/raftlab/raftlab/localnet/kvproto"
)

// Binary is a set of kvproto connections, one per node address, shared by
// the Clients made WithBinary(b): their commands are pipelined on one
// connection per node, and the ones that queue meanwhile leave in one
// write. It is safe for concurrent use; Close it when done.
type Binary struct {
	mu     sync.Mutex
	conns  map[string]*binConn
	closed bool
}

// NewBinary returns a Binary with no connection yet: each is dialled on
// first use, and again after it fails.
func NewBinary() *Binary { return &Binary{conns: map[string]*binConn{}} }

// WithBinary makes the client speak kvproto over b's connections instead
// of HTTP/JSON.
func WithBinary(b *Binary) Option { return func(c *Client) { c.bin = b } }

// Close closes every connection; commands in flight fail.
func (b *Binary) Close() error {
	b.mu.Lock()
	b.closed = true
	conns := b.conns
	b.conns = map[string]*binConn{}
	b.mu.Unlock()
	for _, c := range conns {
		c.fail(errors.New("client: closed"))
	}
	return nil
}

var errBinaryClosed = errors.New("client: the Binary is closed")

func (b *Binary) conn(ctx context.Context, addr string) (*binConn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errBinaryClosed
	}
	if c := b.conns[addr]; c != nil {
		return c, nil
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &binConn{c: nc, pending: map[uint64]chan kvproto.Response{}, wake: make(chan struct{}, 1),
		dead: make(chan struct{}), out: kvproto.Hello()}
	c.onDead = func() {
		b.mu.Lock()
		if b.conns[addr] == c {
			delete(b.conns, addr)
		}
		b.mu.Unlock()
	}
	b.conns[addr] = c
	go c.reader()
	go c.writer()
	c.signal()
	return c, nil
}

// binConn is one pipelined connection.
type binConn struct {
	c      net.Conn
	onDead func()

	mu      sync.Mutex
	pending map[uint64]chan kvproto.Response
	tag     uint64
	out     []byte
	err     error // set once, when the connection fails
	wake    chan struct{}
	dead    chan struct{} // closed with err
}

func (c *binConn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *binConn) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	c.pending = nil
	close(c.dead)
	c.mu.Unlock()
	_ = c.c.Close()
	c.onDead()
}

func (c *binConn) writer() {
	var buf []byte
	for {
		select {
		case <-c.dead:
			return
		case <-c.wake:
		}
		// The answers of one batch wake many clients at once: let the
		// runnable ones queue their next commands first, so that they
		// leave in one write (and reach the node in one read, which
		// feeds its group commit), not in one write each.
		runtime.Gosched()
		c.mu.Lock()
		buf, c.out = c.out, buf[:0]
		c.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		if _, err := c.c.Write(buf); err != nil {
			c.fail(fmt.Errorf("write: %w", err))
			return
		}
	}
}

func (c *binConn) reader() {
	br := bufio.NewReaderSize(c.c, 64<<10)
	var buf []byte
	for {
		var err error
		if buf, err = kvproto.ReadFrame(br, buf); err != nil {
			c.fail(fmt.Errorf("read: %w", err))
			return
		}
		r, err := kvproto.ParseResponse(buf)
		if err != nil {
			c.fail(err)
			return
		}
		// The slices alias buf, which the next frame overwrites.
		r.Value, r.LeaderAddr = append([]byte(nil), r.Value...), append([]byte(nil), r.LeaderAddr...)
		c.mu.Lock()
		ch := c.pending[r.Tag]
		delete(c.pending, r.Tag)
		c.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// do sends one request and waits for its answer, at most timeout.
func (c *binConn) do(ctx context.Context, r *kvproto.Request, timeout time.Duration) (kvproto.Response, error) {
	ch := make(chan kvproto.Response, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return kvproto.Response{}, err
	}
	c.tag++
	r.Tag = c.tag
	c.pending[r.Tag] = ch
	c.out = kvproto.AppendRequest(c.out, r)
	c.mu.Unlock()
	c.signal()
	t := time.NewTimer(timeout)
	defer t.Stop()
	var err error
	select {
	case resp := <-ch:
		return resp, nil
	case <-c.dead:
		c.mu.Lock()
		err = c.err
		c.mu.Unlock()
		return kvproto.Response{}, err
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = fmt.Errorf("no answer in %v", timeout)
	}
	c.mu.Lock()
	if c.pending != nil {
		delete(c.pending, r.Tag)
	}
	c.mu.Unlock()
	return kvproto.Response{}, err
}

var binOps = map[string]byte{"put": kvproto.OpPut, "append": kvproto.OpAppend, "get": kvproto.OpGet}

// attemptBinary is attempt over kvproto: the answer is translated to the
// HTTP protocol's codes and body, so that run's retry loop serves both.
func (c *Client) attemptBinary(ctx context.Context, addr string, op Op, seq uint64) (int, kvAnswer, error) {
	var ans kvAnswer
	code, ok := binOps[op.Kind]
	if !ok {
		return http.StatusBadRequest, kvAnswer{Error: fmt.Sprintf("unknown op %q: want put, append or get", op.Kind)}, nil
	}
	conn, err := c.bin.conn(ctx, addr)
	if err != nil {
		return 0, ans, err
	}
	req := kvproto.Request{Op: code, ClientID: c.id, Seq: seq, Key: []byte(op.Key), Value: []byte(op.Value)}
	resp, err := conn.do(ctx, &req, 5*time.Second)
	if err != nil {
		return 0, ans, fmt.Errorf("node %s: %w", addr, err)
	}
	switch resp.Status {
	case kvproto.StatusOK:
		return http.StatusOK, kvAnswer{Status: "ok", Value: string(resp.Value)}, nil
	case kvproto.StatusNoKey:
		return http.StatusOK, kvAnswer{Status: "no-key"}, nil
	case kvproto.StatusNotLeader:
		l := int(resp.Leader)
		return http.StatusMisdirectedRequest, kvAnswer{Error: "not leader", Leader: &l, LeaderAddr: string(resp.LeaderAddr)}, nil
	case kvproto.StatusUnavailable:
		return http.StatusServiceUnavailable, kvAnswer{Error: string(resp.Value)}, nil
	case kvproto.StatusStale:
		return http.StatusConflict, kvAnswer{Error: string(resp.Value)}, nil
	case kvproto.StatusBadRequest:
		return http.StatusBadRequest, kvAnswer{Error: string(resp.Value)}, nil
	}
	return http.StatusInternalServerError, kvAnswer{Error: string(resp.Value)}, nil
}

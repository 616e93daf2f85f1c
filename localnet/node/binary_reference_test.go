package node_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/localnet/client"
	"github.com/raftlab/raftlab/localnet/kvproto"
	"github.com/raftlab/raftlab/localnet/node"
)

// Binary clients write and read through the leader, whichever node they
// dial first, and what they write is what HTTP clients read.
func TestBinaryClients(t *testing.T) {
	c := newCluster(t, 3, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c.leader()
	bin := client.NewBinary()
	defer func() { _ = bin.Close() }()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Go(func() {
			cl := client.New(c.clientAddrs, client.WithBinary(bin))
			for i := w; i < 500; i += 16 {
				if err := cl.Put(ctx, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	checkAll(ctx, t, c.clientAddrs, 500) // over HTTP

	cl := client.New(c.clientAddrs, client.WithBinary(bin))
	require.NoError(t, cl.Append(ctx, "k1", "+"))
	v, found, err := cl.Get(ctx, "k1")
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "v1+", v)
	_, found, err = cl.Get(ctx, "missing")
	require.NoError(t, err)
	assert.False(t, found)
}

// syncLog collects a node's log lines.
type syncLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *syncLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *syncLog) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// dialBinary opens a kvproto connection to addr.
func dialBinary(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = conn.Write(kvproto.Hello())
	require.NoError(t, err)
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	return conn, bufio.NewReader(conn)
}

func readResponse(t *testing.T, br *bufio.Reader) kvproto.Response {
	t.Helper()
	body, err := kvproto.ReadFrame(br, nil)
	require.NoError(t, err)
	r, err := kvproto.ParseResponse(body)
	require.NoError(t, err)
	return r
}

// Malformed binary input is answered or dropped with a log line saying
// what was wrong; the node keeps serving.
func TestBinaryBadInput(t *testing.T) {
	logs := &syncLog{}
	c := newCluster(t, 1, func(cfg *node.Config) { cfg.Logf = logs.logf })
	c.leader()
	addr := c.clientAddrs[0]

	// Frames that frame correctly but do not parse: a bad-request answer
	// naming the request, and the connection goes on.
	conn, br := dialBinary(t, addr)
	short := []byte{12, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	badOp := kvproto.AppendRequest(nil, &kvproto.Request{Tag: 43, Op: 9, ClientID: 1, Seq: 1, Key: []byte("k")})
	seq0 := kvproto.AppendRequest(nil, &kvproto.Request{Tag: 44, Op: kvproto.OpPut, ClientID: 1, Key: []byte("k")})
	longKey := kvproto.AppendRequest(nil, &kvproto.Request{Tag: 45, Op: kvproto.OpPut, ClientID: 1, Seq: 1, Key: []byte("k")})
	longKey[4+8+1+8+8] = 200 // the key's length runs past the body
	for _, f := range [][]byte{short, badOp, seq0, longKey} {
		_, err := conn.Write(f)
		require.NoError(t, err)
	}
	for _, tag := range []uint64{42, 43, 44, 45} {
		r := readResponse(t, br)
		assert.Equal(t, tag, r.Tag)
		assert.Equal(t, byte(kvproto.StatusBadRequest), r.Status, "tag %d: %s", tag, r.Value)
	}
	_, err := conn.Write(kvproto.AppendRequest(nil, &kvproto.Request{Tag: 46, Op: kvproto.OpPut, ClientID: 1, Seq: 1,
		Key: []byte("k"), Value: []byte("v")}))
	require.NoError(t, err)
	r := readResponse(t, br)
	assert.Equal(t, uint64(46), r.Tag)
	assert.Equal(t, byte(kvproto.StatusOK), r.Status, "%s", r.Value)
	assert.True(t, logs.has("bad request: unknown op"), "the bad op is logged")

	// Input that breaks the framing ends the connection with a log line.
	cases := []struct {
		name string
		in   []byte
		log  string
	}{
		{"oversized frame", append(kvproto.Hello(), 0xff, 0xff, 0xff, 0xff), "frame of 4294967295 bytes"},
		{"wrong version", []byte("RLKV\x07"), "protocol version 7"},
		{"frame cut short", append(kvproto.Hello(), 100, 0, 0, 0, 1, 2), "unexpected EOF"},
	}
	for _, tc := range cases {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err, tc.name)
		_, err = conn.Write(tc.in)
		require.NoError(t, err, tc.name)
		if tc.name == "frame cut short" {
			require.NoError(t, conn.(*net.TCPConn).CloseWrite())
		}
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		n, err := conn.Read(make([]byte, 1))
		assert.Zero(t, n, tc.name)
		require.Error(t, err, "%s: the node closes the connection", tc.name)
		_ = conn.Close()
		require.Eventually(t, func() bool { return logs.has(tc.log) }, 5*time.Second, 10*time.Millisecond,
			"%s: a log line saying %q", tc.name, tc.log)
	}

	// The node still serves both protocols.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bin := client.NewBinary()
	defer func() { _ = bin.Close() }()
	require.NoError(t, client.New(c.clientAddrs, client.WithBinary(bin)).Put(ctx, "after", "ok"))
	v, found, err := client.New(c.clientAddrs).Get(ctx, "after")
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "ok", v)
}

// Requests pipelined in one write are all answered, each under its tag.
func TestBinaryPipelining(t *testing.T) {
	c := newCluster(t, 1, nil)
	c.leader()
	conn, br := dialBinary(t, c.clientAddrs[0])
	var frames []byte
	const n = 200
	for i := range n {
		frames = kvproto.AppendRequest(frames, &kvproto.Request{Tag: uint64(1000 + i), Op: kvproto.OpPut,
			ClientID: uint64(1 + i), Seq: 1, Key: fmt.Appendf(nil, "p%d", i), Value: []byte("x")})
	}
	_, err := conn.Write(frames)
	require.NoError(t, err)
	seen := map[uint64]bool{}
	for range n {
		r := readResponse(t, br)
		require.Equal(t, byte(kvproto.StatusOK), r.Status, "tag %d: %s", r.Tag, r.Value)
		require.False(t, seen[r.Tag], "tag %d answered twice", r.Tag)
		seen[r.Tag] = true
	}
	for i := range n {
		assert.True(t, seen[uint64(1000+i)], "tag %d answered", 1000+i)
	}
}

// A client that pipelines more requests than a connection holds in
// flight, never reads, and then resets the connection: the node ends the
// connection (with a log line) rather than leaving its reader waiting for
// a slot that nothing frees any more.
func TestBinaryResetWithFullPipeline(t *testing.T) {
	logs := &syncLog{}
	c := newCluster(t, 1, func(cfg *node.Config) { cfg.Logf = logs.logf })
	c.leader()
	conn, br := dialBinary(t, c.clientAddrs[0])
	big := strings.Repeat("v", 8<<10)
	put := kvproto.AppendRequest(nil, &kvproto.Request{Tag: 1, Op: kvproto.OpPut, ClientID: 1, Seq: 1, Key: []byte("big"), Value: []byte(big)})
	_, err := conn.Write(put)
	require.NoError(t, err)
	require.Equal(t, byte(kvproto.StatusOK), readResponse(t, br).Status)
	// 8 KB answers fill the socket buffers after a few hundred; the rest
	// take every slot of the connection.
	var frames []byte
	for i := range 8000 {
		frames = kvproto.AppendRequest(frames, &kvproto.Request{Tag: uint64(10 + i), Op: kvproto.OpGet, ClientID: 2, Seq: uint64(1 + i), Key: []byte("big")})
	}
	_, err = conn.Write(frames)
	require.NoError(t, err)
	time.Sleep(time.Second) // the node answers until its writes block
	tcp, ok := conn.(*net.TCPConn)
	require.True(t, ok)
	require.NoError(t, tcp.SetLinger(0)) // a reset, not a close: the node's next write fails
	require.NoError(t, conn.Close())
	assert.Eventually(t, func() bool { return logs.has("writing the answers failed") }, 10*time.Second, 20*time.Millisecond,
		"the node ended the connection")
}

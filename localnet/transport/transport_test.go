package transport_test

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/localnet/transport"
	"github.com/raftlab/raftlab/wire"
)

// logs collects a transport's log lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// pair starts transports for nodes 0 and 1 on loopback.
func pair(t *testing.T) (a, b *transport.Transport, lb *logs) {
	t.Helper()
	lns := make([]net.Listener, 2)
	peers := make([]string, 2)
	for i := range lns {
		var err error
		lns[i], err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		peers[i] = lns[i].Addr().String()
	}
	lb = &logs{}
	a, err := transport.New(transport.Config{ID: 0, Peers: peers, Listener: lns[0], Logf: t.Logf})
	require.NoError(t, err)
	b, err = transport.New(transport.Config{ID: 1, Peers: peers, Listener: lns[1], Logf: lb.logf})
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, a.Close())
		assert.NoError(t, b.Close())
	})
	return a, b, lb
}

func env(from, to int, call uint64) wire.Envelope {
	return wire.Envelope{Kind: wire.KindAppendEntries, From: from, To: to, Call: call, Incarnation: 1, Body: []byte{byte(call)}}
}

// receive waits for the next envelope of t's inbox.
func receive(t *testing.T, tr *transport.Transport) *wire.Envelope {
	t.Helper()
	select {
	case e := <-tr.Inbox():
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no envelope within 5 s")
		return nil
	}
}

func TestSendInOrder(t *testing.T) {
	a, b, _ := pair(t)
	for call := uint64(1); call <= 100; call++ {
		a.Send(env(0, 1, call))
	}
	for call := uint64(1); call <= 100; call++ {
		e := receive(t, b)
		require.Equal(t, call, e.Call)
		require.Equal(t, []byte{byte(call)}, e.Body)
	}
	b.Send(env(1, 0, 7))
	assert.Equal(t, uint64(7), receive(t, a).Call)
}

func TestBadConnectionsAreDroppedAndLogged(t *testing.T) {
	a, b, lb := pair(t)
	frame := func(e wire.Envelope) []byte { return transport.AppendFrame(nil, &e) }
	tests := []struct {
		name, log string
		in        []byte
	}{
		{"garbage", "frame of", []byte("GET / HTTP/1.1\r\n\r\n")},
		{"oversized", "frame of 4294967295 bytes", []byte{0xff, 0xff, 0xff, 0xff}},
		{"undecodable", "decode envelope", []byte{0, 0, 0, 2, 7, 7}},
		{"not for this node", "from node 0 to node 0", frame(env(0, 0, 1))},
		{"from itself", "from node 1 to node 1", frame(env(1, 1, 1))},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", b.Addr().String())
			require.NoError(t, err)
			defer func() { _ = c.Close() }()
			_, err = c.Write(tc.in)
			require.NoError(t, err)
			// The node closes the connection: the read ends.
			require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
			_, err = c.Read(make([]byte, 1))
			require.Error(t, err)
			require.Eventually(t, func() bool { return b.Stats().BadFrames == int64(i+1) }, 5*time.Second, 5*time.Millisecond)
			assert.Contains(t, lb.text(), tc.log)
		})
	}
	// The transport still works.
	a.Send(env(0, 1, 42))
	assert.Equal(t, uint64(42), receive(t, b).Call)
}

func TestPartitionDropsBothWays(t *testing.T) {
	a, b, _ := pair(t)
	require.NoError(t, b.SetBlocked([]int{0}))
	assert.Equal(t, []int{0}, b.Blocked())
	a.Send(env(0, 1, 1)) // a does not know: b drops on receive
	require.Eventually(t, func() bool { return b.Stats().Blocked == 1 }, 5*time.Second, 5*time.Millisecond)
	b.Send(env(1, 0, 2)) // b drops on send
	assert.Equal(t, int64(1), b.Stats().Dropped)

	require.NoError(t, b.SetBlocked(nil))
	assert.Empty(t, b.Blocked())
	a.Send(env(0, 1, 3))
	assert.Equal(t, uint64(3), receive(t, b).Call)
	require.Error(t, b.SetBlocked([]int{2}), "an id out of range")
}

func TestSendNeverBlocksOnADeadPeer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadAddr := dead.Addr().String()
	require.NoError(t, dead.Close()) // nobody listens there
	tr, err := transport.New(transport.Config{ID: 0, Peers: []string{ln.Addr().String(), deadAddr}, Listener: ln, QueueLen: 16})
	require.NoError(t, err)
	defer func() { _ = tr.Close() }()
	start := time.Now()
	for call := range uint64(100_000) {
		tr.Send(env(0, 1, call))
	}
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Positive(t, tr.Stats().Dropped)
}

func TestReconnectAfterPeerRestart(t *testing.T) {
	lns := make([]net.Listener, 2)
	peers := make([]string, 2)
	for i := range lns {
		var err error
		lns[i], err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		peers[i] = lns[i].Addr().String()
	}
	a, err := transport.New(transport.Config{ID: 0, Peers: peers, Listener: lns[0], Logf: t.Logf})
	require.NoError(t, err)
	defer func() { _ = a.Close() }()
	b, err := transport.New(transport.Config{ID: 1, Peers: peers, Listener: lns[1]})
	require.NoError(t, err)
	a.Send(env(0, 1, 1))
	assert.Equal(t, uint64(1), receive(t, b).Call)
	require.NoError(t, b.Close())

	b, err = transport.New(transport.Config{ID: 1, Peers: peers}) // the same address
	require.NoError(t, err)
	defer func() { _ = b.Close() }()
	// Messages sent on the broken connection, or while redialling, are
	// lost; the transport redials and later ones arrive.
	deadline := time.Now().Add(10 * time.Second)
	for call := uint64(2); time.Now().Before(deadline); call++ {
		a.Send(env(0, 1, call))
		select {
		case e := <-b.Inbox():
			assert.GreaterOrEqual(t, e.Call, uint64(2))
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("no envelope arrived after the peer restarted")
}

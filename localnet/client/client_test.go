package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/localnet/client"
)

type seen struct {
	node     int
	op       string
	clientID uint64
	seq      uint64
}

// fakeCluster is three HTTP servers speaking the node protocol: node 0
// redirects to node 2 by address, node 1 redirects with no hint, node 2
// leads but answers its first attempt at every command with a timeout.
type fakeCluster struct {
	mu    sync.Mutex
	seen  []seen
	addrs []string
	tries map[uint64]int // attempts node 2 saw per seq
	data  map[string]string
}

func newFake(t *testing.T) *fakeCluster {
	f := &fakeCluster{tries: map[uint64]int{}, data: map[string]string{}}
	servers := make([]*httptest.Server, 3)
	for i := range servers {
		servers[i] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.serve(i, w, r) }))
		t.Cleanup(servers[i].Close)
		f.addrs = append(f.addrs, strings.TrimPrefix(servers[i].URL, "http://"))
	}
	return f
}

func (f *fakeCluster) serve(node int, w http.ResponseWriter, r *http.Request) {
	var req struct {
		Op, Key, Value string
		ClientID       uint64 `json:"client_id"`
		Seq            uint64
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": err.Error()})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, seen{node, req.Op, req.ClientID, req.Seq})
	reply := func(code int, body map[string]any) {
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body)
	}
	switch {
	case req.Op == "bad":
		reply(http.StatusBadRequest, map[string]any{"error": "unknown op"})
	case node == 0:
		reply(http.StatusMisdirectedRequest, map[string]any{"error": "not leader", "leader": 2, "leader_addr": f.addrs[2]})
	case node == 1:
		reply(http.StatusMisdirectedRequest, map[string]any{"error": "not leader", "leader": -1, "leader_addr": ""})
	case f.tries[req.Seq] == 0:
		f.tries[req.Seq]++
		reply(http.StatusServiceUnavailable, map[string]any{"error": "timeout"})
	default:
		f.tries[req.Seq]++
		switch req.Op {
		case "put":
			f.data[req.Key] = req.Value
			reply(http.StatusOK, map[string]any{"status": "ok"})
		case "get":
			v, ok := f.data[req.Key]
			if !ok {
				reply(http.StatusOK, map[string]any{"status": "no-key", "value": ""})
				return
			}
			reply(http.StatusOK, map[string]any{"status": "ok", "value": v})
		}
	}
}

func TestClientFindsTheLeaderAndRetriesWithTheSameSeq(t *testing.T) {
	f := newFake(t)
	type rec struct {
		op  client.Op
		res client.Result
		err error
		ok  bool
	}
	var hist []rec
	c := client.New(f.addrs, client.WithID(77), client.WithHistory(func(invoke, ret time.Time, id uint64, op client.Op, res client.Result, err error) {
		hist = append(hist, rec{op, res, err, !ret.Before(invoke) && id == 77})
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Put(ctx, "k", "v"))
	v, found, err := c.Get(ctx, "k")
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, "v", v)
	_, found, err = c.Get(ctx, "missing")
	require.NoError(t, err)
	assert.False(t, found)

	f.mu.Lock()
	defer f.mu.Unlock()
	// The first command: node 0 redirects to node 2, which times out once,
	// then the client goes round (node 0 again, to node 2) with the same seq.
	require.GreaterOrEqual(t, len(f.seen), 3)
	assert.Equal(t, seen{0, "put", 77, 1}, f.seen[0])
	assert.Equal(t, seen{2, "put", 77, 1}, f.seen[1])
	for _, s := range f.seen {
		assert.Equal(t, uint64(77), s.clientID)
		assert.NotEqual(t, 1, s.node, "node 1 is never tried: the hint and the rotation skip it")
	}
	assert.Equal(t, 2, f.tries[1], "seq 1 was retried")
	assert.Equal(t, 2, f.tries[2], "seq 2 was retried")
	assert.Equal(t, 2, f.tries[3])
	require.Len(t, hist, 3)
	for _, h := range hist {
		assert.True(t, h.ok, "invoke ≤ return, and the client id")
		assert.NoError(t, h.err)
	}
	assert.Equal(t, client.Op{Kind: "get", Key: "k"}, hist[1].op)
	assert.Equal(t, client.Result{Found: true, Value: "v"}, hist[1].res)
}

func TestClientErrors(t *testing.T) {
	f := newFake(t)
	c := client.New(f.addrs[1:2]) // only a node that knows no leader
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := c.Put(ctx, "k", "v")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	c = client.New(f.addrs[2:])
	_, err = c.Do(context.Background(), client.Op{Kind: "bad"})
	var e *client.Error
	require.True(t, errors.As(err, &e), "a 400 is permanent: %v", err)
	assert.Equal(t, http.StatusBadRequest, e.Code)

	require.Error(t, client.New(nil).Put(context.Background(), "k", "v"))
}

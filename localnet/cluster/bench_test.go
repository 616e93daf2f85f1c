//go:build unix

package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeNode is one node that leads and serves /kv from a map, counting an
// fsync per write. With stale set, a Get answers the value the key had
// before its latest Put: a service that is not linearizable.
type fakeNode struct {
	stale bool

	mu     sync.Mutex
	data   map[string][2]string // key → {previous, current}
	fsyncs int64
}

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/status":
		_ = json.NewEncoder(w).Encode(map[string]any{"role": "leader", "term": 1, "incarnation": 1, "fsyncs": f.fsyncs})
	case "/kv":
		var req struct{ Op, Key, Value string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		v := f.data[req.Key]
		switch req.Op {
		case "put":
			f.data[req.Key] = [2]string{v[1], req.Value}
			f.fsyncs++
			_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
		case "get":
			val := v[1]
			if f.stale {
				val = v[0]
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "value": val})
		default:
			http.Error(w, "op", http.StatusBadRequest)
		}
	}
}

func benchFake(t *testing.T, stale bool) (BenchResult, string, error) {
	t.Helper()
	f := &fakeNode{stale: stale, data: map[string][2]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	html := filepath.Join(t.TempDir(), "violation.html")
	res, err := Bench(context.Background(), BenchConfig{
		Addrs: []string{strings.TrimPrefix(srv.URL, "http://")}, Clients: 4, Size: 20,
		Duration: 300 * time.Millisecond, Keys: 3, Reads: 0.5, Check: true, HTMLPath: html,
		HTTP: true, // the fake speaks HTTP/JSON only
	})
	return res, html, err
}

func TestBenchMeasuresAndChecks(t *testing.T) {
	res, html, err := benchFake(t, false)
	require.NoError(t, err)
	require.Positive(t, res.Ops)
	assert.Zero(t, res.Failed)
	assert.InDelta(t, 0.5, res.FsyncsPerOp, 0.2, "one fsync per Put, half the operations")
	assert.Equal(t, -1.0, res.CPUPerOp, "no pids, no CPU figure")
	assert.LessOrEqual(t, res.P50, res.P99)
	assert.LessOrEqual(t, res.P99, res.Max)
	require.NotNil(t, res.Check)
	assert.Equal(t, porcupine.Ok, res.Check.Outcome)
	assert.Equal(t, int(res.Ops), res.Check.Ops)
	_, err = os.Stat(html)
	assert.ErrorIs(t, err, os.ErrNotExist, "no visualisation without a violation")
	var out bytes.Buffer
	res.Print(&out)
	assert.Contains(t, out.String(), "history      linearizable")
}

func TestBenchReportsAViolation(t *testing.T) {
	res, html, err := benchFake(t, true)
	require.NoError(t, err)
	require.NotNil(t, res.Check)
	require.Equal(t, porcupine.Illegal, res.Check.Outcome)
	require.Equal(t, html, res.Check.HTML)
	b, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(b), "<html", "porcupine's visualisation")
	var out bytes.Buffer
	res.Print(&out)
	assert.Contains(t, out.String(), "NOT LINEARIZABLE")
	assert.Contains(t, out.String(), html)
}

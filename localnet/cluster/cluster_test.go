//go:build unix

package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeNodes serves /admin/partition on n loopback ports and records the
// last blocked list each received.
func fakeNodes(t *testing.T, n int) ([]string, func() [][]int) {
	t.Helper()
	var mu sync.Mutex
	got := make([][]int, n)
	addrs := make([]string, n)
	for i := range n {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var req struct{ Blocked []int }
			if r.URL.Path != "/admin/partition" || json.NewDecoder(r.Body).Decode(&req) != nil {
				http.Error(w, "bad", http.StatusBadRequest)
				return
			}
			mu.Lock()
			got[i] = req.Blocked
			mu.Unlock()
			_, _ = w.Write([]byte(`{}`))
		}))
		t.Cleanup(srv.Close)
		addrs[i] = strings.TrimPrefix(srv.URL, "http://")
	}
	return addrs, func() [][]int {
		mu.Lock()
		defer mu.Unlock()
		return append([][]int(nil), got...)
	}
}

func TestPartitionTellsEachNodeWhomToBlock(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		groups [][]int
		want   [][]int
	}{
		{"two groups", 3, [][]int{{0, 1}, {2}}, [][]int{{2}, {2}, {0, 1}}},
		{"unnamed nodes form one more group", 5, [][]int{{0}, {1, 2}}, [][]int{{1, 2, 3, 4}, {0, 3, 4}, {0, 3, 4}, {0, 1, 2}, {0, 1, 2}}},
		{"one node alone", 3, [][]int{{1}}, [][]int{{1}, {0, 2}, {1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addrs, got := fakeNodes(t, tc.n)
			require.NoError(t, Partition(context.Background(), addrs, tc.groups))
			assert.Equal(t, tc.want, got())
			require.NoError(t, Heal(context.Background(), addrs))
			for i, b := range got() {
				assert.Empty(t, b, "node %d after heal", i)
				assert.NotNil(t, b, "node %d is sent [] (not null) to heal", i)
			}
		})
	}
}

func TestPartitionRejectsUnknownNodes(t *testing.T) {
	addrs, _ := fakeNodes(t, 3)
	require.ErrorContains(t, Partition(context.Background(), addrs, [][]int{{0, 3}}), "no node 3")
}

func TestParseIDs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  bool
	}{
		{"0", []int{0}, false},
		{"0,1, 2", []int{0, 1, 2}, false},
		{"0,,1", nil, true},
		{"a", nil, true},
	} {
		got, err := parseIDs(tc.in)
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestProcCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	before, err := procCPU(os.Getpid())
	require.NoError(t, err)
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	after, err := procCPU(os.Getpid())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, after, before, "CPU time only grows (%d)", x)
	_, err = procCPU(1 << 30)
	assert.Error(t, err, "no such process")
}

func TestRunUsageAndErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{nil, 2, "usage: localnet"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"kill", "-dir", dir, "1"}, 1, "is `localnet up` running"},
		{[]string{"kill", "-dir", dir}, 1, "want one node number"},
		{[]string{"kv", "-dir", dir, "put", "k"}, 1, "want: kv put K V"},
		{[]string{"partition", "-addrs", "127.0.0.1:1", "0,x"}, 1, `node list "0,x"`},
		{[]string{"bench", "-addrs", "127.0.0.1:1", "-faults", "explode=1s"}, 1, "want kill-leader-every"},
		{[]string{"node", "-dir", dir}, 1, "-peers and -dir are required"},
		{[]string{"node", "-id", "3", "-peers", "a:1,b:1", "-dir", dir}, 1, "-id 3"},
	} {
		var out, errb bytes.Buffer
		code := Run(tc.args, &out, &errb, nil)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, errb.String())
		assert.Contains(t, errb.String(), tc.say, "%v", tc.args)
	}
}

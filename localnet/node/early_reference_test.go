package node_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/localnet/node"
)

// TestSaveOrder checks which messages wait for a node's save (sendEarly in
// node.go): with a slow disk on the leader, its AppendEntries reach the
// followers before its save ends, but the client's answer waits for it (the
// leader counts its own entry only after its save); with slow disks on the
// followers, the commit waits for a follower's save (its reply waits for it).
func TestSaveOrder(t *testing.T) {
	const delay = 400 * time.Millisecond
	for _, tt := range []struct {
		name         string
		slowLeader   bool
		earlyOnPeers bool // the followers have the entry before the slow save can have ended
	}{
		{name: "slow leader", slowLeader: true, earlyOnPeers: true},
		{name: "slow followers", slowLeader: false, earlyOnPeers: false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Ticks of 50 ms: an election timeout of 1-2 s, far above a save's delay.
			c := newCluster(t, 3, func(cfg *node.Config) { cfg.TickInterval = 50 * time.Millisecond })
			l := c.leader()
			code, body := post(t, c.clientAddrs[l], "/kv", `{"op":"put","key":"a","value":"0","client_id":9,"seq":1}`)
			require.Equal(t, http.StatusOK, code, body)
			var followers []int
			for i := range 3 {
				if i != l {
					followers = append(followers, i)
				}
			}
			slow := followers
			if tt.slowLeader {
				slow = []int{l}
			}
			for _, i := range slow {
				code, body := post(t, c.clientAddrs[i], "/admin/slow-disk", fmt.Sprintf(`{"delay_ms":%d}`, delay.Milliseconds()))
				require.Equal(t, http.StatusOK, code, body)
			}
			lastIndex := func(i int) int {
				st, err := c.status(i)
				if err != nil {
					return -1
				}
				return st.LastIndex
			}
			before := lastIndex(followers[0])
			require.Equal(t, before, lastIndex(followers[1]), "the followers hold the same log after the first put")

			start := time.Now()
			answered := make(chan time.Duration, 1)
			go func() {
				resp, err := http.Post("http://"+c.clientAddrs[l]+"/kv", "application/json",
					strings.NewReader(`{"op":"put","key":"a","value":"1","client_id":9,"seq":2}`))
				if err == nil {
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				assert.NoError(t, err)
				answered <- time.Since(start)
			}()
			if tt.earlyOnPeers {
				assert.Eventually(t, func() bool { return lastIndex(followers[0]) > before || lastIndex(followers[1]) > before },
					delay/2, 5*time.Millisecond, "the leader's AppendEntries left before its save")
			}
			took := <-answered
			assert.GreaterOrEqual(t, took, delay, "the answer came before a save it depends on")
		})
	}
}

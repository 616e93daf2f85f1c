//go:build worker_e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/publish"
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/result/resulttest"
	"github.com/raftlab/raftlab/trace"
	"github.com/raftlab/raftlab/worker/api"
)

// TestWorker drives one local Worker through every endpoint, restarts
// it on the same state, and checks that the state survived.
func TestWorker(t *testing.T) {
	state := t.TempDir()
	port := freePort(t)
	rt := start(t, state, port)
	t.Logf("wrangler dev: %s from spawn to the first /api/ping answer", rt.ready.Round(time.Millisecond))
	c := &client{t: t, rt: rt, ip: "198.51.100.1"}

	t.Run("the page and its WebAssembly are assets", func(t *testing.T) {
		c := &client{t: t, rt: rt, ip: "198.51.100.2"}
		r := c.do("GET", "/", nil, nil)
		require.Equal(t, 200, r.status)
		assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "text/html"), r.header.Get("Content-Type"))
		assert.Contains(t, string(r.body), `<script src="app.js"></script>`)
		r = c.do("GET", "/sandbox.wasm", nil, nil)
		require.Equal(t, 200, r.status)
		assert.Equal(t, "application/wasm", r.header.Get("Content-Type"))
		assert.Equal(t, []byte("\x00asm"), r.body[:4])
		assert.Contains(t, r.header.Get("Cache-Control"), "must-revalidate")
		assert.NotEmpty(t, r.header.Get("ETag"))
		r = c.do("GET", "/wasm_exec.js", nil, nil)
		require.Equal(t, 200, r.status)
		assert.Contains(t, r.header.Get("Content-Type"), "javascript")
		requireError(t, c.do("GET", "/no/such/page", nil, nil), 404, "not found")
	})

	var sharedTrace []byte
	t.Run("/api/run answers a verdict and a trace", func(t *testing.T) {
		c := &client{t: t, rt: rt, ip: "198.51.100.3"}
		r := c.do("POST", "/api/run", []byte(`{"scenario":{"stage":"election","name":"InitialElection"},"seed":4}`), nil)
		require.Equal(t, 200, r.status, "%s", r.body)
		var ra api.RunAnswer
		require.NoError(t, json.Unmarshal(r.body, &ra))
		assert.Equal(t, "pass", ra.Verdict)
		require.NotNil(t, ra.Trace, ra.TraceOmitted)
		raw, err := ra.Trace.DecodeTrace()
		require.NoError(t, err)
		tr, err := trace.Decode(bytes.NewReader(raw))
		require.NoError(t, err)
		assert.Equal(t, uint64(4), tr.Header.Seed)
		assert.True(t, tr.Result.OK)
		assert.Equal(t, ra.Summary.Hash, tr.Result.Hash)
		sharedTrace = raw

		r = c.do("POST", "/api/run", []byte(`{"mix":{"faults":"all","duration_ms":1000},"seed":9,"nodes":3}`), nil)
		require.Equal(t, 200, r.status, "%s", r.body)
		require.NoError(t, json.Unmarshal(r.body, &ra))
		assert.Contains(t, []string{"pass", "fail"}, ra.Verdict)
		assert.Contains(t, ra.Summary.Plan, "3 nodes")
	})

	var sharedID string
	t.Run("a shared trace round-trips and /t/{id} opens the page", func(t *testing.T) {
		require.NotEmpty(t, sharedTrace)
		c := &client{t: t, rt: rt, ip: "198.51.100.4"}
		r := c.do("POST", "/api/traces", sharedTrace, map[string]string{"Content-Type": "application/json"})
		require.Equal(t, 201, r.status, "%s", r.body)
		var sh api.Shared
		require.NoError(t, json.Unmarshal(r.body, &sh))
		assert.Equal(t, rt.url+"/t/"+sh.ID, sh.URL)
		sharedID = sh.ID
		r = c.do("GET", "/api/traces/"+sh.ID, nil, nil)
		require.Equal(t, 200, r.status)
		assert.Equal(t, sharedTrace, r.body)
		r = c.do("GET", "/t/"+sh.ID, nil, nil) // follows the redirect
		require.Equal(t, 200, r.status)
		assert.Equal(t, rt.url+"/?trace=%2Fapi%2Ftraces%2F"+sh.ID, r.url)
		assert.Contains(t, string(r.body), `<script src="app.js"></script>`)
	})

	full := result.Score(resulttest.Cases()[0].Outcome, resulttest.Rubric())
	resultsURL := rt.url + "/api/courses/" + course + "/results"
	t.Run("a signed result is accepted and shows on the scoreboard", func(t *testing.T) {
		env, err := publish.NewEnvelope("student-1", "ada", full)
		require.NoError(t, err)
		pc := &publish.Client{URL: resultsURL, Key: []byte(courseKey)}
		require.NoError(t, pc.Post(context.Background(), env))
		r := c.do("GET", "/api/courses/"+course+"/scoreboard", nil, nil)
		require.Equal(t, 200, r.status, "%s", r.body)
		var sb api.Scoreboard
		require.NoError(t, json.Unmarshal(r.body, &sb))
		assert.Equal(t, 1, sb.Submissions)
		require.Len(t, sb.Leaderboard, 1)
		assert.Equal(t, "ada", sb.Leaderboard[0].Pseudonym)
		assert.Equal(t, full.Score, sb.Leaderboard[0].Score)
		r = c.do("GET", "/courses/"+course, nil, nil)
		require.Equal(t, 200, r.status)
		assert.Contains(t, string(r.body), "<td>ada</td>")
	})

	t.Run("each bad request gets its status and JSON error", func(t *testing.T) {
		c := &client{t: t, rt: rt, ip: "198.51.100.5"}
		path := "/api/courses/" + course + "/results"
		env, err := publish.NewEnvelope("student-2", "", full)
		require.NoError(t, err)
		body, err := json.Marshal(env)
		require.NoError(t, err)
		sign := func(b []byte, at time.Time, nonce, key string) map[string]string {
			s, err := publish.Sign([]byte(key), path, b, at, nonce)
			require.NoError(t, err)
			return map[string]string{publish.HeaderTimestamp: s.Timestamp, publish.HeaderNonce: s.Nonce, publish.HeaderSignature: s.Signature}
		}
		now := time.Now()
		used := sign(body, now, "e2e-nonce-replayed-1", courseKey)
		require.Equal(t, 201, c.do("POST", path, body, used).status)
		bad := []byte(`{"version":1,"submission":`)
		cases := []struct {
			name   string
			method string
			path   string
			body   []byte
			header map[string]string
			status int
			what   string
		}{
			{"missing signature", "POST", path, body, nil, 401, "missing signature"},
			{"bad signature", "POST", path, body, sign(body, now, "e2e-nonce-badsig-01", "another-key-0123456789abcdef"), 401, "bad signature"},
			{"expired timestamp", "POST", path, body, sign(body, now.Add(-time.Hour), "e2e-nonce-expired-1", courseKey), 401, "expired timestamp"},
			{"replayed nonce", "POST", path, body, used, 409, "replayed nonce"},
			{"body over the limit", "POST", path, bytes.Repeat([]byte("x"), 300<<10), nil, 413, "body too large"},
			{"malformed JSON (result)", "POST", path, bad, sign(bad, now, "e2e-nonce-badjson-1", courseKey), 400, "malformed JSON"},
			{"malformed JSON (run)", "POST", "/api/run", []byte(`{"mix":`), nil, 400, "malformed JSON"},
			{"unknown scenario", "POST", "/api/run", []byte(`{"scenario":{"stage":"election","name":"NoSuch"}}`), nil, 404, "unknown scenario"},
			{"over the CPU budget", "POST", "/api/run", []byte(`{"mix":{"duration_ms":600000},"nodes":9}`), nil, 422, "over the CPU budget"},
			{"unknown course", "GET", "/api/courses/no-such-course/scoreboard", nil, nil, 404, "unknown course"},
			{"no such trace", "GET", "/api/traces/" + strings.Repeat("0", 32), nil, nil, 404, "no such trace"},
			{"not a trace", "POST", "/api/traces", []byte("[1]"), nil, 400, "not a trace"},
			// trace.Decode reads it; the schema's validator (JavaScript) refuses it.
			{"not a trace by the schema", "POST", "/api/traces", []byte(`{"format":"raftlab-trace","version":2,"header":{"nodes":1},"events":[],"states":[],"result":{"ok":true,"end_t":0,"hash":""}}`), nil, 400, "not a trace"},
		}
		for i, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				// A client each: together they are more than the rate limit.
				c := &client{t: t, rt: rt, ip: fmt.Sprintf("198.51.100.%d", 100+i)}
				requireError(t, c.do(tt.method, tt.path, tt.body, tt.header), tt.status, tt.what)
			})
		}
	})

	t.Run("too many requests from one client", func(t *testing.T) {
		c := &client{t: t, rt: rt, ip: "198.51.100.6"}
		// The window is the clock's minute: requests that straddle its
		// end get the limit twice, so 2×limit+1 requests meet a 429
		// whenever it is; and at least the limit passes first.
		var last reply
		passed := 0
		for i := 0; i <= 2*rateLimit; i++ {
			last = c.do("POST", "/api/traces", []byte("{"), nil)
			if last.status == 429 {
				break
			}
			require.Equal(t, 400, last.status, "request %d: %s", i, last.body)
			passed++
		}
		requireError(t, last, 429, "too many requests")
		assert.GreaterOrEqual(t, passed, rateLimit)
		assert.NotEmpty(t, last.header.Get("Retry-After"))
		other := &client{t: t, rt: rt, ip: "198.51.100.7"}
		assert.Equal(t, 400, other.do("POST", "/api/traces", []byte("{"), nil).status, "another client is not limited")
	})

	t.Run("the page from the Worker runs a scenario in Chromium", func(t *testing.T) {
		require.NotEmpty(t, sharedID)
		dir := workerDir(t)
		cmd := exec.Command("npx", "node", "--test", "--test-concurrency=1", filepath.Join("e2e", "browser.test.mjs"))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "WORKER_URL="+rt.url+"/", "SHARED_TRACE_ID="+sharedID)
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		require.NoError(t, err, "the browser test failed")
	})

	t.Run("KV state survives a restart of the local runtime", func(t *testing.T) {
		require.NotEmpty(t, sharedID)
		rt.stop()
		rt2 := start(t, state, port)
		t.Logf("restarted: %s to the first answer", rt2.ready.Round(time.Millisecond))
		c := &client{t: t, rt: rt2, ip: "198.51.100.8"}
		r := c.do("GET", "/api/traces/"+sharedID, nil, nil)
		require.Equal(t, 200, r.status, "%s", r.body)
		assert.Equal(t, sharedTrace, r.body)
		r = c.do("GET", "/api/courses/"+course+"/scoreboard", nil, nil)
		require.Equal(t, 200, r.status)
		var sb api.Scoreboard
		require.NoError(t, json.Unmarshal(r.body, &sb))
		assert.Equal(t, 2, sb.Submissions, "student-1 and student-2")
		// The replay guard survived too.
		requireError(t, c.do("POST", "/api/courses/"+course+"/results", nil, nil), 401, "missing signature")
		t.Logf("request log of the restarted runtime:\n%s", strings.Join(logLines(rt2.log.String()), "\n"))
	})
}

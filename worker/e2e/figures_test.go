//go:build worker_e2e

package e2e

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/publish"
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/result/resulttest"
	"github.com/raftlab/raftlab/worker/api"
)

// TestFigures measures the local Worker for the README: the bundle's
// gzip size, the cold start, and per endpoint the CPU and wall time of a
// request. workerd reports no CPU time locally (wrangler logs only wall
// time), so CPU is read from /proc: the user+system time of every
// workerd process over n sequential requests, divided by n. That is the
// whole runtime's CPU (its HTTP front, the local KV store, the Worker),
// an upper bound on what Cloudflare bills the Worker, at the kernel
// tick's 10 ms granularity (hence n ≥ 20). Run with WORKER_FIGURES=1.
func TestFigures(t *testing.T) {
	if os.Getenv("WORKER_FIGURES") == "" {
		t.Skip("set WORKER_FIGURES=1 to measure")
	}
	dir := workerDir(t)
	var gz int64
	for _, f := range []string{"build/app.wasm", "build/worker.mjs", "build/runtime.mjs", "build/wasm_exec.js", "build/trace-validator.mjs", "entry.mjs"} {
		gz += gzipSize(t, filepath.Join(dir, f))
	}
	fmt.Printf("bundle: %d bytes gzip -6 (free plan: %d)\n", gz, 3<<20)

	rt := startWith(t, t.TempDir(), freePort(t), 0, 100000)
	fmt.Printf("cold start: %s from spawning wrangler dev to the first /api/ping answer\n", rt.ready.Round(time.Millisecond))
	c := &client{t: t, rt: rt, ip: "192.0.2.1"}

	// A shared trace and a result to read back.
	ra := c.do("POST", "/api/run", []byte(`{"scenario":{"stage":"election","name":"InitialElection"},"seed":1}`), nil)
	require.Equal(t, 200, ra.status)
	var ans api.RunAnswer
	require.NoError(t, json.Unmarshal(ra.body, &ans))
	tr, err := ans.Trace.DecodeTrace()
	require.NoError(t, err)
	r := c.do("POST", "/api/traces", tr, nil)
	require.Contains(t, []int{200, 201}, r.status, "%s", r.body)
	var sh api.Shared
	require.NoError(t, json.Unmarshal(r.body, &sh))

	full := result.Score(resulttest.Cases()[2].Outcome, resulttest.Rubric())
	path := "/api/courses/" + course + "/results"
	nonce := 0
	signedPost := func() (string, []byte, map[string]string) {
		nonce++
		env, err := publish.NewEnvelope("s"+strconv.Itoa(nonce%40), "p"+strconv.Itoa(nonce%40), full)
		require.NoError(t, err)
		b, err := json.Marshal(env)
		require.NoError(t, err)
		s, err := publish.Sign([]byte(courseKey), path, b, time.Now(), fmt.Sprintf("figures-nonce-%08d-%d", nonce, time.Now().UnixNano()))
		require.NoError(t, err)
		return path, b, map[string]string{publish.HeaderTimestamp: s.Timestamp, publish.HeaderNonce: s.Nonce, publish.HeaderSignature: s.Signature}
	}
	fixed := func(method, p string, body string) func() (string, []byte, map[string]string) {
		return func() (string, []byte, map[string]string) { return p, []byte(body), nil }
	}
	type endpoint struct {
		name   string
		method string
		n      int
		req    func() (string, []byte, map[string]string)
		status int
	}
	run := func(nodes int, ms int) string {
		return fmt.Sprintf(`{"mix":{"faults":"all","duration_ms":%d},"seed":3,"nodes":%d}`, ms, nodes)
	}
	endpoints := []endpoint{
		{"static asset GET /sandbox.wasm (assets layer)", "GET", 20, fixed("GET", "/sandbox.wasm", ""), 200},
		{"empty handler GET /api/ping", "GET", 30, fixed("GET", "/api/ping", ""), 200},
		{"JSON error (malformed JSON) POST /api/run", "POST", 30, fixed("POST", "/api/run", "{"), 400},
		{"shared-trace get GET /api/traces/{id}", "GET", 30, fixed("GET", "/api/traces/"+sh.ID, ""), 200},
		{fmt.Sprintf("share a trace POST /api/traces (%d KB, schema-checked)", len(tr)>>10), "POST", 20, fixed("POST", "/api/traces", string(tr)), 200},
		{"scoreboard post POST /api/courses/{c}/results", "POST", 30, signedPost, 201},
		{"scoreboard get GET /api/courses/{c}/scoreboard (40 entries)", "GET", 30, fixed("GET", "/api/courses/"+course+"/scoreboard", ""), 200},
		{"/api/run scenario election/InitialElection", "POST", 10, fixed("POST", "/api/run", `{"scenario":{"stage":"election","name":"InitialElection"},"seed":1}`), 200},
		{"/api/run mix, 3 nodes, 1 s of faults", "POST", 10, fixed("POST", "/api/run", run(3, 1000)), 200},
		{"/api/run mix, 5 nodes, 2 s of faults", "POST", 10, fixed("POST", "/api/run", run(5, 2000)), 200},
		{"/api/run mix, 5 nodes, 10 s of faults", "POST", 5, fixed("POST", "/api/run", run(5, 10000)), 200},
		{"/api/run mix, 5 nodes, 30 s of faults", "POST", 3, fixed("POST", "/api/run", run(5, 30000)), 200},
		{"/api/run mix, 5 nodes, 60 s of faults", "POST", 2, fixed("POST", "/api/run", run(5, 60000)), 200},
	}
	fmt.Printf("%-62s %10s %10s %10s %s\n", "endpoint", "CPU ms", "wall p50", "wall max", "sim")
	for _, ep := range endpoints {
		p, b, h := ep.req()
		r := c.do(ep.method, p, b, h) // a warm-up request, not counted
		require.Contains(t, []int{ep.status, 200}, r.status, "%s: %s", ep.name, r.body)
		var walls []time.Duration
		cpu0 := workerdCPU(t, rt)
		var sim string
		for range ep.n {
			p, b, h := ep.req()
			t0 := time.Now()
			r := c.do(ep.method, p, b, h)
			walls = append(walls, time.Since(t0))
			require.Contains(t, []int{ep.status, 200}, r.status, "%s: %s", ep.name, r.body)
			if strings.HasPrefix(ep.name, "/api/run") {
				var a api.RunAnswer
				require.NoError(t, json.Unmarshal(r.body, &a))
				sim = fmt.Sprintf("%.1f s simulated, %d events", a.Summary.SimMs/1000, a.Summary.Events)
			}
		}
		cpu := workerdCPU(t, rt) - cpu0
		slices.Sort(walls)
		fmt.Printf("%-62s %10.1f %10s %10s %s\n", ep.name, float64(cpu.Microseconds())/1000/float64(ep.n),
			walls[len(walls)/2].Round(time.Millisecond), walls[len(walls)-1].Round(time.Millisecond), sim)
	}
}

func gzipSize(t testing.TB, path string) int64 {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	cw := &countWriter{}
	zw := gzip.NewWriter(cw)
	_, err = io.Copy(zw, f)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return cw.n
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// workerdCPU is the user+system CPU time of the workerd processes of the
// runtime (those in wrangler's process group).
func workerdCPU(t testing.TB, rt *runtime) time.Duration {
	ents, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var ticks int64
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "workerd" {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis: utime and stime
		// are the 14th and 15th of the whole line.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		f := strings.Fields(rest)
		if f[2] != strconv.Itoa(rt.cmd.Process.Pid) {
			continue // another runtime's
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

//go:build worker_e2e

// Package e2e tests the serverless host end to end against the real
// Workers runtime: it starts `wrangler dev` (workerd) on the built Worker
// (worker/build and worker/dist, made by worker/build.sh) and talks HTTP
// to it. scripts/test-worker.sh builds and runs it:
//
//	go test -tags worker_e2e ./e2e -v
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// courseKey is the e2e course's key, given to wrangler as a --var (a
// wrangler secret in production).
const (
	course    = "e2e-course"
	courseKey = "e2e-0123456789abcdef0123456789abcdef"
	rateLimit = 8
)

// runtime is one `wrangler dev` process.
type runtime struct {
	cmd     *exec.Cmd
	url     string
	log     *syncBuffer
	started time.Time
	ready   time.Duration // spawn to the first answer of /api/ping
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func workerDir(t testing.TB) string {
	dir, err := filepath.Abs("..")
	require.NoError(t, err)
	for _, f := range []string{"build/app.wasm", "build/worker.mjs", "build/trace-validator.mjs", "dist/index.html", "dist/sandbox.wasm", "node_modules/.bin/wrangler"} {
		_, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, "worker/%s is missing: run scripts/test-worker.sh (it builds the Worker and installs wrangler)", f)
	}
	return dir
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// start runs wrangler dev with KV persisted under state, and waits until
// the Worker answers.
func start(t testing.TB, state string, port int) *runtime {
	return startWith(t, state, port, rateLimit, 300)
}

// startWith starts wrangler dev with a rate limit (POSTs a minute, 0 for
// none) and /api/run's budget in node-seconds.
func startWith(t testing.TB, state string, port, limit, runBudget int) *runtime {
	dir := workerDir(t)
	cmd := exec.Command("npx", "wrangler", "dev", "--ip", "127.0.0.1", "--port", strconv.Itoa(port),
		"--persist-to", state, "--var", "COURSE_KEY_"+strings.ToUpper(strings.ReplaceAll(course, "-", "_"))+":"+courseKey,
		"--var", "RATE_LIMIT_PER_MINUTE:"+strconv.Itoa(limit), "--var", "RUN_NODE_SECONDS:"+strconv.Itoa(runBudget))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WRANGLER_SEND_METRICS=false", "CI=true", "CLOUDFLARE_CF_FETCH_ENABLED=false", "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // stop wrangler and its workerd together
	rt := &runtime{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), log: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = rt.log, rt.log
	rt.started = time.Now()
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { rt.stop() })
	deadline := time.Now().Add(90 * time.Second) // the first request compiles the Worker; the machine may be busy
	for {
		resp, err := http.Get(rt.url + "/api/ping")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == 200 {
				rt.ready = time.Since(rt.started)
				return rt
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("wrangler dev did not answer /api/ping within 90 s; its log:\n%s", rt.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (rt *runtime) stop() {
	if rt.cmd.Process == nil || rt.cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-rt.cmd.Process.Pid, syscall.SIGTERM) // the process group: npx, wrangler, workerd
	done := make(chan struct{})
	go func() { _ = rt.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-rt.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// client makes requests as one client (CF-Connecting-IP), so that the
// rate limit of one test does not touch another's.
type client struct {
	t  testing.TB
	rt *runtime
	ip string
}

type reply struct {
	status int
	header http.Header
	body   []byte
	url    string // after redirects
}

func (c *client) do(method, path string, body []byte, header map[string]string) reply {
	c.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, c.rt.url+path, bytes.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("CF-Connecting-IP", c.ip)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: b, url: resp.Request.URL.String()}
}

// requireError checks a JSON error answer.
func requireError(t testing.TB, r reply, status int, what string) {
	t.Helper()
	require.Equal(t, status, r.status, "%s", r.body)
	assert.True(t, strings.HasPrefix(r.header.Get("Content-Type"), "application/json"), r.header.Get("Content-Type"))
	var e struct{ Error, Detail string }
	require.NoError(t, json.Unmarshal(r.body, &e), "%s", r.body)
	assert.Equal(t, what, e.Error, "%s", r.body)
	assert.NotEmpty(t, e.Detail)
}

// logLines returns wrangler's request log lines ("[wrangler:info] GET /x 200 OK (12ms)").
func logLines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if strings.Contains(sc.Text(), "[wrangler:info] ") && strings.Contains(sc.Text(), "ms)") {
			out = append(out, sc.Text())
		}
	}
	return out
}

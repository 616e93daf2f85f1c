package main

import (
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/internal/docscheck"
)

func TestHandlerServesThePageAndTheBuild(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sandbox.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasm_exec.js"), []byte("// go"), 0o644))
	traces := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(traces, "t.json"), []byte(`{"format":"raftlab-trace"}`), 0o644))
	h, err := handler(dir, traces)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	tests := []struct {
		path, contentType, contains string
	}{
		{"/", "text/html", "raftlab"},
		{"/app.js", "javascript", "new Worker('worker.js')"},
		{"/worker.js", "javascript", "sandbox.wasm"},
		{"/style.css", "text/css", "--leader"},
		{"/sw.js", "javascript", "caches.open"},
		{"/sandbox.wasm", "application/wasm", "asm"},
		{"/wasm_exec.js", "javascript", "// go"},
		{"/traces/t.json", "application/json", "raftlab-trace"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			require.NoError(t, err)
			defer func() { require.NoError(t, resp.Body.Close()) }()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Contains(t, resp.Header.Get("Content-Type"), tt.contentType)
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			assert.True(t, strings.Contains(string(body), tt.contains), "%s does not contain %q", tt.path, tt.contains)
		})
	}
}

func TestHandlerRefusesAnIncompleteBuild(t *testing.T) {
	_, err := handler(t.TempDir(), "")
	require.ErrorContains(t, err, "sandbox.wasm")
}

func TestRunRejectsStrayArguments(t *testing.T) {
	err := run([]string{"-wasm", t.TempDir(), "extra"}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "unexpected arguments")
}

func TestImplOverlayImportsThePackage(t *testing.T) {
	dir := t.TempDir()
	path, err := implOverlay(dir, "/src/raftlab", "example.com/me/raft")
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, `{"Replace":{"/src/raftlab/wasm/cmd/sandboximpl/main.go":"`+filepath.Join(dir, "main.go")+`"}}`, string(b))
	main, err := os.ReadFile(filepath.Join(dir, "main.go"))
	require.NoError(t, err)
	assert.Contains(t, string(main), `impl "example.com/me/raft"`)
	assert.Contains(t, string(main), `sandbox.Impl{Name: "example.com/me/raft", Factory: impl.New}`)
}

// The sandbox's two builds, scripts/build-wasm.sh's and this command's,
// pass go build the same flags: a flag added to one alone once left the
// WebAssembly of student code 23 KB larger than the reference's.
func TestBuildFlagsMatchTheScript(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "..", "scripts", "build-wasm.sh"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("no scripts/build-wasm.sh (the student handout leaves scripts/ out)")
	}
	require.NoError(t, err)
	var line string
	for l := range strings.Lines(string(script)) {
		if strings.HasPrefix(l, "flags=(") {
			line = strings.TrimSpace(l)
		}
	}
	require.NotEmpty(t, line, "build-wasm.sh has no flags=(...) line")
	words, err := docscheck.Split(strings.TrimSuffix(strings.TrimPrefix(line, "flags=("), ")"))
	require.NoError(t, err)
	assert.Equal(t, wasmBuildFlags(""), words)
}

func TestBuildFlagsKeepGOFLAGSTags(t *testing.T) {
	tests := []struct{ goflags, want string }{
		{"", "raftlab_sandbox"},
		{"-tags=raftlab_e2e", "raftlab_sandbox,raftlab_e2e"},
		{"-mod=mod --tags=a,b -v", "raftlab_sandbox,a,b"},
	}
	for _, tt := range tests {
		flags := wasmBuildFlags(tt.goflags)
		assert.Equal(t, []string{"-tags", tt.want}, flags[1:3], tt.goflags)
	}
}

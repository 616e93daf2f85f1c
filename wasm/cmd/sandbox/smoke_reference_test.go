package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSmokeOnNode builds the sandbox's WebAssembly with
// scripts/build-wasm.sh and runs wasm/smoke.mjs on it under Node: the
// page's Worker's view of it (load, a world, a leader within 3 simulated
// seconds, a committed command, the same hash from a re-created world).
// It needs bash and node, and takes a WebAssembly build: -short skips it.
func TestSmokeOnNode(t *testing.T) {
	if testing.Short() || runtime.GOOS == "js" {
		t.Skip("builds the WebAssembly and runs Node: not under -short or js/wasm")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	root, err := filepath.Abs("../../..")
	require.NoError(t, err)
	dir := t.TempDir()
	build := exec.Command("bash", filepath.Join(root, "scripts", "build-wasm.sh"), dir)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build-wasm.sh: %s", out)
	t.Logf("%s", out)
	require.FileExists(t, filepath.Join(dir, "wasm_exec.js"))

	smoke := exec.Command(node, filepath.Join(root, "wasm", "smoke.mjs"), dir)
	out, err = smoke.CombinedOutput()
	require.NoError(t, err, "smoke.mjs: %s", out)
	t.Logf("%s", out)
	var res struct {
		OK     bool `json:"ok"`
		Leader int  `json:"leader"`
	}
	require.NoError(t, json.Unmarshal(out, &res), "smoke.mjs prints one line of JSON: %s", out)
	assert.True(t, res.OK)
	assert.GreaterOrEqual(t, res.Leader, 0)
}

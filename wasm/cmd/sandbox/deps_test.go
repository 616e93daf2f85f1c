package main

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSandboxBuildLinksNoGoTestPackages guards the WebAssembly's size: the
// sandbox's build (scripts/build-wasm.sh, -tags raftlab_sandbox) must not
// import testing or flag, whose package state alone is 17 KB of the
// brotli-compressed file. A non-test file of the sandbox's dependencies
// that imports testing (as labs' RunStage does, behind
// !raftlab_sandbox) fails this test.
func TestSandboxBuildLinksNoGoTestPackages(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("runs the go command: not under js/wasm")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	deps := func(tags ...string) []string {
		args := append([]string{"list", "-deps"}, tags...)
		cmd := exec.Command(goCmd, append(args, ".")...)
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		out, err := cmd.Output()
		require.NoError(t, err, "go list -deps %v", tags)
		return strings.Fields(string(out))
	}
	sandbox := deps("-tags", "raftlab_sandbox")
	require.Contains(t, sandbox, "github.com/raftlab/raftlab/labs", "the sandbox's build imports the lab scenarios")
	for _, pkg := range []string{"testing", "flag"} {
		assert.False(t, slices.Contains(sandbox, pkg), "the sandbox's WebAssembly imports %s: keep go test code behind //go:build !raftlab_sandbox", pkg)
	}
	// Without the tag labs' go test side is in: the tag is what keeps it out.
	assert.True(t, slices.Contains(deps(), "testing"), "without -tags raftlab_sandbox the build imports testing")
}

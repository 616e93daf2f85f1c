package handout

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRewriterMovesOnlyTheModulePath(t *testing.T) {
	rw := rewriter{from: "github.com/raftlab/raftlab", to: "example.edu/cs/raft"}
	for _, tc := range []struct{ in, want string }{
		{`import "github.com/raftlab/raftlab/raftapi"`, `import "example.edu/cs/raft/raftapi"`},
		{"module github.com/raftlab/raftlab\n", "module example.edu/cs/raft\n"},
		{`"github.com/raftlab/raftlab"`, `"example.edu/cs/raft"`},
		{"see github.com/raftlab/raftlab.", "see example.edu/cs/raft."},
		{"github.com/raftlab/raftlab", "example.edu/cs/raft"},
		// Not the module: a longer path, a repository URL.
		{`"github.com/raftlab/raftlabs/x"`, `"github.com/raftlab/raftlabs/x"`},
		{"https://github.com/raftlab/raftlab.git", "https://github.com/raftlab/raftlab.git"},
		{"github.com/raftlab/raftlab-extra", "github.com/raftlab/raftlab-extra"},
	} {
		assert.Equal(t, tc.want, string(rw.apply("x.go", []byte(tc.in))), tc.in)
	}
	assert.Equal(t, "github.com/raftlab/raftlab/x", string(rw.apply("logo.png", []byte("github.com/raftlab/raftlab/x"))), "binary files are copied as they are")
}

func TestDropStarterConstraint(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		edited   bool
	}{
		{"//go:build starter\n\npackage raft\n", "package raft\n", true},
		{"//go:build starter\npackage raft\n", "package raft\n", true},
		{"//go:build starter\r\n\r\npackage raft\n", "package raft\n", true},
		{"package raft\n//go:build starter\n", "package raft\n//go:build starter\n", false},
		{"//go:build !starter\n\npackage raft\n", "//go:build !starter\n\npackage raft\n", false},
	} {
		got, edited := dropStarterConstraint([]byte(tc.in))
		assert.Equal(t, tc.want, string(got), "%q", tc.in)
		assert.Equal(t, tc.edited, edited, "%q", tc.in)
	}
}

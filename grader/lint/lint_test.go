package lint

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
)

func rules(fs []result.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+"@"+f.File+":"+strconv.Itoa(f.Line))
	}
	return out
}

func TestImportVerdict(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
		why  string
	}{
		{"github.com/raftlab/raftlab/raftapi", true, ""},
		{"slices", true, ""},
		{"math/rand/v2", true, ""},
		{"unsafe", false, "type system"},
		{"os", false, "environment"},
		{"os/exec", false, "environment"},
		{"io/ioutil", false, "files"},
		{"syscall", false, "operating system"},
		{"net", false, "network"},
		{"net/http", false, "network"},
		{"plugin", false, "loads code"},
		{"reflect", false, "memory"},
		{"runtime", false, "process"},
		{"runtime/debug", false, "process"},
		{"C", false, "cgo"},
		{"log", false, "exits"},
		{"github.com/raftlab/raftlab/raft", false, "reference"},
		{"github.com/raftlab/raftlab/labs", false, "only"},
		{"crypto/rand", false, "allow-list"},
		{"github.com/evil/pkg", false, "offline"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			ok, why := ImportVerdict(tc.path)
			assert.Equal(t, tc.ok, ok)
			assert.Contains(t, why, tc.why)
		})
	}
}

func TestCheckRefusesNamingFileLine(t *testing.T) {
	src := `package raft

import (
	"fmt"
	"os"
	_ "unsafe"
	"github.com/raftlab/raftlab/raft"
)

//go:linkname now runtime.nanotime
func now() int64

//go:embed secret.txt
var s string

var _ = fmt.Sprint(os.Args, raft.New)
`
	rep := Check(map[string][]byte{"bad.go": []byte(src)})
	assert.Equal(t, []string{
		"forbidden import@bad.go:5", "forbidden import@bad.go:6", "forbidden import@bad.go:7",
		"forbidden directive@bad.go:10", "forbidden directive@bad.go:13",
	}, rules(rep.Refusals))
	assert.Contains(t, rep.Refusals[0].Message, `bad.go:5: import "os" is not allowed`)
}

func TestCheckDeterminismWarnings(t *testing.T) {
	src := `package raft

import (
	"math/rand/v2"
	"time"
	mr "math/rand"
)

type node struct {
	votes map[int]bool
	r     *rand.Rand
}

func (n *node) Tick() {
	go func() {}()
	_ = time.Now()
	time.Sleep(time.Millisecond)
	_ = rand.IntN(3)
	_ = mr.Intn(3)
	n.r = rand.New(rand.NewPCG(1, 2))
	for k := range n.votes {
		_ = k
	}
	for i := range []int{1} {
		_ = i
	}
	m := map[string]int{}
	for range m {
	}
	var d time.Duration = 3 * time.Second
	_ = d
}
`
	rep := Check(map[string][]byte{"raft.go": []byte(src)})
	assert.Empty(t, rep.Refusals)
	assert.Equal(t, []string{
		"goroutine@raft.go:15", "wall clock@raft.go:16", "wall clock@raft.go:17",
		"global randomness@raft.go:18", "global randomness@raft.go:19",
		"map range@raft.go:21", "map range@raft.go:28",
	}, rules(rep.Warnings))
}

// The reference and the starter pass the allow-list, and the reference
// draws no determinism warning.
func TestCheckLabImplementations(t *testing.T) {
	for _, tc := range []struct {
		dir      string
		warnings bool
	}{{"../../raft", false}, {"../../assignments/raft", true}} {
		t.Run(tc.dir, func(t *testing.T) {
			files := map[string][]byte{}
			ents, err := os.ReadDir(tc.dir)
			require.NoError(t, err)
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
					b, err := os.ReadFile(filepath.Join(tc.dir, e.Name()))
					require.NoError(t, err)
					files[e.Name()] = b
				}
			}
			rep := Check(files)
			assert.Empty(t, rep.Refusals)
			if !tc.warnings {
				assert.Empty(t, rep.Warnings)
			}
		})
	}
}

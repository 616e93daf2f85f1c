package class

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/grader/sandbox"
	"github.com/raftlab/raftlab/labs"
)

func parse(t *testing.T, text string) *rubric.Rubric {
	t.Helper()
	r, err := rubric.Parse([]byte(text))
	require.NoError(t, err)
	return r
}

const mixed = `version = 1
hidden_salt = 918273645501
[stages.election]
time_limit = "2m"
[stages.election.rules]
points = 1
[stages.election.scenarios]
InitialElection = { points = 1, seeds = 2 }
ReElection = { points = 1, seeds = 2, hidden_seeds = 3 }
Swarm = { points = 1, seeds = 5 }
HiddenMinorityNeverElects = { points = 1, seeds = 2 }
[stages.replication]
time_limit = "4m"
[stages.replication.scenarios]
Swarm = { points = 1, seeds = 2 }
`

func TestPlan(t *testing.T) {
	// The default rubric: one pass, every stage, rules, the suites' seeds.
	def := Plan(rubric.Default())
	require.Len(t, def, 1)
	assert.True(t, def[0].Rules)
	assert.Equal(t, labs.Stages, def[0].Stages())
	assert.Zero(t, def[0].Seeds)
	assert.Zero(t, def[0].Salt)
	assert.True(t, def[0].Hidden)

	r := parse(t, mixed)
	ps := Plan(r)
	require.Len(t, ps, 3)
	// First: the public pass with the most members, with the rules and
	// every stage.
	assert.Equal(t, Pass{Seeds: 2, Members: map[labs.Stage][]string{
		labs.Election:    {"InitialElection", "ReElection", "HiddenMinorityNeverElects"},
		labs.Replication: {"Swarm"},
	}, Rules: true, Hidden: true}, ps[0])
	assert.Equal(t, Pass{Seeds: 5, Members: map[labs.Stage][]string{labs.Election: {"Swarm"}}}, ps[1])
	assert.Equal(t, Pass{Seeds: 3, Salt: 918273645501, Members: map[labs.Stage][]string{labs.Election: {"ReElection"}}}, ps[2])

	o := ps[0].Options(r, sandbox.Options{Parallel: 3})
	assert.Equal(t, []labs.Stage{labs.Election, labs.Replication}, o.Stages)
	assert.Equal(t, []string{"HiddenMinorityNeverElects", "InitialElection", "ReElection", "Swarm"}, o.Scenarios)
	assert.True(t, o.Hidden)
	assert.False(t, o.NoRules)
	assert.Equal(t, 2, o.Seeds)
	assert.Equal(t, 3, o.Parallel, "the grader's own settings pass through")
	assert.Equal(t, 4*time.Minute, o.StageTimeout, "the largest of the stages' limits")
	assert.Equal(t, int64(rubric.DefaultMemoryLimitMB)<<20, o.MemoryBytes)
	o = ps[2].Options(r, sandbox.Options{StageTimeout: time.Minute})
	assert.True(t, o.NoRules)
	assert.False(t, o.Hidden)
	assert.Equal(t, uint64(918273645501), o.Salt)
	assert.Equal(t, time.Minute, o.StageTimeout, "a limit the caller sets wins")

	assert.Len(t, Unsupported(r), 1)
	assert.Contains(t, Unsupported(r)[0], "every stage gets the largest, 4m0s")
}

func TestSelect(t *testing.T) {
	r := parse(t, mixed)
	pub, err := Select(r, nil, false)
	require.NoError(t, err)
	assert.InDelta(t, 5, pub.MaxScore(), 1e-9, "6 points less the hidden scenario's")
	assert.NotEqual(t, r.Hash(), pub.Hash())
	for _, p := range Plan(pub) {
		assert.Zero(t, p.Salt, "no hidden seeds")
	}
	el, err := Select(r, []labs.Stage{labs.Election}, true)
	require.NoError(t, err)
	require.Len(t, el.Stages, 1)
	assert.InDelta(t, 5, el.MaxScore(), 1e-9)
	_, err = Select(r, []labs.Stage{labs.Snapshots}, true)
	assert.ErrorContains(t, err, `does not score stage "snapshots"`)
	same, err := Select(r, nil, true)
	require.NoError(t, err)
	assert.Equal(t, r.Hash(), same.Hash(), "selecting everything changes nothing")
}

func TestMergePasses(t *testing.T) {
	p0 := Pass{Members: map[labs.Stage][]string{labs.Election: {"A"}}, Rules: true}
	p1 := Pass{Salt: 9, Members: map[labs.Stage][]string{labs.Election: {"A"}}}
	into := &result.Outcome{Stages: []result.StageOutcome{{Stage: labs.Election, Verdict: result.StageRan, WallMs: 5,
		Scenarios: []result.ScenarioOutcome{{Name: "A", SeedsRun: 2, SeedsPassed: 2}, {Name: "B", SeedsRun: 1}}}}}
	keep(into, p0)
	require.Len(t, into.Stages[0].Scenarios, 1, "B is not the pass's")
	fail := &labs.Failure{Stage: labs.Election}
	from := &result.Outcome{Isolation: []string{"x"}, Stages: []result.StageOutcome{{Stage: labs.Election, Verdict: result.StageRan, WallMs: 7,
		Scenarios: []result.ScenarioOutcome{{Name: "A", SeedsRun: 3, SeedsPassed: 1, Failure: fail, Report: "r"}}}}}
	merge(into, from, p1)
	got := into.Stages[0]
	assert.Equal(t, int64(12), got.WallMs)
	assert.Equal(t, result.ScenarioOutcome{Name: "A", SeedsRun: 5, SeedsPassed: 3, Failure: fail, Report: "r"}, got.Scenarios[0])
	assert.Equal(t, []string{"x"}, into.Isolation)

	timedOut := &result.Outcome{Stages: []result.StageOutcome{{Stage: labs.Election, Verdict: result.StageTimedOut, Detail: "slow"}}}
	merge(into, timedOut, p1)
	assert.Equal(t, result.StageTimedOut, into.Stages[0].Verdict, "a stage that did not finish a pass did not finish")
}

func TestShards(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/1", Shard{0, 1}, ""},
		{"3/4", Shard{3, 4}, ""},
		{"4/4", Shard{}, "i must be in 0..3"},
		{"-1/4", Shard{}, "i must be in 0..3"},
		{"1/0", Shard{}, "want i/n"},
		{"1", Shard{}, "want i/n"},
		{"a/b", Shard{}, "want i/n"},
	} {
		got, err := ParseShard(tc.in)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
	}
	var subs []Submission
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		subs = append(subs, Submission{Name: n})
	}
	seen := map[string]int{}
	for i := range 3 {
		part := Shard{i, 3}.Of(subs)
		assert.InDelta(t, len(subs)/3, len(part), 1, "balanced")
		for _, s := range part {
			seen[s.Name]++
		}
	}
	assert.Len(t, seen, len(subs))
	for n, c := range seen {
		assert.Equal(t, 1, c, "%s in exactly one shard", n)
	}
	assert.Equal(t, subs, Shard{}.Of(subs))
}

func TestList(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"bob", ".git"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, d), 0o755))
	}
	for _, f := range []string{"alice.zip", "carol.tar.gz", "dan.tgz", "notes.txt"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), nil, 0o600))
	}
	subs, err := List(dir)
	require.NoError(t, err)
	assert.Equal(t, []Submission{
		{"alice", filepath.Join(dir, "alice.zip")}, {"bob", filepath.Join(dir, "bob")},
		{"carol", filepath.Join(dir, "carol.tar.gz")}, {"dan", filepath.Join(dir, "dan.tgz")},
	}, subs)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "bob.zip"), nil, 0o600))
	_, err = List(dir)
	assert.ErrorContains(t, err, `are both student "bob"`)
	require.NoError(t, os.Remove(filepath.Join(dir, "bob.zip")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "cache"), 0o755))
	_, err = List(dir)
	assert.ErrorContains(t, err, `may not be named "cache"`)
}

// The build id changes with what the build tree takes from the lab (and
// the hidden scenarios), not with instructors-only files, tests, the
// student package or the class and output directories.
func TestBuildID(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                   "module x\n",
		".handoutignore":           "/grader/\n/labs/hidden/\n",
		"labs/a.go":                "package labs\n",
		"labs/a_test.go":           "package labs\n",
		"labs/hidden/h.go":         "package hidden\n",
		"grader/g.go":              "package grader\n",
		"assignments/raft/raft.go": "package raft\n",
		"class/alice/raft.go":      "package raft\n",
	}
	for p, c := range files {
		require.NoError(t, os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, p), []byte(c), 0o600))
	}
	id := func() string {
		s, err := BuildID(root, filepath.Join(root, "class"))
		require.NoError(t, err)
		return s
	}
	base := id()
	assert.Equal(t, base, id(), "stable")
	for _, tc := range []struct {
		file    string
		changes bool
	}{
		{"labs/a.go", true},
		{"labs/hidden/h.go", true},
		{"go.mod", true},
		{"labs/a_test.go", false},
		{"grader/g.go", false},
		{"assignments/raft/raft.go", false},
		{"class/alice/raft.go", false},
	} {
		p := filepath.Join(root, tc.file)
		old, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, append(old, "// edited\n"...), 0o600))
		if tc.changes {
			assert.NotEqual(t, base, id(), tc.file)
		} else {
			assert.Equal(t, base, id(), tc.file)
		}
		require.NoError(t, os.WriteFile(p, old, 0o600))
	}
}

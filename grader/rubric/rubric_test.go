package rubric

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/labs/hidden"
)

func TestDefault(t *testing.T) {
	r := Default()
	assert.InDelta(t, 100, r.MaxScore(), 1e-9)
	require.Len(t, r.Stages, 4)
	for i, st := range labs.Stages {
		assert.Equal(t, st, r.Stages[i].Stage)
		assert.NotNil(t, r.Stages[i].Rules, "stage %s scores its rule tests", st)
		// The default scores every scenario the labs have, visible and hidden.
		var want []string
		for _, sc := range labs.Scenarios(st, hidden.Scenarios()...) {
			want = append(want, sc.Name)
		}
		var got []string
		for _, sc := range r.Stages[i].Scenarios {
			got = append(got, sc.Name)
			assert.Positive(t, sc.Points, "%s/%s", st, sc.Name)
			if sc.Hidden {
				assert.Equal(t, AfterPublished, sc.Visibility, "%s/%s", st, sc.Name)
			} else {
				assert.Equal(t, Visible, sc.Visibility, "%s/%s", st, sc.Name)
			}
		}
		assert.Equal(t, want, got, "stage %s", st)
		hiddenHere := 0
		for _, sc := range hidden.Scenarios() {
			if sc.Stage == st {
				hiddenHere++
			}
		}
		assert.Len(t, r.Stages[i].HiddenScenarios(), hiddenHere, "stage %s scores every hidden scenario", st)
	}
	assert.Equal(t, LintWarn, r.Lint.Policy)
	assert.Equal(t, 2048, r.MemoryLimitMB)
	assert.Equal(t, 3*time.Minute, r.Stages[0].TimeLimit)
	assert.Equal(t, Fraction, r.Stages[0].Scenarios[0].Partial)

	// Text is the file Default parses, comments and all.
	again, err := Parse(Text())
	require.NoError(t, err)
	assert.Equal(t, r.Hash(), again.Hash())
	assert.Contains(t, string(Text()), "# raftlab grader rubric")
}

func TestHash(t *testing.T) {
	a := Default()
	b := Default()
	assert.Equal(t, a.Hash(), b.Hash())
	assert.Len(t, a.Hash(), 64)
	b.Salt++
	assert.NotEqual(t, a.Hash(), b.Hash(), "the salt changes the seeds, so it changes the hash")
	c := Default()
	c.Stages[1].Scenarios[0].Points++
	assert.NotEqual(t, a.Hash(), c.Hash())

	// Comments and key order do not.
	x, err := Parse([]byte("version = 1\n[stages.election.rules]\npoints = 2\npartial = \"all\"\n"))
	require.NoError(t, err)
	y, err := Parse([]byte("# a comment\nversion = 1 # first\n\n[stages.election.rules]\npartial = \"all\" # why\npoints = 2.0\n"))
	require.NoError(t, err)
	assert.Equal(t, x.Hash(), y.Hash())
}

func TestSmallRubric(t *testing.T) {
	r, err := Parse([]byte(`
version = 1
hidden_salt = 99999999
partial = "all"
[lint]
policy = "deduct"
deduct = 0.5
max_deduct = 2
[stages.replication]
time_limit = "90s"
hidden_seeds = 2
[stages.replication.rules]
per_rule = { AppendEntries_Rule1_RejectsStaleTerm = 1.5 }
visibility = "after_due_date"
[stages.replication.scenarios]
Backup = { points = 4, seeds = 3, partial = "fraction" }
HiddenSevenAgreement = { points = 2, hidden_seeds = 0 }
`))
	require.NoError(t, err)
	require.Len(t, r.Stages, 1)
	s := r.Stages[0]
	assert.Equal(t, 90*time.Second, s.TimeLimit)
	assert.Equal(t, map[string]float64{"AppendEntries_Rule1_RejectsStaleTerm": 1.5}, s.Rules.PerRule)
	assert.Equal(t, AfterDueDate, s.Rules.Visibility)
	assert.Equal(t, AllOrNothing, s.Rules.Partial)
	require.Len(t, s.Scenarios, 2)
	assert.Equal(t, Scenario{Name: "Backup", Points: 4, Seeds: 3, HiddenSeeds: 2, Partial: Fraction, Visibility: Visible}, s.Scenarios[0])
	assert.Equal(t, Scenario{Name: "HiddenSevenAgreement", Hidden: true, Points: 2, HiddenSeeds: 0, Partial: AllOrNothing, Visibility: AfterPublished}, s.Scenarios[1])
	assert.Equal(t, []string{"HiddenSevenAgreement"}, s.HiddenScenarios())
	defs := s.HiddenDefs()
	require.Len(t, defs, 1)
	assert.Equal(t, "HiddenSevenAgreement", defs[0].Name)
	assert.True(t, defs[0].Hidden)
	assert.NotNil(t, defs[0].Run)
	assert.InDelta(t, 7.5, r.MaxScore(), 1e-9)
	assert.Equal(t, Lint{Policy: LintDeduct, Deduct: 0.5, MaxDeduct: 2}, r.Lint)
	_, ok := r.Stage(labs.Election)
	assert.False(t, ok)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, toml string
		path       string
		line       int
		msg        string
		allowed    []string // a few that must be listed
	}{
		{"unknown top-level key", "version = 1\ntitel = \"x\"\n", "titel", 2, "unknown key", []string{"title", "hidden_salt", "stages"}},
		{"unknown scenario key", "version = 1\n[stages.election.scenarios]\nReElection = { points = 1, seed = 3 }\n", "stages.election.scenarios.ReElection.seed", 3, "unknown key", []string{"seeds", "hidden_seeds", "visibility"}},
		{"unknown stage", "version = 1\n[stages.elections.rules]\npoints = 1\n", "stages.elections", 2, "unknown stage", []string{"election", "snapshots"}},
		{"unknown scenario", "version = 1\n[stages.election.scenarios]\nReElection = { points = 1 }\nReElections = { points = 1 }\n", "stages.election.scenarios.ReElections", 4, "no scenario", []string{"InitialElection", "ReElection", "HiddenLockstepElections"}},
		{"hidden scenario of another stage", "version = 1\n[stages.election.scenarios]\nHiddenSevenAgreement = { points = 1 }\n", "stages.election.scenarios.HiddenSevenAgreement", 3, "no scenario", []string{"HiddenMinorityNeverElects"}},
		{"unknown rule", "version = 1\n[stages.election.rules]\nper_rule = { NoSuchRule = 1 }\n", "stages.election.rules.per_rule.NoSuchRule", 3, "no rule test", []string{"RequestVote_Rule1_RejectsStaleTerm"}},
		{"bad visibility", "version = 1\n[stages.election]\nvisibility = \"students\"\n[stages.election.rules]\npoints = 1\n", "stages.election.visibility", 3, "unknown visibility", []string{"visible", "hidden", "after_due_date", "after_published"}},
		{"hidden with points", "version = 1\n[stages.election.scenarios]\nSwarm = { points = 2, visibility = \"hidden\" }\n", "stages.election.scenarios.Swarm.visibility", 3, "cannot be hidden", []string{"after_published"}},
		{"bad partial", "version = 1\npartial = \"some\"\n[stages.election.rules]\npoints = 1\n", "partial", 2, "unknown partial-credit policy", []string{"all", "fraction"}},
		{"bad duration", "version = 1\n[stages.election]\ntime_limit = \"5 minutes\"\n[stages.election.rules]\npoints = 1\n", "stages.election.time_limit", 3, "not a positive duration", nil},
		{"wrong type", "version = 1\n[stages.election.scenarios]\nSwarm = { points = \"two\" }\n", "stages.election.scenarios.Swarm.points", 3, "", nil},
		{"points and per_rule", "version = 1\n[stages.election.rules]\npoints = 1\nper_rule = { RequestVote_Rule1_RejectsStaleTerm = 1 }\n", "stages.election.rules", 2, "not both", []string{"points", "per_rule"}},
		{"missing points", "version = 1\n[stages.election.scenarios]\nSwarm = { seeds = 3 }\n", "stages.election.scenarios.Swarm.points", 3, "missing", nil},
		{"negative points", "version = 1\n[stages.election.scenarios]\nSwarm = { points = -1 }\n", "stages.election.scenarios.Swarm.points", 3, "≥ 0", nil},
		{"hidden seeds without salt", "version = 1\nhidden_seeds = 2\n[stages.election.rules]\npoints = 1\n[stages.election.scenarios]\nSwarm = { points = 1 }\n", "hidden_salt", 0, "salt", nil},
		{"small salt", "version = 1\nhidden_salt = 50\nhidden_seeds = 2\n[stages.election.rules]\npoints = 1\n[stages.election.scenarios]\nSwarm = { points = 1 }\n", "hidden_salt", 2, "could make hidden seeds repeat", nil},
		{"deduct without amount", "version = 1\n[lint]\npolicy = \"deduct\"\n[stages.election.rules]\npoints = 1\n", "lint.deduct", 2, "needs deduct", nil},
		{"unknown lint policy", "version = 1\n[lint]\npolicy = \"strict\"\n[stages.election.rules]\npoints = 1\n", "lint.policy", 3, "unknown lint policy", []string{"warn", "deduct", "fail"}},
		{"wrong version", "version = 2\n[stages.election.rules]\npoints = 1\n", "version", 1, "unsupported", []string{"1"}},
		{"no stages", "version = 1\n", "stages", 0, "scores no stage", []string{"election"}},
		{"empty stage", "version = 1\n[stages.election]\ntime_limit = \"1m\"\n", "stages.election", 2, "scores nothing", nil},
		{"tiny memory", "version = 1\nmemory_limit_mb = 10\n[stages.election.rules]\npoints = 1\n", "memory_limit_mb", 2, "at least 64", nil},
		{"not TOML", "version = = 1\n", "", 1, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.toml))
			require.Error(t, err)
			e, ok := errors.AsType[*Error](err)
			require.True(t, ok, "%T: %v", err, err)
			require.NotEmpty(t, e.Fields)
			var f *FieldError
			for _, x := range e.Fields {
				if x.Path == tt.path {
					f = x
				}
			}
			require.NotNil(t, f, "no error at %q in %v", tt.path, err)
			assert.Equal(t, tt.line, f.Line, "line of %v", f)
			assert.Contains(t, f.Msg, tt.msg)
			for _, a := range tt.allowed {
				assert.Contains(t, f.Allowed, a)
			}
			assert.Contains(t, err.Error(), tt.path)
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "rubric.toml")
	require.NoError(t, os.WriteFile(good, Text(), 0o600))
	r, err := Load(good)
	require.NoError(t, err)
	assert.Equal(t, Default().Hash(), r.Hash())

	bad := filepath.Join(dir, "bad.toml")
	require.NoError(t, os.WriteFile(bad, []byte("version = 1\ncolour = 1\n"), 0o600))
	_, err = Load(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), bad+": 1 problem(s):\n  line 2: colour: unknown key (allowed: version, title,")

	_, err = Load(filepath.Join(dir, "missing.toml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestSeeds(t *testing.T) {
	r, err := Parse([]byte("version = 1\nhidden_salt = 1000000\n[stages.election.scenarios]\nReElection = { points = 1, seeds = 3, hidden_seeds = 2 }\nSwarm = { points = 1 }\n"))
	require.NoError(t, err)
	st, _ := r.Stage(labs.Election)
	re, _ := st.Scenario("ReElection")
	def, err := labs.FindScenario(labs.Election, "ReElection")
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 2, 3, 1_000_001, 1_000_002}, r.Seeds(re, def))
	sw, _ := st.Scenario("Swarm")
	def, err = labs.FindScenario(labs.Election, "Swarm")
	require.NoError(t, err)
	assert.Len(t, r.Seeds(sw, def), def.Seeds, "seeds = 0 means the scenario's default count")
}

// Scoring matches outcomes to the rubric by name alone within a stage:
// that holds only while no hidden scenario shares a visible one's name.
func TestScenarioNamesUnique(t *testing.T) {
	for _, st := range labs.Stages {
		seen := map[string]bool{}
		for _, sc := range labs.Scenarios(st, hidden.Scenarios()...) {
			assert.False(t, seen[sc.Name], "stage %s has two scenarios named %s", st, sc.Name)
			seen[sc.Name] = true
		}
	}
}

package labs

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
)

// paddingEnv is a wasteful implementation's storage: every Save writes
// the state twenty times over (the padding is stripped again on reading,
// so the node restores as the reference does).
type paddingEnv struct{ raftapi.Env }

func (e paddingEnv) Persister() raftapi.Persister { return paddingPersister{e.Env.Persister()} }

type paddingPersister struct{ raftapi.Persister }

const padding = 12

func (p paddingPersister) Save(state, snapshot []byte) {
	padded := make([]byte, padding*len(state))
	copy(padded, state)
	p.Persister.Save(padded, snapshot)
}

func (p paddingPersister) ReadState() []byte {
	s := p.Persister.ReadState()
	return s[:len(s)/padding]
}

func (p paddingPersister) StateSize() int { return p.Persister.StateSize() / padding }

// slowNode is a slow implementation: after every turn it hashes a
// buffer, as one that encodes a large state on every turn would spend
// time. Its behaviour is the reference's.
type slowNode struct{ raftapi.Node }

// slowWork is how many bytes slowNode hashes per turn: tens of
// microseconds, where a reference turn takes a few.
const slowWork = 48 << 10

func (n slowNode) waste() { _ = sha256.Sum256(make([]byte, slowWork)) }

func (n slowNode) Tick() { n.Node.Tick(); n.waste() }
func (n slowNode) RequestVote(from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
	n.Node.RequestVote(from, a, r)
	n.waste()
}
func (n slowNode) AppendEntries(from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply) {
	n.Node.AppendEntries(from, a, r)
	n.waste()
}

// costImpls are the implementations the cost line is tried on, by the
// RAFTLAB_HELPER value that selects one in TestHelperCost.
func costImpls() map[string]Impl {
	return map[string]Impl{
		"cost-reference": {Name: "reference", Factory: raft.New},
		"cost-padded": {Name: "padded", Factory: func(me, peers int, env raftapi.Env) raftapi.Node {
			return raft.New(me, peers, paddingEnv{env})
		}},
		"cost-slow": {Name: "slow", Factory: func(me, peers int, env raftapi.Env) raftapi.Node {
			return slowNode{raft.New(me, peers, env)}
		}},
	}
}

// TestHelperCost is run by TestCostLine in a child process: one stage
// (RAFTLAB_STAGE) against one implementation (RAFTLAB_HELPER).
func TestHelperCost(t *testing.T) {
	impl, ok := costImpls()[os.Getenv("RAFTLAB_HELPER")]
	if !ok {
		t.Skip("run by TestCostLine")
	}
	RunStage(t, Stage(os.Getenv("RAFTLAB_STAGE")), impl)
}

// TestCostLine runs a stage against the reference and against wasteful
// wrappers of it, and checks the cost line each gets: the reference's
// figures equal the baseline's and draw no warning; an implementation
// that pads every Save twelve times over is warned about its persisted
// bytes, one that spends tens of microseconds per turn about its time;
// and neither fails the stage. The wasteful ones run some of the stage's
// scenarios only (the line compares the same ones), to keep the test
// short.
func TestCostLine(t *testing.T) {
	skipWithoutSubprocesses(t)
	if testing.Short() {
		t.Skip("runs a stage three times in child processes")
	}
	for _, tc := range []struct {
		helper    string
		stage     Stage
		scenarios []string // nil: all
		warn      string   // "" for no warning
	}{
		{"cost-reference", Replication, nil, ""},
		{"cost-padded", Replication, []string{"BasicAgreement", "RPCBytes", "FailAgree", "Backup"}, `persisted bytes per save are 12× the reference's`},
		{"cost-slow", Election, []string{"InitialElection", "ReElection", "ManyElections"}, `CPU time is \d+× the reference's`},
	} {
		t.Run(tc.helper, func(t *testing.T) {
			run, want := "^TestHelperCost$", len(Suite(tc.stage))
			if tc.scenarios != nil {
				run, want = run+"/^("+strings.Join(tc.scenarios, "|")+")$", len(tc.scenarios)
			}
			cmd := exec.Command(os.Args[0], "-test.run="+run, "-test.v")
			cmd.Env = append(os.Environ(), "RAFTLAB_HELPER="+tc.helper, "RAFTLAB_STAGE="+string(tc.stage))
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "a cost warning must not fail the stage:\n%s", out)
			report := string(out)
			require.Contains(t, report, "cost against the reference, over ")
			m := regexp.MustCompile(`(?m)^=== ATTR  TestHelperCost ` + AttrCost + ` (.*)$`).FindStringSubmatch(report)
			require.NotNil(t, m, "the cost attribute:\n%s", report)
			var rep CostReport
			require.NoError(t, json.Unmarshal([]byte(m[1]), &rep))
			assert.Len(t, rep.Scenarios, want, "every scenario that ran is compared")
			assert.True(t, rep.DefaultSeeds)
			t.Logf("%s: ratios %+v", tc.helper, rep.Ratio)
			if tc.warn == "" {
				assert.NotContains(t, report, "cost warning")
				assert.NotContains(t, report, "=== ATTR  TestHelperCost "+AttrCostWarning)
				assert.Empty(t, rep.Warnings)
				// The same seeds, the same counts: the ratios are exactly 1.
				assert.Equal(t, rep.Reference, func() Cost { c := rep.Implementation; c.Wall, c.Units = 0, rep.Reference.Units; return c }())
				assert.InDelta(t, 1, rep.Ratio.Messages, 1e-9)
				assert.InDelta(t, 1, rep.Ratio.BytesPerSave, 1e-9)
				return
			}
			assert.Regexp(t, "cost warning: "+tc.warn, report)
			assert.Regexp(t, "=== ATTR  TestHelperCost "+AttrCostWarning+" .*"+tc.warn, report)
		})
	}
}

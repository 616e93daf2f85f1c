package mutants

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/sim"
)

// classicMutants are the mutants of the checks added for classic bugs that
// passed the default seeds or showed only as a timeout (issue 12): three
// rule-level tests, run as subtests of raft's TestRules (a failing rule
// test carries the failure_kind "rule" and its property as failure_rule),
// and the four schedules of labs/targeted_classic.go.
func classicMutants() []mutant {
	return []mutant{
		{
			name: "a vote granted in an already adopted term is not saved", stage: "TestRules", schedule: "Persistence_VoteInAdoptedTermSurvivesCrash",
			file: "election.go",
			old: `	if n.votedFor != args.CandidateID {
		n.votedFor = args.CandidateID
		n.dirty = true
	}`,
			new: `	if n.votedFor != args.CandidateID {
		n.votedFor = args.CandidateID // saved only if the term changed in this turn (the bug)
	}`,
			want: []failure{{rules.FailureKindRule, "Durability"}},
		},
		{
			name: "a fixed election timeout", stage: "TestRules", schedule: "Followers_ElectionTimeoutIsRandomized",
			file: "election.go",
			old:  `n.electionTimeout = electionTimeoutMin + n.env.Rand().IntN(electionTimeoutMax-electionTimeoutMin)`,
			new:  `n.electionTimeout = (electionTimeoutMin + electionTimeoutMax) / 2 // not randomized (the bug)`,
			want: []failure{{rules.FailureKindRule, "Randomized election timeouts"}},
		},
		{
			name: "the last log term of a compacted log is 0", stage: "TestRules", schedule: "RequestVote_Rule2_ElectionRestrictionAfterSnapshot",
			file: "log.go",
			old: `	if len(l.terms) == 0 {
		return l.snapTerm
	}`,
			new: `	if len(l.terms) == 0 {
		return 0 // the snapshot's last included term is forgotten (the bug)
	}`,
			want: []failure{{rules.FailureKindRule, "Election restriction"}},
		},
		{
			// Not a new check: Count's heartbeat budget, which the hidden
			// set now also runs (HiddenEfficiencyReplicationLockstep).
			name: "heartbeats five times too often", stage: "TestReplication", schedule: "Count",
			file: "raft.go",
			old:  "\theartbeatTicks = 10\n",
			new:  "\theartbeatTicks = 2 // five times the budget (the bug)\n",
			want: []failure{{sim.KindScenario, "Heartbeat rate"}},
		},
		{
			name: "granting a vote does not restart the election timer", stage: "TestElection", schedule: "TargetedVoterKeepsGranting",
			file: "election.go",
			old: `	reply.VoteGranted = true
	n.electionElapsed = 0`,
			new:  `	reply.VoteGranted = true // the election timer keeps running (the bug)`,
			want: []failure{{sim.KindScenario, "Heartbeats prevent elections"}},
		},
		{
			name: "a vote of the previous election counts", stage: "TestElection", schedule: "TargetedStaleVoteNextElection",
			file: "election.go",
			old:  `	if n.term != term || !r.VoteGranted {`,
			new:  `	if !r.VoteGranted { // the campaign's term is not compared (the bug)`,
			want: []failure{{sim.KindScenario, "Stale replies are ignored"}, {sim.KindSafety, "Election Safety"}},
		},
		{
			name: "entries the follower holds by index are skipped without comparing terms", stage: "TestReplication", schedule: "TargetedStaleTailLongerThanRepair",
			file: "replication.go",
			old:  conflictCheck,
			new: `		if idx <= n.log.lastIndex() {
			_ = e     // the terms are not compared (the bug)
			continue
		}`,
			want: []failure{{sim.KindScenario, "Truncate only on a real conflict"}, {sim.KindSafety, "State Machine Safety"}},
		},
		{
			name: "a success reply of an earlier term moves matchIndex", stage: "TestReplication", schedule: "TargetedReElectedStaleSuccess",
			file: "replication.go",
			old:  `	if n.role != raftapi.Leader || n.term != term {`,
			new:  `	if n.role != raftapi.Leader { // the request's term is not compared (the bug)`,
			want: []failure{{sim.KindScenario, "Stale replies are ignored"}, {sim.KindSafety, "Commit needs a majority"}},
		},
	}
}

// hiddenMutants turns on TestHiddenSetCatchesEveryMutant, which takes
// minutes (a build and a run of the hidden set per mutant).
var hiddenMutants = flag.Bool("hidden-mutants", false, "also prove that the grader's hidden scenarios alone catch every mutant (slow: minutes)")

// TestHiddenSetCatchesEveryMutant runs the grader's hidden scenarios alone
// (labs/hidden, without the visible suites and rule tests) against every
// mutant, with their default seeds: the hidden set must catch each bug on
// its own, since the grader's seeds are not the students'. It logs which
// hidden scenarios caught each mutant.
func TestHiddenSetCatchesEveryMutant(t *testing.T) {
	if !*hiddenMutants {
		t.Skip("slow (a build and a run of the hidden set per mutant, minutes in all): run with -hidden-mutants")
	}
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs to run the go command")
	}
	goCmd, err := exec.LookPath("go")
	require.NoError(t, err, "the go command must be on PATH")
	root := moduleRoot(t)
	ms := mutants()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Minute)
	defer cancel()
	failed := regexp.MustCompile(`--- FAIL: TestHiddenScenariosPassAgainstReference/[a-z]+/(Hidden[A-Za-z0-9]+)`)
	for k, m := range ms {
		overlay := writeOverlay(t, root, dir, k, m)
		t.Run(strings.ReplaceAll(m.name, " ", "_"), func(t *testing.T) {
			bin := filepath.Join(dir, fmt.Sprintf("hidden%02d.test", k))
			cmd := exec.CommandContext(ctx, goCmd, "test", "-c", "-o", bin, "-overlay="+overlay, "./labs/hidden")
			cmd.Dir = root
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "building the hidden scenarios with mutant %q:\n%s", m.name, out)
			run := exec.CommandContext(ctx, bin, "-test.run", "TestHiddenScenariosPassAgainstReference/./^Hidden", "-test.v", "-tracedir", dir)
			run.Dir = filepath.Join(root, "labs", "hidden")
			out, err = run.CombinedOutput()
			require.Error(t, err, "mutant %q (raft/%s) passed every hidden scenario: the hidden set alone does not catch it\n%s", m.name, m.file, out)
			var by []string
			for _, sub := range failed.FindAllStringSubmatch(string(out), -1) {
				if !slices.Contains(by, sub[1]) {
					by = append(by, sub[1])
				}
			}
			require.NotEmpty(t, by, "mutant %q: the hidden run failed, but in no hidden scenario (a build or harness error?):\n%s", m.name, out)
			t.Logf("mutant %q is caught by %s", m.name, strings.Join(by, ", "))
			require.NoError(t, os.Remove(bin))
		})
	}
}

// Package mutants proves that the targeted schedules of package labs catch
// the bugs they target: for each schedule, a mutant — the reference
// implementation (package raft) with one textual change that puts a bug of
// that class back — must fail the schedule, with the expected rule in the
// report, while the unchanged reference passes it in each of its designs
// (raft.Designs: one batch in flight per follower, pipelined, ...), so that
// a schedule cannot catch its bug by encoding one design's flow control.
//
// A mutant is applied with go test's -overlay flag, which builds the
// package with a patched copy of one file in place of the real one: the
// reference itself is never changed. The package holds only this test; it
// runs in CI (without -short) and is not part of the student handout.
package mutants

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/labs/testjson"
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/sim"
	"golang.org/x/sync/errgroup"
)

// mutant is one bug put back into one file of the reference.
type mutant struct {
	name     string // what the bug is
	stage    string // the top-level test of raft/labs_test.go that runs the schedule
	schedule string // the targeted schedule that must catch it
	file     string // path under raft/
	old, new string // the exact snippet of the reference, and what replaces it
	// want lists the failures (kind and rule, as the failure_kind and
	// failure_rule attributes of the schedule's test say) of which the
	// schedule must fail with one.
	want []failure
}

// conflictCheck is the reference's AppendEntries receiver rule 3, which
// two mutants break in two ways.
const conflictCheck = `		if idx <= n.log.lastIndex() {
			if n.log.term(idx) == e.Term {
				continue
			}
			n.log.truncateFrom(idx)
		}`

// failure is what a failing scenario's t.Attr records say broke.
type failure struct {
	kind string // labs.AttrFailureKind: sim.KindSafety, ...
	rule string // labs.AttrFailureRule
}

func mutants() []mutant {
	return append([]mutant{
		{
			name: "truncate on every AppendEntries", stage: "TestReplication", schedule: "TargetedStaleAppendEntries",
			file: "replication.go",
			old:  conflictCheck,
			new: `		if idx <= n.log.lastIndex() {
			_ = e // the terms are not compared (the bug)
			n.log.truncateFrom(idx)
		}`,
			want: []failure{{sim.KindSafety, "Commit needs a majority"}, {sim.KindScenario, "Truncate only on a real conflict"}},
		},
		{
			name: "matchIndex from the leader's log", stage: "TestReplication", schedule: "TargetedOutOfOrderReplies",
			file: "replication.go",
			old:  `if p.acked(last, n.now) {`,
			new:  `if p.acked(n.log.lastIndex(), n.now) {`,
			want: []failure{{sim.KindSafety, "Commit needs a majority"}, {sim.KindScenario, "matchIndex comes from the acknowledged request"}},
		},
		{
			name: "commitIndex = min(leaderCommit, last index)", stage: "TestReplication", schedule: "TargetedCommitMinRule",
			file: "replication.go",
			old:  `if lastNew := prev + len(args.Entries); args.LeaderCommit > n.commitIndex {`,
			new:  `if lastNew := n.log.lastIndex(); args.LeaderCommit > n.commitIndex {`,
			want: []failure{{sim.KindSafety, "State Machine Safety"}, {sim.KindScenario, "commitIndex = min(leaderCommit, index of last new entry)"}},
		},
		{
			name: "heartbeats skip the consistency check", stage: "TestReplication", schedule: "TargetedMismatchedHeartbeats",
			file: "replication.go",
			old: `	case prev > n.log.lastIndex():
		return // too short: XTerm = -1, XLen = lastIndex+1`,
			new: `	case len(args.Entries) == 0:
		// a heartbeat: nothing to check (the bug)
	case prev > n.log.lastIndex():
		return // too short: XTerm = -1, XLen = lastIndex+1`,
			want: []failure{{sim.KindSafety, "State Machine Safety"}, {sim.KindPanic, "panic"}},
		},
		{
			name: "election restriction compares only lengths", stage: "TestReplication", schedule: "TargetedLongerLogOlderTerm",
			file: "election.go",
			old: `	if lastTerm != n.log.lastTerm() {
		return lastTerm > n.log.lastTerm()
	}
	return lastIndex >= n.log.lastIndex()`,
			new:  `	return lastIndex >= n.log.lastIndex()`,
			want: []failure{{sim.KindSafety, "Leader Completeness"}, {sim.KindScenario, "Election restriction"}},
		},
		{
			name: "commit old-term entries by counting replicas", stage: "TestReplication", schedule: "TargetedFigure8Exact",
			file: "replication.go",
			old:  `if N > n.commitIndex && n.log.term(N) == n.term {`,
			new:  `if N > n.commitIndex {`,
			want: []failure{{sim.KindScenario, "A leader commits only entries of its current term by counting replicas"}, {sim.KindSafety, "Leader Completeness"}},
		},
		{
			name: "a higher term in a reply is ignored", stage: "TestReplication", schedule: "TargetedIsolatedLeaderMinority",
			file: "replication.go",
			old:  `n.deliver(r.Term, func() { n.onAppendReply(i, term, prev, last, r) })`,
			new:  `n.deliver(0, func() { n.onAppendReply(i, term, prev, last, r) }) // the reply's term is never adopted`,
			want: []failure{{sim.KindScenario, "A higher term converts to follower"}},
		},
		{
			name: "a rejected vote request resets the election timer", stage: "TestReplication", schedule: "TargetedElectionTimerDiscipline",
			file: "election.go",
			old: `	reply.Term = n.term
	if args.Term < n.term {
		return
	}`,
			new: `	reply.Term = n.term
	if args.Term < n.term {
		return
	}
	n.electionElapsed = 0`,
			want: []failure{{sim.KindLiveness, "Leader election"}},
		},
		{
			name: "votedFor not saved", stage: "TestPersistence", schedule: "TargetedVoteSurvivesCrash",
			file: "persist.go",
			old:  `b = binary.AppendVarint(b, int64(votedFor))`,
			new:  `b = binary.AppendVarint(b, int64(-1)) // votedFor is not saved (the bug)`,
			// The durability checker sees the lost vote at the restart,
			// before the second vote can be granted.
			want: []failure{{sim.KindSafety, "Durability"}, {sim.KindSafety, "One vote per term"}},
		},
		{
			name: "appended entries not saved before the reply", stage: "TestPersistence", schedule: "TargetedPersistBeforeReply",
			file: "replication.go",
			old: `		n.log.appendEntries(args.Entries[k:])
		n.dirty = true`,
			new:  `		n.log.appendEntries(args.Entries[k:])`,
			want: []failure{{sim.KindSafety, "Durability"}, {sim.KindScenario, "Persist before replying"}},
		},
		{
			name: "stale InstallSnapshot installed", stage: "TestSnapshots", schedule: "TargetedStaleInstallSnapshot",
			file: "snapshot.go",
			old: `	if index <= n.log.snapIndex {
		return
	}`,
			new:  ``,
			want: []failure{{sim.KindScenario, "A stale InstallSnapshot changes nothing"}, {sim.KindSafety, "State Machine Safety"}, {sim.KindSafety, "Snapshots never move a service backwards"}, {sim.KindSafety, "Commit index within the log"}},
		},
		{
			name: "InstallSnapshot discards the whole log", stage: "TestSnapshots", schedule: "TargetedInstallSnapshotKeepsSuffix",
			file: "snapshot.go",
			old: `	if n.log.has(index, term) {
		n.log.compact(index)
	} else {
		n.log.reset(index, term)
	}`,
			new:  `	n.log.reset(index, term)`,
			want: []failure{{sim.KindSafety, "Commit needs a majority"}, {sim.KindScenario, "InstallSnapshot keeps the entries after a matching last included entry"}},
		},
		{
			name: "only Snapshot saves the snapshot", stage: "TestSnapshots", schedule: "TargetedSnapshotDroppedBySave",
			file: "snapshot.go",
			old: `		n.log.compact(index)
		n.snapshot = snapshot
		n.dirty = true`,
			new: `		n.log.compact(index)
		n.env.Persister().Save(encodeState(nil, n.term, n.votedFor, &n.log), snapshot)`,
			want: []failure{{sim.KindScenario, "Every Save keeps the snapshot"}, {sim.KindSafety, "State Machine Safety"}, {sim.KindSafety, "Durability"}},
		},
	}, classicMutants()...)
}

// mutantSeeds is how many seeds each mutant runs, one process per seed
// (the suite stops at a scenario's first failing seed): a targeted schedule
// must catch its bug on every seed, not on a lucky one.
const mutantSeeds = 5

// TestMutants builds the raft tests once per mutant, runs each mutant
// against its schedule for several seeds, two processes at a time, and runs
// the unchanged reference, in each of its designs (raft/labs_test.go's
// -design flag), against every schedule on each schedule's default seeds.
func TestMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the raft tests once per mutant (well under a minute); runs without -short")
	}
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs to run the go command")
	}
	goCmd, err := exec.LookPath("go")
	require.NoError(t, err, "the go command must be on PATH")
	root := moduleRoot(t)
	ms := mutants()

	// Stale snippets first: a reference that changed must say which
	// mutant needs updating, before anything runs.
	dir := t.TempDir()
	overlays := make([]string, len(ms))
	for k, m := range ms {
		overlays[k] = writeOverlay(t, root, dir, k, m)
	}

	type result struct {
		runs []map[string]*testjson.Test // per seed (one entry for the control): the tests' events
		out  []string                    // per seed: what the run printed, for messages
		errs []error
	}
	designs := raft.Designs()
	results := make([]result, len(ms)+1)
	ctx, cancel := context.WithTimeout(t.Context(), runLimit)
	defer cancel()
	var g errgroup.Group
	g.SetLimit(2)
	// run builds the raft tests (with the overlay, if any) once and runs
	// the binary once per argument list of argSets, recording each run in
	// results[k].
	run := func(k int, overlay, pattern string, argSets [][]string) {
		g.Go(func() error {
			bin := filepath.Join(dir, fmt.Sprintf("raft%02d.test", k))
			if out, err := build(ctx, goCmd, root, overlay, bin); err != nil {
				results[k] = result{runs: []map[string]*testjson.Test{{}}, out: []string{out}, errs: []error{cutOff(ctx, err)}}
				return nil
			}
			var r result
			for _, extra := range argSets {
				// go tool test2json turns the binary's output into go test
				// -json events, whose attr events carry the failure's fields.
				args := []string{"tool", "test2json", bin, "-test.v=test2json", "-test.count=1", "-test.run", pattern, "-tracedir", dir}
				args = append(args, extra...)
				cmd := exec.CommandContext(ctx, goCmd, args...)
				cmd.Dir = filepath.Join(root, "raft")
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				events, _ := testjson.Read(bytes.NewReader(out)) // the output is in memory: no read error
				r.runs, r.out, r.errs = append(r.runs, events.Tests), append(r.out, events.Text+stderr.String()), append(r.errs, cutOff(ctx, err))
			}
			results[k] = r
			return nil
		})
	}
	// The control: the reference passes every schedule in every design,
	// on each schedule's default seeds (one binary, one run per design).
	var controlArgs [][]string
	for _, d := range designs {
		controlArgs = append(controlArgs, []string{"-design=" + d.Name})
	}
	run(len(ms), "", controlPattern(ms), controlArgs)
	var seedArgs [][]string
	for seed := range mutantSeeds {
		seedArgs = append(seedArgs, []string{fmt.Sprintf("-seed=%d", seed+1)})
	}
	for k, m := range ms {
		run(k, overlays[k], "^"+m.stage+"$/^"+m.schedule+"$", seedArgs)
	}
	require.NoError(t, g.Wait())

	control := results[len(ms)]
	for i, err := range control.errs {
		require.NoError(t, err, "the unchanged reference (design %s) must pass every targeted schedule on its default seeds:\n%s", designs[i].Name, control.out[i])
	}
	for k, m := range ms {
		test := m.stage + "/" + m.schedule
		t.Run(m.schedule, func(t *testing.T) {
			for i, d := range designs {
				ctl := control.runs[i][test]
				require.True(t, ctl != nil && ctl.Action == "pass",
					"the control run (design %s) did not pass schedule %s of %s: was it renamed or moved to another stage?\n%s", d.Name, m.schedule, m.stage, control.out[i])
			}
			r := results[k]
			for i, out := range r.out {
				seed := i + 1
				require.Error(t, r.errs[i], "mutant %q (raft/%s) passed schedule %s with seed %d: the schedule no longer catches its bug on every seed\n%s", m.name, m.file, m.schedule, seed, out)
				rec := r.runs[i][test]
				require.True(t, rec != nil && rec.Action == "fail",
					"mutant %q did not fail inside schedule %s with seed %d (a build error?):\n%s", m.name, m.schedule, seed, out)
				got := failure{kind: rec.Attrs[labs.AttrFailureKind], rule: rec.Attrs[labs.AttrFailureRule]}
				require.Contains(t, m.want, got, "mutant %q failed schedule %s with seed %d, but not with any of the expected failures (%s, %s attributes):\n%s",
					m.name, m.schedule, seed, labs.AttrFailureKind, labs.AttrFailureRule, out)
			}
		})
	}
}

// runLimit bounds the whole test's builds and runs, so that a hung
// mutant cannot hang CI; it is generous, since a loaded machine builds
// slowly.
const runLimit = 20 * time.Minute

// cutOff says so if err came from the run limit rather than the run.
func cutOff(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("cut off by the test's %s limit (a hung schedule, or a very loaded machine): %w", runLimit, err)
	}
	return err
}

// writeOverlay writes mutant m's patched copy of its file and the overlay
// file that maps the real file to it, and returns the overlay's path. It
// fails the test if the snippet is not in the reference exactly once.
func writeOverlay(t *testing.T, root, dir string, k int, m mutant) string {
	t.Helper()
	real := filepath.Join(root, "raft", m.file)
	src, err := os.ReadFile(real)
	require.NoError(t, err)
	n := bytes.Count(src, []byte(m.old))
	require.Equal(t, 1, n,
		"mutant %q (schedule %s) is stale: its snippet occurs %d times in raft/%s, expected exactly once. The reference changed: update the snippet in labs/mutants so that it still puts the bug back:\n%s",
		m.name, m.schedule, n, m.file, m.old)
	patched := bytes.Replace(src, []byte(m.old), []byte(m.new), 1)
	copyPath := filepath.Join(dir, fmt.Sprintf("mutant%02d-%s", k, m.file))
	require.NoError(t, os.WriteFile(copyPath, patched, 0o644))
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {real: copyPath}})
	require.NoError(t, err)
	overlayPath := filepath.Join(dir, fmt.Sprintf("mutant%02d.json", k))
	require.NoError(t, os.WriteFile(overlayPath, overlay, 0o644))
	return overlayPath
}

// controlPattern is the -run pattern that selects every mutant's schedule.
func controlPattern(ms []mutant) string {
	var stages, schedules []string
	for _, m := range ms {
		stages = append(stages, m.stage)
		schedules = append(schedules, m.schedule)
	}
	return "^(" + strings.Join(dedup(stages), "|") + ")$/^(" + strings.Join(dedup(schedules), "|") + ")$"
}

func dedup(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// build compiles the raft package's tests into bin, with the overlay if
// one is given, and returns the compiler's output.
func build(ctx context.Context, goCmd, root, overlay, bin string) (string, error) {
	args := []string{"test", "-c", "-o", bin}
	if overlay != "" {
		args = append(args, "-overlay="+overlay)
	}
	args = append(args, "./raft")
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// moduleRoot is the directory holding go.mod, above the test's package
// directory (where go test runs it).
func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	root, err := labs.ModuleRoot(wd)
	require.NoError(t, err)
	return root
}

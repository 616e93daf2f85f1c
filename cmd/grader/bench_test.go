package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/raftlab/raftlab/grader/class"
	"github.com/raftlab/raftlab/grader/class/classtest"
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/grader/sandbox"
	"github.com/raftlab/raftlab/labs"
)

// The grader's figures. They are benchmarks, not timed tests: run them
// one at a time on a quiet machine and read the load beside them.
//
//	go test ./cmd/grader -run '^$' -bench BenchmarkGradeDefault -benchtime 1x
//	go test ./cmd/grader -run '^$' -bench BenchmarkOverhead -benchtime 1x
//	GRADER_CLASS_SIZE=40 go test ./cmd/grader -run '^$' -bench BenchmarkClass -benchtime 1x -timeout 2h

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func benchLabRoot(b *testing.B) string {
	b.Helper()
	root, err := labRoot()
	if err != nil {
		b.Fatal(err)
	}
	return root
}

// One submission (the reference) with the default rubric, build
// included: the goal is 60 s of wall time on a 2-core machine.
func BenchmarkGradeDefault(b *testing.B) {
	sub := filepath.Join(b.TempDir(), "reference")
	if err := classtest.Write(benchLabRoot(b), sub, classtest.Variants[0], fmt.Sprint(time.Now().UnixNano())); err != nil {
		b.Fatal(err)
	}
	b.Logf("load before: %s (%d cores)", loadavg(), runtime.NumCPU())
	for b.Loop() {
		g, err := class.Grade(context.Background(), sub, rubric.Default(), sandbox.Options{}, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		var stages time.Duration
		for _, st := range g.Outcome.Stages {
			stages += time.Duration(st.WallMs) * time.Millisecond
		}
		b.ReportMetric(g.Wall.Seconds(), "wall-s")
		b.ReportMetric((g.Wall - stages).Seconds(), "outside-stages-s")
		b.Logf("%s / %s in %s (stages %s, the rest %s)", fmtPts(g.Result.Score), fmtPts(g.Result.MaxScore), g.Wall.Round(time.Millisecond), stages.Round(time.Millisecond), (g.Wall - stages).Round(time.Millisecond))
	}
	b.Logf("load after: %s", loadavg())
}

func fmtPts(x float64) string { return pointsText(x) }

// The grader's own cost beyond the tests: intake, lint, the build tree
// and the build of a tree built once already (go's build cache hits: a
// new submission's compile and link show in BenchmarkGradeDefault's
// outside-stages-s); a stage's child that runs nothing; scoring and the
// reports.
func BenchmarkOverhead(b *testing.B) {
	sub := filepath.Join(b.TempDir(), "reference")
	root := benchLabRoot(b)
	if err := classtest.Write(root, sub, classtest.Variants[0], fmt.Sprint(time.Now().UnixNano())); err != nil {
		b.Fatal(err)
	}
	nothing := func(stages []labs.Stage) time.Duration {
		start := time.Now()
		o, err := sandbox.Grade(context.Background(), sub, sandbox.Options{LabRoot: root, Stages: stages, NoRules: true, Scenarios: []string{"-"}})
		if err != nil {
			b.Fatal(err)
		}
		for _, st := range o.Stages {
			if st.Verdict != result.StageRan {
				b.Fatalf("%s: %s %s", st.Stage, st.Verdict, st.Detail)
			}
		}
		return time.Since(start)
	}
	b.Logf("load before: %s (%d cores)", loadavg(), runtime.NumCPU())
	for b.Loop() {
		nothing(labs.Stages[:1]) // warm the build cache with this tree's lab packages
		one := nothing(labs.Stages[:1])
		four := nothing(labs.Stages)
		child := (four - one) / 3
		b.ReportMetric((one - child).Seconds(), "intake+build-s")
		b.ReportMetric(child.Seconds(), "child-per-stage-s")

		// The reports of a failing submission (the starter's outcome
		// on one seed): scoring, traces and the two files.
		dir := b.TempDir()
		g, err := class.Grade(context.Background(), filepath.Join(root, "assignments", "raft"), quick(b), sandbox.Options{LabRoot: root}, dir)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		r := result.Score(g.Outcome, quick(b))
		if err := class.Write(b.TempDir(), r); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "score+write-ms")
		b.Logf("intake+lint+build %s, a stage's child (start, hello, exit) %s, scoring and writing the reports %s",
			(one - child).Round(time.Millisecond), child.Round(time.Millisecond), time.Since(start).Round(time.Microsecond))
	}
	b.Logf("load after: %s", loadavg())
}

func quick(b *testing.B) *rubric.Rubric {
	r, err := rubric.Parse([]byte(quickRubric))
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// A class (GRADER_CLASS_SIZE submissions, default 12: the reference, the
// starter and the buggy variants of classtest, cycled) graded cold, then
// again from the cache. GRADER_CLASS_RUBRIC picks a rubric file (default:
// the default rubric).
func BenchmarkClass(b *testing.B) {
	n := 12
	if s := os.Getenv("GRADER_CLASS_SIZE"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			b.Fatal(err)
		}
	}
	args := []string{}
	if p := os.Getenv("GRADER_CLASS_RUBRIC"); p != "" {
		args = append(args, "--rubric", p)
	}
	tmp := b.TempDir()
	dir := filepath.Join(tmp, "class")
	students := classtest.Make(b, benchLabRoot(b), dir, n)
	out := filepath.Join(tmp, "out")
	b.Logf("load before: %s (%d cores)", loadavg(), runtime.NumCPU())
	for b.Loop() {
		for _, pass := range []string{"cold", "cached"} {
			start := time.Now()
			var outb, errb bytes.Buffer
			code := run(append(append([]string{"class", "--out", out}, args...), dir), &outb, &errb)
			stdout, stderr := outb.String(), errb.String()
			wall := time.Since(start)
			if code != 0 {
				b.Fatalf("%s: exit %d: %s", pass, code, stderr)
			}
			b.ReportMetric(wall.Seconds(), pass+"-wall-s")
			b.ReportMetric(float64(n)/wall.Minutes(), pass+"-subs/min")
			b.Logf("%s: %s in %s, %.1f submissions/min, load %s", pass, strings.TrimSpace(stdout), wall.Round(time.Millisecond), float64(n)/wall.Minutes(), loadavg())
		}
	}
	// What each kind of submission scored.
	byVariant := map[string][]string{}
	for _, s := range students {
		r, err := result.ReadFile(filepath.Join(out, s.Name, class.ResultFile))
		if err != nil {
			b.Fatal(err)
		}
		byVariant[s.Variant.Name] = append(byVariant[s.Variant.Name], pointsText(r.Score))
	}
	for _, v := range classtest.Variants {
		b.Logf("%-32s %v", v.Name, byVariant[v.Name])
	}
}

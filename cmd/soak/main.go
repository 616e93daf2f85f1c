// Command soak runs the simulator's randomized nemesis against the
// reference Raft over many seeds per fault mix, and prints per mix how many
// runs violated safety and how many missed liveness.
//
//	go run ./cmd/soak -seeds 1000 -mix all,crashes -parallel 2 -duration 20s
//	go run ./cmd/soak -mix all -seed 123 -trace out.json   # replay one run
//	go run ./cmd/soak -seeds 1000000 -shard 3/64 -json shard3.json
//	go run ./cmd/soak merge shard*.json                    # one summary of every shard
//
// docs/soak-sharding.md runs a soak as a CI job matrix or a Kubernetes
// indexed Job.
//
// Run it with -h for the flags and the mixes; package soak describes a run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/soak"
	"github.com/raftlab/raftlab/trace"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1 // a run violated safety or missed liveness, or an I/O error
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

const usageHead = `usage: soak [flags]
       soak merge [-json FILE] SHARD.json ...

Soaks the reference Raft in the deterministic simulator. For every mix and
every seed, one run boots a cluster, waits for a leader (10s), lets the
mix's randomized nemesis inject faults for -duration while a client
offers commands, ends the faults, and checks liveness: a leader within 10s
and a fresh command applied on every node within 10s more. The faults end
for every node, or (on about half the seeds; -liveness chooses) only for
a core majority, which must converge while the other nodes stay crashed
or cut off. Every safety checker runs after every turn. Times are
simulated time.

-shard i/n runs only the seeds s ≡ i (mod n) of the range, and -json
writes the report as JSON; "soak merge" joins the reports of shards
0/n … n-1/n into the summary of the whole range (docs/soak-sharding.md).

A failure of kind liveness is a liveness miss; any other (safety, panic,
hang, contract, internal) is a violation. For each failing seed the command
that replays it is printed. The exit status is 0 if every run passed, 1 if
any run failed, 2 for bad usage, 130 if interrupted.

examples:
  soak -seeds 1000 -mix all,crashes -parallel 2 -duration 20s
  soak -seeds 15000 -duration 5s              every mix, 15000 seeds each
  soak -mix all -seed 123 -trace out.json     replay one run, write its trace
                                              (view it: go run ./cmd/raftview out.json)
  soak -seeds 100000 -shard 0/8 -json s0.json one of 8 shards of 100000 seeds
  soak merge s*.json                          the summary of every shard

mixes (each seed draws the nemesis's rates within its mix, and a cluster
of 3, 5 or 7 nodes unless -nodes fixes it):
`

type flags struct {
	mixes       []string
	seeds       int
	firstSeed   uint64
	seed        uint64
	single      bool // -seed given: replay one run
	nodes       int
	duration    time.Duration
	liveness    sim.Liveness
	shard       soak.Shard
	jsonPath    string
	parallel    int
	tracePath   string
	traceLimit  int
	preVote     bool
	checkQuorum bool
	maxFailures int
	every       time.Duration
}

func parse(args []string, stderr io.Writer) (*flags, error) {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		say(stderr, "%s", usageHead)
		for _, m := range soak.Mixes() {
			say(stderr, "  %-14s %s\n", m.Name, m.Doc)
		}
		say(stderr, "\nflags:\n")
		fs.PrintDefaults()
	}
	var f flags
	mix := fs.String("mix", strings.Join(soak.MixNames(), ","), "comma-separated mixes to run, in this order (see above)")
	fs.IntVar(&f.seeds, "seeds", 100, "seeds per mix")
	fs.Uint64Var(&f.firstSeed, "first-seed", 0, "first seed of each mix: seeds run first-seed … first-seed+seeds-1")
	fs.Uint64Var(&f.seed, "seed", 0, "replay this one seed of the one mix -mix names, with the trace on, and print its failure report")
	fs.IntVar(&f.nodes, "nodes", 0, "cluster size; 0 draws 3, 5 or 7 per seed")
	fs.DurationVar(&f.duration, "duration", soak.DefaultDuration, "simulated time the nemesis runs in each run")
	liveness := fs.String("liveness", sim.LivenessDrawn.String(), "after the faults, heal every node (all), only a core majority (core), or either, drawn per seed (drawn)")
	shard := fs.String("shard", "0/1", "run shard i of n: the seeds s ≡ i (mod n) of the range")
	fs.StringVar(&f.jsonPath, "json", "", "also write the report as JSON to this file (for soak merge)")
	fs.IntVar(&f.parallel, "parallel", runtime.GOMAXPROCS(0), "runs at once")
	fs.StringVar(&f.tracePath, "trace", "", "with -seed: write the run's trace to this file (JSON; see docs/trace-format.md)")
	fs.IntVar(&f.traceLimit, "trace-limit", 0, "with -trace: keep at most N events (the first four fifths and the last fifth, with a note between; 0: 125,000)")
	fs.BoolVar(&f.preVote, "prevote", false, "enable the reference's PreVote option (thesis §9.6)")
	fs.BoolVar(&f.checkQuorum, "checkquorum", false, "enable the reference's CheckQuorum option (thesis §6.2)")
	fs.IntVar(&f.maxFailures, "max-failures", soak.DefaultMaxFailures, "failing seeds listed per mix (all are counted)")
	fs.DurationVar(&f.every, "progress-every", 10*time.Second, "when stderr is not a terminal: wall time between progress lines (0: none)")
	if err := fs.Parse(args); err != nil {
		return nil, err // flag has printed it with the usage
	}
	if fs.NArg() > 0 {
		return nil, usageErr(fs, "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	fs.Visit(func(fl *flag.Flag) { f.single = f.single || fl.Name == "seed" })
	var err error
	if f.liveness, err = sim.ParseLiveness(*liveness); err != nil {
		return nil, usageErr(fs, "-liveness: %v", err)
	}
	if f.shard, err = soak.ParseShard(*shard); err != nil {
		return nil, usageErr(fs, "-shard: %v", err)
	}
	for m := range strings.SplitSeq(*mix, ",") {
		if m = strings.TrimSpace(m); m != "" {
			f.mixes = append(f.mixes, m)
		}
	}
	known := map[string]bool{}
	for _, m := range soak.MixNames() {
		known[m] = true
	}
	switch {
	case len(f.mixes) == 0:
		return nil, usageErr(fs, "-mix names no mix")
	case f.seeds < 1:
		return nil, usageErr(fs, "-seeds must be at least 1")
	case f.nodes < 0:
		return nil, usageErr(fs, "-nodes must be at least 1 (or 0 to draw it)")
	case f.duration <= 0:
		return nil, usageErr(fs, "-duration must be positive")
	case f.parallel < 1:
		return nil, usageErr(fs, "-parallel must be at least 1")
	case f.maxFailures < 1:
		return nil, usageErr(fs, "-max-failures must be at least 1")
	case f.single && len(f.mixes) != 1:
		return nil, usageErr(fs, "-seed replays one run: name exactly one mix with -mix")
	case !f.single && f.tracePath != "":
		return nil, usageErr(fs, "-trace writes the trace of one run: use it with -seed")
	case f.traceLimit < 0:
		return nil, usageErr(fs, "-trace-limit must not be negative (0: the default, 125,000 events)")
	case f.single && (f.jsonPath != "" || f.shard.Count > 1):
		return nil, usageErr(fs, "-seed replays one run: -shard and -json are for a range of seeds")
	}
	for _, m := range f.mixes {
		if !known[m] {
			return nil, usageErr(fs, "unknown mix %q (known: %s)", m, strings.Join(soak.MixNames(), ", "))
		}
	}
	return &f, nil
}

func usageErr(fs *flag.FlagSet, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	say(fs.Output(), "soak: %v\n", err)
	fs.Usage()
	return err
}

func (f *flags) options() soak.Options {
	o := soak.Options{
		Mixes: f.mixes, Seeds: f.seeds, FirstSeed: f.firstSeed, Shard: f.shard, Nodes: f.nodes, Duration: f.duration,
		Liveness: f.liveness, Parallel: f.parallel, MaxFailures: f.maxFailures, TraceLimit: f.traceLimit,
		Factory:        raft.NewFactory(raft.Options{PreVote: f.preVote, CheckQuorum: f.checkQuorum}),
		Implementation: "reference",
	}
	var extra string
	if f.preVote {
		o.Implementation += "+prevote"
		extra += " -prevote"
	}
	if f.checkQuorum {
		o.Implementation += "+checkquorum"
		extra += " -checkquorum"
	}
	o.ReplayCommand = func(mix string, seed uint64) string {
		cmd := soak.DefaultReplayCommand(o, mix, seed)
		return strings.Replace(cmd, " -trace ", extra+" -trace ", 1)
	}
	return o
}

// say writes to w; the output's errors are kept by the sticky writer
// that run wraps stdout in.
func say(w io.Writer, format string, a ...any) {
	_, _ = fmt.Fprintf(w, format, a...)
}

// sticky is a writer that remembers its first error and then writes
// nothing more: run checks it once at the end.
type sticky struct {
	w   io.Writer
	err error
}

func (s *sticky) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}

// run is the command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	out := &sticky{w: stdout}
	code := runTo(ctx, args, out, stderr, tty)
	if out.err != nil {
		say(stderr, "soak: writing the output: %v\n", out.err)
		return max(code, exitFailed)
	}
	return code
}

func runTo(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	if len(args) > 0 && args[0] == "merge" {
		return merge(args[1:], stdout, stderr)
	}
	f, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if f.single {
		return replay(f, stdout, stderr)
	}
	o := f.options()
	o.Progress = progressPrinter(stderr, tty, f.every)
	mixes := "mixes"
	if len(o.Mixes) == 1 {
		mixes = "mix"
	}
	shard := ""
	if o.Shard.Count > 1 {
		shard = fmt.Sprintf(" (shard %s: the seeds ≡ %d mod %d)", o.Shard, o.Shard.Index, o.Shard.Count)
	}
	say(stdout, "soak: %s, %d %s × %d seeds (from %d)%s, %s of faults per run, %s, liveness %s, %d in parallel\n",
		o.Implementation, len(o.Mixes), mixes, o.Seeds, o.FirstSeed, shard, o.Duration, describeNodes(o.Nodes), o.Liveness, o.Parallel)
	rep, err := soak.Run(ctx, o)
	if tty {
		say(stderr, "\r\033[K")
	}
	if rep != nil {
		if perr := printReport(stdout, rep); perr != nil && err == nil {
			err = perr
		}
		// An interrupted soak writes no JSON: a partial shard report
		// would merge into a wrong summary (Merge refuses it anyway).
		if f.jsonPath != "" && err == nil {
			if werr := rep.WriteFile(f.jsonPath); werr != nil {
				say(stderr, "soak: %v\n", werr)
				return exitFailed
			}
			say(stdout, "report written to %s\n", f.jsonPath)
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		say(stderr, "soak: interrupted; the table above counts the runs that finished\n")
		return exitInterrupted
	case err != nil:
		say(stderr, "soak: %v\n", err)
		return exitFailed
	case rep.Failed():
		return exitFailed
	}
	return exitOK
}

func describeNodes(n int) string {
	if n == 0 {
		return "3, 5 or 7 nodes"
	}
	return fmt.Sprintf("%d nodes", n)
}

// progressPrinter returns the soak's Progress callback: on a terminal, a
// line rewritten in place; otherwise a line every `every` of wall time.
// Wall time decides only when to print, never what the soak does.
func progressPrinter(w io.Writer, tty bool, every time.Duration) func(done, total int) {
	start := time.Now()
	last := start
	return func(done, total int) {
		now := time.Now()
		final := done == total
		switch {
		case tty && (final || now.Sub(last) >= 100*time.Millisecond):
		case !tty && every > 0 && now.Sub(last) >= every:
		default:
			return
		}
		last = now
		elapsed := now.Sub(start)
		left := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		line := fmt.Sprintf("soak: %d/%d runs (%.1f%%), %s elapsed, ~%s left",
			done, total, 100*float64(done)/float64(total), elapsed.Round(time.Second), left.Round(time.Second))
		if tty {
			say(w, "\r\033[K%s", line)
		} else {
			say(w, "%s\n", line)
		}
	}
}

func printReport(w io.Writer, rep *soak.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	width := len("total")
	for _, m := range rep.Mixes {
		width = max(width, len(m.Mix))
	}
	say(tw, "%-*s\truns\tviolations\tliveness misses\tcommits/run\tevents/s\twall\t\n", width, "mix")
	row := func(m *soak.MixReport) { // the mix's name padded: left-aligned in a right-aligned table
		say(tw, "%-*s\t%d\t%d\t%d\t%.1f\t%s\t%s\t\n", width, m.Mix, m.Runs, m.Violations, m.LivenessMisses,
			m.CommitsPerRun(), si(m.EventsPerSecond()), fmtWall(m.Wall))
	}
	for i := range rep.Mixes {
		row(&rep.Mixes[i])
	}
	row(&rep.Total)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print the report: %w", err)
	}
	if len(rep.FailingSeeds()) == 0 {
		if rep.Total.Runs > 0 {
			say(w, "\nno violations, no liveness misses in %d runs (%s of simulated time)\n", rep.Total.Runs, rep.Total.SimTime.Round(time.Second))
		}
		return nil
	}
	say(w, "\nfailing seeds (the lowest of each mix); replay one and write its trace with the command shown:\n")
	for _, m := range rep.Mixes {
		for _, fl := range m.Failures {
			say(w, "  %s seed %d: %s\n    drew: %s\n    %s\n", fl.Mix, fl.Seed, fl.Summary, fl.Plan, fl.Replay)
		}
		if more := m.Violations + m.LivenessMisses - len(m.Failures); more > 0 {
			say(w, "  … and %d more failing seeds of %s\n", more, m.Mix)
		}
	}
	return nil
}

func fmtWall(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// si renders x with a metric suffix: 4.21M.
func si(x float64) string {
	switch {
	case x >= 1e9:
		return fmt.Sprintf("%.2fG", x/1e9)
	case x >= 1e6:
		return fmt.Sprintf("%.2fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

// merge is "soak merge": it joins shard reports into one and prints it.
func merge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("soak merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		say(stderr, "usage: soak merge [-json FILE] SHARD.json ...\n\nJoins the JSON reports of shards 0/n … n-1/n of one soak (soak -shard i/n -json FILE)\ninto the summary of the whole seed range. The exit status is 0 if every run passed,\n1 if any failed or a report is missing, inconsistent or unreadable, 2 for bad usage.\n\nflags:\n")
		fs.PrintDefaults()
	}
	out := fs.String("json", "", "also write the merged report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() == 0 {
		say(stderr, "soak merge: name the shard reports to merge\n")
		fs.Usage()
		return exitUsage
	}
	var reps []*soak.Report
	for _, path := range fs.Args() {
		rep, err := soak.ReadReportFile(path)
		if err != nil {
			say(stderr, "soak merge: %v\n", err)
			return exitFailed
		}
		reps = append(reps, rep)
	}
	rep, err := soak.Merge(reps...)
	if err != nil {
		say(stderr, "soak merge: %v\n", err)
		return exitFailed
	}
	say(stdout, "soak: %s, %d shards merged: %d mixes × %d seeds (from %d), %s of faults per run, %s, liveness %s\n",
		rep.Implementation, len(reps), len(rep.Mixes), rep.Seeds, rep.FirstSeed, rep.Duration, describeNodes(rep.Nodes), rep.Liveness)
	if err := printReport(stdout, rep); err != nil {
		say(stderr, "soak merge: %v\n", err)
		return exitFailed
	}
	if *out != "" {
		if err := rep.WriteFile(*out); err != nil {
			say(stderr, "soak merge: %v\n", err)
			return exitFailed
		}
		say(stdout, "merged report written to %s\n", *out)
	}
	if rep.Failed() {
		return exitFailed
	}
	return exitOK
}

// replay runs one seed with the trace on and prints its failure report.
func replay(f *flags, stdout, stderr io.Writer) int {
	o := f.options()
	mix := f.mixes[0]
	p, err := soak.PlanFor(o, mix, f.seed)
	if err != nil {
		say(stderr, "soak: %v\n", err)
		return exitUsage
	}
	say(stdout, "soak: %s, %s, %s of faults\n", o.Implementation, p, o.Duration)
	res, err := soak.Replay(o, mix, f.seed)
	if err != nil {
		say(stderr, "soak: %v\n", err)
		return exitFailed
	}
	written := false
	if f.tracePath != "" && res.Trace != nil { // a run abandoned as a hang has no trace
		if err := trace.WriteFile(f.tracePath, res.Trace); err != nil {
			say(stderr, "soak: %v\n", err)
			return exitFailed
		}
		written = true
		if res.Failure != nil {
			res.Failure.TracePath = f.tracePath
		}
	}
	st := &res.Stats
	say(stdout, "%d events, %d committed, %d RPCs, %s of simulated time, %s of wall time\n",
		st.Events, st.Committed, st.TotalRPCs(), res.End.Round(time.Millisecond), res.Wall.Round(time.Millisecond))
	if written {
		say(stdout, "trace written to %s (view it: go run ./cmd/raftview %s)\n", f.tracePath, f.tracePath)
	}
	if res.Failure != nil {
		say(stdout, "%s\n", res.Failure.Error())
		return exitFailed
	}
	say(stdout, "ok: no violation, liveness held\n")
	return exitOK
}

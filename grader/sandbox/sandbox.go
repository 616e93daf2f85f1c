// Package sandbox builds and runs an untrusted submission, one stage at a
// time, in a child process, and returns what it observed as a
// result.Outcome. Grade is the whole path: intake → lint → (refuse, or
// build) → every stage.
//
// # The build
//
// The build tree (package intake) is the lab's handout files, the
// student's .go files as assignments/raft, and the grader's own program
// (zz_raftlab_grader, a main package that imports the student's package:
// nothing of the student's can refer to it). It is built with go build and
// GOPROXY=off, GOFLAGS=-mod=mod, CGO_ENABLED=0, GOTOOLCHAIN=local,
// GOWORK=off, the grader's module cache and build cache (compiled lab
// packages are reused; a cache entry is keyed by its inputs' content, so a
// submission cannot poison another's) and a private HOME. The lab's
// dependencies must already be in the module cache: on a fresh machine an
// instructor runs `go mod download` once in the lab's module root (any go
// build or go test there does it too). A compile error is reported with
// the student's file:line (the build tree's paths are rewritten).
//
// # The run
//
// Each stage runs the program as a child with:
//   - a wall-clock limit per stage (the parent SIGKILLs the child's
//     process group);
//   - RLIMIT_CPU (soft = hard: Go ignores SIGXCPU, so the kernel's SIGKILL
//     at the hard limit is what ends it), RLIMIT_AS, RLIMIT_FSIZE,
//     RLIMIT_NOFILE and no core files, set by util-linux's prlimit before
//     the child's first instruction (prlimit execs it);
//   - a private HOME and TMPDIR, and an environment with nothing of the
//     grader's: HOME, TMPDIR, LANG and the two variables it reads and
//     unsets first thing (its key and its configuration);
//   - a new network namespace (CLONE_NEWNET: no interface but a loopback
//     that is down) when the machine allows it, and otherwise a line in
//     Outcome.Isolation;
//   - the identity nobody (65534) when the grader runs as root.
//
// # The memory limit: RLIMIT_AS
//
// Of the three candidates, RLIMIT_AS was chosen. It is enforced by the
// kernel at the allocation itself, costs nothing, needs no privilege and
// no cgroup filesystem, and works in containers. A Go program's address
// space is close to what it maps (the runtime reserves its heap in small
// arenas; the test child maps ~1.3 GB of address space at start, most of it
// untouched), so a limit of a few GB leaves a correct submission plenty
// and fails an allocation beyond it at once, with the runtime's "out of
// memory" crash, which the parent recognizes. A cgroup (memory.max) would
// count resident memory exactly, but this machine has cgroup v1 mounted
// read-only in a container, as CI runners often do; a watchdog polling RSS
// in /proc reacts only after the fact (a 10 GB allocation that is touched
// quickly outruns a 100 ms poll) and costs a goroutine per child.
//
// # The report channel
//
// The child reports over an inherited pipe (fd 3), one line per record,
// each authenticated with HMAC-SHA256 under a per-run random key that the
// child reads from its environment and unsets before any rule or scenario
// runs. Student code cannot read the environment or name a file descriptor
// (the allow-list refuses os, syscall, runtime, unsafe and reflect), so it
// can neither write the channel nor forge a record; the child's stdout and
// stderr are kept only as the last lines of a crash's detail, and whatever
// they hold (lines that look like go test -json included) counts for
// nothing. A stage is StageRan only if its "done" record arrived; every
// record carries a sequence number checked by the parent.
//
// What is left: student code runs in the same process as the harness, and
// a data race (goroutines are allowed, with a warning) can in principle
// corrupt memory; the child still cannot forge the key it never sees.
package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/raftlab/raftlab/grader/intake"
	"github.com/raftlab/raftlab/grader/lint"
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/labs"
)

// Options says how to grade. The zero value grades every stage with the
// defaults below, against the lab found from the working directory.
type Options struct {
	// LabRoot is the grader's pristine copy of the lab (the module root);
	// "" finds it from the working directory.
	LabRoot string
	// Stages to run, in order; nil means every stage.
	Stages []labs.Stage
	// Hidden adds the hidden scenarios (labs/hidden) to every stage.
	Hidden bool
	// Salt shifts every seed (labs.SeedPlan.Salt).
	Salt uint64
	// Seeds, if positive, is how many seeds every scenario runs.
	Seeds int
	// Scenarios, if set, runs only the scenarios with these names (for
	// tests and for regrading one case); NoRules skips the rule tests.
	Scenarios []string
	NoRules   bool
	// Parallel is how many scenarios of a stage run at once (default:
	// the child's GOMAXPROCS).
	Parallel int

	StageTimeout time.Duration // wall clock per stage (default 10m)
	BuildTimeout time.Duration // the build (default 5m)
	CPU          time.Duration // CPU time per stage (default StageTimeout × cores)
	MemoryBytes  int64         // address space per child (default 4 GiB)
	FileBytes    int64         // largest file a child may write (default 256 MiB)
	// HangBound is how long one turn may run before the run is failed as
	// a hang (sim.Config.HangBound; default the simulator's, 5s), and
	// RuleTimeout how long one rule-level test may run (default 30s).
	HangBound   time.Duration
	RuleTimeout time.Duration

	// TraceDir receives the failing runs' traces, as
	// <TraceDir>/<stage>/<name>-seed<N>.json; "" keeps none.
	TraceDir string
	// WorkDir is where the build trees go (default os.TempDir()); Keep
	// leaves this submission's tree in place (its path is in Isolation).
	WorkDir string
	Keep    bool

	// Limits bounds what intake reads.
	Limits intake.Limits
	// Go is the go command (default: "go" on PATH).
	Go string
}

func (o *Options) defaults() error {
	if o.LabRoot == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("find the lab: %w", err)
		}
		root, err := labs.ModuleRoot(wd)
		if err != nil {
			return fmt.Errorf("find the lab: %w", err)
		}
		o.LabRoot = root
	}
	if len(o.Stages) == 0 {
		o.Stages = labs.Stages
	}
	if o.StageTimeout <= 0 {
		o.StageTimeout = 10 * time.Minute
	}
	if o.BuildTimeout <= 0 {
		o.BuildTimeout = 5 * time.Minute
	}
	if o.CPU <= 0 {
		o.CPU = o.StageTimeout * time.Duration(runtime.NumCPU())
	}
	if o.MemoryBytes <= 0 {
		o.MemoryBytes = 4 << 30
	}
	if o.FileBytes <= 0 {
		o.FileBytes = 256 << 20
	}
	if o.RuleTimeout <= 0 {
		o.RuleTimeout = 30 * time.Second
	}
	if o.Go == "" {
		p, err := exec.LookPath("go")
		if err != nil {
			return fmt.Errorf("the grader needs the go command: %w", err)
		}
		o.Go = p
	}
	return nil
}

// Grade grades the submission at spec (a directory, .zip, .tar.gz or local
// git repository, optionally repo@commit): intake, the lint, then, unless
// refused, the build and every stage. The error is for the grader's own
// failures (no lab, no go command, no temp space) and a submission that
// cannot be read at all; everything about the submission is in the
// Outcome.
func Grade(ctx context.Context, spec string, opts Options) (*result.Outcome, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	sub, err := intake.Load(ctx, spec, opts.Limits)
	if err != nil {
		return nil, err
	}
	out := &result.Outcome{Submission: sub.Name, Hash: sub.Hash, Notes: sub.Notes, Refusals: sub.Refusals}
	rep := lint.Check(sub.Files)
	out.Refusals = append(out.Refusals, rep.Refusals...)
	out.Warnings = rep.Warnings
	if len(out.Refusals) > 0 {
		detail := refusalDetail(out.Refusals)
		for _, st := range opts.Stages {
			out.Stages = append(out.Stages, result.StageOutcome{Stage: st, Verdict: result.StageRefused, Detail: detail})
		}
		return out, nil
	}

	work, err := os.MkdirTemp(opts.WorkDir, "raftlab-grade-*")
	if err != nil {
		return nil, fmt.Errorf("grade: %w", err)
	}
	if opts.Keep {
		out.Isolation = append(out.Isolation, "build tree kept: "+work)
	} else {
		defer func() { _ = os.RemoveAll(work) }() // best effort: a temp dir
	}
	// Reachable by the child's identity (nobody): the binary and its
	// private directories live under here.
	if err := os.Chmod(work, 0o711); err != nil {
		return nil, fmt.Errorf("grade: %w", err)
	}
	tree := filepath.Join(work, "src")
	if err := os.Mkdir(tree, 0o755); err != nil {
		return nil, fmt.Errorf("grade: %w", err)
	}
	if _, err := intake.Assemble(tree, sub, intake.AssembleOptions{LabRoot: opts.LabRoot, Hidden: opts.Hidden}); err != nil {
		return nil, fmt.Errorf("grade: %w", err)
	}
	bin := filepath.Join(work, "bin", "grader-child")
	if detail, err := build(ctx, tree, bin, work, opts); err != nil {
		return nil, err
	} else if detail != "" {
		for _, st := range opts.Stages {
			out.Stages = append(out.Stages, result.StageOutcome{Stage: st, Verdict: result.StageBuildFailed, Detail: detail})
		}
		return out, nil
	}
	notes := map[string]bool{}
	for _, st := range opts.Stages {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("grade: %w", ctx.Err())
		}
		so, iso, err := runStage(ctx, st, bin, work, opts)
		if err != nil {
			return nil, err
		}
		for _, n := range iso {
			if !notes[n] {
				notes[n] = true
				out.Isolation = append(out.Isolation, n)
			}
		}
		out.Stages = append(out.Stages, so)
	}
	return out, nil
}

func refusalDetail(fs []result.Finding) string {
	lines := []string{"the submission was refused before building:"}
	for _, f := range fs {
		lines = append(lines, "  "+f.Message)
	}
	return strings.Join(lines, "\n")
}

// goEnv returns the grader's GOCACHE and GOMODCACHE.
func goEnv(ctx context.Context, gobin string) (cache, modcache string, err error) {
	cmd := exec.CommandContext(ctx, gobin, "env", "GOCACHE", "GOMODCACHE")
	out, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("go env: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return "", "", fmt.Errorf("go env: unexpected output %q", out)
	}
	return lines[0], lines[1], nil
}

// build compiles the grader's program with the student's package. detail
// is the compiler's report (with the student's file:line) if the
// submission does not compile; err is for the grader's own failures.
func build(ctx context.Context, tree, bin, work string, opts Options) (detail string, err error) {
	if err := os.MkdirAll(filepath.Join(tree, childDir), 0o755); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tree, childDir, "main.go"), []byte(childSource(opts.Hidden)), 0o644); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	cache, modcache, err := goEnv(ctx, opts.Go)
	if err != nil {
		return "", err
	}
	home := filepath.Join(work, "buildhome")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	bctx, cancel := context.WithTimeout(ctx, opts.BuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(bctx, opts.Go, "build", "-trimpath", "-o", bin, "./"+childDir)
	cmd.Dir = tree
	cmd.Env = []string{
		"PATH=" + filepath.Dir(opts.Go) + ":/usr/bin:/bin",
		"HOME=" + home, "TMPDIR=" + home,
		"GOCACHE=" + cache, "GOMODCACHE=" + modcache,
		"GOPROXY=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOTOOLCHAIN=local",
		"GOWORK=off", "GOENV=off", "GOSUMDB=off", "GOTELEMETRY=off",
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	err = cmd.Run()
	if bctx.Err() != nil && ctx.Err() == nil {
		return fmt.Sprintf("the build did not finish within %s", opts.BuildTimeout), nil
	}
	if ctx.Err() != nil {
		return "", fmt.Errorf("build: %w", ctx.Err())
	}
	if err == nil {
		return "", nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return "", fmt.Errorf("build: %w", err)
	}
	msg := compilerReport(outb.String(), tree)
	if !strings.Contains(msg, intake.StudentPackage) && !strings.Contains(msg, ".go:") {
		// Not the student's code: the lab or the module cache.
		return "", fmt.Errorf("build: the lab itself did not build (is its module cache populated? run go mod download in %s): %s", opts.LabRoot, strings.TrimSpace(outb.String()))
	}
	return "the submission does not compile:\n" + msg, nil
}

// compilerReport rewrites the build's output so that it names the
// student's files as they submitted them: "raft.go:12:3: ...".
func compilerReport(out, tree string) string {
	pkgDir := filepath.Join(tree, filepath.FromSlash(intake.StudentPackage)) + string(filepath.Separator)
	r := strings.NewReplacer(pkgDir, "", "./"+intake.StudentPackage+"/", "", intake.StudentPackage+"/", "", tree+string(filepath.Separator), "")
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, "# ") {
			continue // the package header
		}
		lines = append(lines, "  "+r.Replace(l))
	}
	return strings.Join(lines, "\n")
}

// childConfig is the child's configuration (its JSON is read by the
// program in child.go).
type childConfig struct {
	Stage         labs.Stage `json:"stage"`
	Count         int        `json:"count"`
	Salt          uint64     `json:"salt"`
	Scenarios     []string   `json:"scenarios"`
	NoRules       bool       `json:"no_rules"`
	HangBoundMs   int64      `json:"hang_bound_ms"`
	RuleTimeoutMs int64      `json:"rule_timeout_ms"`
	Parallel      int        `json:"parallel"`
	TraceDir      string     `json:"trace_dir"`
	Package       string     `json:"package"`
}

// record is one of the child's reports (see childSource).
type record struct {
	Seq      int                     `json:"seq"`
	Type     string                  `json:"type"`
	Index    int                     `json:"index"`
	Rules    []string                `json:"rules,omitempty"`
	Names    []string                `json:"scenarios,omitempty"`
	Rule     *result.TestOutcome     `json:"rule,omitempty"`
	Scenario *result.ScenarioOutcome `json:"scenario,omitempty"`
}

// reports is what the parent read from the channel.
type reports struct {
	hello     *record
	rules     map[int]*result.TestOutcome
	scenarios map[int]*result.ScenarioOutcome
	done      bool
	bad       int    // lines that failed authentication or order
	badWhy    string // the first one's reason
}

// readReports reads authenticated records until EOF. A record out of
// sequence or failing its MAC is counted and dropped; done arrives last.
func readReports(r io.Reader, key []byte, rep *reports, onDone func()) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	next := 1
	for sc.Scan() {
		line := sc.Bytes()
		sp := bytes.IndexByte(line, ' ')
		bad := func(why string) {
			rep.bad++
			if rep.badWhy == "" {
				rep.badWhy = why
			}
		}
		if sp != 64 {
			bad("malformed line")
			continue
		}
		mac, err := hex.DecodeString(string(line[:sp]))
		body := line[sp+1:]
		m := hmac.New(sha256.New, key)
		m.Write(body)
		if err != nil || !hmac.Equal(mac, m.Sum(nil)) {
			bad("bad MAC")
			continue
		}
		var rec record
		if err := json.Unmarshal(body, &rec); err != nil {
			bad("bad JSON: " + err.Error())
			continue
		}
		if rec.Seq != next {
			bad(fmt.Sprintf("record %d out of sequence (want %d)", rec.Seq, next))
			continue
		}
		next++
		switch rec.Type {
		case "hello":
			rep.hello = &rec
		case "rule":
			if rec.Rule != nil {
				rep.rules[rec.Index] = rec.Rule
			}
		case "scenario":
			if rec.Scenario != nil {
				rep.scenarios[rec.Index] = rec.Scenario
			}
		case "done":
			rep.done = true
			onDone()
		}
	}
}

// nobody is the identity the child runs as when the grader is root.
const nobody = 65534

// runStage runs one stage in a child. The error is for the grader's own
// failures; everything the child did is in the StageOutcome.
func runStage(ctx context.Context, stage labs.Stage, bin, work string, opts Options) (result.StageOutcome, []string, error) {
	so := result.StageOutcome{Stage: stage}
	priv, err := os.MkdirTemp(work, "stage-"+string(stage)+"-*")
	if err != nil {
		return so, nil, fmt.Errorf("stage %s: %w", stage, err)
	}
	tmp := filepath.Join(priv, "tmp")
	traces := filepath.Join(tmp, "traces")
	if err := os.MkdirAll(traces, 0o700); err != nil {
		return so, nil, fmt.Errorf("stage %s: %w", stage, err)
	}
	drop := os.Geteuid() == 0
	var iso []string
	if drop {
		for _, d := range []string{priv, tmp, traces} {
			if err := os.Chown(d, nobody, nobody); err != nil {
				return so, nil, fmt.Errorf("stage %s: %w", stage, err)
			}
		}
	} else {
		iso = append(iso, "the child ran as the grader's own user (the grader is not root, so it cannot switch to nobody)")
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return so, nil, fmt.Errorf("stage %s: %w", stage, err)
	}
	cfg := childConfig{Stage: stage, Count: opts.Seeds, Salt: opts.Salt, Scenarios: opts.Scenarios, NoRules: opts.NoRules,
		HangBoundMs: opts.HangBound.Milliseconds(), RuleTimeoutMs: opts.RuleTimeout.Milliseconds(),
		Parallel: opts.Parallel, TraceDir: traces, Package: "./" + intake.StudentPackage}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return so, nil, fmt.Errorf("stage %s: %w", stage, err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return so, nil, fmt.Errorf("stage %s: %w", stage, err)
	}
	defer func() { _ = pr.Close() }() // read side

	rep := &reports{rules: map[int]*result.TestOutcome{}, scenarios: map[int]*result.ScenarioOutcome{}}
	// After "done", the child has nothing left to say: a student's
	// goroutine must not keep it (and the stage) alive.
	doneCh := make(chan struct{})
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		readReports(pr, key, rep, func() { close(doneCh) })
	}()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-doneCh:
			select {
			case <-time.After(5 * time.Second):
				cancel()
			case <-cctx.Done():
			}
		case <-cctx.Done():
		}
	}()
	ex := runChild(cctx, childSpec{
		Path: bin, Dir: priv, Extra: []*os.File{pw},
		Env: []string{"HOME=" + priv, "TMPDIR=" + tmp, "LANG=C",
			envKey + "=" + hex.EncodeToString(key), envConfig + "=" + string(cfgJSON)},
		Limits: limits{Wall: opts.StageTimeout, CPU: opts.CPU, MemoryBytes: opts.MemoryBytes, FileBytes: opts.FileBytes, NoFile: 256},
		Drop:   drop, Uid: nobody, Gid: nobody,
	})
	if ex.Err != nil {
		_ = pw.Close()
		return so, nil, fmt.Errorf("stage %s: %w", stage, ex.Err)
	}
	<-readDone
	iso = append(iso, ex.Isolation...)
	so.WallMs = ex.Wall.Milliseconds()

	// What reported, in the suite's order.
	if rep.hello != nil {
		for i, name := range rep.hello.Rules {
			if t, ok := rep.rules[i]; ok {
				so.Rules = append(so.Rules, *t)
			} else {
				so.Rules = append(so.Rules, result.TestOutcome{Name: name, Message: "no report: the stage's run ended before this test finished"})
			}
		}
		for i, name := range rep.hello.Names {
			if s, ok := rep.scenarios[i]; ok {
				so.Scenarios = append(so.Scenarios, *s)
			} else if !rep.done {
				so.Scenarios = append(so.Scenarios, result.ScenarioOutcome{Name: name, Report: "no report: the stage's run ended before this scenario finished"})
			}
		}
	}
	if opts.TraceDir != "" {
		if err := copyTraces(traces, filepath.Join(opts.TraceDir, string(stage)), &so); err != nil {
			iso = append(iso, fmt.Sprintf("stage %s: copying the traces: %v", stage, err))
		}
	}
	so.Verdict, so.Detail = verdict(ex, rep, opts)
	return so, iso, nil
}

// verdict judges a stage from how the child ended and what it reported.
func verdict(ex childExit, rep *reports, opts Options) (result.StageVerdict, string) {
	forged := ""
	if rep.bad > 0 {
		forged = fmt.Sprintf("\n(%d record(s) on the report channel were rejected: %s)", rep.bad, rep.badWhy)
	}
	crash := ""
	if s := lastLines(ex.Stderr, 12); s != "" {
		crash = "\nthe last lines it printed:\n" + s
	}
	switch {
	case rep.done:
		return result.StageRan, strings.TrimPrefix(forged, "\n")
	case ex.TimedOut:
		return result.StageTimedOut, fmt.Sprintf("the stage did not finish within its wall-clock limit of %s and was killed: an infinite loop or a deadlock (in init, or in code the simulator cannot stop)%s%s", opts.StageTimeout, forged, crash)
	case ex.Canceled:
		return result.StageKilled, "the grading was canceled"
	}
	sig := signalOf(ex.State)
	stderr := ex.Stderr
	switch {
	case strings.Contains(stderr, "out of memory") || strings.Contains(stderr, "cannot allocate memory"):
		return result.StageKilled, fmt.Sprintf("the child ran out of memory: the limit is %d MiB of address space%s", opts.MemoryBytes>>20, crash)
	case sig == syscall.SIGKILL && ex.CPU >= opts.CPU-time.Second:
		return result.StageKilled, fmt.Sprintf("the child used its CPU limit of %s and was killed", opts.CPU)
	case sig == syscall.SIGXFSZ:
		return result.StageKilled, fmt.Sprintf("the child exceeded the file size limit of %d MiB", opts.FileBytes>>20)
	case sig >= 0:
		return result.StageKilled, fmt.Sprintf("the child %s%s%s", describeExit(ex.State), forged, crash)
	}
	return result.StageNoReport, fmt.Sprintf("the child %s without finishing its report (a crash: a panic in a goroutine of your code, a fatal runtime error, or an exit)%s%s", describeExit(ex.State), forged, crash)
}

// copyTraces copies the child's traces out and points the scenarios'
// failures (and their reports) at the copies.
func copyTraces(from, to string, so *result.StageOutcome) error {
	ents, err := os.ReadDir(from)
	if err != nil || len(ents) == 0 {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	moved := map[string]string{}
	var names []string
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		dst := filepath.Join(to, e.Name())
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
		moved[filepath.Join(from, e.Name())] = dst
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for i := range so.Scenarios {
		f := so.Scenarios[i].Failure
		if f == nil || f.TracePath == "" {
			continue
		}
		if dst, ok := moved[f.TracePath]; ok {
			so.Scenarios[i].Report = strings.ReplaceAll(so.Scenarios[i].Report, f.TracePath, dst)
			f.TracePath = dst
		} else {
			f.TracePath = "" // not where the child said: never trust a path from the child
		}
	}
	return nil
}

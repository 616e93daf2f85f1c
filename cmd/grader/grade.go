package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/raftlab/raftlab/grader/class"
	"github.com/raftlab/raftlab/grader/publish"
	"github.com/raftlab/raftlab/grader/report"
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/grader/sandbox"
	"github.com/raftlab/raftlab/labs"
)

// stringsFlag collects a comma-separated or repeated flag.
type stringsFlag []string

func (s *stringsFlag) String() string { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error {
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*s = append(*s, x)
		}
	}
	return nil
}

func parseStages(names []string) ([]labs.Stage, error) {
	var out []labs.Stage
	for _, n := range names {
		ok := false
		for _, st := range labs.Stages {
			if string(st) == n {
				out, ok = append(out, st), true
			}
		}
		if !ok {
			var allowed []string
			for _, st := range labs.Stages {
				allowed = append(allowed, string(st))
			}
			return nil, fmt.Errorf("%w: unknown stage %q (allowed: %s)", errUsage, n, strings.Join(allowed, ", "))
		}
	}
	return out, nil
}

// gradeRubric loads the rubric and narrows it to the stages and, without
// hidden, to its public part; it tells stderr what the sandbox cannot
// apply as written.
func gradeRubric(path string, stages []string, hidden bool, stderr io.Writer) (*rubric.Rubric, error) {
	rb, err := loadRubric(path)
	if err != nil {
		return nil, err
	}
	sts, err := parseStages(stages)
	if err != nil {
		return nil, err
	}
	rb, err = class.Select(rb, sts, hidden)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUsage, err)
	}
	for _, line := range class.Unsupported(rb) {
		sayf(stderr, "grader: note: %s\n", line)
	}
	return rb, nil
}

// signalContext is canceled on SIGINT or SIGTERM, so a stopped grade
// kills its children and removes its temp files.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func cmdGrade(args []string, stdout, stderr io.Writer) error {
	fs := flags("grade", stderr)
	rubricPath := fs.String("rubric", "", "the rubric file (default: the embedded default rubric)")
	out := fs.String("out", "", "write result.json, report.md and traces/ here (default ./grader-out/<submission name>)")
	hidden := fs.Bool("hidden", true, "run the rubric's hidden scenarios and hidden seeds (--hidden=false grades the public part, out of its own maximum)")
	var stages stringsFlag
	fs.Var(&stages, "stages", "grade only these stages (comma-separated; default every stage the rubric scores)")
	asJSON := fs.Bool("json", false, "print the result JSON instead of the terminal report")
	lab := fs.String("lab", "", "the lab's module root, the grader's pristine copy (default: found from the working directory)")
	publishURL := fs.String("publish", "", "post the result, signed with the key in $"+publish.KeyEnv+", to a class scoreboard (https://HOST/api/courses/COURSE/results); $"+publish.PseudonymEnv+" puts it on the leaderboard under that name")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	pub, err := newPublisher(*publishURL)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: grade takes one submission (a directory, .zip, .tar.gz or git repo[@commit])", errUsage)
	}
	spec := pos[0]
	rb, err := gradeRubric(*rubricPath, stages, *hidden, stderr)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("grader-out", submissionName(spec))
	}
	ctx, stop := signalContext()
	defer stop()
	g, err := class.Grade(ctx, spec, rb, sandbox.Options{LabRoot: *lab}, dir)
	if err != nil {
		return err
	}
	if err := showResult(g.Result, *asJSON, stdout); err != nil {
		return err
	}
	if err := githubOutputs(g.Result); err != nil {
		return err
	}
	sayf(stderr, "grader: %s graded in %s: %s and %s in %s\n", spec, g.Wall.Round(100e6), class.ResultFile, class.ReportFile, dir)
	if pub != nil {
		if err := pub.post(ctx, g.Result, pub.pseudonym); err != nil {
			return err
		}
		sayf(stderr, "grader: published to %s\n", *publishURL)
	}
	return nil
}

// submissionName is the default output directory's name for a spec: its
// base name without an archive's extension or a git revision.
func submissionName(spec string) string {
	s := strings.TrimRight(spec, "/")
	if i := strings.LastIndex(s, "@"); i > strings.LastIndex(s, "/") {
		s = s[:i]
	}
	s = filepath.Base(s)
	for _, ext := range []string{".tar.gz", ".tgz", ".zip", ".git"} {
		s = strings.TrimSuffix(s, ext)
	}
	return safeName(s)
}

// showResult prints the terminal report (coloured only on a terminal and
// without NO_COLOR) or the result's JSON.
func showResult(r *result.Result, asJSON bool, stdout io.Writer) error {
	if asJSON {
		return r.WriteJSON(stdout)
	}
	color := false
	if f, ok := stdout.(*os.File); ok {
		color = report.ColorFor(f)
	}
	return report.Terminal(stdout, r, color)
}

// githubOutputs writes, inside a GitHub Actions job, the step summary
// ($GITHUB_STEP_SUMMARY) and the Classroom command-grader's result
// ($GITHUB_OUTPUT, as steps.<id>.outputs.result), so a Classroom workflow
// step can be just `grader grade`. Both files are appended to, as
// GitHub's own steps do.
func githubOutputs(r *result.Result) error {
	if p := os.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
		if err := report.AppendFile(p, func(w io.Writer) error { return report.StepSummary(w, r) }); err != nil {
			return fmt.Errorf("step summary: %w", err)
		}
	}
	if p := os.Getenv("GITHUB_OUTPUT"); p != "" {
		if err := report.AppendFile(p, func(w io.Writer) error { return report.WriteGitHubOutput(w, r) }); err != nil {
			return fmt.Errorf("classroom result: %w", err)
		}
	}
	return nil
}

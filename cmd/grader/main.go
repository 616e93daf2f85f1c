// Command grader scores raftlab submissions by a rubric and writes the
// report formats courses use.
//
//	go run ./cmd/grader grade [--rubric FILE] [--out DIR] [--hidden=false] [--stages S,...] [--json] PATH
//	                                            grade one submission (a directory, .zip, .tar.gz or
//	                                            git repo[@commit]): the terminal report, and DIR/result.json,
//	                                            DIR/report.md, DIR/traces/ (DIR: ./grader-out/<name>);
//	                                            in GitHub Actions also the step summary and the Classroom result
//	go run ./cmd/grader class [--rubric FILE] [--out OUT] [--parallel N] [--shard i/n] DIR
//	                                            grade every submission in DIR, resumably (OUT/cache):
//	                                            OUT/gradebook.csv and OUT/<student>/
//	go run ./cmd/grader merge OUT1 OUT2 ... --out OUT
//	                                            join the outputs of grader class --shard i/n runs
//	go run ./cmd/grader rubric                  print the default rubric (commented TOML), a starting point
//	go run ./cmd/grader rubric --check FILE     validate a rubric: every problem with its line, or its total
//	go run ./cmd/grader score [--rubric FILE] OUTCOME.json
//	                                            score a saved outcome; prints the result JSON
//	go run ./cmd/grader report [flags] RESULT.json...
//	                                            render saved results in one format, or every format
//
// The formats of report: terminal (the default; colour on a terminal,
// none when piped or under NO_COLOR), markdown, gradescope (results.json),
// classroom (the command-grader's base64 result), summary (a GitHub step
// summary), junit, csv (a gradebook: one row per result) and json (the
// canonical result). --dir DIR writes every format of every result there,
// and with --traces RUNDIR copies the failing runs' traces beside them.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/raftlab/raftlab/grader/report"
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/rubric"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  grader grade [flags] PATH             grade one submission (run "grader grade -h" for the flags)
  grader class [flags] DIR              grade a class: every subdirectory or archive of DIR
  grader merge OUT... --out OUT         join the slices of grader class --shard runs
  grader rubric [--check FILE]          print the default rubric, or validate FILE
  grader score [--rubric FILE] OUTCOME  score a saved outcome (JSON) and print the result JSON
  grader report [flags] RESULT...       render saved results (run "grader report -h" for the flags)
`

// errUsage marks a mistake in the command line: exit status 2.
var errUsage = errors.New("usage")

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		say(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "grade":
		err = cmdGrade(args[1:], stdout, stderr)
	case "class":
		err = cmdClass(args[1:], stdout, stderr)
	case "merge":
		err = cmdMerge(args[1:], stdout, stderr)
	case "rubric":
		err = cmdRubric(args[1:], stdout, stderr)
	case "score":
		err = cmdScore(args[1:], stdout, stderr)
	case "report":
		err = cmdReport(args[1:], stdout, stderr)
	case "handout":
		err = cmdHandout(args[1:], stdout, stderr)
	case "gradescope":
		err = cmdGradescope(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		say(stdout, usage)
		return 0
	default:
		sayf(stderr, "grader: unknown command %q\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		sayf(stderr, "grader: %v\n", err)
		return 2
	}
	sayf(stderr, "grader: %v\n", err)
	return 1
}

func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("grader "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func cmdRubric(args []string, stdout, stderr io.Writer) error {
	fs := flags("rubric", stderr)
	check := fs.String("check", "", "validate this rubric file instead of printing the default")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: rubric takes no arguments (did you mean --check %s?)", errUsage, fs.Arg(0))
	}
	if *check == "" {
		_, err := stdout.Write(rubric.Text())
		return err
	}
	r, err := rubric.Load(*check)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%s: valid; %d stage(s), %s points; hash %s\n", *check, len(r.Stages), strings.TrimSuffix(fmt.Sprintf("%.2f", r.MaxScore()), ".00"), r.Hash())
	return err
}

func loadRubric(path string) (*rubric.Rubric, error) {
	if path == "" {
		return rubric.Default(), nil
	}
	return rubric.Load(path)
}

func cmdScore(args []string, stdout, stderr io.Writer) error {
	fs := flags("score", stderr)
	rubricPath := fs.String("rubric", "", "the rubric file (default: the embedded default rubric)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: score takes one outcome file", errUsage)
	}
	rb, err := loadRubric(*rubricPath)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var o result.Outcome
	if err := unmarshalStrict(b, &o); err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	return result.Score(&o, rb).WriteJSON(stdout)
}

// A format renders one result (or, for csv, all of them).
type format struct {
	name, ext string
	one       func(io.Writer, *result.Result, bool) error
}

var formats = []format{
	{"terminal", "txt", report.Terminal},
	{"markdown", "md", func(w io.Writer, r *result.Result, _ bool) error { return report.Markdown(w, r) }},
	{"gradescope", "gradescope.json", func(w io.Writer, r *result.Result, _ bool) error { return report.WriteGradescope(w, r) }},
	{"classroom", "classroom.txt", func(w io.Writer, r *result.Result, _ bool) error {
		out, err := report.ClassroomOutput(r)
		if err == nil {
			_, err = fmt.Fprintln(w, out)
		}
		return err
	}},
	{"summary", "summary.md", func(w io.Writer, r *result.Result, _ bool) error { return report.StepSummary(w, r) }},
	{"junit", "junit.xml", func(w io.Writer, r *result.Result, _ bool) error { return report.WriteJUnit(w, r) }},
	{"json", "json", func(w io.Writer, r *result.Result, _ bool) error { return r.WriteJSON(w) }},
	{"csv", "csv", nil},
}

func formatNames() []string {
	var out []string
	for _, f := range formats {
		out = append(out, f.name)
	}
	return out
}

func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := flags("report", stderr)
	name := fs.String("format", "terminal", "one of "+strings.Join(formatNames(), ", "))
	out := fs.String("o", "", "write to this file instead of standard output (gradescope: "+report.GradescopePath+" inside Gradescope)")
	dir := fs.String("dir", "", "write every format of every result into this directory, one file each (and gradebook.csv)")
	traces := fs.String("traces", "", "with --dir: copy the failing runs' traces from this run directory to DIR/traces, and point the reports at the copies")
	students := fs.Bool("students", false, "hold back items whose visibility is not visible (hidden ones left out, later ones unnamed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: report needs at least one result file", errUsage)
	}
	i := slices.IndexFunc(formats, func(f format) bool { return f.name == *name })
	if i < 0 {
		return fmt.Errorf("%w: unknown format %q (allowed: %s)", errUsage, *name, strings.Join(formatNames(), ", "))
	}
	var results []*result.Result
	for _, path := range fs.Args() {
		r, err := result.ReadFile(path)
		if err != nil {
			return err
		}
		if *students {
			r = r.ForStudents()
		}
		results = append(results, r)
	}
	if *dir != "" {
		if *traces != "" {
			for i, r := range results {
				c, err := report.CopyTraces(r, *traces, *dir)
				if err != nil {
					return err
				}
				results[i] = c
			}
		}
		return writeAll(*dir, results)
	}
	if *traces != "" {
		return fmt.Errorf("%w: --traces goes with --dir", errUsage)
	}
	w, closeOut := stdout, func() error { return nil }
	color := false
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			return err
		}
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		w, closeOut = f, f.Close
	} else if f, ok := stdout.(*os.File); ok {
		color = report.ColorFor(f)
	}
	err := render(w, formats[i], results, color)
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	return err
}

func render(w io.Writer, f format, results []*result.Result, color bool) error {
	if f.one == nil {
		return report.Gradebook(w, results)
	}
	for i, r := range results {
		if i > 0 && f.name == "terminal" {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if err := f.one(w, r, color); err != nil {
			return err
		}
	}
	return nil
}

// writeAll writes DIR/SUBMISSION.EXT for every format and result, and
// DIR/gradebook.csv.
func writeAll(dir string, results []*result.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, fn func(io.Writer) error) error {
		return report.WriteFile(filepath.Join(dir, name), fn)
	}
	for _, r := range results {
		base := safeName(r.Submission)
		for _, f := range formats {
			if f.one == nil {
				continue
			}
			if err := write(base+"."+f.ext, func(w io.Writer) error { return f.one(w, r, false) }); err != nil {
				return err
			}
		}
	}
	return write("gradebook.csv", func(w io.Writer) error { return report.Gradebook(w, results) })
}

// safeName makes a submission's name a file name: a student's name is
// not trusted to stay inside dir.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r < ' ' {
			return '_'
		}
		return r
	}, s)
	if s == "" || s == "." || s == ".." {
		s = "_" + s
	}
	return s
}

// unmarshalStrict decodes JSON refusing unknown fields, so an outcome of
// another shape is an error rather than a silent zero.
func unmarshalStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// say writes a line for the person at the terminal; if stderr itself
// cannot be written there is no one left to tell.
func say(w io.Writer, s string) { _, _ = io.WriteString(w, s) }

func sayf(w io.Writer, format string, a ...any) { _, _ = fmt.Fprintf(w, format, a...) }

package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/raftlab/raftlab/grader/handout"
	"github.com/raftlab/raftlab/labs"
)

// labRoot is the module root of the lab the command runs in: the
// directory holding go.mod above the working directory.
func labRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root, err := labs.ModuleRoot(wd)
	if err != nil {
		return "", fmt.Errorf("find the lab's module root (run the grader inside the lab): %w", err)
	}
	return root, nil
}

// cmdHandout writes the student repository: grader handout OUT [-module NAME].
func cmdHandout(args []string, stdout, stderr io.Writer) error {
	fs := flags("handout", stderr)
	module := fs.String("module", "", "the handout's module path (default: the lab's)")
	rubricPath := fs.String("rubric", "", "the rubric whose public points the Classroom workflow gives each stage (default: the embedded default rubric)")
	tidy := fs.Bool("tidy", true, "run go mod tidy (offline) in the handout, so go.sum lists only what it needs")
	root := fs.String("root", "", "the lab to export (default: the module around the working directory)")
	fs.Usage = func() {
		say(stderr, "usage: grader handout [flags] OUT\n\nWrites the student repository into OUT (a new or empty directory).\n\nflags:\n")
		fs.PrintDefaults()
	}
	out, err := parseWithOneArg(fs, args, "OUT")
	if err != nil {
		return err
	}
	r, err := loadRubric(*rubricPath)
	if err != nil {
		return err
	}
	if *root == "" {
		if *root, err = labRoot(); err != nil {
			return err
		}
	}
	m, err := handout.Export(context.Background(), *root, out, handout.Options{Module: *module, Rubric: r, Tidy: *tidy})
	if err != nil {
		return err
	}
	sayf(stdout, "handout: %s (module %s): %d files; %d left out for instructors", out, m.Module, len(m.Files), len(m.Left))
	for _, f := range m.Edited {
		sayf(stdout, "; removed the starter constraint of %s", f)
	}
	say(stdout, "\n")
	return nil
}

// parseWithOneArg parses flags that may come before or after the one
// positional argument (grader handout OUT -module x reads as well as
// grader handout -module x OUT).
func parseWithOneArg(fs interface {
	Parse([]string) error
	NArg() int
	Arg(int) string
	Args() []string
}, args []string, what string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", fmt.Errorf("%w: %s is missing", errUsage, what)
	}
	arg := fs.Arg(0)
	if rest := fs.Args()[1:]; len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return "", err
		}
		if fs.NArg() > 0 {
			return "", fmt.Errorf("%w: one %s only (got %q too)", errUsage, what, fs.Arg(0))
		}
	}
	return arg, nil
}

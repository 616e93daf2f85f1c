package main

import (
	"context"
	"io"
	"os"

	"github.com/raftlab/raftlab/grader/gradescope"
)

// cmdGradescope writes the Gradescope autograder zip:
// grader gradescope OUT.zip [-rubric FILE].
func cmdGradescope(args []string, stdout, stderr io.Writer) error {
	fs := flags("gradescope", stderr)
	rubricPath := fs.String("rubric", "", "the rubric the autograder grades by (default: the embedded default rubric); it goes into the zip, with its hidden salt")
	root := fs.String("root", "", "the lab to package (default: the module around the working directory)")
	fs.Usage = func() {
		say(stderr, "usage: grader gradescope [flags] OUT.zip\n\nWrites the autograder zip to upload to Gradescope (see docs/gradescope.md).\n\nflags:\n")
		fs.PrintDefaults()
	}
	out, err := parseWithOneArg(fs, args, "OUT.zip")
	if err != nil {
		return err
	}
	var opts gradescope.Options
	if *rubricPath != "" {
		if opts.Rubric, err = os.ReadFile(*rubricPath); err != nil {
			return err
		}
	}
	if *root == "" {
		if *root, err = labRoot(); err != nil {
			return err
		}
	}
	m, err := gradescope.BuildFile(context.Background(), *root, out, opts)
	if err != nil {
		return err
	}
	sayf(stdout, "gradescope: %s: %d files; Go %s; rubric %q, %.4g points\n", out, len(m.Entries), m.GoVersion, m.Rubric.Title, m.Rubric.MaxScore())
	return nil
}

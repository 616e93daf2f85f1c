package class

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/raftlab/raftlab/grader/report"
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/grader/sandbox"
)

// The files Grade writes into a submission's directory.
const (
	ResultFile = "result.json" // the canonical result (result.Result, versioned JSON)
	ReportFile = "report.md"   // the student's Markdown report
)

// Graded is one graded submission.
type Graded struct {
	Outcome *result.Outcome
	// Result is the scored outcome as written to Dir: its failing runs'
	// trace paths are relative to Dir (traces/...).
	Result *result.Result
	Dir    string
	// Wall is the whole of Grade; Passes how many sandbox calls it made.
	Wall   time.Duration
	Passes int
}

// Grade grades the submission at spec (a directory, .zip, .tar.gz or git
// repository[@commit]) by the rubric r, with base's grader settings (lab,
// work dir, parallelism; its limits, if set, override the rubric's), and
// writes dir/result.json, dir/report.md and dir/traces/. The error is for
// the grader's own failures and a submission that cannot be read at all;
// everything about the submission is in the result.
func Grade(ctx context.Context, spec string, r *rubric.Rubric, base sandbox.Options, dir string) (*Graded, error) {
	start := time.Now()
	tmp, err := os.MkdirTemp(base.WorkDir, "raftlab-run-*")
	if err != nil {
		return nil, fmt.Errorf("grade %s: %w", spec, err)
	}
	defer func() { _ = os.RemoveAll(tmp) }() // best effort: a temp dir
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("grade %s: %w", spec, err)
	}
	passes := Plan(r)
	var out *result.Outcome
	for i, p := range passes {
		opts := p.Options(r, base)
		opts.TraceDir = filepath.Join(tmp, fmt.Sprintf("pass%d", i))
		o, err := sandbox.Grade(ctx, spec, opts)
		if err != nil {
			return nil, fmt.Errorf("grade %s: %w", spec, err)
		}
		keep(o, p)
		if i == 0 {
			out = o
			if !anyRan(o) {
				break // refused or not built: the later passes would say the same
			}
			continue
		}
		merge(out, o, p)
	}
	res := result.Score(out, r)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("grade %s: %w", spec, err)
	}
	res, err = report.CopyTraces(res, tmp, dir)
	if err != nil {
		return nil, fmt.Errorf("grade %s: %w", spec, err)
	}
	if err := Write(dir, res); err != nil {
		return nil, fmt.Errorf("grade %s: %w", spec, err)
	}
	return &Graded{Outcome: out, Result: res, Dir: dir, Wall: time.Since(start), Passes: len(passes)}, nil
}

func anyRan(o *result.Outcome) bool {
	for _, st := range o.Stages {
		if st.Verdict == result.StageRan {
			return true
		}
	}
	return false
}

// Write writes dir/result.json and dir/report.md for a result.
func Write(dir string, r *result.Result) error {
	if err := r.WriteFile(filepath.Join(dir, ResultFile)); err != nil {
		return err
	}
	return report.WriteFile(filepath.Join(dir, ReportFile), func(w io.Writer) error { return report.Markdown(w, r) })
}

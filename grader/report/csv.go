package report

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/labs"
)

// GradebookColumns are the gradebook's columns, in their fixed order: a
// column per lab stage (all four, so that gradebooks of different rubrics
// line up; a stage the rubric does not score is left empty), then the lint
// deduction, the total and the maximum, and the grading status.
var GradebookColumns = func() []string {
	cols := []string{"submission", "hash"}
	for _, st := range labs.Stages {
		cols = append(cols, string(st))
	}
	return append(cols, "lint_deducted", "total", "max_score", "status")
}()

// Gradebook writes a class's CSV gradebook: one row per submission, sorted
// by submission name so re-runs diff cleanly.
func Gradebook(w io.Writer, results []*result.Result) error {
	rows := slices.Clone(results)
	slices.SortStableFunc(rows, func(a, b *result.Result) int { return cmp.Compare(a.Submission, b.Submission) })
	cw := csv.NewWriter(w)
	if err := cw.Write(GradebookColumns); err != nil {
		return fmt.Errorf("report: gradebook: %w", err)
	}
	for _, r := range rows {
		row := []string{r.Submission, r.Hash}
		for _, st := range labs.Stages {
			cell := ""
			for i := range r.Stages {
				if r.Stages[i].Stage == st {
					cell = pts(r.Stages[i].Score)
				}
			}
			row = append(row, cell)
		}
		row = append(row, pts(r.Lint.Deducted), pts(r.Score), pts(r.MaxScore), status(r))
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("report: gradebook: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: gradebook: %w", err)
	}
	return nil
}

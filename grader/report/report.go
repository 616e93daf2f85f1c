// Package report renders a graded submission (result.Result) in the
// formats courses use: Gradescope's results.json, GitHub Classroom's
// command-grader result and step summary, JUnit XML, a CSV gradebook for a
// class, a Markdown report per student, and the terminal. Every writer
// reads only the Result, so each format says the same thing; none of them
// prints the rubric's hidden-seed salt, which the Result does not hold.
package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/raftlab/raftlab/grader/result"
)

// RaftviewCommand is the command that opens a failing run's trace.
func RaftviewCommand(tracePath string) string {
	return "go run ./cmd/raftview " + shellQuote(tracePath)
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		safe := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@+,", r)
		return !safe
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// pts prints points without trailing zeros: 3, 2.5, 11.65.
func pts(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func roundPts(x float64) float64 { return math.Round(x*100) / 100 }

// scoreOf is "score / max".
func scoreOf(score, maxScore float64) string { return pts(score) + " / " + pts(maxScore) }

// failureLine is a failure in one line: rule (section), kind, seed.
func failureLine(f *result.Failure) string {
	s := f.Rule
	if f.Section != "" {
		s += " (" + f.Section + ")"
	}
	return fmt.Sprintf("%s, %s failure, %s", s, f.Kind, f.SeedLabel())
}

// seedsLine is "17/22 seeds passed".
func seedsLine(s result.Seeds) string {
	return fmt.Sprintf("%d/%d seeds passed", s.Passed, s.Run)
}

// rulesLine is "3/4 rule tests passed".
func rulesLine(r *result.RulesResult) string { return rulesCount(r) + " rule tests passed" }

// rulesCount is "3/4": rule tests passed of those reported.
func rulesCount(r *result.RulesResult) string {
	passed := 0
	for _, t := range r.Tests {
		if t.Verdict == result.Passed {
			passed++
		}
	}
	return fmt.Sprintf("%d/%d", passed, len(r.Tests))
}

// stageTitle is what a stage is called in reports.
func stageTitle(s *result.StageResult) string { return string(s.Stage) }

// ran reports whether the stage's tests ran.
func ran(s *result.StageResult) bool { return s.Verdict == result.StageRan }

// itemPassed reports whether an item earned everything and its verdict is
// a pass (a 0-point item that failed still failed).
func itemPassed(v result.Verdict, score, maxScore float64) bool {
	return v == result.Passed && score >= maxScore
}

// status is "graded", or what went wrong with each stage that did not run.
func status(r *result.Result) string {
	var bad []string
	for i := range r.Stages {
		if s := &r.Stages[i]; !ran(s) {
			bad = append(bad, fmt.Sprintf("%s %s", s.Stage, s.Verdict))
		}
	}
	if r.Lint.Failed {
		bad = append(bad, "lint failed")
	}
	if len(bad) == 0 {
		return "graded"
	}
	return strings.Join(bad, "; ")
}

// flush writes what a writer rendered into b: renderers build the text in
// memory (a report is small) and write it once, so one error check covers
// it.
func flush(w io.Writer, b *strings.Builder) error {
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

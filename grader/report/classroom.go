package report

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/raftlab/raftlab/grader/result"
)

// Classroom is GitHub Classroom's command-grader result, version 1: what
// classroom-resources/autograding-command-grader sets as its `result`
// output (base64 of this JSON) and the autograding reporter sums.
type Classroom struct {
	Version  int             `json:"version"`
	Status   string          `json:"status"` // "pass", "fail" or "error"
	MaxScore float64         `json:"max_score"`
	Tests    []ClassroomTest `json:"tests"`
}

// ClassroomTest is one test of a command-grader result.
type ClassroomTest struct {
	Name     string  `json:"name"`
	Status   string  `json:"status"` // "pass", "fail" or "error"
	Score    float64 `json:"score"`
	Message  string  `json:"message"`
	TestCode string  `json:"test_code"` // the command that reruns it
	Filename string  `json:"filename"`
	LineNo   int     `json:"line_no"`
	Duration int64   `json:"duration"` // milliseconds, as the grader measures it
}

// ToClassroom builds the command-grader result: a test per stage's rule
// tests (or per rule), per scenario, and one for the lint when it costs
// points. The status is "error" when a stage could not be graded (timed
// out, killed, no report, not run), "fail" when points were lost, and
// "pass" otherwise. The tests' scores add up to the total.
func ToClassroom(r *result.Result) *Classroom {
	c := &Classroom{Version: 1, Status: "pass", MaxScore: r.MaxScore, Tests: []ClassroomTest{}}
	if !r.Passed() {
		c.Status = "fail"
	}
	for si := range r.Stages {
		s := &r.Stages[si]
		switch s.Verdict {
		case result.StageTimedOut, result.StageKilled, result.StageNoReport, result.StageNotRun:
			c.Status = "error"
		}
		st := func(v result.Verdict, score, maxScore float64) string {
			switch {
			case itemPassed(v, score, maxScore):
				return "pass"
			case !ran(s) && s.Verdict != result.StageBuildFailed && s.Verdict != result.StageRefused:
				return "error"
			}
			return "fail"
		}
		if rr := s.Rules; rr != nil {
			if rr.PerRule {
				for _, t := range rr.Tests {
					msg := t.Message
					if !ran(s) {
						msg = s.Message
					}
					c.Tests = append(c.Tests, ClassroomTest{
						Name: fmt.Sprintf("%s: rule %s", s.Stage, t.Name), Status: st(t.Verdict, t.Score, t.MaxScore),
						Score: t.Score, Message: msg, TestCode: RuleReplay(s.Stage, t.Name),
					})
				}
			} else {
				msg := rulesLine(rr)
				if !ran(s) {
					msg = s.Message
				} else {
					for _, t := range rr.Tests {
						if t.Verdict != result.Passed {
							msg += "\n" + t.Name + ": " + t.Message
						}
					}
				}
				c.Tests = append(c.Tests, ClassroomTest{
					Name: fmt.Sprintf("%s: rule tests", s.Stage), Status: st(rulesVerdict(rr), rr.Score, rr.MaxScore),
					Score: rr.Score, Message: msg,
					TestCode: fmt.Sprintf("go test %s -run '^Test%s$/^Rules$'", StudentPackage, capital(string(s.Stage))),
				})
			}
		}
		for _, sc := range s.Scenarios {
			t := ClassroomTest{
				Name: fmt.Sprintf("%s: %s", s.Stage, sc.Name), Status: st(sc.Verdict, sc.Score, sc.MaxScore),
				Score: sc.Score, Duration: sc.WallMs,
			}
			switch {
			case !ran(s):
				t.Message = s.Message
			case sc.Verdict == result.Missing:
				t.Message = "the run reported no result for this scenario"
			default:
				t.Message = seedsLine(sc.Seeds)
			}
			if f := sc.Failure; f != nil {
				t.Message += "; first failure: " + failureLine(f)
				if f.TracePath != "" {
					t.Message += "; trace: " + RaftviewCommand(f.TracePath)
				}
				t.TestCode = f.Replay
			}
			c.Tests = append(c.Tests, t)
		}
	}
	if l := r.Lint; len(l.Findings) > 0 {
		// Its score is what makes the tests add up to the total: minus the
		// deduction, or minus everything under policy fail.
		sum := 0.0
		for _, t := range c.Tests {
			sum += t.Score
		}
		t := ClassroomTest{Name: "determinism lint", Status: "pass", Score: roundPts(r.Score - sum), Message: l.Effect}
		if l.Deducted > 0 || l.Failed {
			t.Status = "fail"
		}
		t.Filename, t.LineNo = l.Findings[0].File, l.Findings[0].Line
		var lines []string
		for _, f := range l.Findings {
			lines = append(lines, fmt.Sprintf("%s:%d %s: %s", f.File, f.Line, f.Rule, f.Message))
		}
		t.Message += "\n" + strings.Join(lines, "\n")
		c.Tests = append(c.Tests, t)
	}
	return c
}

// ClassroomOutput is the command-grader's `result` output: base64 of the
// result's JSON.
func ClassroomOutput(r *result.Result) (string, error) {
	b, err := json.Marshal(ToClassroom(r))
	if err != nil {
		return "", fmt.Errorf("report: classroom: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// WriteGitHubOutput appends the `result` output in the form $GITHUB_OUTPUT
// takes (name=value lines), for the autograding reporter to read as
// steps.<id>.outputs.result.
func WriteGitHubOutput(w io.Writer, r *result.Result) error {
	out, err := ClassroomOutput(r)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "result=%s\n", out); err != nil {
		return fmt.Errorf("report: classroom: %w", err)
	}
	return nil
}

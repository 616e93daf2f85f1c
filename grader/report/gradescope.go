package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/raftlab/raftlab/grader/result"
)

// GradescopePath is where Gradescope's harness reads an autograder's
// results (its autograder specification, "File hierarchy").
const GradescopePath = "/autograder/results/results.json"

// Gradescope is results.json as Gradescope's autograder specification
// gives it (gradescope-autograders.readthedocs.io, "Output format"). The
// total is given at the top level ("score" overrides the sum of the
// tests'), so a lint deduction, which no test carries, counts. The
// specification has no top-level max_score: Gradescope takes the
// assignment's points from its own settings.
type Gradescope struct {
	Score            float64          `json:"score"`
	ExecutionTime    int64            `json:"execution_time"` // seconds
	Output           string           `json:"output"`
	OutputFormat     string           `json:"output_format"`
	Visibility       string           `json:"visibility"`
	StdoutVisibility string           `json:"stdout_visibility"`
	Tests            []GradescopeTest `json:"tests"`
}

// GradescopeTest is one entry of results.json's tests.
type GradescopeTest struct {
	Name         string   `json:"name"`
	Number       string   `json:"number"`
	Score        float64  `json:"score"`
	MaxScore     float64  `json:"max_score"`
	Status       string   `json:"status"` // "passed" or "failed"
	Output       string   `json:"output"`
	OutputFormat string   `json:"output_format"`
	Tags         []string `json:"tags"`
	Visibility   string   `json:"visibility"`
}

// ToGradescope builds results.json from a result: a test for each stage's
// rule tests (or each rule, when scored per rule), one for each scenario,
// and one for the determinism lint when it found something. Gradescope
// applies each item's visibility itself, so the full result goes in.
func ToGradescope(r *result.Result) *Gradescope {
	g := &Gradescope{
		Score:            r.Score,
		ExecutionTime:    (r.WallMs + 999) / 1000,
		OutputFormat:     "md",
		Visibility:       "visible",
		StdoutVisibility: r.StdoutVisibility,
		Tests:            []GradescopeTest{},
	}
	// The top-level output shows whenever the submission does: it is
	// rendered from the students' view, so held-back items keep their names
	// and failures to their own (later-visible) tests.
	var out strings.Builder
	if err := StepSummary(&out, r.ForStudents()); err == nil {
		g.Output = out.String()
	}
	for si := range r.Stages {
		s := &r.Stages[si]
		n := 0
		add := func(t GradescopeTest) {
			n++
			t.Number = fmt.Sprintf("%d.%d", si+1, n)
			t.OutputFormat = "md"
			g.Tests = append(g.Tests, t)
		}
		if rr := s.Rules; rr != nil {
			if rr.PerRule {
				for _, t := range rr.Tests {
					var o strings.Builder
					if !ran(s) {
						stageOutput(&o, s)
					} else {
						fmt.Fprintf(&o, "%s\n\n", verdictText(t.Verdict))
						if t.Rule != "" {
							fmt.Fprintf(&o, "Rule: %s\n\n", mdText(t.Rule))
						}
						if t.Verdict != result.Passed {
							fmt.Fprintf(&o, "Replay: `%s`\n\n", RuleReplay(s.Stage, t.Name))
						}
						if t.Message != "" {
							fmt.Fprintf(&o, "```\n%s\n```\n", t.Message)
						}
					}
					add(GradescopeTest{
						Name: fmt.Sprintf("%s: rule %s", s.Stage, t.Name), Score: t.Score, MaxScore: t.MaxScore,
						Status: gsStatus(t.Verdict, t.Score, t.MaxScore), Output: o.String(),
						Tags: []string{string(s.Stage), "rule-test"}, Visibility: rr.Visibility,
					})
				}
			} else {
				var o strings.Builder
				v := rulesVerdict(rr)
				if !ran(s) {
					stageOutput(&o, s)
				} else {
					fmt.Fprintf(&o, "%s (%s partial credit)\n\n", rulesLine(rr), rr.Partial)
					for _, t := range rr.Tests {
						if t.Verdict == result.Passed {
							continue
						}
						fmt.Fprintf(&o, "- **%s** (%s): %s\n  - Replay: `%s`\n", mdText(t.Name), t.Verdict, mdText(t.Message), RuleReplay(s.Stage, t.Name))
					}
				}
				add(GradescopeTest{
					Name: fmt.Sprintf("%s: rule tests", s.Stage), Score: rr.Score, MaxScore: rr.MaxScore,
					Status: gsStatus(v, rr.Score, rr.MaxScore), Output: o.String(),
					Tags: []string{string(s.Stage), "rule-test"}, Visibility: rr.Visibility,
				})
			}
		}
		for _, sc := range s.Scenarios {
			var o strings.Builder
			if !ran(s) {
				stageOutput(&o, s)
			} else {
				scenarioOutput(&o, sc)
			}
			tags := []string{string(s.Stage), "scenario"}
			if sc.Hidden {
				tags = append(tags, "hidden")
			}
			if sc.Failure != nil {
				tags = append(tags, sc.Failure.Kind)
			}
			add(GradescopeTest{
				Name: fmt.Sprintf("%s: %s", s.Stage, sc.Name), Score: sc.Score, MaxScore: sc.MaxScore,
				Status: gsStatus(sc.Verdict, sc.Score, sc.MaxScore), Output: o.String(),
				Tags: tags, Visibility: sc.Visibility,
			})
		}
	}
	if l := r.Lint; len(l.Findings) > 0 {
		var o strings.Builder
		fmt.Fprintf(&o, "%s.\n\n", mdText(l.Effect))
		for _, f := range l.Findings {
			fmt.Fprintf(&o, "- `%s:%d` %s: %s\n", f.File, f.Line, mdText(f.Rule), mdText(f.Message))
		}
		st := "passed"
		if l.Deducted > 0 || l.Failed {
			st = "failed"
		}
		g.Tests = append(g.Tests, GradescopeTest{
			Name: "determinism lint", Number: fmt.Sprintf("%d.1", len(r.Stages)+1), Status: st,
			Output: o.String(), OutputFormat: "md", Tags: []string{"lint"}, Visibility: "visible",
		})
	}
	return g
}

// WriteGradescope writes results.json to w.
func WriteGradescope(w io.Writer, r *result.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ToGradescope(r)); err != nil {
		return fmt.Errorf("report: gradescope: %w", err)
	}
	return nil
}

// WriteGradescopeFile writes results.json at path (GradescopePath inside
// Gradescope's container), creating its directory.
func WriteGradescopeFile(path string, r *result.Result) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("report: gradescope: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("report: gradescope: %w", err)
	}
	bw := bufio.NewWriter(f)
	err = WriteGradescope(bw, r)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("report: gradescope: %w", cerr)
	}
	return err
}

func gsStatus(v result.Verdict, score, maxScore float64) string {
	if itemPassed(v, score, maxScore) {
		return "passed"
	}
	return "failed"
}

func rulesVerdict(rr *result.RulesResult) result.Verdict {
	v := result.Passed
	for _, t := range rr.Tests {
		if t.Verdict != result.Passed {
			v = t.Verdict
		}
	}
	if len(rr.Tests) == 0 {
		v = result.Missing
	}
	return v
}

func verdictText(v result.Verdict) string {
	switch v {
	case result.Passed:
		return "Passed."
	case result.Failed:
		return "Failed."
	case result.NotRun:
		return "Not run."
	}
	return "The run reported no result for this test."
}

func stageOutput(o *strings.Builder, s *result.StageResult) {
	fmt.Fprintf(o, "The %s stage scored zero (%s):\n\n```\n%s\n```\n", s.Stage, s.Verdict, s.Message)
}

func scenarioOutput(o *strings.Builder, sc result.ScenarioResult) {
	if sc.Verdict == result.Missing {
		o.WriteString("The run reported no result for this scenario.\n")
		return
	}
	fmt.Fprintf(o, "%s (%s partial credit)\n\n", seedsLine(sc.Seeds), sc.Partial)
	if sc.Failure == nil {
		return
	}
	f := sc.Failure
	rule := mdText(f.Rule)
	if f.Section != "" {
		rule += " (" + mdText(f.Section) + ")"
	}
	fmt.Fprintf(o, "First failure: **%s**, %s, seed %d\n\n", rule, f.Kind, f.Seed)
	if f.Replay != "" {
		fmt.Fprintf(o, "Replay: `%s`\n\n", f.Replay)
	}
	if f.TracePath != "" {
		fmt.Fprintf(o, "Trace: `%s`\n\n", RaftviewCommand(f.TracePath))
	}
	if f.OnReplay != "" {
		fmt.Fprintf(o, "On replay: %s\n\n", mdText(f.OnReplay))
	}
	if sc.Report != "" {
		fmt.Fprintf(o, "```\n%s\n```\n", strings.TrimRight(sc.Report, "\n"))
	}
}

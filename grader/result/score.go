package result

import (
	"fmt"
	"math"
	"slices"

	"github.com/raftlab/raftlab/grader/rubric"
)

// Score gives an outcome the rubric's points. It never fails: whatever
// the outcome lacks (a stage, a scenario, a rule test) scores zero with a
// verdict that says so, and whatever the rubric does not score is left out
// with a note.
func Score(o *Outcome, r *rubric.Rubric) *Result {
	res := &Result{
		Version:          Version,
		Submission:       o.Submission,
		Hash:             o.Hash,
		Rubric:           Rubric{Title: r.Title, Hash: r.Hash()},
		StdoutVisibility: string(r.StdoutVisibility),
		Notes:            slices.Clone(o.Notes),
		Isolation:        slices.Clone(o.Isolation),
		Refusals:         slices.Clone(o.Refusals),
	}
	for _, so := range o.Stages {
		if _, ok := r.Stage(so.Stage); !ok {
			res.Notes = append(res.Notes, fmt.Sprintf("stage %s ran but the rubric does not score it", so.Stage))
		}
	}
	total := 0.0
	for i := range r.Stages {
		rs := &r.Stages[i]
		var so *StageOutcome
		for j := range o.Stages {
			if o.Stages[j].Stage == rs.Stage {
				so = &o.Stages[j]
				break
			}
		}
		sr := scoreStage(so, rs)
		res.WallMs += sr.WallMs
		res.MaxScore += sr.MaxScore
		total += sr.Score
		res.Stages = append(res.Stages, sr)
	}
	res.MaxScore = round(res.MaxScore)
	res.Lint = lint(o.Warnings, r.Lint, &total)
	res.Score = round(total)
	return res
}

// notRun is the message of a stage that scored zero without running.
var notRun = map[StageVerdict]string{
	StageBuildFailed: "the submission did not compile",
	StageRefused:     "the submission was refused before building",
	StageTimedOut:    "the stage ran out of time and was stopped",
	StageKilled:      "the stage's process was killed by a limit",
	StageNoReport:    "the stage's process exited without reporting its tests",
	StageNotRun:      "the grader has no run of this stage",
}

func scoreStage(so *StageOutcome, rs *rubric.Stage) StageResult {
	sr := StageResult{
		Stage:       rs.Stage,
		Verdict:     StageNotRun,
		TimeLimitMs: rs.TimeLimit.Milliseconds(),
		Visibility:  string(rs.Visibility),
		MaxScore:    round(rs.Max()),
	}
	ran := so != nil && so.Verdict == StageRan
	if so != nil {
		sr.Verdict, sr.WallMs = so.Verdict, so.WallMs
	}
	if !ran {
		sr.Message = notRun[sr.Verdict]
		if so != nil && so.Detail != "" {
			sr.Message = so.Detail
		}
		if sr.Message == "" {
			sr.Message = fmt.Sprintf("the stage ended %q", sr.Verdict)
		}
	}
	if rs.Rules != nil {
		var tests []TestOutcome
		if so != nil {
			tests = so.Rules
		}
		sr.Rules = scoreRules(tests, rs.Rules, ran)
		sr.Score += sr.Rules.Score
	}
	for _, sc := range rs.Scenarios {
		var out *ScenarioOutcome
		if so != nil {
			for j := range so.Scenarios {
				// Names are unique within a stage (hidden ones start with
				// "Hidden"), so the name alone matches, whatever the run
				// says of hidden-ness.
				if so.Scenarios[j].Name == sc.Name {
					out = &so.Scenarios[j]
					break
				}
			}
		}
		r := scoreScenario(out, sc, ran)
		sr.Score += r.Score
		sr.Scenarios = append(sr.Scenarios, r)
	}
	sr.Score = round(sr.Score)
	return sr
}

func scoreScenario(o *ScenarioOutcome, sc rubric.Scenario, ran bool) ScenarioResult {
	r := ScenarioResult{
		Name: sc.Name, Hidden: sc.Hidden, MaxScore: round(sc.Points),
		Partial: string(sc.Partial), Visibility: string(sc.Visibility),
	}
	switch {
	case !ran:
		r.Verdict = NotRun
		return r
	case o == nil || o.SeedsRun == 0:
		r.Verdict = Missing
		return r
	}
	r.Seeds = Seeds{Run: o.SeedsRun, Passed: min(o.SeedsPassed, o.SeedsRun)}
	r.WallMs = o.WallMs
	r.Failure = FromLabs(o.Failure)
	r.Report = o.Report
	r.Verdict = Failed
	if r.Seeds.Passed == r.Seeds.Run {
		r.Verdict = Passed
	}
	r.Score = credit(sc.Partial, sc.Points, r.Seeds.Passed, r.Seeds.Run)
	return r
}

func scoreRules(tests []TestOutcome, rr *rubric.Rules, ran bool) *RulesResult {
	out := &RulesResult{
		MaxScore: round(rr.Max()), PerRule: rr.PerRule != nil,
		Partial: string(rr.Partial), Visibility: string(rr.Visibility),
	}
	seen := map[string]bool{}
	passed := 0
	for _, t := range tests {
		seen[t.Name] = true
		v := Failed
		if t.Passed {
			v = Passed
			passed++
		}
		rt := RuleResult{Name: t.Name, Rule: t.Rule, Verdict: v, Message: t.Message}
		if rr.PerRule != nil {
			rt.MaxScore = round(rr.PerRule[t.Name])
			if t.Passed {
				rt.Score = rt.MaxScore
			}
		}
		if !ran {
			rt.Verdict, rt.Score = NotRun, 0
		}
		out.Tests = append(out.Tests, rt)
	}
	// Scored rules the run did not report, in name order.
	var absent []string
	for name := range rr.PerRule {
		if !seen[name] {
			absent = append(absent, name)
		}
	}
	slices.Sort(absent)
	for _, name := range absent {
		v := Missing
		if !ran {
			v = NotRun
		}
		out.Tests = append(out.Tests, RuleResult{Name: name, Verdict: v, MaxScore: round(rr.PerRule[name])})
	}
	if !ran {
		return out
	}
	if rr.PerRule != nil {
		for _, t := range out.Tests {
			out.Score += t.Score
		}
		out.Score = round(out.Score)
		return out
	}
	out.Score = credit(rr.Partial, rr.Points, passed, len(tests))
	return out
}

// credit is the points earned for passed of n under a partial-credit
// policy. Nothing run earns nothing.
func credit(p rubric.Partial, points float64, passed, n int) float64 {
	if n == 0 {
		return 0
	}
	if p == rubric.AllOrNothing {
		if passed == n {
			return round(points)
		}
		return 0
	}
	return round(points * float64(passed) / float64(n))
}

// lint applies the lint policy to the total.
func lint(findings []Finding, l rubric.Lint, total *float64) Lint {
	out := Lint{Policy: string(l.Policy), Findings: slices.Clone(findings)}
	if len(findings) == 0 {
		return out
	}
	switch l.Policy {
	case rubric.LintDeduct:
		d := l.Deduct * float64(len(findings))
		if l.MaxDeduct > 0 {
			d = min(d, l.MaxDeduct)
		}
		d = round(min(d, *total))
		*total -= d
		out.Deducted = d
		out.Effect = fmt.Sprintf("%d determinism finding(s) cost %v point(s)", len(findings), d)
	case rubric.LintFail:
		*total = 0
		out.Failed = true
		out.Effect = fmt.Sprintf("%d determinism finding(s): the rubric fails a submission with any, so it scores zero", len(findings))
	default:
		out.Effect = fmt.Sprintf("%d determinism finding(s), reported as warnings: they cost nothing", len(findings))
	}
	return out
}

// round rounds to hundredths, so sums of fractions print cleanly.
func round(x float64) float64 { return math.Round(x*100) / 100 }

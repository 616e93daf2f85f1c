package report

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/labs"
)

// Markdown writes the report a student reads: the total, a table per stage
// with every scored item, and for each failure its rule, section of the
// paper, seed, the command that replays it and the raftview command for
// its trace. Pass r.ForStudents() to hold back hidden items.
func Markdown(w io.Writer, r *result.Result) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "# %s: %s\n\n", mdText(r.Submission), mdText(r.Rubric.Title))
	fmt.Fprintf(b, "**Score: %s**\n\n", scoreOf(r.Score, r.MaxScore))
	writeNotes(b, r)
	for i := range r.Stages {
		s := &r.Stages[i]
		fmt.Fprintf(b, "## %s: %s\n\n", stageTitle(s), scoreOf(s.Score, s.MaxScore))
		if !ran(s) {
			fmt.Fprintf(b, "The stage scored zero (%s):\n\n", s.Verdict)
			writeCode(b, s.Message)
		}
		fmt.Fprint(b, "| | Test | Result | Points |\n|---|---|---|---|\n")
		if s.Rules != nil {
			v := result.Passed
			for _, t := range s.Rules.Tests {
				if t.Verdict != result.Passed {
					v = t.Verdict
				}
			}
			fmt.Fprintf(b, "| %s | Rule tests | %s | %s |\n", mark(v, s.Rules.Score, s.Rules.MaxScore), rulesLine(s.Rules), scoreOf(s.Rules.Score, s.Rules.MaxScore))
		}
		for _, sc := range s.Scenarios {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mark(sc.Verdict, sc.Score, sc.MaxScore), scenarioName(sc), scenarioResultText(sc), scoreOf(sc.Score, sc.MaxScore))
		}
		fmt.Fprint(b, "\n")
		if s.Rules != nil && ran(s) {
			for _, t := range s.Rules.Tests {
				if t.Verdict == result.Passed {
					continue
				}
				fmt.Fprintf(b, "### Rule test %s: %s\n\n", mdText(t.Name), t.Verdict)
				if t.Rule != "" {
					fmt.Fprintf(b, "- Rule: %s\n", mdText(t.Rule))
				}
				fmt.Fprintf(b, "- Replay: `%s`\n\n", RuleReplay(s.Stage, t.Name))
				if t.Message != "" {
					writeCode(b, t.Message)
				}
			}
		}
		for _, sc := range s.Scenarios {
			if sc.Failure == nil && sc.Verdict != result.Missing {
				continue
			}
			fmt.Fprintf(b, "### %s: %s\n\n", scenarioName(sc), sc.Verdict)
			if sc.Failure == nil {
				fmt.Fprint(b, "The run reported no result for this scenario.\n\n")
				continue
			}
			writeFailureMD(b, sc.Failure)
			if sc.Report != "" {
				writeCode(b, sc.Report)
			}
		}
	}
	return flush(w, b)
}

// StepSummary writes the short Markdown a GitHub Actions job shows
// ($GITHUB_STEP_SUMMARY): the total, a line per stage, and the failures
// with their replay commands.
func StepSummary(w io.Writer, r *result.Result) error {
	b := &strings.Builder{}
	icon := "✅"
	if !r.Passed() {
		icon = "❌"
	}
	fmt.Fprintf(b, "### %s %s: %s\n\n", icon, mdText(r.Rubric.Title), scoreOf(r.Score, r.MaxScore))
	fmt.Fprint(b, "| Stage | Points | Result |\n|---|---|---|\n")
	for i := range r.Stages {
		s := &r.Stages[i]
		res := "ran"
		if !ran(s) {
			res = fmt.Sprintf("%s: %s", s.Verdict, mdText(firstLine(s.Message)))
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", s.Stage, scoreOf(s.Score, s.MaxScore), res)
	}
	fmt.Fprint(b, "\n")
	var fails []string
	for i := range r.Stages {
		s := &r.Stages[i]
		if s.Rules != nil && ran(s) && s.Rules.Score < s.Rules.MaxScore {
			fails = append(fails, fmt.Sprintf("- **%s rule tests**: %s", s.Stage, rulesLine(s.Rules)))
		}
		for _, sc := range s.Scenarios {
			if f := sc.Failure; f != nil {
				line := fmt.Sprintf("- **%s / %s**: %s", s.Stage, mdText(sc.Name), mdText(failureLine(f)))
				if f.Replay != "" {
					line += " — `" + f.Replay + "`"
				}
				fails = append(fails, line)
			}
		}
	}
	if len(fails) > 0 {
		fmt.Fprint(b, "**Failures**\n\n"+strings.Join(fails, "\n")+"\n\n")
	}
	if r.Lint.Effect != "" {
		fmt.Fprintf(b, "**Determinism lint**: %s.\n", mdText(r.Lint.Effect))
	}
	return flush(w, b)
}

func writeNotes(b *strings.Builder, r *result.Result) {
	if r.Lint.Effect != "" {
		fmt.Fprintf(b, "**Determinism lint** (%s): %s.\n\n", r.Lint.Policy, mdText(r.Lint.Effect))
		for _, f := range r.Lint.Findings {
			fmt.Fprintf(b, "- `%s:%d` %s: %s\n", f.File, f.Line, mdText(f.Rule), mdText(f.Message))
		}
		fmt.Fprint(b, "\n")
	}
	if len(r.Refusals) > 0 {
		fmt.Fprint(b, "**Refused**\n\n")
		for _, f := range r.Refusals {
			fmt.Fprintf(b, "- `%s:%d` %s: %s\n", f.File, f.Line, mdText(f.Rule), mdText(f.Message))
		}
		fmt.Fprint(b, "\n")
	}
	if len(r.Notes)+len(r.Isolation) > 0 {
		fmt.Fprint(b, "**Notes**\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(b, "- %s\n", mdText(n))
		}
		for _, n := range r.Isolation {
			fmt.Fprintf(b, "- isolation: %s\n", mdText(n))
		}
		fmt.Fprint(b, "\n")
	}
}

func writeFailureMD(b *strings.Builder, f *result.Failure) {
	rule := mdText(f.Rule)
	if f.Section != "" {
		rule += " (" + mdText(f.Section) + ")"
	}
	fmt.Fprintf(b, "- Rule: %s\n- Kind: %s\n- Seed: %d\n", rule, f.Kind, f.Seed)
	if f.Replay != "" {
		fmt.Fprintf(b, "- Replay: `%s`\n", f.Replay)
	}
	if f.TracePath != "" {
		fmt.Fprintf(b, "- Trace: `%s` — open it with `%s`\n", f.TracePath, RaftviewCommand(f.TracePath))
	}
	if f.OnReplay != "" {
		fmt.Fprintf(b, "- On replay: %s\n", mdText(f.OnReplay))
	}
	fmt.Fprint(b, "\n")
}

func writeCode(b *strings.Builder, s string) {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	fmt.Fprintf(b, "%s\n%s\n%s\n\n", fence, strings.TrimRight(s, "\n"), fence)
}

func scenarioName(sc result.ScenarioResult) string {
	if sc.Hidden {
		return mdText(sc.Name) + " (hidden)"
	}
	return mdText(sc.Name)
}

func scenarioResultText(sc result.ScenarioResult) string {
	switch sc.Verdict {
	case result.NotRun:
		return "not run"
	case result.Missing:
		return "no result"
	}
	s := seedsLine(sc.Seeds)
	if sc.Failure != nil {
		s += "; first failure: " + mdText(failureLine(sc.Failure))
	}
	return s
}

func mark(v result.Verdict, score, maxScore float64) string {
	switch {
	case itemPassed(v, score, maxScore):
		return "✅"
	case v == result.NotRun || v == result.Missing:
		return "⛔"
	case score > 0:
		return "🟡"
	}
	return "❌"
}

// mdText escapes what Markdown would read as markup in table cells and
// prose: pipes, backticks, asterisks, underscores, angle brackets.
func mdText(s string) string {
	r := strings.NewReplacer("|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "\n", " ")
	return r.Replace(s)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// RuleReplay is the command that runs one rule-level test of a stage in
// the student's package.
func RuleReplay(stage labs.Stage, name string) string {
	return fmt.Sprintf("go test %s -run '^Test%s$/^Rules$/^%s$'", StudentPackage, capital(string(stage)), regexp.QuoteMeta(name))
}

// StudentPackage is the package a student's replay commands run.
const StudentPackage = "./assignments/raft"

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

package report

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/raftlab/raftlab/grader/result"
)

// ColorFor reports whether output to f should be coloured: only on a
// terminal, and never under NO_COLOR (no-color.org: set and not empty) or
// TERM=dumb.
func ColorFor(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// Four ANSI colours are all the renderer needs; golang.org/x/term (already
// a dependency) tells a terminal from a pipe, so no colour library is added.
type palette struct{ on bool }

func (p palette) wrap(code, s string) string {
	if !p.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}
func (p palette) green(s string) string  { return p.wrap("32", s) }
func (p palette) red(s string) string    { return p.wrap("31", s) }
func (p palette) yellow(s string) string { return p.wrap("33", s) }
func (p palette) bold(s string) string   { return p.wrap("1", s) }
func (p palette) dim(s string) string    { return p.wrap("2", s) }

// Terminal writes one submission's result for a person at a terminal: per
// stage, each scenario with its seeds passed and points; for a failure its
// rule, section, seed, the replay command and the raftview command; then
// the total. color turns ANSI colour on (see ColorFor).
func Terminal(w io.Writer, r *result.Result, color bool) error {
	p := palette{on: color}
	b := &strings.Builder{}
	fmt.Fprintf(b, "%s  %s\n", p.bold(r.Submission), p.dim("("+r.Rubric.Title+")"))
	for _, f := range r.Refusals {
		fmt.Fprintf(b, "%s %s:%d %s: %s\n", p.red("refused"), f.File, f.Line, f.Rule, f.Message)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "%s %s\n", p.dim("note"), n)
	}
	for _, n := range r.Isolation {
		fmt.Fprintf(b, "%s %s\n", p.yellow("isolation"), n)
	}
	// Columns: mark, name, seeds, points; the name column fits the longest.
	nameW := len("rule tests")
	for i := range r.Stages {
		for _, sc := range r.Stages[i].Scenarios {
			nameW = max(nameW, len(displayName(sc)))
		}
	}
	headW := 2 + 2 + nameW + 1 + 12
	for i := range r.Stages {
		s := &r.Stages[i]
		fmt.Fprint(b, "\n")
		head := fmt.Sprintf("%-*s %13s", headW, strings.ToUpper(string(s.Stage)), scoreOf(s.Score, s.MaxScore))
		if !ran(s) {
			fmt.Fprintf(b, "%s  %s\n", p.bold(head), p.red(strings.ToUpper(string(s.Verdict))))
			for _, line := range strings.Split(strings.TrimRight(s.Message, "\n"), "\n") {
				fmt.Fprintf(b, "    %s\n", line)
			}
			continue
		}
		fmt.Fprintf(b, "%s\n", p.bold(head))
		if rr := s.Rules; rr != nil {
			v := rulesVerdict(rr)
			fmt.Fprintf(b, "  %s %-*s %-12s %13s\n", p.markFor(v, rr.Score, rr.MaxScore), nameW, "rule tests", rulesCount(rr)+" tests", scoreOf(rr.Score, rr.MaxScore))
			for _, t := range rr.Tests {
				if t.Verdict == result.Passed {
					continue
				}
				fmt.Fprintf(b, "      %s %s (%s)\n", p.red("✗"), t.Name, t.Verdict)
				if t.Rule != "" {
					fmt.Fprintf(b, "        rule:   %s\n", t.Rule)
				}
				fmt.Fprintf(b, "        replay: %s\n", RuleReplay(s.Stage, t.Name))
			}
		}
		for _, sc := range s.Scenarios {
			seeds := fmt.Sprintf("%d/%d seeds", sc.Seeds.Passed, sc.Seeds.Run)
			if sc.Verdict == result.Missing {
				seeds = "no result"
			}
			fmt.Fprintf(b, "  %s %-*s %-12s %13s\n", p.markFor(sc.Verdict, sc.Score, sc.MaxScore), nameW, displayName(sc), seeds, scoreOf(sc.Score, sc.MaxScore))
			if f := sc.Failure; f != nil {
				rule := f.Rule
				if f.Section != "" {
					rule += " (" + f.Section + ")"
				}
				fmt.Fprintf(b, "      %s %s, seed %d\n", p.red(f.Kind+":"), rule, f.Seed)
				fmt.Fprintf(b, "        %s\n", f.Message)
				if f.Replay != "" {
					fmt.Fprintf(b, "        replay: %s\n", f.Replay)
				}
				if f.TracePath != "" {
					fmt.Fprintf(b, "        trace:  %s\n", RaftviewCommand(f.TracePath))
				}
				if f.OnReplay != "" {
					fmt.Fprintf(b, "        %s %s\n", p.yellow("on replay:"), f.OnReplay)
				}
			}
		}
	}
	if l := r.Lint; len(l.Findings) > 0 {
		fmt.Fprintf(b, "\n%s  %s\n", p.bold("DETERMINISM LINT"), l.Effect)
		for _, f := range l.Findings {
			fmt.Fprintf(b, "  %s %s:%d %s: %s\n", p.yellow("!"), f.File, f.Line, f.Rule, f.Message)
		}
	}
	total := fmt.Sprintf("%-*s %13s", headW, "TOTAL", scoreOf(r.Score, r.MaxScore))
	switch {
	case r.Passed():
		total = p.green(total)
	case r.Score > 0:
		total = p.yellow(total)
	default:
		total = p.red(total)
	}
	fmt.Fprintf(b, "\n%s\n", p.bold(total))
	return flush(w, b)
}

func (p palette) markFor(v result.Verdict, score, maxScore float64) string {
	switch {
	case itemPassed(v, score, maxScore):
		return p.green("✓")
	case v == result.NotRun || v == result.Missing:
		return p.red("–")
	case score > 0:
		return p.yellow("~")
	}
	return p.red("✗")
}

func displayName(sc result.ScenarioResult) string {
	if sc.Hidden {
		return sc.Name + " (hidden)"
	}
	return sc.Name
}

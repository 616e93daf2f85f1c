package result

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/raftlab/raftlab/labs"
)

// Version is the version of the Result's JSON form. A reader refuses
// another version rather than misread it; bump it on any change that is
// not a new optional field.
const Version = 1

// StageNotRun is the verdict of a stage the rubric scores but the outcome
// has no run of (the runner stopped before it, say).
const StageNotRun StageVerdict = "not-run"

// Verdict is how one scored item (a scenario or a rule test) ended.
type Verdict string

// Item verdicts.
const (
	Passed  Verdict = "passed"  // every seed (the rule test) passed
	Failed  Verdict = "failed"  // some seed (the rule test) failed
	NotRun  Verdict = "not-run" // its stage did not run to the end (the stage's message says why)
	Missing Verdict = "missing" // its stage ran but reported nothing for it
)

// Result is a graded submission: the canonical output every report format
// is rendered from. Scores are rounded to hundredths.
type Result struct {
	Version    int     `json:"version"`
	Submission string  `json:"submission"`
	Hash       string  `json:"hash,omitempty"` // the submission's content hash (Outcome.Hash)
	Rubric     Rubric  `json:"rubric"`
	Score      float64 `json:"score"`
	MaxScore   float64 `json:"max_score"`
	WallMs     int64   `json:"wall_ms"` // all stages' wall time
	// StdoutVisibility is the rubric's Gradescope stdout_visibility.
	StdoutVisibility string        `json:"stdout_visibility"`
	Notes            []string      `json:"notes,omitempty"`     // intake lines and scoring remarks
	Isolation        []string      `json:"isolation,omitempty"` // sandbox measures that could not be applied
	Refusals         []Finding     `json:"refusals,omitempty"`
	Lint             Lint          `json:"lint"`
	Stages           []StageResult `json:"stages"`
}

// Rubric identifies the rubric that scored a result.
type Rubric struct {
	Title string `json:"title"`
	Hash  string `json:"hash"`
}

// Lint is the determinism lint's findings and what they cost.
type Lint struct {
	Policy   string    `json:"policy"` // the rubric's: warn, deduct or fail
	Findings []Finding `json:"findings,omitempty"`
	Deducted float64   `json:"deducted,omitempty"` // points taken off the total
	Failed   bool      `json:"failed,omitempty"`   // policy fail with findings: the submission scored zero
	Effect   string    `json:"effect,omitempty"`   // the effect, in a sentence, if there are findings
}

// StageResult is one stage's score.
type StageResult struct {
	Stage       labs.Stage       `json:"stage"`
	Verdict     StageVerdict     `json:"verdict"`
	Message     string           `json:"message,omitempty"` // for a verdict other than ran: why the stage scored zero
	Score       float64          `json:"score"`
	MaxScore    float64          `json:"max_score"`
	WallMs      int64            `json:"wall_ms"`
	TimeLimitMs int64            `json:"time_limit_ms"`
	Visibility  string           `json:"visibility"`
	Rules       *RulesResult     `json:"rules,omitempty"`
	Scenarios   []ScenarioResult `json:"scenarios"`
}

// RulesResult is a stage's rule-level tests.
type RulesResult struct {
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	// PerRule is true when the rubric gives points rule by rule (each
	// test's MaxScore); otherwise the group's points are split by Partial.
	PerRule    bool         `json:"per_rule,omitempty"`
	Partial    string       `json:"partial"`
	Visibility string       `json:"visibility"`
	Tests      []RuleResult `json:"tests"`
}

// RuleResult is one rule-level test.
type RuleResult struct {
	Name     string  `json:"name"`
	Rule     string  `json:"rule,omitempty"` // the citation, e.g. "Reply false if term < currentTerm (§5.1)"
	Verdict  Verdict `json:"verdict"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Message  string  `json:"message,omitempty"`
}

// ScenarioResult is one scenario over its seeds.
type ScenarioResult struct {
	Name       string   `json:"name"`
	Hidden     bool     `json:"hidden,omitempty"`
	Verdict    Verdict  `json:"verdict"`
	Score      float64  `json:"score"`
	MaxScore   float64  `json:"max_score"`
	Partial    string   `json:"partial"`
	Visibility string   `json:"visibility"`
	Seeds      Seeds    `json:"seeds"`
	Failure    *Failure `json:"failure,omitempty"` // the first failing seed
	Report     string   `json:"report,omitempty"`  // the failure as a student reads it
	WallMs     int64    `json:"wall_ms"`
}

// Seeds counts a scenario's seeds.
type Seeds struct {
	Run    int `json:"run"`
	Passed int `json:"passed"`
}

// Failure is a scenario's first failing seed, as reports show it.
type Failure struct {
	Kind      string `json:"kind"`              // sim.Kind*: safety, liveness, panic, hang, ...
	Rule      string `json:"rule"`              // e.g. "Election Safety"
	Section   string `json:"section,omitempty"` // where the paper states it, e.g. "§5.2"
	Message   string `json:"message"`
	Nodes     []int  `json:"nodes,omitempty"`
	Seed      uint64 `json:"seed"`
	Replay    string `json:"replay,omitempty"`     // the command that replays the seed
	TracePath string `json:"trace_path,omitempty"` // the failing run's trace, for raftview
	// OnReplay is what replaying the failing seed found besides the
	// failure, "kind: message": nondeterminism (the replay differed: the
	// student's code depends on map order, time or goroutines) or a hang.
	OnReplay string `json:"on_replay,omitempty"`
}

// Passed reports whether the submission earned every point.
func (r *Result) Passed() bool { return r.Score >= r.MaxScore }

// FromLabs converts the labs' failure of a scenario's first failing seed.
func FromLabs(f *labs.Failure) *Failure {
	if f == nil {
		return nil
	}
	out := &Failure{
		Kind: f.Kind, Rule: f.Rule, Section: f.Paper, Message: f.Message,
		Nodes: slices.Clone(f.Nodes), Seed: f.Seed, Replay: f.Replay, TracePath: f.TracePath,
	}
	if f.Besides != nil {
		out.OnReplay = f.Besides.Kind + ": " + f.Besides.Message
	}
	return out
}

// SeedLabel is "seed N", for reports.
func (f *Failure) SeedLabel() string { return "seed " + strconv.FormatUint(f.Seed, 10) }

// WriteJSON writes the result as indented JSON.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("result: writing %s: %w", r.Submission, err)
	}
	return nil
}

// ReadJSON reads a result written by WriteJSON, refusing another version.
func ReadJSON(rd io.Reader) (*Result, error) {
	var r Result
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("result: reading: %w", err)
	}
	if r.Version != Version {
		return nil, fmt.Errorf("result: version %d, but this grader reads version %d", r.Version, Version)
	}
	return &r, nil
}

// WriteFile writes the result to path, creating its directory.
func (r *Result) WriteFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("result: %w", err)
	}
	if err := r.WriteJSON(f); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	return nil
}

// ReadFile reads a result file.
func ReadFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	defer func() { _ = f.Close() }()
	r, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// ForStudents returns a copy fit to show students before hidden items are
// released: an item whose visibility is hidden is left out (it is worth no
// points), and one shown only after the due date or publication keeps its
// score but loses its name, failure and report.
func (r *Result) ForStudents() *Result {
	c := r.Clone()
	n := 0
	for si := range c.Stages {
		s := &c.Stages[si]
		var keep []ScenarioResult
		for _, sc := range s.Scenarios {
			switch sc.Visibility {
			case "hidden":
				continue
			case "after_due_date", "after_published":
				n++
				sc.Name = fmt.Sprintf("Held back #%d", n)
				sc.Failure, sc.Report = nil, ""
			}
			keep = append(keep, sc)
		}
		s.Scenarios = keep
		if s.Rules != nil && s.Rules.Visibility != "visible" {
			if s.Rules.Visibility == "hidden" {
				s.Rules = nil
			} else {
				for i := range s.Rules.Tests {
					s.Rules.Tests[i].Message = ""
				}
			}
		}
	}
	return c
}

// Clone returns a deep copy.
func (r *Result) Clone() *Result {
	var c Result
	b, err := json.Marshal(r)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		// A Result holds only plain data.
		panic(fmt.Sprintf("result: copying: %v", err))
	}
	return &c
}

// Package rubric reads the grader's rubric: a TOML file that gives points
// per stage, per scenario and for each stage's rule-level tests, the seeds
// each scenario runs (public ones students can replay, hidden ones shifted
// by a salt they never see), which hidden scenarios run, partial credit,
// time and memory limits, the determinism-lint policy, and the Gradescope
// visibility of every item.
//
// Parse validates strictly: an unknown key, a stage or scenario or rule
// name the labs do not have, a value outside its allowed set, each is an
// error that names the field by its TOML path and line and lists what is
// allowed. A rubric lists what it scores; a visible scenario it leaves out
// still runs (the stage's suite runs whole) but earns nothing.
//
// The default rubric (default.toml, embedded) gives 100 points over the
// four stages; Text returns it, comments and all, as the starting point
// `grader rubric` prints.
package rubric

import (
	"bytes"
	"crypto/sha256"
	_ "embed" // the default rubric
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/labs/hidden"
)

//go:embed default.toml
var defaultTOML []byte

// Visibility is when students see an item: Gradescope's four settings.
type Visibility string

// Gradescope's visibility settings (its autograder specification).
const (
	Visible        Visibility = "visible"         // always shown
	Hidden         Visibility = "hidden"          // never shown to students (0-point items only)
	AfterDueDate   Visibility = "after_due_date"  // shown once the due date has passed
	AfterPublished Visibility = "after_published" // shown once grades are published
)

// Visibilities lists the allowed visibilities, in the order errors list them.
var Visibilities = []Visibility{Visible, Hidden, AfterDueDate, AfterPublished}

// Partial is how a scenario or a group of rule tests earns its points.
type Partial string

// The partial-credit policies.
const (
	AllOrNothing Partial = "all"      // the points only if every seed (every rule test) passes
	Fraction     Partial = "fraction" // the points times the fraction of seeds (rule tests) that pass
)

// LintPolicy is what determinism-lint findings cost.
type LintPolicy string

// The lint policies.
const (
	LintWarn   LintPolicy = "warn"   // findings are reported and cost nothing
	LintDeduct LintPolicy = "deduct" // each finding costs Lint.Deduct points, at most Lint.MaxDeduct
	LintFail   LintPolicy = "fail"   // any finding scores the submission zero
)

// Defaults for what a rubric leaves out.
const (
	DefaultTimeLimit     = 5 * time.Minute
	DefaultMemoryLimitMB = 2048
)

// Rubric is a validated rubric.
type Rubric struct {
	Title string `json:"title"`
	// Salt shifts the hidden seeds (labs.SeedPlan.Salt). Students never
	// see it; reports never print it.
	Salt             uint64     `json:"salt"`
	MemoryLimitMB    int        `json:"memory_limit_mb"`
	StdoutVisibility Visibility `json:"stdout_visibility"`
	Lint             Lint       `json:"lint"`
	Stages           []Stage    `json:"stages"` // in the labs' order (labs.Stages)
}

// Lint is the determinism-lint policy.
type Lint struct {
	Policy    LintPolicy `json:"policy"`
	Deduct    float64    `json:"deduct,omitempty"`     // points per finding (LintDeduct)
	MaxDeduct float64    `json:"max_deduct,omitempty"` // cap on the deduction; 0 means no cap
}

// Stage is one stage's part of the rubric.
type Stage struct {
	Stage      labs.Stage    `json:"stage"`
	TimeLimit  time.Duration `json:"time_limit"` // wall clock for the stage's child process
	Visibility Visibility    `json:"visibility"`
	Rules      *Rules        `json:"rules,omitempty"` // nil: the rule tests run but score nothing
	Scenarios  []Scenario    `json:"scenarios"`       // in the suite's order, visible then hidden
}

// Rules scores a stage's rule-level tests: as a group (Points, split by
// Partial) or per rule (PerRule).
type Rules struct {
	Points     float64            `json:"points,omitempty"`
	PerRule    map[string]float64 `json:"per_rule,omitempty"`
	Partial    Partial            `json:"partial"`
	Visibility Visibility         `json:"visibility"`
}

// Max is the most the rule tests can earn.
func (r *Rules) Max() float64 {
	if r == nil {
		return 0
	}
	if r.PerRule == nil {
		return r.Points
	}
	total := 0.0
	for _, p := range r.PerRule {
		total += p
	}
	return total
}

// Scenario is one scored scenario.
type Scenario struct {
	Name   string  `json:"name"`
	Hidden bool    `json:"hidden,omitempty"` // one of labs/hidden's scenarios
	Points float64 `json:"points"`
	// Seeds is how many public seeds (1..Seeds) run; 0 means the
	// scenario's default count.
	Seeds int `json:"seeds"`
	// HiddenSeeds is how many salted seeds (Salt+1..Salt+HiddenSeeds)
	// run besides.
	HiddenSeeds int        `json:"hidden_seeds"`
	Partial     Partial    `json:"partial"`
	Visibility  Visibility `json:"visibility"`
}

// Stage returns the rubric's part for a stage, if the rubric scores it.
func (r *Rubric) Stage(s labs.Stage) (*Stage, bool) {
	for i := range r.Stages {
		if r.Stages[i].Stage == s {
			return &r.Stages[i], true
		}
	}
	return nil, false
}

// Scenario returns the stage's scored scenario named name.
func (s *Stage) Scenario(name string) (*Scenario, bool) {
	for i := range s.Scenarios {
		if s.Scenarios[i].Name == name {
			return &s.Scenarios[i], true
		}
	}
	return nil, false
}

// HiddenScenarios names the hidden scenarios the stage runs: the runner
// passes these (and only these) of hidden.Scenarios() to labs.WithScenarios.
func (s *Stage) HiddenScenarios() []string {
	var out []string
	for _, sc := range s.Scenarios {
		if sc.Hidden {
			out = append(out, sc.Name)
		}
	}
	return out
}

// Seeds returns the seeds a scored scenario runs: its public seeds
// 1..Seeds (the scenario's default count if Seeds is 0), which a student
// can replay, then its hidden ones, Salt+1..Salt+HiddenSeeds. def is the
// scenario as the labs define it (labs.FindScenario).
func (r *Rubric) Seeds(sc *Scenario, def labs.Scenario) []uint64 {
	seeds := labs.SeedPlan{Count: sc.Seeds}.Seeds(def)
	if sc.HiddenSeeds > 0 {
		seeds = append(seeds, labs.SeedPlan{Count: sc.HiddenSeeds, Salt: r.Salt}.Seeds(def)...)
	}
	return seeds
}

// HiddenDefs returns the labs' definitions of the hidden scenarios the
// stage runs, in labs/hidden's order: what the runner passes to
// labs.WithScenarios (or schedules with labs.Run).
func (s *Stage) HiddenDefs() []labs.Scenario {
	want := s.HiddenScenarios()
	var out []labs.Scenario
	for _, sc := range hidden.Scenarios() {
		if sc.Stage == s.Stage && slices.Contains(want, sc.Name) {
			out = append(out, sc)
		}
	}
	return out
}

// Max is the most the stage can earn.
func (s *Stage) Max() float64 {
	total := s.Rules.Max()
	for _, sc := range s.Scenarios {
		total += sc.Points
	}
	return total
}

// MaxScore is the most a submission can earn.
func (r *Rubric) MaxScore() float64 {
	total := 0.0
	for i := range r.Stages {
		total += r.Stages[i].Max()
	}
	return total
}

// Hash identifies the rubric's content (salt included) for result
// caches: two rubrics with the same hash score every outcome alike.
// Comments and key order in the file do not change it.
func (r *Rubric) Hash() string {
	b, err := json.Marshal(r)
	if err != nil {
		// A Rubric holds only strings, numbers, slices and maps of them.
		panic(fmt.Sprintf("rubric: hashing: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Default returns the embedded default rubric.
func Default() *Rubric {
	r, err := Parse(defaultTOML)
	if err != nil {
		// default.toml is part of the build and rubric_test.go parses it.
		panic(fmt.Sprintf("rubric: the embedded default rubric is invalid: %v", err))
	}
	return r
}

// Text returns the default rubric's file, with its comments: the starting
// point `grader rubric` prints.
func Text() []byte { return bytes.Clone(defaultTOML) }

// Load reads and parses the rubric file at path; errors name the file.
func Load(path string) (*Rubric, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rubric: %w", err)
	}
	r, err := Parse(b)
	if err != nil {
		if ve, ok := errors.AsType[*Error](err); ok {
			ve.File = path
		}
		return nil, err
	}
	return r, nil
}

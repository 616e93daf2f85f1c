// Package result is the grader's canonical result model: what a graded
// submission scored, stage by stage and scenario by scenario, with every
// failure's rule, section of the paper, seed and replay command. Every
// report format a course uploads (Gradescope, GitHub Classroom, JUnit,
// CSV, Markdown) is rendered from it.
//
// This file holds the Outcome: what running a submission's stages
// observed, before any rubric gives points. The sandbox produces it from
// the child process's authenticated reports; scoring turns an Outcome and
// a rubric into a Result.
package result

import "github.com/raftlab/raftlab/labs"

// StageVerdict says how a stage's run ended as a whole.
type StageVerdict string

// How a stage's run can end. Only StageRan means its tests reported;
// every other verdict scores the whole stage zero and says why.
const (
	StageRan         StageVerdict = "ran"          // the child ran the stage and reported every test
	StageBuildFailed StageVerdict = "build-failed" // the submission did not compile (Detail has the compiler's lines, with the student's file:line)
	StageRefused     StageVerdict = "refused"      // the submission was refused before building (forbidden import, bad files)
	StageTimedOut    StageVerdict = "timed-out"    // the stage's wall-clock limit ran out; the child was killed
	StageKilled      StageVerdict = "killed"       // the child was killed by a limit (memory, CPU, file size) or a signal
	StageNoReport    StageVerdict = "no-report"    // the child exited without reporting (os.Exit-like, crash, or early exit)
)

// Outcome is what the sandbox observed for one submission.
type Outcome struct {
	Submission string         `json:"submission"`         // a name for the submission (directory or archive base name)
	Hash       string         `json:"hash"`               // content hash of the submission's accepted files
	Notes      []string       `json:"notes,omitempty"`    // intake lines: files ignored or refused, and why
	Warnings   []Finding      `json:"warnings,omitempty"` // determinism lint findings (the rubric decides whether they cost points)
	Refusals   []Finding      `json:"refusals,omitempty"` // forbidden imports and the like: the submission was not built
	Isolation  []string       `json:"isolation,omitempty"`
	Stages     []StageOutcome `json:"stages"`
}

// Finding is one lint or intake finding at a place in the student's code.
type Finding struct {
	File    string `json:"file"` // relative to the submission, e.g. "raft.go"
	Line    int    `json:"line"`
	Rule    string `json:"rule"` // e.g. "forbidden import", "goroutine", "wall clock", "map range"
	Message string `json:"message"`
}

// StageOutcome is one stage's run.
type StageOutcome struct {
	Stage     labs.Stage        `json:"stage"`
	Verdict   StageVerdict      `json:"verdict"`
	Detail    string            `json:"detail,omitempty"` // for a verdict other than StageRan: what happened, for the student
	WallMs    int64             `json:"wall_ms"`
	Rules     []TestOutcome     `json:"rules,omitempty"`     // the stage's rule-level tests
	Scenarios []ScenarioOutcome `json:"scenarios,omitempty"` // the stage's scenarios, public and hidden
}

// TestOutcome is one rule-level test.
type TestOutcome struct {
	Name    string `json:"name"` // e.g. "RequestVote_Rule1_RejectsStaleTerm"
	Rule    string `json:"rule"` // the citation, e.g. "Reply false if term < currentTerm (§5.1)"
	Passed  bool   `json:"passed"`
	Message string `json:"message,omitempty"` // the failure a student reads
}

// ScenarioOutcome is one scenario over its seeds.
type ScenarioOutcome struct {
	Name        string        `json:"name"` // e.g. "ReElection"
	Hidden      bool          `json:"hidden,omitempty"`
	SeedsRun    int           `json:"seeds_run"`
	SeedsPassed int           `json:"seeds_passed"`
	Failure     *labs.Failure `json:"failure,omitempty"` // the first failing seed's failure (rule, section, seed, replay, trace path)
	Report      string        `json:"report,omitempty"`  // the failure as a student reads it
	WallMs      int64         `json:"wall_ms"`
}

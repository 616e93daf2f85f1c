package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/raftlab/raftlab/props"
)

// A rule test first brings the node into the state its rule is about (it
// wins an election, follows a leader's log, adopts a term) and only then
// checks the rule. Those setup steps rely on behaviour that other rule
// tests check, often of an earlier stage: a snapshot rule needs a node
// that accepts entries. When a setup step fails, the failure says which
// behaviour is missing and which stage teaches it, so that a student who
// has not done replication yet reads "this test's setup needs the
// replication stage first" rather than a failure of the snapshot rule.

// setupStep is one setup step in progress: what it does and the
// properties it relies on.
type setupStep struct {
	what  string
	needs []props.ID
}

// inSetup marks the harness as being in a setup step until the returned
// function runs (defer h.inSetup(...)()). Failures reported meanwhile whose
// message starts with "setup:" (the harness's setup assertions and waits)
// say what the step needs. Steps nest: the innermost one names the need.
func (h *harness) inSetup(what string, needs ...props.ID) (done func()) {
	r, ok := h.t.(*ruleT)
	if !ok {
		return func() {}
	}
	prev := r.setup
	r.setup = &setupStep{what: what, needs: needs}
	return func() { r.setup = prev }
}

// setupMust stops the rule unless ok, as a failed setup step (what, which
// relies on needs) whose detail is format and args.
func (h *harness) setupMust(what string, needs []props.ID, ok bool, format string, args ...any) {
	h.t.Helper()
	if ok {
		return
	}
	defer h.inSetup(what, needs...)()
	h.fatalf("setup: "+format, args...)
}

// stageIndex is the place of s in the order students meet the stages.
func stageIndex(s Stage) int {
	return slices.Index([]Stage{Election, Replication, Persistence, Snapshots}, s)
}

// Fatalf reports a failure of the rule, saying what a failed setup step
// needs.
func (r *ruleT) Fatalf(format string, args ...any) {
	r.Helper()
	r.TB.Fatalf("%s", r.explainSetup(fmt.Sprintf(format, args...)))
}

// Errorf reports a failure of the rule, saying what a failed setup step
// needs.
func (r *ruleT) Errorf(format string, args ...any) {
	r.Helper()
	r.TB.Errorf("%s", r.explainSetup(fmt.Sprintf(format, args...)))
}

// explainSetup rewrites the message of a failed setup step: after the
// rule's citation, which every message starts with, it says which
// behaviour the step relies on, which rule tests check it and, when they
// belong to an earlier stage than this rule, that the stage comes first.
func (r *ruleT) explainSetup(msg string) string {
	if r.setup == nil || slices.Contains(r.setup.needs, r.prop) {
		// No setup step, or one that does what the rule itself checks
		// (AppendEntries rule 4's setup appends entries): the failure is
		// the rule's own.
		return msg
	}
	head := r.paper + ": "
	rest, ok := strings.CutPrefix(msg, head)
	if !ok {
		head, rest = "", msg
	}
	detail, ok := strings.CutPrefix(rest, "setup: ")
	if !ok {
		return msg // not a setup assertion: a contract or durability failure speaks for itself
	}
	return head + setupNote(r.name, r.stage, r.setup) + " The step that failed: " + detail
}

// setupNote says what a setup step of rule test name (of stage stage)
// relies on. The stage the step needs is the latest, over the properties
// it relies on, of the first stage whose rule tests check each property.
func setupNote(name string, stage Stage, s *setupStep) string {
	var cites []string
	for _, p := range s.needs {
		cites = append(cites, p.Cite())
	}
	var checking []Rule
	first := map[props.ID]Stage{}
	for _, other := range All() {
		if other.Name == name || !slices.Contains(s.needs, other.Prop) {
			continue
		}
		checking = append(checking, other)
		if st, ok := first[other.Prop]; !ok || stageIndex(other.Stage) < stageIndex(st) {
			first[other.Prop] = other.Stage
		}
	}
	need := Election
	for _, st := range first {
		if stageIndex(st) > stageIndex(need) {
			need = st
		}
	}
	// Name the tests a student meets by then, not those of later stages.
	var tests []string
	for _, r := range checking {
		if stageIndex(r.Stage) <= stageIndex(need) {
			tests = append(tests, r.Name)
		}
	}
	relies := strings.Join(cites, "; ")
	if len(tests) == 0 {
		return fmt.Sprintf("this test's setup (%s) relies on %s.", s.what, relies)
	}
	if stageIndex(need) < stageIndex(stage) {
		return fmt.Sprintf("this test's setup needs the %s stage first: %s relies on %s, which the %s stage's rule tests check (%s). Make those pass before this one.",
			need, s.what, relies, need, strings.Join(tests, ", "))
	}
	return fmt.Sprintf("this test's setup (%s) relies on %s, which the rule tests %s check: make those pass before this one.",
		s.what, relies, strings.Join(tests, ", "))
}

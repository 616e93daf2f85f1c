//go:build !raftlab_sandbox

package rules

import (
	"testing"

	"github.com/raftlab/raftlab/raftapi"
)

// This file is the go test entry point of the rules. The browser
// sandbox's build (scripts/build-wasm.sh, -tags raftlab_sandbox) leaves it
// out: the sandbox never runs go test, and importing testing links
// testing's and flag's package state into its WebAssembly.

// Run runs each rule of the given stages (of all stages if none is given)
// against f, as a subtest named after the rule, with the test attribute
// "rule" set to the rule's place in the paper.
func Run(t *testing.T, f raftapi.Factory, stages ...Stage) {
	t.Helper()
	want := make(map[Stage]bool, len(stages))
	for _, s := range stages {
		want[s] = true
	}
	for _, r := range All() {
		if len(stages) > 0 && !want[r.Stage] {
			continue
		}
		t.Run(r.Name, func(t *testing.T) {
			t.Attr("rule", r.Paper)
			defer func() {
				// Deferred, so that it runs after FailNow too.
				if t.Failed() {
					t.Attr(AttrFailureKind, FailureKindRule)
					t.Attr(AttrFailureRule, r.Prop.Name())
				}
			}()
			r.Run(t, f)
		})
	}
}

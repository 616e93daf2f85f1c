//go:build !raftlab_sandbox

package rules

import (
	"testing"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
)

// This file is the go test entry point of the rules. The browser
// sandbox's build (scripts/build-wasm.sh, -tags raftlab_sandbox) leaves it
// out: the sandbox never runs go test, and importing testing links
// testing's and flag's package state into its WebAssembly.

// Run runs each rule of the given stages (of all stages if none is given)
// against f, as a subtest named after the rule, with the test attribute
// "rule" set to the rule's place in the paper. Each rule runs watched
// (Rule.RunWatched): a call into the node that does not return fails its
// rule after DefaultHangBound, and the rules after it are not run, since
// the stuck goroutine keeps a core busy and cannot be stopped.
func Run(t *testing.T, f raftapi.Factory, stages ...Stage) {
	t.Helper()
	want := make(map[Stage]bool, len(stages))
	for _, s := range stages {
		want[s] = true
	}
	var hung string // the rule whose call into the node never returned
	for _, r := range All() {
		if len(stages) > 0 && !want[r.Stage] {
			continue
		}
		t.Run(r.Name, func(t *testing.T) {
			t.Attr("rule", r.Paper)
			if hung != "" {
				t.Attr(AttrFailureKind, FailureKindHang)
				t.Attr(AttrFailureRule, props.TurnsReturn.Name())
				t.Fatalf("not run: a call into the node never returned in the rule test %s, and its goroutine cannot be stopped; fix that hang first", hung)
			}
			hang := r.RunWatched(t, f, DefaultHangBound)
			switch {
			case hang != nil:
				hung = r.Name
				t.Attr(AttrFailureKind, FailureKindHang)
				t.Attr(AttrFailureRule, props.TurnsReturn.Name())
				t.Error(hang.Error())
			case t.Failed():
				t.Attr(AttrFailureKind, FailureKindRule)
				t.Attr(AttrFailureRule, r.Prop.Name())
			}
		})
	}
}

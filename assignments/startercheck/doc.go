// Package startercheck checks the student starter kit, assignments/raft,
// from the outside: the unchanged starter must fail every stage, quickly
// and readably. It holds only a test.
//
// The starter's own tests (go test ./assignments/raft) are meant to fail
// until a student fills it in. In the course repository they carry the
// build constraint "starter", so that go test ./... at the root passes
// and this package runs them instead; the student handout is exported
// without the constraint. The test runs
//
//	go test -count=1 -json -tags=starter ./assignments/raft
//
// as a subprocess and reads its events: every stage's top-level test
// fails; every visible scenario of every stage fails with a report that
// names what was violated or expected (a LIVENESS, SAFETY or SCENARIO
// headline with the rule) and carries a replay command; every rule-level
// test that fails cites the paper; nothing panics or dumps goroutine
// stacks; and the whole run ends within a minute of wall time, so a
// student who runs go test on the starter gets an answer, not a hang.
//
// $RAFTLAB_STARTER_ROOT, when set, names the module root of the tree whose
// starter is checked: scripts/handout-check.sh points it at a copy of the
// handout, which itself does not hold this package (it would fail as soon
// as a student fills the starter in).
package startercheck

// Package startercheck checks the student starter kit, assignments/raft,
// from the outside: the unchanged starter must fail every stage, quickly
// and readably. It holds only a test.
//
// The starter's own tests (go test ./assignments/raft) are meant to fail
// until a student fills it in, so the project's test run leaves that
// package out and runs this one instead. The test runs
//
//	go test -count=1 -json ./assignments/raft
//
// as a subprocess and reads its events: every stage's top-level test
// fails; every visible scenario of every stage fails with a report that
// names what was violated or expected (a LIVENESS, SAFETY or SCENARIO
// headline with the rule) and carries a replay command; every rule-level
// test that fails cites the paper; nothing panics or dumps goroutine
// stacks; and the whole run ends within a minute of wall time, so a
// student who runs go test on the starter gets an answer, not a hang.
package startercheck

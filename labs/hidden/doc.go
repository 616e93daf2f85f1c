// Package hidden holds the grader's hidden scenarios: extra cases for each
// lab stage that students never see. The student handout export leaves
// this package out (it ships labs, sim, raftapi and assignments, without
// labs/hidden and without the reference in package raft), so a student
// cannot tune an implementation to these cases; they can only write Raft
// that is right.
//
// # What the hidden cases add
//
// Each stage gets variants of its visible scenarios under conditions the
// visible suite does not use: seven-node clusters, clock skew between nodes
// on every seed (sim.Config.ClockSkew fixed at ±10%, where the visible
// swarms draw 0, 5, 10 or 20% per seed; at ±10% the suggested timeouts —
// an election timeout of [20, 40) ticks, or the paper's 15–30, and a
// heartbeat every 10 ticks — leave a wide margin), lockstep ticks (every
// node ticks on the same phase, where timer bugs show), longer runs, other
// snapshot intervals and other fault mixes. None of them asks for more than the paper and the
// contract in package raftapi: a correct implementation passes every seed,
// and hidden_test.go runs every one against the reference to prove it.
//
// Those variants exercise the algorithm broadly but would let through the
// bugs that only a precise situation shows (timer rules, replies of an
// earlier term, receiver rules). So that the hidden set catches every bug
// class on its own, each stage also has two hidden cases built from the
// visible suite (variants.go): HiddenRules<Stage> runs the stage's
// rule-level tests against the implementation and fails with the first
// broken rule, and HiddenTargeted<Stage>SkewedLockstep runs each of the
// stage's targeted schedules again with lockstep ticks and skewed clocks.
// labs/hidden's mutant test measures which bugs the hidden set catches.
//
// # How the grader uses them
//
// The grader runs each stage with the hidden scenarios added and every
// seed shifted by a salt only it knows:
//
//	labs.RunStage(t, stage, impl,
//		labs.WithScenarios(hidden.Scenarios()...),
//		labs.WithSeedSalt(salt))
//
// RunStage runs the stage's visible suite and its rule-level tests as
// usual, then the hidden scenarios of that stage (WithScenarios ignores the
// others) as subtests of their own. The harness marks each of them with
// t.Attr("hidden", "true"), so a report built from go test -json can count
// them apart or hide their names and messages from students. With the salt,
// the visible scenarios also run on seeds a student has not replayed.
//
// Every hidden scenario's name starts with "Hidden", so that
// go test -run 'TestX/^Hidden' selects them alone.
package hidden

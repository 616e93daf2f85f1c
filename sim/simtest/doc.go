// Package simtest holds what the simulator's test packages share: Toy, a
// scriptable node that is not Raft (to make the world's checkers fire on
// purpose and observe its mechanics), and ScenarioKinds, the scenarios
// that between them exercise every kind of run the world makes.
//
// It is a package of its own, not a _test.go file, because more than one
// test package uses it (sim's own tests and sim/schematest). It is part of
// the student handout, so it must not import the reference
// implementation: ScenarioKinds leaves the Factory to its callers.
package simtest

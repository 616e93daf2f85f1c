// Package rules holds the rule-level tests of the course: one test per
// numbered receiver rule of RequestVote, AppendEntries and InstallSnapshot
// (Figure 2 and Figure 13 of the extended Raft paper, as written in the
// raftapi documentation) and per line of Figure 2's "Rules for Servers",
// plus the contract's own precise points (persistence at the end of a turn,
// fast-backup hints, snapshots and restart).
//
// Each test drives a single node through its handlers with constructed
// messages, the way etcd-io/raft's raft_paper_test.go does, and checks the
// node's replies, the RPCs it sends, what it applies, its state as
// [raftapi.Node.Inspect] reports it, and what it saved: saved bytes are the
// implementation's own business, so they are checked by restarting the node
// (calling the factory again over the same persister) and comparing the
// durable state before and after.
//
// The tests run against any [raftapi.Factory]: the reference in package
// raft, or a student's implementation in a lab suite:
//
//	func TestRules(t *testing.T) { rules.Run(t, raft.New, rules.Election) }
//
// Every rule belongs to the first lab [Stage] where it applies and checks
// one property of the catalogue (package props); every failure message
// starts with that property's name and section, as the simulator's reports
// do. A failure in a setup step (winning an election, following a
// leader's log) says which behaviour the step relies on, which rule tests
// check it and, when they belong to an earlier stage, that this test needs
// that stage first.
//
// Timing assumptions are loose: a node's election timeout may be anything
// up to 1000 ticks, and a leader must send heartbeats more often than its
// own election timeout. Where the contract leaves a choice to the
// implementation (batching, pipelining, when exactly to retry), the tests do
// not look at that choice. The tests grade the paper's algorithm: an
// implementation must not send PreVote requests while under these tests.
package rules

// Package fixturegen makes the browser tests' failing trace: a run of a
// lab scenario against a deliberately broken Raft (package brokenraft: it
// grants every vote), written as a trace in the current format. The
// committed fixture is checked here on every run, so a change of the trace
// format shows up as a failing Go test instead of a browser test that
// reads a stale file; regenerate it with
//
//	go test -tags raftlab_e2e ./web/e2e/fixturegen -run TestFailingTraceFixture -update
//
// The test needs the tag (it runs package brokenraft, which imports the
// reference), so the handout and a plain go test ./... skip it.
package fixturegen

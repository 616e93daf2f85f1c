// Package testjson reads the output of go test -json (cmd/test2json):
// each test's final action, its t.Attr records and its output. The
// starter check and the mutation tests read the suites' structured
// failure fields (the labs.Attr* records) through it instead of matching
// the text a student reads, so rewording a report cannot break them.
package testjson

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Event is one line of go test -json. An "attr" event carries one t.Attr
// record of the test in Key and Value.
type Event struct {
	Action string
	Test   string
	Output string
	Key    string
	Value  string
}

// Test is what the events said about one test.
type Test struct {
	Action string            // the final action: pass, fail or skip ("" if it never ended)
	Attrs  map[string]string // its t.Attr records, by key
	Output strings.Builder   // its output lines
}

// Run is a whole go test -json stream.
type Run struct {
	Tests map[string]*Test // by the test's full name, e.g. "TestElection/ReElection"
	Text  string           // every output line, and the lines that were not events (build errors)
}

// Read reads a go test -json stream to its end.
func Read(r io.Reader) (*Run, error) {
	run := &Run{Tests: map[string]*Test{}}
	var text strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24) // a failure report is one long output line
	for sc.Scan() {
		var ev Event
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			text.WriteString(sc.Text() + "\n") // not an event: build output
			continue
		}
		text.WriteString(ev.Output)
		if ev.Test == "" {
			continue
		}
		t := run.Tests[ev.Test]
		if t == nil {
			t = &Test{Attrs: map[string]string{}}
			run.Tests[ev.Test] = t
		}
		switch ev.Action {
		case "output":
			t.Output.WriteString(ev.Output)
		case "attr":
			t.Attrs[ev.Key] = ev.Value
		case "pass", "fail", "skip":
			t.Action = ev.Action
		}
	}
	run.Text = text.String()
	if err := sc.Err(); err != nil {
		return run, fmt.Errorf("read go test -json output: %w", err)
	}
	return run, nil
}

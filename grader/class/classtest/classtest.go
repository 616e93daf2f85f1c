// Package classtest makes a class of submissions for the grader's tests and
// benchmarks: copies of the reference (raft/*.go, without its tests), of
// the unfilled starter, and of buggy variants made by patching copies of
// the reference, each a known bug of the paper's rules. Nothing is
// committed: a class is generated into a temporary directory.
package classtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Patch replaces Old with New in one of the reference's files.
type Patch struct{ File, Old, New string }

// A Variant is one kind of submission.
type Variant struct {
	Name    string
	Starter bool    // the unfilled starter (assignments/raft) instead of the reference
	Patches []Patch // applied to the reference's files
	// FullMarks says whether it should score everything; the buggy
	// variants should lose points on some stage.
	FullMarks bool
}

var (
	noElectionRestriction = Patch{"election.go",
		"func (n *node) upToDate(lastTerm, lastIndex int) bool {\n",
		"func (n *node) upToDate(lastTerm, lastIndex int) bool {\n\tif lastTerm >= 0 {\n\t\treturn true // bug: no election restriction (§5.4.1)\n\t}\n"}
	neverPersist = Patch{"persist.go",
		"\tn.env.Persister().Save(n.buf, n.snapshot)\n",
		"\t_ = n.snapshot // bug: never saves (Figure 2: persistent state)\n"}
	commitOldTerm = Patch{"replication.go",
		"if N > n.commitIndex && n.log.term(N) == n.term {",
		"if N > n.commitIndex { // bug: commits earlier terms' entries by counting (§5.4.2, Figure 8)"}
)

// Variants are the kinds of submission a generated class holds.
var Variants = []Variant{
	{Name: "reference", FullMarks: true},
	{Name: "starter", Starter: true},
	{Name: "no-election-restriction", Patches: []Patch{noElectionRestriction}},
	{Name: "never-persist", Patches: []Patch{neverPersist}},
	{Name: "commit-old-term", Patches: []Patch{commitOldTerm}},
	{Name: "never-persist+commit-old-term", Patches: []Patch{neverPersist, commitOldTerm}},
}

// Student is one generated submission.
type Student struct {
	Name    string // its directory's name in the class
	Variant Variant
}

// Make writes n submissions into dir, one directory each (student-00-reference,
// …), cycling through Variants. Each student's files carry a comment
// naming the student, so no two submissions have the same content (as in
// a real class: the cache must not merge them). labRoot is the module
// root (holding raft/ and assignments/raft/).
func Make(tb testing.TB, labRoot, dir string, n int) []Student {
	tb.Helper()
	var out []Student
	for i := range n {
		v := Variants[i%len(Variants)]
		name := fmt.Sprintf("student-%02d-%s", i, strings.ReplaceAll(v.Name, "+", "-"))
		if err := Write(labRoot, filepath.Join(dir, name), v, name); err != nil {
			tb.Fatal(err)
		}
		out = append(out, Student{Name: name, Variant: v})
	}
	return out
}

// Write writes one variant's files into dir, tagged with a comment
// naming tag.
func Write(labRoot, dir string, v Variant, tag string) error {
	src := filepath.Join(labRoot, "raft")
	if v.Starter {
		src = filepath.Join(labRoot, "assignments", "raft")
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("classtest: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("classtest: %w", err)
	}
	applied := map[int]bool{}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return fmt.Errorf("classtest: %w", err)
		}
		text := string(b)
		for i, p := range v.Patches {
			if p.File != name {
				continue
			}
			if !strings.Contains(text, p.Old) {
				return fmt.Errorf("classtest: variant %s: %s no longer contains %q: update the patch", v.Name, name, p.Old)
			}
			text = strings.Replace(text, p.Old, p.New, 1)
			applied[i] = true
		}
		text += "\n// submitted by " + tag + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return fmt.Errorf("classtest: %w", err)
		}
	}
	for i, p := range v.Patches {
		if !applied[i] {
			return fmt.Errorf("classtest: variant %s: no file %s to patch", v.Name, p.File)
		}
	}
	return nil
}

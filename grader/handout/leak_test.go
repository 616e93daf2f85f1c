package handout_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The leak check: nothing of the reference (raft/) and of the hidden
// scenarios (labs/hidden/) may reach the handout, whatever file it would
// hide in. It collects, with go/parser, the names the secret packages
// declare (functions, methods, types, top-level constants and variables)
// and their distinctive string literals, and looks for each in the export.
//
// How the names to ignore are chosen: a name the handout must have is not
// a leak. Those are the names of the contract and of the world the node
// lives in — every identifier that occurs (declared or used) in raftapi,
// wire and sim — and those of the starter, which is laid out as the
// reference is on purpose (assignments/raft: New, endTurn, persist,
// sendRequestVote, ...); and the few in allowedNames, each with its
// reason. Test-only Go names (Test*, Benchmark*), the predeclared
// identifiers and names shorter than minIdent are not distinctive.
// Everything else the secret packages declare is. A secret name is looked
// for among the names the export's .go files declare (code that leaks
// must declare what it defines: a mere use would not compile without the
// package it came from; a local variable called "leader" in the suites is
// no leak), and, when it reads as code (camelCase, an underscore or a
// digit, which no English word has), as a word in the export's other files.
//
// A string literal is distinctive when it has minString characters
// without its fmt verbs and is not a citation of the paper (the public
// suites cite "Figure 2" as the hidden ones do); one that occurs inside a
// literal of the shared packages, or in allowedStrings, is not evidence.
// A distinctive literal is looked for in every file of the export.
const (
	minIdent  = 4
	minString = 16 // a literal shorter than this is too common to be evidence
)

// shared lists the lab's packages whose names the handout legitimately
// shares with the secret ones (see above).
var shared = []string{"raftapi", "wire", "sim", "assignments/raft"}

// secret lists the packages whose names and strings must not leak.
var secret = []string{"raft", "labs/hidden"}

type secrets struct {
	idents  map[string]string // name -> where it is declared
	strings map[string]string // literal -> where it occurs
}

func parseDir(t *testing.T, dir string, tests bool) []*ast.File {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var files []*ast.File
	fset := token.NewFileSet()
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || (!tests && strings.HasSuffix(n, "_test.go")) {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		files = append(files, f)
	}
	return files
}

// allIdents is every identifier that occurs in files.
func allIdents(files []*ast.File, into map[string]bool) {
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				into[id.Name] = true
			}
			return true
		})
	}
}

// declared is every name declared at the top level of files: functions,
// methods, types, constants and variables. Code that leaks must declare
// what it defines (a use alone would not compile without the package it
// came from), so a leaked name shows up here.
func declared(files []*ast.File, into map[string]bool) {
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				into[funcName(d)] = true
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						into[sp.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							into[n.Name] = true
						}
					}
				}
			}
		}
	}
}

// funcName is a function's name, and a method's Recv.Name: methods named
// after the paper's vocabulary (appendEntries, lastIndex, compact) occur
// on many types; a leaked one comes with its type.
func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + d.Name.Name
	}
	return d.Name.Name
}

func allStrings(files []*ast.File, into map[string]bool) {
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					into[s] = true
				}
			}
			return true
		})
	}
}

// allowedNames are names the secret packages declare that the handout
// declares too, for its own reasons, each with the reason.
var allowedNames = map[string]string{
	"Options":       "a common Go name: traceview.Options and localnet/storage.Options are the viewer's and the store's options",
	"electionBound": "the hidden scenarios use the visible suites' bounds under the suites' own names (labs/checks.go)",
	"agreeBound":    "as electionBound",
	"Scenarios":     "each package's list of its own scenarios: labs.Scenarios(stage) for the public suites, hidden.Scenarios() for the hidden ones",
	"ents":          "a test helper building entries of given terms, in the reference's tests and in the public rule tests alike",
}

// allowedStrings are distinctive literals of the secret packages that the
// handout legitimately has, each with the reason.
var allowedStrings = map[string]string{
	"leader has XTerm": "the fast-backup case of the contract's XTerm hint (raftapi), which the public rule tests name too",
}

// citation matches a literal that cites the paper: the suites cite it as
// the hidden scenarios and the reference do.
var citation = regexp.MustCompile(`^(§|Figure )`)

// verb matches a fmt verb.
var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

// distinctive says whether a literal is evidence of where it came from:
// long enough without its fmt verbs, and not a citation of the paper.
func distinctive(l string) bool {
	return len(strings.TrimSpace(verb.ReplaceAllString(l, ""))) >= minString && !citation.MatchString(l)
}

// inAny says whether l occurs in one of the literals of set.
func inAny(set map[string]bool, l string) bool {
	for s := range set {
		if strings.Contains(s, l) {
			return true
		}
	}
	return false
}

var testName = regexp.MustCompile(`^(Test|Benchmark|Example|Fuzz)`)

func collectSecrets(t *testing.T, lab string) secrets {
	t.Helper()
	ok := map[string]bool{}
	okStrings := map[string]bool{}
	for _, p := range shared {
		files := parseDir(t, filepath.Join(lab, filepath.FromSlash(p)), true)
		allIdents(files, ok)
		allStrings(files, okStrings)
	}
	predeclared := predeclaredNames()
	s := secrets{idents: map[string]string{}, strings: map[string]string{}}
	for _, p := range secret {
		// The reference's and the hidden scenarios' tests are secret too
		// (their helpers, their names).
		for _, f := range parseDir(t, filepath.Join(lab, filepath.FromSlash(p)), true) {
			names := map[string]bool{}
			declared([]*ast.File{f}, names)
			for name := range names {
				base := name[strings.LastIndex(name, ".")+1:]
				if len(base) >= minIdent && !ok[base] && !predeclared[base] && !testName.MatchString(base) && base != "_" && allowedNames[name] == "" {
					s.idents[name] = p
				}
			}
			lits := map[string]bool{}
			allStrings([]*ast.File{f}, lits)
			for l := range lits {
				if distinctive(l) && !inAny(okStrings, l) && allowedStrings[l] == "" {
					s.strings[l] = p
				}
			}
		}
	}
	return s
}

// predeclaredNames are Go's predeclared identifiers and the special
// function names, which every package may use.
func predeclaredNames() map[string]bool {
	set := map[string]bool{}
	for _, n := range strings.Fields(`bool byte comparable complex64 complex128 error float32 float64 int int8 int16
		int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any true false iota nil append cap clear
		close complex copy delete imag len make max min new panic print println real recover main init`) {
		set[n] = true
	}
	return set
}

var codeLike = regexp.MustCompile(`[a-z][A-Z]|_|[0-9]`)

// checkNoLeak fails for every secret name or string the export holds.
func checkNoLeak(t *testing.T, lab, export string) {
	t.Helper()
	require.Empty(t, findLeaks(t, lab, export), "the handout holds what only instructors get")
}

// findLeaks lists the secret names and strings found in export.
func findLeaks(t *testing.T, lab, export string) []string {
	t.Helper()
	s := collectSecrets(t, lab)
	// The check must have something to check: a reference and hidden
	// scenarios of any size declare names of their own.
	require.Greater(t, len(s.idents), 20, "too few secret names collected: the collection is broken")
	require.Greater(t, len(s.strings), 10, "too few secret strings collected: the collection is broken")
	t.Logf("leak check: %d secret names, %d secret strings", len(s.idents), len(s.strings))

	exportIdents := map[string][]string{}
	var texts []struct{ rel, text string }
	require.NoError(t, filepath.WalkDir(export, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(export, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		texts = append(texts, struct{ rel, text string }{rel, string(data)})
		if strings.HasSuffix(rel, ".go") {
			f, err := parser.ParseFile(token.NewFileSet(), p, data, parser.SkipObjectResolution)
			require.NoError(t, err, "the export's %s does not parse", rel)
			ids := map[string]bool{}
			declared([]*ast.File{f}, ids)
			for id := range ids {
				exportIdents[id] = append(exportIdents[id], rel)
			}
		}
		return nil
	}))

	var leaks []string
	for name, from := range s.idents {
		if files := exportIdents[name]; len(files) > 0 {
			leaks = append(leaks, "identifier "+name+" (of "+from+") in "+strings.Join(files, ", "))
		}
		base := name[strings.LastIndex(name, ".")+1:]
		if !codeLike.MatchString(base) {
			continue
		}
		word := regexp.MustCompile(`\b` + regexp.QuoteMeta(base) + `\b`)
		for _, f := range texts {
			if !strings.HasSuffix(f.rel, ".go") && word.MatchString(f.text) {
				leaks = append(leaks, "name "+name+" (of "+from+") in "+f.rel)
			}
		}
	}
	for lit, from := range s.strings {
		for _, f := range texts {
			if strings.Contains(f.text, lit) {
				leaks = append(leaks, "string "+strconv.Quote(lit)+" (of "+from+") in "+f.rel)
			}
		}
	}
	slices.Sort(leaks)
	return leaks
}

// TestLeakCheckFindsLeaks: the check finds a reference file pasted into
// a kept package under another name, and a hidden scenario named in a
// document.
func TestLeakCheckFindsLeaks(t *testing.T) {
	lab := labRoot(t)
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(lab, "raft", "log.go"))
	require.NoError(t, err)
	src = []byte(strings.Replace(string(src), "package raft", "package labs", 1))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "labs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "labs", "util.go"), src, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("Also try HiddenSevenSkewedReElection.\n"), 0o644))
	leaks := findLeaks(t, lab, dir)
	joined := strings.Join(leaks, "\n")
	assert.Contains(t, joined, "identifier raftLog (of raft) in labs/util.go")
	assert.Contains(t, joined, `string "HiddenSevenSkewedReElection" (of labs/hidden) in NOTES.md`)
}

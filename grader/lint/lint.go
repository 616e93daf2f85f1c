// Package lint checks a submission's source before it is built: an import
// allow-list (refusals: the submission is not built) and a determinism
// lint (warnings: the rubric decides what they cost).
//
// # The allow-list
//
// A submission may import the contract (github.com/raftlab/raftlab/raftapi)
// and the standard library packages in Allowed: data structures,
// encodings, formatting, math, sorting, strings, and time (for
// durations; reading the clock is a warning) and math/rand and
// math/rand/v2 (for the *rand.Rand that Env.Rand returns; the global
// generator is a warning). Nothing on the list can read the environment
// or a file, open a socket, start a process, exit the process or reach
// memory the type system does not give it: so a submission cannot read
// the grader's per-run secret, write to the report's file descriptor, or
// tamper with the harness it shares a process with.
//
// Refused, naming file:line: unsafe and any //go:linkname (which breaks
// the type system), os and its subpackages, io/ioutil, syscall, net, plugin,
// reflect, runtime and its subpackages, log (log.Fatal exits the process),
// C (cgo), //go:embed, the reference (github.com/raftlab/raftlab/raft), the
// lab's other packages, and everything else not on the list.
//
// # The determinism lint
//
// Runs must be reproducible from a seed (a failing seed is replayed). The
// lint warns, naming file:line, on go statements, reading the wall clock
// or waiting on it (time.Now, Since, Until, Sleep, After, AfterFunc, Tick,
// NewTimer, NewTicker), the global math/rand generators, and every range
// over a map: Go randomizes map order on purpose, so a loop over a map that
// sends, appends, returns or decides anything behaves differently on
// every run. A loop whose effect does not depend on the order (summing,
// counting) is fine and the warning says so; the lint cannot tell them
// apart reliably, so it names every one.
package lint

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/raftlab/raftlab/grader/result"
)

// The contract package, the only package of the lab a submission may use,
// and the reference, named in its refusal.
const (
	ContractPackage  = "github.com/raftlab/raftlab/raftapi"
	ReferencePackage = "github.com/raftlab/raftlab/raft"
	labModule        = "github.com/raftlab/raftlab"
)

// Allowed lists the standard library packages a submission may import.
var Allowed = []string{
	"bytes", "cmp", "container/heap", "container/list", "container/ring",
	"encoding/binary", "encoding/gob", "encoding/json", "errors", "fmt",
	"hash", "hash/crc32", "hash/crc64", "hash/fnv", "io", "iter", "maps",
	"math", "math/bits", "math/rand", "math/rand/v2", "slices", "sort",
	"strconv", "strings", "sync", "sync/atomic", "time", "unicode",
	"unicode/utf8",
}

// refusedWhy explains the packages refused by name.
var refusedWhy = map[string]string{
	"unsafe":    "unsafe breaks the type system: it could reach the harness's memory",
	"os":        "os reads the environment and files and exits the process",
	"io/ioutil": "io/ioutil reads and writes files",
	"syscall":   "syscall reaches the operating system directly",
	"net":       "the network is off limits",
	"plugin":    "plugin loads code",
	"reflect":   "reflect reaches memory the type system does not give",
	"runtime":   "runtime controls the process (Goexit, GC, stacks)",
	"log":       "log.Fatal exits the process",
	"C":         "cgo is not allowed: pure Go only",
}

// ImportVerdict says whether a submission may import p, and if not why.
func ImportVerdict(p string) (ok bool, why string) {
	if p == ContractPackage {
		return true, ""
	}
	for _, a := range Allowed {
		if p == a {
			return true, ""
		}
	}
	if w, ok := refusedWhy[p]; ok {
		return false, w
	}
	for _, pre := range []string{"os", "net", "runtime", "syscall"} {
		if strings.HasPrefix(p, pre+"/") {
			return false, refusedWhy[pre]
		}
	}
	switch {
	case p == ReferencePackage || strings.HasPrefix(p, ReferencePackage+"/"):
		return false, "it is the reference implementation: write your own"
	case strings.HasPrefix(p, labModule+"/"):
		return false, "of the lab, only " + ContractPackage + " may be imported"
	case !strings.Contains(strings.Split(p, "/")[0], "."):
		return false, "not on the grader's allow-list of standard library packages (" + strings.Join(Allowed, ", ") + ")"
	}
	return false, "only the standard library and " + ContractPackage + " may be imported (the build is offline)"
}

// Report is what the lint found.
type Report struct {
	Refusals []result.Finding // the submission must not be built
	Warnings []result.Finding // determinism warnings
}

// Rules of the findings.
const (
	RuleForbiddenImport = "forbidden import"
	RuleDirective       = "forbidden directive"
	RuleSyntax          = "syntax"
	RuleGoroutine       = "goroutine"
	RuleWallClock       = "wall clock"
	RuleGlobalRand      = "global randomness"
	RuleMapRange        = "map range"
)

// forbiddenDirectives are //go: directives a submission may not use.
var forbiddenDirectives = []string{"//go:linkname", "//go:embed", "//go:cgo_", "//go:wasmimport", "//go:wasmexport", "//export "}

// Check lints the files (base name → content) of one package.
func Check(files map[string][]byte) Report {
	var rep Report
	fset := token.NewFileSet()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var parsed []*ast.File
	for _, n := range names {
		f, err := parser.ParseFile(fset, n, files[n], parser.ParseComments|parser.SkipObjectResolution)
		if f == nil {
			rep.Refusals = append(rep.Refusals, result.Finding{File: n, Rule: RuleSyntax, Message: err.Error()})
			continue
		}
		// A syntax error is left for the compiler to report (with its
		// line); the imports and directives are still checked.
		rep.Refusals = append(rep.Refusals, checkImports(fset, f)...)
		rep.Refusals = append(rep.Refusals, checkDirectives(fset, f)...)
		if err == nil {
			parsed = append(parsed, f)
		}
	}
	rep.Warnings = determinism(fset, parsed)
	return rep
}

func at(fset *token.FileSet, pos token.Pos) (string, int) {
	p := fset.Position(pos)
	return p.Filename, p.Line
}

func checkImports(fset *token.FileSet, f *ast.File) []result.Finding {
	var out []result.Finding
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		if ok, why := ImportVerdict(p); !ok {
			file, line := at(fset, imp.Pos())
			out = append(out, result.Finding{File: file, Line: line, Rule: RuleForbiddenImport,
				Message: fmt.Sprintf("%s:%d: import %q is not allowed: %s", file, line, p, why)})
		}
	}
	return out
}

func checkDirectives(fset *token.FileSet, f *ast.File) []result.Finding {
	var out []result.Finding
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			for _, d := range forbiddenDirectives {
				if strings.HasPrefix(c.Text, d) {
					file, line := at(fset, c.Pos())
					out = append(out, result.Finding{File: file, Line: line, Rule: RuleDirective,
						Message: fmt.Sprintf("%s:%d: the directive %s is not allowed (it reaches past the type system, embeds files or calls C)", file, line, strings.TrimSpace(d))})
				}
			}
		}
	}
	return out
}

// clockFuncs are the time package's functions that read or wait on the
// wall clock.
var clockFuncs = map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true}

// randCtors are math/rand's package-level functions that build a private
// generator: not the global one.
var randCtors = map[string]bool{"New": true, "NewSource": true, "NewPCG": true, "NewChaCha8": true, "NewZipf": true}

// determinism finds the determinism warnings. Map ranges need types: the
// package is type-checked with every import faked empty (the lint must
// not build anything), which still types the student's own maps.
func determinism(fset *token.FileSet, files []*ast.File) []result.Finding {
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: fakeImporter{}, Error: func(error) {}}
	_, _ = conf.Check("raft", fset, files, info) // errors are expected: the imports are empty

	var out []result.Finding
	add := func(pos token.Pos, rule, format string, args ...any) {
		file, line := at(fset, pos)
		out = append(out, result.Finding{File: file, Line: line, Rule: rule,
			Message: fmt.Sprintf("%s:%d: ", file, line) + fmt.Sprintf(format, args...)})
	}
	for _, f := range files {
		imports := map[string]string{} // local name → path
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			name := path.Base(p)
			if p == "math/rand/v2" {
				name = "rand"
			}
			if imp.Name != nil {
				name = imp.Name.Name
			}
			imports[name] = p
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				add(n.Pos(), RuleGoroutine, "a go statement: a node is single-threaded and the driver never runs two turns at once; a goroutine runs outside the simulated world, at a time the seed does not fix, so runs stop being reproducible (and it races with the driver)")
			case *ast.SelectorExpr:
				id, ok := n.X.(*ast.Ident)
				if !ok {
					return true
				}
				if obj, ok := info.Uses[id]; ok {
					if _, isPkg := obj.(*types.PkgName); !isPkg {
						return true // a local variable shadows the package
					}
				}
				switch imports[id.Name] {
				case "time":
					if clockFuncs[n.Sel.Name] {
						add(n.Pos(), RuleWallClock, "time.%s reads or waits on the wall clock: the simulated world's time is the ticks (Tick every raftapi.TickInterval); count ticks instead", n.Sel.Name)
					}
				case "math/rand", "math/rand/v2":
					if isFunc(n.Sel.Name) && !randCtors[n.Sel.Name] {
						add(n.Pos(), RuleGlobalRand, "rand.%s uses the global generator, seeded differently on every run: use env.Rand(), which the seed fixes", n.Sel.Name)
					}
				}
			case *ast.RangeStmt:
				if tv, ok := info.Types[n.X]; ok && tv.Type != nil {
					if _, isMap := tv.Type.Underlying().(*types.Map); isMap {
						add(n.Pos(), RuleMapRange, "range over a map: Go randomizes map order on every run, so if this loop sends, appends to a log, returns or decides anything, the run is not reproducible from its seed; iterate the sorted keys (slices.Sorted(maps.Keys(m))) or use a slice (fine as it is if the order cannot matter, e.g. counting)")
					}
				}
			}
			return true
		})
	}
	return out
}

// isFunc says whether a package-level name is a function by convention:
// math/rand's exported types and functions are told apart by name.
func isFunc(name string) bool {
	switch name {
	case "Rand", "Source", "Source64", "PCG", "ChaCha8", "Zipf":
		return false
	}
	return true
}

// fakeImporter gives every import an empty, complete package.
type fakeImporter struct{}

func (fakeImporter) Import(p string) (*types.Package, error) {
	name := path.Base(p)
	if p == "math/rand/v2" {
		name = "rand"
	}
	pkg := types.NewPackage(p, name)
	pkg.MarkComplete()
	return pkg, nil
}

package docscheck

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// root is the repository's root, from this package's directory.
const root = "../.."

// TestHandoutsNameOnlyWhatExists: every command the handouts and the
// documentation tell people to type (README.md, assignments/*.md,
// docs/*.md) names flags, commands, subcommands, packages and files that
// exist. go test's flags come from go help and from the flag definitions
// of the test packages (labs/flags.go); a command's from its -h, built
// from cmd/. It needs the commands only instructors get (cmd/raftsim,
// cmd/soak, cmd/grader, cmd/localnet), hence the file's name.
func TestHandoutsNameOnlyWhatExists(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every command the documents name; skipped under -short")
	}
	docs := documents(t)
	entries, err := os.ReadDir(filepath.Join(root, "cmd"))
	require.NoError(t, err)
	var cmds []string
	for _, e := range entries {
		if e.IsDir() {
			cmds = append(cmds, e.Name())
		}
	}
	var all []Command
	for _, d := range docs {
		b, err := os.ReadFile(filepath.Join(root, d))
		require.NoError(t, err)
		all = append(all, Extract(d, b, cmds)...)
	}
	require.Greater(t, len(all), 50, "the documents name commands; the extraction found too few")

	k := &Known{GoTest: goTestFlags(t), Tools: map[string]*Tool{}, Exists: func(p string) bool {
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
		return err == nil
	}}
	for name, firsts := range toolsNamed(all, cmds) {
		k.Tools[name] = probe(t, name, firsts)
	}
	checked := map[string]bool{}
	for _, c := range all {
		for _, p := range k.Check(c) {
			t.Error(p.String())
		}
		checked[c.Args[0]] = true
	}
	for _, want := range []string{"go", "raftview"} {
		require.True(t, checked[want], "no command of %s was found in the documents", want)
	}
}

// documents are the Markdown files the check reads, relative to root.
func documents(t *testing.T) []string {
	t.Helper()
	docs := []string{"README.md"}
	for _, pat := range []string{"assignments/*.md", "docs/*.md"} {
		m, err := filepath.Glob(filepath.Join(root, pat))
		require.NoError(t, err)
		for _, f := range m {
			rel, err := filepath.Rel(root, f)
			require.NoError(t, err)
			docs = append(docs, filepath.ToSlash(rel))
		}
	}
	return docs
}

// goTestFlags are go test's own flags and go build's (from go help) and
// those the repository's test packages define with the flag package.
func goTestFlags(t *testing.T) FlagSet {
	t.Helper()
	f := FlagSet{}
	for _, topic := range []string{"testflag", "test", "build"} {
		out, err := exec.Command("go", "help", topic).CombinedOutput()
		require.NoError(t, err, "go help %s: %s", topic, out)
		for n, v := range ParseGoHelp(string(out)) {
			f[n] = v
		}
	}
	require.Contains(t, f, "run", "go help's format changed: no -run found")
	for n, v := range packageFlags(t) {
		f[n] = v
	}
	require.Contains(t, f, "seeds", "labs/flags.go's -seeds was not found")
	return f
}

// packageFlags reads the flags registered with the flag package's
// functions (flag.Bool("name", ...), flag.StringVar(&v, "name", ...)) in
// the repository outside cmd/, where test packages register theirs.
func packageFlags(t *testing.T) FlagSet {
	t.Helper()
	f := FlagSet{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "cmd" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "flag" {
				return true
			}
			fn := sel.Sel.Name
			i := 0
			if strings.HasSuffix(fn, "Var") {
				i = 1
			}
			if i >= len(call.Args) {
				return true
			}
			lit, ok := call.Args[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			name, err := strconv.Unquote(lit.Value)
			if err == nil {
				f[name] = !strings.HasPrefix(fn, "Bool")
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	return f
}

// toolsNamed maps each command under cmd/ that the documents run to the
// first non-flag arguments they give it (candidate subcommands).
func toolsNamed(all []Command, cmds []string) map[string][]string {
	out := map[string][]string{}
	add := func(name string, args []string) {
		if !slices.Contains(cmds, name) {
			return
		}
		firsts := out[name]
		for _, a := range args {
			if !isFlagWord(a) {
				if !slices.Contains(firsts, a) {
					firsts = append(firsts, a)
				}
				break
			}
			if !strings.Contains(a, "=") {
				break // a flag's value may follow: the first argument is not told apart from it
			}
		}
		out[name] = firsts
	}
	for _, c := range all {
		switch w := c.Args; {
		case c.Lone:
			if len(c.Context) >= 3 && c.Context[0] == "go" && c.Context[1] == "run" {
				add(strings.TrimPrefix(c.Context[2], "./cmd/"), nil)
			}
		case len(w) >= 3 && w[0] == "go" && w[1] == "run":
			add(strings.TrimPrefix(w[2], "./cmd/"), w[3:])
		case w[0] != "go" && w[0] != "bash":
			add(w[0], w[1:])
		}
	}
	return out
}

// usageOfRE finds "usage: X sub" or "Usage of X sub:" in -h output.
func usageOf(name, sub string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)usage(?::| of)\s+` + regexp.QuoteMeta(name) + `\s+` + regexp.QuoteMeta(sub) + `\b`)
}

// probe builds cmd/name and asks it, with -h, for its flags and for those
// of each candidate subcommand; a candidate it refuses as a command is
// recorded, any other is taken for an ordinary argument.
func probe(t *testing.T, name string, firsts []string) *Tool {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, filepath.Join(root, "cmd", name)).CombinedOutput()
	require.NoError(t, err, "go build ./cmd/%s: %s", name, out)
	run := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = t.TempDir()          // nothing a command might write lands in the repository
		out, _ := cmd.CombinedOutput() // -h exits 0 or 2 depending on the command
		require.NoError(t, ctx.Err(), "%s %s did not return", name, strings.Join(args, " "))
		return string(out)
	}
	tool := &Tool{Flags: ParseUsage(run("-h")), Sub: map[string]FlagSet{}, Refused: map[string]string{}}
	for _, a := range firsts {
		out := run(a, "-h")
		switch {
		case usageOf(name, a).MatchString(out):
			tool.Sub[a] = ParseUsage(out)
		case strings.Contains(out, "unknown command") || strings.Contains(out, "unexpected argument"):
			first, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
			tool.Refused[a] = first
		}
	}
	return tool
}

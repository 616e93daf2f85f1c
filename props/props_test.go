package props_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/props"
)

func TestCatalogue(t *testing.T) {
	all := props.All()
	require.NotEmpty(t, all)
	names := map[string]props.ID{}
	for _, id := range all {
		p := id.Get()
		assert.NotEmpty(t, p.Name, "property %d has no name", int(id))
		assert.NotEmpty(t, p.Statement, "%s has no statement", p.Name)
		assert.NotZero(t, p.Kind, "%s has no kind", p.Name)
		if p.Kind != props.Harness {
			assert.NotEmpty(t, p.Section, "%s has no section: every rule of Raft or of the contract says where it is written", p.Name)
		}
		if other, dup := names[p.Name]; dup {
			t.Errorf("properties %d and %d are both named %q: one rule, one name", int(other), int(id), p.Name)
		}
		names[p.Name] = id
		got, ok := props.ByName(p.Name)
		assert.True(t, ok)
		assert.Equal(t, id, got)
		assert.Equal(t, p.Name, id.String())
	}
	_, ok := props.ByName("no such rule")
	assert.False(t, ok)
	assert.Equal(t, "Election Safety (§5.2)", props.ElectionSafety.Cite())
	assert.Equal(t, "event budget", props.EventBudget.Cite())
	assert.Equal(t, "props.ID(0)", props.ID(0).String())
	assert.Panics(t, func() { props.ID(0).Get() })
}

// TestEveryReportedRuleIsCatalogued reads the simulator's and the labs'
// source and checks every Failure they build: its rule name must come
// from the catalogue (by a props.ID), never a literal. Scenario reports (Cluster.Failf, FailLiveness) and
// the checkers take a props.ID, so they hold by construction.
func TestEveryReportedRuleIsCatalogued(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	failures := 0
	for _, dir := range []string{"sim", "labs", "nodehost"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok || !isFailureType(lit.Type) {
					return true
				}
				failures++
				rule, paper := fieldLit(lit, "Rule"), fieldLit(lit, "Paper")
				pos := fset.Position(lit.Pos())
				pos.Filename = rel
				if rule == nil {
					if paper != nil {
						t.Errorf("%s: a Failure with a literal Paper %s: take the section from the catalogue", pos, paper.Value)
					}
					return true
				}
				name, err := strconv.Unquote(rule.Value)
				require.NoError(t, err)
				if _, ok := props.ByName(name); !ok {
					t.Errorf("%s: rule %q is not in the catalogue (package props)", pos, name)
				} else {
					t.Errorf("%s: rule %q spelled as a literal: name its props.ID and take Name() and Section() from it", pos, name)
				}
				return true
			})
			return nil
		})
		require.NoError(t, err)
	}
	require.Greater(t, failures, 10, "found too few Failure literals: the scan is not reading the simulator")
}

// isFailureType reports whether a composite literal's type is Failure or
// sim.Failure.
func isFailureType(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "Failure"
	case *ast.SelectorExpr:
		return e.Sel.Name == "Failure"
	}
	return false
}

// fieldLit returns the string literal a keyed composite literal gives
// field name, or nil.
func fieldLit(lit *ast.CompositeLit, name string) *ast.BasicLit {
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if k, ok := kv.Key.(*ast.Ident); ok && k.Name == name {
			if b, ok := kv.Value.(*ast.BasicLit); ok && b.Kind == token.STRING {
				return b
			}
		}
	}
	return nil
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test's directory")
		dir = parent
	}
}

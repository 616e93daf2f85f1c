package intake

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodFile = "package raft\n\nfunc New() {}\n"

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
}

func load(t *testing.T, spec string, lim Limits) *Submission {
	t.Helper()
	s, err := Load(context.Background(), spec, lim)
	require.NoError(t, err)
	return s
}

func joined(s []string) string { return strings.Join(s, "\n") }

func refusals(s *Submission) string {
	var out []string
	for _, r := range s.Refusals {
		out = append(out, r.Rule+": "+r.Message)
	}
	return joined(out)
}

func TestLoadDirectoryKeepsOnlyPackageGoFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"raft.go":        goodFile,
		"log.go":         "package raft\n",
		"raft_test.go":   "package raft\n",
		"go.mod":         "module evil\n",
		"asm_amd64.s":    "TEXT ·x(SB),0,$0\n",
		"helper.c":       "int x;\n",
		"README.md":      "hi\n",
		"tagged.go":      "//go:build linux\n\npackage raft\n",
		"sub/extra.go":   "package raft\n",
		".git/config":    "[core]\n",
		"_ignored.go":    "package raft\n",
		"embedded.txt":   "secret\n",
		"other/other.go": "package other\n",
	})
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.go")))
	s := load(t, dir, Limits{})
	assert.Empty(t, s.Refusals)
	assert.Equal(t, []string{"log.go", "raft.go"}, s.Names())
	notes := joined(s.Notes)
	for _, want := range []string{
		"raft_test.go: a test file, ignored", "go.mod: ignored (the lab's own module is used)",
		"asm_amd64.s: assembly, C or object files are not taken", "helper.c: assembly, C",
		"README.md: not a Go file", "tagged.go: has a build constraint", "sub/extra.go: outside the package's directory",
		".git/: ignored", "passwd.go: a symlink, ignored", "_ignored.go: Go ignores",
	} {
		assert.Contains(t, notes, want)
	}
	assert.True(t, strings.HasPrefix(s.Hash, "sha256:"))
}

func TestLoadRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		lim   Limits
		want  string
	}{
		{"wrong package", map[string]string{"raft.go": "// c\npackage main\n"}, Limits{}, "package name: raft.go:2: package main"},
		{"empty", map[string]string{"notes.txt": "x"}, Limits{}, "no Go files"},
		{"only tests", map[string]string{"raft_test.go": goodFile}, Limits{}, "no Go files"},
		{"too large", map[string]string{"raft.go": goodFile + strings.Repeat("// x\n", 100)}, Limits{MaxFileBytes: 100}, "file too large: raft.go is"},
		{"too many", map[string]string{"a.go": goodFile, "b.go": goodFile, "c.txt": "", "d.txt": ""}, Limits{MaxFiles: 3}, "too many files"},
		{"too many go files", map[string]string{"a.go": goodFile, "b.go": goodFile, "c.go": goodFile}, Limits{MaxGoFiles: 2}, "the package has 3 Go files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tc.files)
			s := load(t, dir, tc.lim)
			assert.Contains(t, refusals(s), tc.want)
		})
	}
}

// The package is found in a whole fork of the lab, or inside the one
// directory an archive wraps everything in; the hash is the same however
// the files came.
func TestLoadFindsThePackage(t *testing.T) {
	flat := t.TempDir()
	write(t, flat, map[string]string{"raft.go": goodFile})
	fork := t.TempDir()
	write(t, fork, map[string]string{"go.mod": "module x\n", "raft/raft.go": "package raft\n// the reference\n", "assignments/raft/raft.go": goodFile})
	wrapped := t.TempDir()
	write(t, wrapped, map[string]string{"alice-lab/raft.go": goodFile, "alice-lab/NOTES": "x"})
	want := load(t, flat, Limits{}).Hash
	for _, dir := range []string{fork, wrapped} {
		s := load(t, dir, Limits{})
		assert.Empty(t, s.Refusals)
		assert.Equal(t, []string{"raft.go"}, s.Names())
		assert.Equal(t, want, s.Hash)
	}
}

func TestLoadZip(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range map[string]string{"lab/raft.go": goodFile, "lab/raft_test.go": "package raft\n"} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, _ = w.Write([]byte(data))
	}
	require.NoError(t, zw.Close())
	p := filepath.Join(t.TempDir(), "alice.zip")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	s := load(t, p, Limits{})
	assert.Equal(t, "alice.zip", s.Name)
	assert.Empty(t, s.Refusals)
	assert.Equal(t, []string{"raft.go"}, s.Names())
}

func TestLoadTarGzRefusesEscapesAndIgnoresLinks(t *testing.T) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(h *tar.Header, data string) {
		h.Size = int64(len(data))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		require.NoError(t, tw.WriteHeader(h))
		_, err := tw.Write([]byte(data))
		require.NoError(t, err)
	}
	add(&tar.Header{Name: "raft.go", Typeflag: tar.TypeReg}, goodFile)
	add(&tar.Header{Name: "etc", Typeflag: tar.TypeSymlink, Linkname: "/etc"}, "")
	add(&tar.Header{Name: "hard.go", Typeflag: tar.TypeLink, Linkname: "raft.go"}, "")
	add(&tar.Header{Name: "../up.go", Typeflag: tar.TypeReg}, "package raft\n")
	add(&tar.Header{Name: "/abs.go", Typeflag: tar.TypeReg}, "package raft\n")
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	p := filepath.Join(t.TempDir(), "bob.tar.gz")
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	s := load(t, p, Limits{})
	r := refusals(s)
	assert.Contains(t, r, `"../up.go" climbs out of the archive`)
	assert.Contains(t, r, `"/abs.go" has an absolute`)
	assert.Contains(t, joined(s.Notes), "etc: a link in the archive (to /etc), ignored")
	assert.Contains(t, joined(s.Notes), "hard.go: a link in the archive")
	assert.Equal(t, []string{"raft.go"}, s.Names())
}

func TestLoadGitAtCommit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	repo := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.name=s", "-c", "user.email=s@x", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	write(t, repo, map[string]string{"assignments/raft/raft.go": goodFile, "README.md": "x"})
	git("add", ".")
	git("commit", "-qm", "first")
	first := git("rev-parse", "HEAD")
	write(t, repo, map[string]string{"assignments/raft/raft.go": goodFile + "// later\n", "assignments/raft/extra.go": "package raft\n"})
	git("add", ".")
	git("commit", "-qm", "second")

	head := load(t, repo, Limits{})
	assert.Equal(t, []string{"extra.go", "raft.go"}, head.Names())
	old := load(t, repo+"@"+first, Limits{})
	assert.Equal(t, []string{"raft.go"}, old.Names())
	assert.Equal(t, goodFile, string(old.Files["raft.go"]))
	assert.Equal(t, filepath.Base(repo)+"@"+first, old.Name)

	_, err := Load(context.Background(), repo+"@no-such-rev", Limits{})
	assert.Error(t, err)
	_, err = Load(context.Background(), "https://example.com/x.git", Limits{})
	assert.ErrorContains(t, err, "only local paths")
	_, err = Load(context.Background(), t.TempDir()+"@HEAD", Limits{})
	assert.ErrorContains(t, err, "not a git repository")

	// A repository holding the package's files at its top level: @commit
	// reads that commit, not the working tree.
	repo = t.TempDir()
	git("init", "-q")
	write(t, repo, map[string]string{"raft.go": goodFile})
	git("add", ".")
	git("commit", "-qm", "first")
	first = git("rev-parse", "HEAD")
	write(t, repo, map[string]string{"extra.go": "package raft\n"})
	git("add", ".")
	git("commit", "-qm", "second")
	assert.Equal(t, []string{"raft.go"}, load(t, repo+"@"+first, Limits{}).Names())
	assert.Equal(t, []string{"extra.go", "raft.go"}, load(t, repo, Limits{}).Names(), "without @commit the working tree is graded")
}

func TestIgnoreMatchesLikeGit(t *testing.T) {
	ig, err := ParseIgnore([]byte("# c\n/raft/\n*_reference_test.go\n/labs/hidden/\n/.handoutignore\n"))
	require.NoError(t, err)
	for _, tc := range []struct {
		path  string
		dir   bool
		match bool
	}{
		{"raft", true, true},
		{"assignments/raft", true, false},
		{"labs/harness_reference_test.go", false, true},
		{"labs/hidden", true, true},
		{"labs", true, false},
		{".handoutignore", false, true},
		{"raft", false, false},
	} {
		assert.Equal(t, tc.match, ig.Match(tc.path, tc.dir), tc.path)
	}
	_, err = ParseIgnore([]byte("labs/hidden/\n"))
	assert.Error(t, err)
}

// The build tree holds the lab's handout files and the student's, and not
// the reference, the hidden scenarios (unless asked), the mutants, or any
// test file.
func TestAssemble(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	dir := t.TempDir()
	write(t, dir, map[string]string{"sub/raft.go": goodFile})
	s := load(t, filepath.Join(dir, "sub"), Limits{})
	for _, hidden := range []bool{false, true} {
		tree := t.TempDir()
		pkg, err := Assemble(tree, s, AssembleOptions{LabRoot: root, Hidden: hidden})
		require.NoError(t, err)
		assert.Equal(t, filepath.Join(tree, "assignments", "raft"), pkg)
		ents, err := os.ReadDir(pkg)
		require.NoError(t, err)
		require.Len(t, ents, 1)
		assert.Equal(t, "raft.go", ents[0].Name())
		assert.FileExists(t, filepath.Join(tree, "go.mod"))
		assert.FileExists(t, filepath.Join(tree, "go.sum"))
		assert.FileExists(t, filepath.Join(tree, "labs", "runner.go"))
		assert.FileExists(t, filepath.Join(tree, "raftapi", "node.go"))
		assert.NoDirExists(t, filepath.Join(tree, "raft"))
		assert.NoDirExists(t, filepath.Join(tree, "labs", "mutants"))
		assert.NoDirExists(t, filepath.Join(tree, "cmd", "raftsim"))
		assert.NoFileExists(t, filepath.Join(tree, ".handoutignore"))
		if hidden {
			assert.FileExists(t, filepath.Join(tree, "labs", "hidden", "scenarios.go"))
			assert.NoFileExists(t, filepath.Join(tree, "labs", "hidden", "hidden_test.go"))
		} else {
			assert.NoDirExists(t, filepath.Join(tree, "labs", "hidden"))
		}
		require.NoError(t, filepath.WalkDir(tree, func(p string, d os.DirEntry, err error) error {
			require.NoError(t, err)
			assert.False(t, strings.HasSuffix(p, "_test.go"), p)
			return nil
		}))
	}
}

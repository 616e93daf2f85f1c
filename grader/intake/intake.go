// Package intake takes a student's submission in whatever form it comes —
// a directory holding the package (the files of assignments/raft), a .zip
// or .tar.gz of one, or a local git repository (optionally repo@commit) —
// and keeps only what the grader will build: the non-test .go files of
// package raft. Everything else is ignored or refused, each with a line
// the report shows (Submission.Notes, Submission.Refusals).
//
// Assemble then lays out a build tree: the grader's pristine copy of the
// lab (this module without what .handoutignore reserves for instructors:
// the reference, the hidden scenarios, the mutants, ...) with the
// student's files as assignments/raft. Nothing of the student's reaches
// the build tree but those .go files: not their tests (which could
// override the suites), not a go.mod (which could replace the lab's
// packages), not assembly, C or embedded files.
//
// Intake never runs the student's code and never follows a link: a
// symlink, an archive entry that escapes its directory (../, an absolute
// path) or an oversized file is reported, not read.
package intake

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/raftlab/raftlab/grader/result"
)

// StudentPackage is where the student's package lives in the lab's tree,
// relative to the module root, and PackageName the name its files must
// declare.
const (
	StudentPackage = "assignments/raft"
	PackageName    = "raft"
)

// Limits bounds what intake reads. The zero value means the defaults.
type Limits struct {
	MaxFileBytes  int64 // one accepted file (default 1 MiB)
	MaxTotalBytes int64 // every entry read, archives included (default 16 MiB)
	MaxFiles      int   // entries of any kind in the submission (default 200)
	MaxGoFiles    int   // accepted .go files (default 50)
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = 1 << 20
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 16 << 20
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = 200
	}
	if l.MaxGoFiles <= 0 {
		l.MaxGoFiles = 50
	}
	return l
}

// Submission is what intake kept of a submission.
type Submission struct {
	Name string // the submission's base name, e.g. "alice.zip"
	// Files are the accepted files, base name → content.
	Files map[string][]byte
	// Notes are one line per file ignored, and why.
	Notes []string
	// Refusals are problems that stop the submission from being built:
	// a wrong package name, no Go files, a file over the size limit, an
	// archive entry that escapes its directory.
	Refusals []result.Finding
	// Hash is the content hash of the accepted files ("sha256:<hex>"),
	// over their sorted names and contents.
	Hash string
}

// Names returns the accepted files' names, sorted.
func (s *Submission) Names() []string {
	names := make([]string, 0, len(s.Files))
	for n := range s.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// entry is one file of the submission before it is judged: its path
// inside the submission (slash-separated, cleaned) and its content.
type entry struct {
	path string
	data []byte
}

// collector gathers entries from any source, enforcing the limits.
type collector struct {
	lim      Limits
	entries  []entry
	notes    []string
	refusals []result.Finding
	total    int64
	count    int
}

func (c *collector) note(format string, args ...any) {
	c.notes = append(c.notes, fmt.Sprintf(format, args...))
}

func (c *collector) refuse(file, rule, format string, args ...any) {
	c.refusals = append(c.refusals, result.Finding{File: file, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

// wantData says whether an entry's content is worth reading: only .go
// files are ever accepted, so nothing else is read at all.
func wantData(p string) bool { return strings.HasSuffix(p, ".go") }

// add records a regular file of size bytes, reading it from r only if it
// could be accepted.
func (c *collector) add(p string, size int64, r io.Reader) error {
	c.count++
	if c.count > c.lim.MaxFiles {
		if c.count == c.lim.MaxFiles+1 {
			c.refuse("", "too many files", "the submission has more than %d files: submit the package's directory (the files of %s), not a whole tree", c.lim.MaxFiles, StudentPackage)
		}
		return nil
	}
	if !wantData(p) {
		c.entries = append(c.entries, entry{path: p})
		return nil
	}
	if size > c.lim.MaxFileBytes {
		c.refuse(p, "file too large", "%s is %d bytes, over the limit of %d bytes per file", p, size, c.lim.MaxFileBytes)
		return nil
	}
	// size may lie (a zip's header): read one byte past the limit.
	data, err := io.ReadAll(io.LimitReader(r, c.lim.MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	if int64(len(data)) > c.lim.MaxFileBytes {
		c.refuse(p, "file too large", "%s is over the limit of %d bytes per file", p, c.lim.MaxFileBytes)
		return nil
	}
	c.total += int64(len(data))
	if c.total > c.lim.MaxTotalBytes {
		c.refuse(p, "submission too large", "the submission's Go files exceed %d bytes in all", c.lim.MaxTotalBytes)
		return nil
	}
	c.entries = append(c.entries, entry{path: p, data: data})
	return nil
}

// cleanEntry validates an archive entry's name: relative, inside the
// archive, no backslashes. ok is false (with a refusal recorded) if not.
func (c *collector) cleanEntry(name string) (string, bool) {
	if strings.Contains(name, "\\") || path.IsAbs(name) || filepath.IsAbs(name) || strings.Contains(name, ":") {
		c.refuse(name, "archive entry escapes", "the archive entry %q has an absolute or non-portable path: refused", name)
		return "", false
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			c.refuse(name, "archive entry escapes", "the archive entry %q climbs out of the archive (..): refused", name)
			return "", false
		}
	}
	p := path.Clean(name)
	if p == "." || p == "" {
		return "", false
	}
	return p, true
}

// Load reads the submission at spec: a directory, a .zip, a .tar.gz (or
// .tgz), or a git repository (a directory holding .git, a bare repository,
// or either followed by @commit). Only local paths are read: a URL is an
// error. The error is for a submission that cannot be read at all; what is
// wrong with its content is in Refusals and Notes.
func Load(ctx context.Context, spec string, lim Limits) (*Submission, error) {
	c := &collector{lim: lim.withDefaults()}
	name, err := c.load(ctx, spec)
	if err != nil {
		return nil, err
	}
	return c.judge(name), nil
}

func (c *collector) load(ctx context.Context, spec string) (string, error) {
	if strings.Contains(spec, "://") || strings.HasPrefix(spec, "git@") {
		return "", fmt.Errorf("submission %q: only local paths are graded (clone it first)", spec)
	}
	repo, rev := spec, ""
	if _, err := os.Lstat(spec); err != nil {
		i := strings.LastIndex(spec, "@")
		if i <= 0 {
			return "", fmt.Errorf("submission: %w", err)
		}
		repo, rev = spec[:i], spec[i+1:]
		if _, err := os.Lstat(repo); err != nil {
			return "", fmt.Errorf("submission: %w", err)
		}
	}
	name := filepath.Base(filepath.Clean(repo))
	if rev != "" {
		name += "@" + rev
	}
	fi, err := os.Lstat(repo)
	if err != nil {
		return "", fmt.Errorf("submission: %w", err)
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return "", fmt.Errorf("submission %s is a symlink: give the real path", repo)
	case fi.IsDir() && rev != "" && !isGitRepo(repo):
		return "", fmt.Errorf("submission %s: @%s given, but it is not a git repository", repo, rev)
	case fi.IsDir() && (rev != "" || isGitRepo(repo) && !hasGoFiles(repo)):
		// A commit is read from git whatever the working tree holds; a
		// repository without one is graded as committed unless its top
		// level holds the package's files (then the working tree is).
		return name, c.fromGit(ctx, repo, rev)
	case fi.IsDir():
		return name, c.fromDir(repo)
	case strings.HasSuffix(repo, ".zip"):
		return name, c.fromZip(repo, fi.Size())
	case strings.HasSuffix(repo, ".tar.gz") || strings.HasSuffix(repo, ".tgz"):
		f, err := os.Open(repo)
		if err != nil {
			return "", fmt.Errorf("submission: %w", err)
		}
		defer func() { _ = f.Close() }() // read only
		gz, err := gzip.NewReader(f)
		if err != nil {
			return "", fmt.Errorf("submission %s: not a gzip file: %w", repo, err)
		}
		return name, c.fromTar(gz)
	}
	return "", fmt.Errorf("submission %s: not a directory, .zip, .tar.gz or git repository", repo)
}

func isGitRepo(dir string) bool {
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err == nil && (fi.IsDir() || fi.Mode().IsRegular()) {
		return true
	}
	_, err := os.Stat(filepath.Join(dir, "HEAD"))
	_, err2 := os.Stat(filepath.Join(dir, "objects"))
	return err == nil && err2 == nil // a bare repository
}

// hasGoFiles says whether dir holds .go files itself: a student's package
// directory that is also a repository is graded as it is on disk.
func hasGoFiles(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	return len(m) > 0
}

// fromDir reads a directory tree without following links.
func (c *collector) fromDir(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read submission: %w", err)
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				c.note("%s/: ignored", rel)
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			c.note("%s: a symlink, ignored (only regular files are taken)", rel)
			return nil
		}
		if !d.Type().IsRegular() {
			c.note("%s: not a regular file, ignored", rel)
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("read submission: %w", err)
		}
		if !wantData(rel) {
			return c.add(rel, fi.Size(), nil)
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("read submission: %w", err)
		}
		defer func() { _ = f.Close() }() // read only
		return c.add(rel, fi.Size(), f)
	})
}

func (c *collector) fromZip(file string, size int64) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("submission: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return fmt.Errorf("submission %s: not a zip file: %w", file, err)
	}
	for _, zf := range zr.File {
		p, ok := c.cleanEntry(zf.Name)
		if !ok {
			continue
		}
		mode := zf.Mode()
		switch {
		case mode.IsDir():
			continue
		case mode&fs.ModeSymlink != 0:
			c.note("%s: a symlink in the archive, ignored (only regular files are taken)", p)
			continue
		case !mode.IsRegular():
			c.note("%s: not a regular file, ignored", p)
			continue
		}
		if !wantData(p) {
			if err := c.add(p, int64(zf.UncompressedSize64), nil); err != nil {
				return err
			}
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			c.refuse(p, "unreadable archive entry", "%s could not be read from the archive: %v", p, err)
			continue
		}
		err = c.add(p, int64(zf.UncompressedSize64), rc)
		_ = rc.Close() // read only
		if err != nil {
			c.refuse(p, "unreadable archive entry", "%s could not be read from the archive: %v", p, err)
		}
	}
	return nil
}

func (c *collector) fromTar(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			c.refuse("", "unreadable archive", "the archive could not be read to its end: %v", err)
			return nil
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue // git archive's comment header
		}
		p, ok := c.cleanEntry(h.Name)
		if !ok {
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeSymlink, tar.TypeLink:
			c.note("%s: a link in the archive (to %s), ignored (only regular files are taken)", p, h.Linkname)
			continue
		case tar.TypeReg:
		default:
			c.note("%s: not a regular file, ignored", p)
			continue
		}
		if err := c.add(p, h.Size, tr); err != nil {
			c.refuse(p, "unreadable archive entry", "%s could not be read from the archive: %v", p, err)
		}
	}
}

// fromGit reads a revision of a local repository. The repository is first
// cloned (no hooks and no configuration come with a clone: a student's
// .git/config could name filter programs), then the revision is read with
// git archive from the clone: nothing is checked out, no link is followed.
func (c *collector) fromGit(ctx context.Context, repo, rev string) error {
	if rev == "" {
		rev = "HEAD"
	}
	if strings.HasPrefix(rev, "-") {
		return fmt.Errorf("submission: bad revision %q", rev)
	}
	tmp, err := os.MkdirTemp("", "raftlab-intake-*")
	if err != nil {
		return fmt.Errorf("submission: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }() // best effort: a temp dir
	abs, err := filepath.Abs(repo)
	if err != nil {
		return fmt.Errorf("submission: %w", err)
	}
	clone := filepath.Join(tmp, "clone")
	env := []string{"HOME=" + tmp, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0", "PATH=" + os.Getenv("PATH")}
	git := func(dir string, args ...string) ([]byte, error) {
		base := []string{"-c", "protocol.allow=never", "-c", "protocol.file.allow=always", "-c", "safe.directory=*", "-c", "core.hooksPath=/dev/null"}
		cmd := exec.CommandContext(ctx, "git", append(base, args...)...)
		cmd.Dir, cmd.Env = dir, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	if _, err := git(tmp, "clone", "--quiet", "--no-checkout", "--no-hardlinks", "--", abs, clone); err != nil {
		return fmt.Errorf("submission %s: %w", repo, err)
	}
	out, err := git(clone, "archive", "--format=tar", rev+"^{tree}")
	if err != nil {
		return fmt.Errorf("submission %s@%s: %w", repo, rev, err)
	}
	return c.fromTar(bytes.NewReader(out))
}

// packageDir picks the directory of the entries that holds the package:
// the top if it has .go files, else assignments/raft (a whole fork of the
// lab), else the one top-level directory an archive wraps everything in.
func packageDir(entries []entry) string {
	dir := ""
	for range 3 {
		if hasGoIn(entries, dir) {
			return dir
		}
		if hasGoIn(entries, join(dir, StudentPackage)) {
			return join(dir, StudentPackage)
		}
		sub := map[string]bool{}
		for _, e := range entries {
			rest, ok := under(e.path, dir)
			if !ok {
				continue
			}
			if i := strings.Index(rest, "/"); i > 0 {
				sub[rest[:i]] = true
			}
		}
		if len(sub) != 1 {
			return dir
		}
		for s := range sub {
			dir = join(dir, s)
		}
	}
	return dir
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "/" + b
}

// under returns p relative to dir if p is inside dir.
func under(p, dir string) (string, bool) {
	if dir == "" {
		return p, true
	}
	return strings.CutPrefix(p, dir+"/")
}

func hasGoIn(entries []entry, dir string) bool {
	for _, e := range entries {
		if rest, ok := under(e.path, dir); ok && !strings.Contains(rest, "/") && strings.HasSuffix(rest, ".go") {
			return true
		}
	}
	return false
}

// judge keeps the package's non-test .go files of package raft.
func (c *collector) judge(name string) *Submission {
	s := &Submission{Name: name, Files: map[string][]byte{}}
	dir := packageDir(c.entries)
	if dir != "" {
		c.note("the package was found in %s/ of the submission", dir)
	}
	ignored := 0
	ignore := func(format string, args ...any) {
		ignored++
		if ignored <= 30 {
			c.note(format, args...)
		}
	}
	slices.SortFunc(c.entries, func(a, b entry) int { return strings.Compare(a.path, b.path) })
	for _, e := range c.entries {
		rel, ok := under(e.path, dir)
		base := path.Base(e.path)
		switch {
		case !ok || strings.Contains(rel, "/"):
			ignore("%s: outside the package's directory, ignored", e.path)
		case strings.HasSuffix(base, "_test.go"):
			ignore("%s: a test file, ignored (the grader runs its own suites)", e.path)
		case base == "go.mod" || base == "go.sum" || base == "go.work":
			ignore("%s: ignored (the lab's own module is used)", e.path)
		case hasAnySuffix(base, ".s", ".S", ".sx", ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".m", ".f", ".syso", ".swig", ".swigcxx"):
			ignore("%s: assembly, C or object files are not taken (pure Go only)", e.path)
		case !strings.HasSuffix(base, ".go"):
			ignore("%s: not a Go file, ignored", e.path)
		case strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_"):
			ignore("%s: Go ignores files whose name starts with . or _; ignored", e.path)
		default:
			c.accept(s, base, e)
		}
	}
	if ignored > 30 {
		c.note("... and %d more files ignored", ignored-30)
	}
	if len(s.Files) > c.lim.MaxGoFiles {
		c.refuse("", "too many files", "the package has %d Go files, over the limit of %d", len(s.Files), c.lim.MaxGoFiles)
	}
	if len(s.Files) == 0 && len(c.refusals) == 0 {
		c.refuse("", "no Go files", "the submission holds no Go file of package %s (the files of %s): nothing to grade", PackageName, StudentPackage)
	}
	s.Notes, s.Refusals = c.notes, c.refusals
	s.Hash = hashFiles(s)
	return s
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// accept checks a .go file's package clause and build constraints.
func (c *collector) accept(s *Submission, base string, e entry) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, base, e.data, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		// A syntax error is the compiler's to report, with its line; only
		// a file whose package clause cannot be read is judged here.
		if f == nil || f.Name == nil {
			c.refuse(base, "syntax", "%s: %v", base, err)
			return
		}
	}
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, cm := range cg.List {
			if strings.HasPrefix(cm.Text, "//go:build") || strings.HasPrefix(cm.Text, "// +build") {
				c.note("%s: has a build constraint (%s), ignored: the lab's package needs none", base, strings.TrimSpace(cm.Text))
				return
			}
		}
	}
	if f.Name.Name != PackageName {
		c.refuse(base, "package name", "%s:%d: package %s, but the lab's package is package %s (the files of %s)",
			base, fset.Position(f.Name.Pos()).Line, f.Name.Name, PackageName, StudentPackage)
		return
	}
	s.Files[base] = e.data
}

// hashFiles hashes the accepted files: names and contents, length-prefixed.
func hashFiles(s *Submission) string {
	h := sha256.New()
	for _, n := range s.Names() {
		_, _ = fmt.Fprintf(h, "%d:%s\n%d:", len(n), n, len(s.Files[n])) // a hash never fails
		_, _ = h.Write(s.Files[n])
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

package intake

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// HandoutIgnore is the file at the lab's module root that lists what only
// instructors get (see scripts/handout-check.sh, which reads it with git's
// own matching; Ignore reads the same subset of .gitignore's syntax).
const HandoutIgnore = ".handoutignore"

// HiddenPackage is the package of the hidden scenarios, which the handout
// (and so the build tree) leaves out; AssembleOptions.Hidden adds it back.
const HiddenPackage = "labs/hidden"

// Ignore is the instructors-only list of .handoutignore: the patterns
// /dir/ (a directory from the root), /path (a file from the root) and
// name (no slash: a base name in any directory; * and ? are wildcards).
type Ignore struct {
	anchored []string // "raft/", "cmd/raftsim/", ".handoutignore"
	names    []string // "*_reference_test.go"
}

// ParseIgnore parses a .handoutignore file's content.
func ParseIgnore(data []byte) (*Ignore, error) {
	ig := &Ignore{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			return nil, fmt.Errorf("%s:%d: negation (!) is not supported", HandoutIgnore, n)
		}
		if p, ok := strings.CutPrefix(line, "/"); ok {
			ig.anchored = append(ig.anchored, p)
			continue
		}
		if strings.Contains(strings.TrimSuffix(line, "/"), "/") {
			return nil, fmt.Errorf("%s:%d: a pattern with a slash must be anchored with a leading /", HandoutIgnore, n)
		}
		ig.names = append(ig.names, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", HandoutIgnore, err)
	}
	return ig, nil
}

// Match says whether rel (slash-separated, relative to the module root)
// is reserved for instructors.
func (ig *Ignore) Match(rel string, isDir bool) bool {
	base := path.Base(rel)
	for _, n := range ig.names {
		dirOnly := strings.HasSuffix(n, "/")
		if dirOnly && !isDir {
			continue
		}
		if ok, _ := path.Match(strings.TrimSuffix(n, "/"), base); ok {
			return true
		}
	}
	for _, a := range ig.anchored {
		if d, ok := strings.CutSuffix(a, "/"); ok {
			if ok, _ := path.Match(d, rel); ok && isDir {
				return true
			}
			continue
		}
		if ok, _ := path.Match(a, rel); ok {
			return true
		}
	}
	return false
}

// AssembleOptions says how to lay out a build tree.
type AssembleOptions struct {
	// LabRoot is the grader's pristine copy of the lab: the module root
	// holding go.mod and .handoutignore.
	LabRoot string
	// Hidden copies the hidden scenarios' package (labs/hidden, without
	// its tests) into the build tree, for the grader's own program to
	// import; the student's code cannot (the import allow-list refuses
	// it) and cannot read files at run time.
	Hidden bool
}

// Assemble writes the build tree into dir (which must exist and be empty):
// the lab's files the handout keeps, minus every test file and minus the
// starter's own files, plus the submission's accepted files as the
// student package. It returns the student package's directory.
func Assemble(dir string, sub *Submission, opts AssembleOptions) (string, error) {
	if len(sub.Refusals) > 0 {
		return "", fmt.Errorf("assemble: the submission was refused")
	}
	data, err := os.ReadFile(filepath.Join(opts.LabRoot, HandoutIgnore))
	if err != nil {
		return "", fmt.Errorf("assemble: the lab's %s: %w", HandoutIgnore, err)
	}
	ig, err := ParseIgnore(data)
	if err != nil {
		return "", err
	}
	if err := copyLab(opts.LabRoot, dir, ig); err != nil {
		return "", err
	}
	if opts.Hidden {
		if err := copyPackage(filepath.Join(opts.LabRoot, filepath.FromSlash(HiddenPackage)), filepath.Join(dir, filepath.FromSlash(HiddenPackage))); err != nil {
			return "", fmt.Errorf("assemble: the hidden scenarios: %w", err)
		}
	}
	pkg := filepath.Join(dir, filepath.FromSlash(StudentPackage))
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		return "", fmt.Errorf("assemble: %w", err)
	}
	for _, n := range sub.Names() {
		if err := os.WriteFile(filepath.Join(pkg, n), sub.Files[n], 0o644); err != nil {
			return "", fmt.Errorf("assemble: %w", err)
		}
	}
	return pkg, nil
}

// skipDir names directories of the lab the build never needs.
func skipDir(rel, name string) bool {
	return name == ".git" || name == "testdata" || name == "node_modules" || rel == StudentPackage
}

// copyLab copies the lab's regular files the handout keeps, without test
// files (the build compiles only the student package and the grader's
// program, so no test of the lab is needed, and none can conflict).
func copyLab(root, dst string, ig *Ignore) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("assemble: read the lab: %w", err)
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if skipDir(rel, d.Name()) || ig.Match(rel, true) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, filepath.FromSlash(rel)), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasSuffix(rel, "_test.go") || ig.Match(rel, false) || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		return copyFile(p, filepath.Join(dst, filepath.FromSlash(rel)))
	})
}

// copyPackage copies a package's non-test .go files.
func copyPackage(src, dst string) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("assemble: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("assemble: %w", err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return fmt.Errorf("assemble: %w", err)
	}
	return nil
}

// Package handout exports the student repository of the lab: this module
// without what .handoutignore reserves for instructors (the reference, the
// hidden scenarios, the mutants, the grader, the soak, the commands that
// run the reference), with the starter's "//go:build starter" line
// removed, under the course's own module path, plus what only the handout
// has: a README for students, a .gitignore, a command that runs the
// student's own implementation for one seed (cmd/run) and the GitHub
// Classroom workflow (.github/workflows/classroom.yml).
//
// The export is deterministic: the same tree gives the same bytes (files
// are listed sorted, nothing records a time), so exporting twice from one
// commit gives identical trees. scripts/handout-check.sh makes its copy
// with this package (go run ./cmd/grader handout), so there is one
// implementation of the boundary.
package handout

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/raftlab/raftlab/grader/intake"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/labs"
)

// starterConstraint is the first line of a file the lab keeps out of its
// own go test ./... (the unfilled starter's stage tests); the export
// removes it, as .handoutignore's header says.
const starterConstraint = "//go:build starter"

// StudentPackage is the starter's package, where a student's code lives.
const StudentPackage = intake.StudentPackage

// Replaced names the lab's files the handout writes anew rather than
// copies: the lab's README (for instructors and contributors) becomes the
// students' README, and the lab's .gitignore (which names instructors'
// outputs) the students'.
var Replaced = []string{"README.md", ".gitignore"}

// Generated lists the files only the handout has, written from templates.
var Generated = []string{
	".github/workflows/classroom.yml",
	".gitignore",
	"README.md",
	"cmd/run/main.go",
	"cmd/run/main_test.go",
}

//go:embed all:templates
var templates embed.FS

// Options says how to export.
type Options struct {
	// Module is the handout's module path; "" keeps the lab's.
	Module string
	// Rubric gives the points of each stage in the Classroom workflow
	// (its public part: hidden scenarios never run in a student's
	// repository); nil means the default rubric.
	Rubric *rubric.Rubric
	// Tidy runs go mod tidy in the export, offline (GOPROXY=off,
	// GOFLAGS=-mod=mod), so that go.sum lists exactly what the handout's
	// packages need and no more (the grader's dependencies go).
	Tidy bool
}

// Manifest is what an export wrote.
type Manifest struct {
	Module string   // the handout's module path
	Files  []string // every file written, slash-separated, sorted
	Left   []string // the lab's files left out (instructors' only), sorted
	Edited []string // files whose starter constraint was removed
}

// Stage is one stage as the handout's templates see it.
type Stage struct {
	Name   string  // "election"
	Test   string  // "TestElection": the stage's top-level test in assignments/raft
	ID     string  // the workflow step's id ("election")
	Env    string  // the reporter's variable of the step's result ("ELECTION_RESULTS")
	Points float64 // the stage's public points in the rubric
}

// Command is the go test command that grades a stage in the student's
// repository: pass or fail, as the Classroom command-grader scores it.
func (s Stage) Command() string {
	return fmt.Sprintf("go test -count=1 ./%s -run '^%s$'", StudentPackage, s.Test)
}

// PointsText is the stage's points without a needless fraction.
func (s Stage) PointsText() string {
	return strings.TrimSuffix(fmt.Sprintf("%.2f", s.Points), ".00")
}

// Stages returns the stages in order with their public points in r: a
// stage's rule tests and its visible scenarios (the hidden ones run only
// in the grader).
func Stages(r *rubric.Rubric) []Stage {
	var out []Stage
	for _, st := range labs.Stages {
		name := string(st)
		s := Stage{
			Name: name,
			Test: "Test" + strings.ToUpper(name[:1]) + name[1:],
			ID:   name,
			Env:  strings.ToUpper(name) + "_RESULTS",
		}
		if rs, ok := r.Stage(st); ok {
			s.Points = rs.Rules.Max()
			for _, sc := range rs.Scenarios {
				if !sc.Hidden {
					s.Points += sc.Points
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// ModulePath reads the module path from root's go.mod.
func ModulePath(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("handout: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`), nil
		}
	}
	return "", fmt.Errorf("handout: %s/go.mod has no module line", root)
}

// GoVersion reads the go directive of root's go.mod ("1.26.0").
func GoVersion(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("handout: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("handout: %s/go.mod has no go directive", root)
}

// LabFiles lists the lab's files under root, slash-separated and sorted:
// in a git checkout what git would commit (tracked files and untracked
// ones it does not ignore, as scripts/handout-check.sh lists them), so
// build outputs and traces lying around are not exported; elsewhere (an
// unpacked copy) every regular file but those under .git.
func LabFiles(ctx context.Context, root string) ([]string, error) {
	if fi, err := os.Stat(filepath.Join(root, ".git")); err == nil && (fi.IsDir() || fi.Mode().IsRegular()) {
		if _, err := exec.LookPath("git"); err == nil {
			cmd := exec.CommandContext(ctx, "git", "ls-files", "-z", "-c", "-o", "--exclude-standard")
			cmd.Dir = root
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				return nil, fmt.Errorf("handout: git ls-files in %s: %w: %s", root, err, strings.TrimSpace(stderr.String()))
			}
			var files []string
			for _, f := range strings.Split(string(out), "\x00") {
				// A file deleted but not yet committed is listed and absent.
				if fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f))); f != "" && err == nil && fi.Mode().IsRegular() {
					files = append(files, f)
				}
			}
			slices.Sort(files)
			return slices.Compact(files), nil
		}
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("handout: list %s: %w", root, err)
	}
	slices.Sort(files)
	return files, nil
}

// Split divides files into those the handout keeps and those it leaves
// out by the lab's .handoutignore (a directory pattern matches every file
// under the directory).
func Split(files []string, ig *intake.Ignore) (kept, left []string) {
	for _, f := range files {
		if reserved(f, ig) {
			left = append(left, f)
		} else {
			kept = append(kept, f)
		}
	}
	return kept, left
}

func reserved(f string, ig *intake.Ignore) bool {
	if ig.Match(f, false) {
		return true
	}
	for d := path.Dir(f); d != "."; d = path.Dir(d) {
		if ig.Match(d, true) {
			return true
		}
	}
	return false
}

// Export writes the handout of the lab at root into out, which must not
// exist or be empty.
func Export(ctx context.Context, root, out string, opts Options) (*Manifest, error) {
	labModule, err := ModulePath(root)
	if err != nil {
		return nil, err
	}
	module := opts.Module
	if module == "" {
		module = labModule
	}
	if err := checkModulePath(module); err != nil {
		return nil, err
	}
	r := opts.Rubric
	if r == nil {
		r = rubric.Default()
	}
	if err := emptyDir(out); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(root, intake.HandoutIgnore))
	if err != nil {
		return nil, fmt.Errorf("handout: %w", err)
	}
	ig, err := intake.ParseIgnore(data)
	if err != nil {
		return nil, fmt.Errorf("handout: %w", err)
	}
	files, err := LabFiles(ctx, root)
	if err != nil {
		return nil, err
	}
	kept, left := Split(files, ig)
	m := &Manifest{Module: module, Left: left}
	rw := rewriter{from: labModule, to: module}

	for _, f := range kept {
		if slices.Contains(Replaced, f) || slices.Contains(Generated, f) {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return nil, fmt.Errorf("handout: %w", err)
		}
		if strings.HasSuffix(f, ".go") {
			var edited bool
			if src, edited = dropStarterConstraint(src); edited {
				m.Edited = append(m.Edited, f)
			}
		}
		if err := writeFile(out, f, rw.apply(f, src)); err != nil {
			return nil, err
		}
		m.Files = append(m.Files, f)
	}

	goVersion, err := GoVersion(root)
	if err != nil {
		return nil, err
	}
	tdata := templateData{Module: module, GoVersion: goVersion, Stages: Stages(r), Title: r.Title}
	for _, f := range Generated {
		text, err := render(f, tdata)
		if err != nil {
			return nil, err
		}
		if err := writeFile(out, f, rw.apply(f, text)); err != nil {
			return nil, err
		}
		m.Files = append(m.Files, f)
	}
	slices.Sort(m.Files)

	if opts.Tidy {
		if err := Tidy(ctx, out); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Tidy runs go mod tidy in dir offline: every module the handout needs is
// one the lab already uses, so the module cache has it.
func Tidy(ctx context.Context, dir string) error {
	cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("handout: go mod tidy (offline) in the export: %w\n%s", err, out)
	}
	return nil
}

func checkModulePath(m string) error {
	if m == "" || strings.ContainsAny(m, " \t\n\"'`\\") || strings.HasPrefix(m, "/") || strings.HasSuffix(m, "/") {
		return fmt.Errorf("handout: %q is not a module path", m)
	}
	return nil
}

// emptyDir makes sure out exists and is empty: an export never mixes
// with an older one's files.
func emptyDir(out string) error {
	ents, err := os.ReadDir(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("handout: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("handout: %w", err)
	case len(ents) > 0:
		return fmt.Errorf("handout: %s is not empty (export into a new directory)", out)
	}
	return nil
}

func writeFile(out, rel string, data []byte) error {
	dst := filepath.Join(out, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("handout: %w", err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return fmt.Errorf("handout: %w", err)
	}
	return nil
}

// dropStarterConstraint removes a first line "//go:build starter" and the
// blank line after it.
func dropStarterConstraint(src []byte) ([]byte, bool) {
	first, rest, ok := bytes.Cut(src, []byte("\n"))
	if !ok || string(bytes.TrimRight(first, "\r")) != starterConstraint {
		return src, false
	}
	if blank, after, ok := bytes.Cut(rest, []byte("\n")); ok && len(bytes.TrimSpace(blank)) == 0 {
		rest = after
	}
	return rest, true
}

// rewriter moves the lab's module path to the handout's.
type rewriter struct{ from, to string }

// apply rewrites the module path in go.mod, Go source and text files:
// every occurrence followed by "/", a quote, a space or the line's end
// (so a longer path that merely starts with it is left alone).
func (rw rewriter) apply(rel string, src []byte) []byte {
	if rw.from == rw.to {
		return src
	}
	switch path.Ext(rel) {
	case ".go", ".mod", ".md", ".yml", ".yaml", ".json", ".txt", ".sh", ".toml":
	default:
		return src
	}
	var out bytes.Buffer
	from := []byte(rw.from)
	for {
		i := bytes.Index(src, from)
		if i < 0 {
			out.Write(src)
			return out.Bytes()
		}
		out.Write(src[:i])
		end := i + len(from)
		if pathEnds(src, end) {
			out.WriteString(rw.to)
		} else {
			out.Write(from)
		}
		src = src[end:]
	}
}

// pathEnds says whether a module path ending at src[end] ends there: at
// the end, or before "/", a quote, a space, a bracket or punctuation — but
// not before a "." that goes on with a path (".git" in a URL, a longer
// host name), nor before any other byte a path may hold.
func pathEnds(src []byte, end int) bool {
	if end == len(src) {
		return true
	}
	if src[end] == '.' {
		return end+1 == len(src) || !isPathByte(src[end+1])
	}
	return strings.IndexByte("/\"` \t\r\n)]@,;:", src[end]) >= 0
}

func isPathByte(b byte) bool {
	return b == '-' || b == '_' || b == '~' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// templateData is what the handout's templates see.
type templateData struct {
	Title     string
	Module    string
	GoVersion string
	Stages    []Stage
}

// Runners is the reporter's runners input: the stage steps' ids.
func (d templateData) Runners() string {
	ids := make([]string, len(d.Stages))
	for i, s := range d.Stages {
		ids[i] = s.ID
	}
	return strings.Join(ids, ",")
}

// Total is the public points of every stage.
func (d templateData) Total() string {
	t := 0.0
	for _, s := range d.Stages {
		t += s.Points
	}
	return strings.TrimSuffix(fmt.Sprintf("%.2f", t), ".00")
}

// render executes the template of a generated file. The templates are
// written under the lab's module path; the rewriter moves them like every
// other file. A Go template's name ends in .tmpl, so the lab's own build
// never compiles it.
func render(rel string, d templateData) ([]byte, error) {
	name := "templates/" + rel
	if strings.HasSuffix(rel, ".go") {
		name += ".tmpl"
	}
	if rel == ".gitignore" {
		name = "templates/gitignore"
	}
	text, err := templates.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("handout: template of %s: %w", rel, err)
	}
	t, err := template.New(rel).Delims("[[", "]]").Option("missingkey=error").Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("handout: template of %s: %w", rel, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("handout: template of %s: %w", rel, err)
	}
	return b.Bytes(), nil
}

// Package gradescope builds the autograder zip Gradescope takes: setup.sh
// (installs Go on Gradescope's Ubuntu image, builds the grader and warms
// the build cache), run_autograder (grades /autograder/submission with the
// rubric and writes /autograder/results/results.json) and the lab itself
// under lab/ — the instructors' tree, with the reference and the hidden
// scenarios, which the grader needs and the zip keeps away from students
// (Gradescope never shows it to them) — with the rubric as rubric.toml.
//
// Gradescope unpacks the zip into /autograder/source and runs setup.sh
// there, then runs /autograder/run_autograder for each submission. Both
// scripts take their root from $AUTOGRADER_ROOT (default /autograder), so
// a test lays out a temporary root the same way and runs them.
//
// The zip is deterministic: its entries are sorted and carry a fixed time,
// so building twice from one commit gives the same bytes.
package gradescope

import (
	"archive/zip"
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/raftlab/raftlab/grader/handout"
	"github.com/raftlab/raftlab/grader/rubric"
)

// The zip's entries besides the lab.
const (
	SetupScript = "setup.sh"
	RunScript   = "run_autograder"
	RubricFile  = "rubric.toml"
	LabDir      = "lab"
)

// epoch is every entry's modification time: a fixed one, so the zip's
// bytes depend on the files alone.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

//go:embed templates
var templates embed.FS

// Options says what goes in the zip.
type Options struct {
	// Rubric is the rubric file's content; nil means the default rubric.
	// The zip carries it as rubric.toml (Gradescope keeps the autograder's
	// files from students, so its hidden salt stays secret).
	Rubric []byte
}

// Manifest is what Build wrote.
type Manifest struct {
	GoVersion string
	Entries   []string // every file, in the zip's order
	Rubric    *rubric.Rubric
}

// GoVersion is the Go release the autograder installs: the toolchain
// directive of the lab's go.mod if it has one, else its go directive.
func GoVersion(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("gradescope: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "toolchain go"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return handout.GoVersion(root)
}

// Build writes the autograder zip of the lab at root to w.
func Build(ctx context.Context, root string, w io.Writer, opts Options) (*Manifest, error) {
	text := opts.Rubric
	if text == nil {
		text = rubric.Text()
	}
	r, err := parseRubric(text)
	if err != nil {
		return nil, err
	}
	goVersion, err := GoVersion(root)
	if err != nil {
		return nil, err
	}
	files, err := handout.LabFiles(ctx, root)
	if err != nil {
		return nil, err
	}
	m := &Manifest{GoVersion: goVersion, Rubric: r}
	zw := zip.NewWriter(w)
	add := func(name string, mode os.FileMode, data []byte) error {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: epoch}
		h.SetMode(mode)
		f, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("gradescope: zip %s: %w", name, err)
		}
		if _, err := f.Write(data); err != nil {
			return fmt.Errorf("gradescope: zip %s: %w", name, err)
		}
		m.Entries = append(m.Entries, name)
		return nil
	}
	data := struct{ GoVersion string }{goVersion}
	for _, s := range []string{RunScript, SetupScript} {
		b, err := render(s, data)
		if err != nil {
			return nil, err
		}
		if err := add(s, 0o755, b); err != nil {
			return nil, err
		}
	}
	for _, f := range files { // sorted
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return nil, fmt.Errorf("gradescope: %w", err)
		}
		mode := os.FileMode(0o644)
		if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(f))); err == nil && fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		if err := add(LabDir+"/"+f, mode, b); err != nil {
			return nil, err
		}
	}
	if err := add(RubricFile, 0o644, text); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gradescope: %w", err)
	}
	return m, nil
}

// BuildFile writes the zip to path.
func BuildFile(ctx context.Context, root, path string, opts Options) (*Manifest, error) {
	var buf bytes.Buffer
	m, err := Build(ctx, root, &buf, opts)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("gradescope: %w", err)
	}
	return m, nil
}

// parseRubric validates the rubric text, so a broken rubric fails when the
// zip is built, not when the first student submits.
func parseRubric(text []byte) (*rubric.Rubric, error) {
	r, err := rubric.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("gradescope: the rubric: %w", err)
	}
	return r, nil
}

func render(name string, data any) ([]byte, error) {
	text, err := templates.ReadFile("templates/" + name)
	if err != nil {
		return nil, fmt.Errorf("gradescope: %w", err)
	}
	t, err := template.New(name).Delims("[[", "]]").Option("missingkey=error").Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("gradescope: template %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("gradescope: template %s: %w", name, err)
	}
	return b.Bytes(), nil
}

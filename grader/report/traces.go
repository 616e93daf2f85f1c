package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/raftlab/raftlab/grader/result"
)

// MaxTraceBytes bounds a trace file CopyTraces copies.
const MaxTraceBytes = 64 << 20

// TraceDir is the directory, beside the reports, that CopyTraces fills.
const TraceDir = "traces"

// CopyTraces puts each failing run's trace next to the reports, so a
// student opens it with raftview from the report's directory: it copies
// every scenario failure's trace file (a relative TracePath is taken
// relative to src, the run's work directory) to dir/traces/ and returns a
// copy of r whose TracePaths name the copies, relative to dir.
//
// The copies are named from the stage, scenario and seed, not from the
// path the run reported, and a trace is copied only if it is a regular
// file inside src (no symbolic link, no ..) of at most MaxTraceBytes. A
// trace that cannot be copied loses its TracePath and gains a note saying
// why; only a failure to write into dir is an error.
func CopyTraces(r *result.Result, src, dir string) (*result.Result, error) {
	out := r.Clone()
	root, err := filepath.Abs(src)
	if err != nil {
		return nil, fmt.Errorf("report: traces: %w", err)
	}
	made := false
	for si := range out.Stages {
		s := &out.Stages[si]
		for i := range s.Scenarios {
			sc := &s.Scenarios[i]
			f := sc.Failure
			if f == nil || f.TracePath == "" {
				continue
			}
			from, why := traceSource(root, f.TracePath)
			if why != "" {
				out.Notes = append(out.Notes, fmt.Sprintf("trace of %s/%s not copied: %s", s.Stage, sc.Name, why))
				f.TracePath = ""
				continue
			}
			if !made {
				if err := os.MkdirAll(filepath.Join(dir, TraceDir), 0o755); err != nil {
					return nil, fmt.Errorf("report: traces: %w", err)
				}
				made = true
			}
			name := safeFile(fmt.Sprintf("%s-%s-seed%d.json", s.Stage, sc.Name, f.Seed))
			if err := copyFile(from, filepath.Join(dir, TraceDir, name)); err != nil {
				return nil, fmt.Errorf("report: traces: %w", err)
			}
			f.TracePath = TraceDir + "/" + name
		}
	}
	return out, nil
}

// traceSource resolves a reported trace path inside root, or says why it
// will not be copied.
func traceSource(root, p string) (string, string) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(root, p)
	}
	p = filepath.Clean(p)
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", "it lies outside the run's directory"
	}
	// Every component, not just the last, must be a real directory or
	// file: a symbolic link on the way could lead outside root.
	cur := root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		cur = filepath.Join(cur, part)
		fi, err := os.Lstat(cur)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return "", "the run did not write it"
		case err != nil:
			return "", err.Error()
		case fi.Mode()&os.ModeSymlink != 0:
			return "", "it is a symbolic link"
		}
	}
	fi, err := os.Lstat(p)
	switch {
	case err != nil:
		return "", err.Error()
	case !fi.Mode().IsRegular():
		return "", "it is not a regular file"
	case fi.Size() > MaxTraceBytes:
		return "", fmt.Sprintf("it is %d bytes, over the limit of %d", fi.Size(), MaxTraceBytes)
	}
	return p, ""
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	// The limit again: the file may have grown since it was checked.
	_, err = io.Copy(out, io.LimitReader(in, MaxTraceBytes))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// safeFile keeps a file name to letters, digits and -_. so that names
// from a run cannot reach outside the trace directory.
func safeFile(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

package class

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/raftlab/raftlab/grader/intake"
	"github.com/raftlab/raftlab/grader/report"
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/grader/sandbox"
)

// Files and directories of a class's output directory.
const (
	GradebookFile = "gradebook.csv"
	ShardFile     = "shard.json"
	ErrorsFile    = "errors.txt"
	CacheDir      = "cache"

	partialSuffix = ".partial-" // a cache entry being written
)

// Submission is one student's submission in a class directory.
type Submission struct {
	Name string // the student: the entry's name without an archive's extension
	Path string
}

var archiveExts = []string{".tar.gz", ".tgz", ".zip"}

// List returns the submissions in dir, sorted by name: every
// subdirectory and every .zip, .tar.gz or .tgz archive (other files and
// hidden entries are skipped). Two entries that name the same student
// (alice/ and alice.zip) are an error.
func List(dir string) ([]Submission, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("class: %w", err)
	}
	var out []Submission
	seen := map[string]string{}
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		student := ""
		switch {
		case e.IsDir():
			student = name
		case e.Type().IsRegular():
			for _, ext := range archiveExts {
				if s, ok := strings.CutSuffix(name, ext); ok {
					student = s
					break
				}
			}
		}
		if student == "" {
			continue
		}
		if slices.Contains([]string{CacheDir, GradebookFile, ShardFile, ErrorsFile}, student) {
			return nil, fmt.Errorf("class: %s: a submission may not be named %q (the output directory uses that name)", filepath.Join(dir, name), student)
		}
		if prev, ok := seen[student]; ok {
			return nil, fmt.Errorf("class: %s and %s are both student %q: keep one", prev, name, student)
		}
		seen[student] = name
		out = append(out, Submission{Name: student, Path: filepath.Join(dir, name)})
	}
	slices.SortFunc(out, func(a, b Submission) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Shard is slice Index of Count (0 ≤ Index < Count).
type Shard struct{ Index, Count int }

// ParseShard reads "i/n" (0-based: 0/4 … 3/4, as a Kubernetes
// JOB_COMPLETION_INDEX counts).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 {
		return Shard{}, fmt.Errorf("shard %q: want i/n, e.g. 0/4 (i counts from 0)", s)
	}
	if i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: i must be in 0..%d (it counts from 0)", s, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Of returns the shard's slice of subs (sorted by name, as List returns
// them): every Count-th from Index. Every shard must see the same list;
// Merge checks that they did.
func (s Shard) Of(subs []Submission) []Submission {
	if s.Count <= 1 {
		return subs
	}
	var out []Submission
	for i, sub := range subs {
		if i%s.Count == s.Index {
			out = append(out, sub)
		}
	}
	return out
}

// ShardInfo is OUT/shard.json: what a (possibly sharded) class run graded,
// so Merge can check that the slices fit together.
type ShardInfo struct {
	Index  int    `json:"index"`
	Count  int    `json:"count"`
	Rubric string `json:"rubric"` // the rubric's hash
	// Class is the hash of every submission's name in the directory
	// (the whole class, not the slice), and Total their number.
	Class    string   `json:"class"`
	Total    int      `json:"total"`
	Students []string `json:"students"` // this slice's, sorted
}

// Event is one submission's end, for a progress display.
type Event struct {
	Name   string
	Cached bool // the result came from the cache
	Score  float64
	Max    float64
	Err    error // the grader's own failure for this submission
	Wall   time.Duration
}

// Config is a class run.
type Config struct {
	Dir    string // the submissions
	Out    string // the output directory
	Rubric *rubric.Rubric
	// Base is the sandbox settings (lab root, work dir); its Parallel, if
	// zero, is set so that Parallel submissions at a time use the cores.
	Base     sandbox.Options
	Parallel int   // submissions at once (default: the cores)
	Shard    Shard // zero: the whole class
	// BuildID identifies the grader's build and lab (see BuildID); it is
	// part of every cache key.
	BuildID string
	// Start is called once the slice is known (total to grade, already
	// cached); Progress after each submission, from any goroutine but
	// never two at once.
	Start    func(total, cached int)
	Progress func(Event)
}

// Summary is what a class run did.
type Summary struct {
	Graded, Cached int
	Failed         []Event // the grader's own failures, by submission
	Results        []*result.Result
	Wall           time.Duration
}

// Run grades the shard's slice of the class: each submission's result
// comes from OUT/cache/<key> when there (key: the submission's content
// hash, the rubric's hash and the build), and is graded into it
// otherwise; then it is copied to OUT/<student>/ and OUT/gradebook.csv
// and OUT/shard.json are written. A submission the grader fails on is
// reported in the summary and OUT/errors.txt; the others still grade.
func Run(ctx context.Context, c Config) (*Summary, error) {
	start := time.Now()
	all, err := List(c.Dir)
	if err != nil {
		return nil, err
	}
	// The output directory may lie inside the class directory: it is not
	// a student.
	if outAbs, err := filepath.Abs(c.Out); err == nil {
		all = slices.DeleteFunc(all, func(s Submission) bool {
			a, err := filepath.Abs(s.Path)
			return err == nil && a == outAbs
		})
	}
	if c.Shard.Count == 0 {
		c.Shard = Shard{Count: 1}
	}
	subs := c.Shard.Of(all)
	if c.Parallel <= 0 {
		c.Parallel = runtime.NumCPU()
	}
	if c.Base.Parallel <= 0 {
		c.Base.Parallel = max(1, runtime.NumCPU()/c.Parallel)
	}
	if err := os.MkdirAll(filepath.Join(c.Out, CacheDir), 0o755); err != nil {
		return nil, fmt.Errorf("class: %w", err)
	}
	// Entries an interrupted run was writing.
	if parts, err := filepath.Glob(filepath.Join(c.Out, CacheDir, "*"+partialSuffix+"*")); err == nil {
		for _, p := range parts {
			_ = os.RemoveAll(p) // best effort: a leftover is only disk space
		}
	}
	// The keys first (intake only reads and hashes), so the progress
	// display knows what is left.
	keys := make([]string, len(subs))
	var keyErr []Event
	cached := 0
	for i, s := range subs {
		sub, err := intake.Load(ctx, s.Path, c.Base.Limits)
		if err != nil {
			keyErr = append(keyErr, Event{Name: s.Name, Err: err})
			continue
		}
		keys[i] = cacheKey(sub.Hash, c.Rubric.Hash(), c.BuildID)
		if _, err := os.Stat(filepath.Join(c.Out, CacheDir, keys[i], ResultFile)); err == nil {
			cached++
		}
	}
	if c.Start != nil {
		c.Start(len(subs), cached)
	}
	sum := &Summary{Failed: keyErr}
	var mu sync.Mutex
	report := func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case ev.Err != nil:
			sum.Failed = append(sum.Failed, ev)
		case ev.Cached:
			sum.Cached++
		default:
			sum.Graded++
		}
		if c.Progress != nil {
			c.Progress(ev)
		}
	}
	for _, ev := range keyErr {
		if c.Progress != nil {
			c.Progress(ev)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.Parallel)
	for i, s := range subs {
		if keys[i] == "" {
			continue
		}
		g.Go(func() error {
			ev := one(gctx, c, s, keys[i])
			if gctx.Err() != nil {
				return gctx.Err() // canceled: stop, what is cached stays
			}
			report(ev)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("class: %w", err)
	}
	for _, s := range subs {
		r, err := result.ReadFile(filepath.Join(c.Out, s.Name, ResultFile))
		if err == nil {
			sum.Results = append(sum.Results, r)
		}
	}
	slices.SortFunc(sum.Failed, func(a, b Event) int { return strings.Compare(a.Name, b.Name) })
	if err := writeClassFiles(c, all, subs, sum); err != nil {
		return nil, err
	}
	sum.Wall = time.Since(start)
	return sum, nil
}

// one grades (or finds in the cache) one submission and copies its
// reports to OUT/<student>.
func one(ctx context.Context, c Config, s Submission, key string) Event {
	start := time.Now()
	ev := Event{Name: s.Name}
	cdir := filepath.Join(c.Out, CacheDir, key)
	var res *result.Result
	if r, err := result.ReadFile(filepath.Join(cdir, ResultFile)); err == nil {
		res, ev.Cached = r, true
	} else {
		// Graded into a fresh directory renamed into place only when
		// complete: an interrupted run leaves no half entry behind.
		part, err := os.MkdirTemp(filepath.Join(c.Out, CacheDir), key+partialSuffix+"*")
		if err != nil {
			ev.Err = fmt.Errorf("class: %w", err)
			return ev
		}
		defer func() { _ = os.RemoveAll(part) }() // gone once renamed; otherwise a failed attempt
		gr, err := Grade(ctx, s.Path, c.Rubric, c.Base, part)
		if err != nil {
			ev.Err = err
			return ev
		}
		if err := os.Rename(part, cdir); err != nil {
			// Two students with the same files (it happens) share a key:
			// whichever finished first is the entry.
			if _, serr := os.Stat(filepath.Join(cdir, ResultFile)); serr != nil {
				ev.Err = fmt.Errorf("class: %w", err)
				return ev
			}
		}
		res = gr.Result
	}
	dst := filepath.Join(c.Out, s.Name)
	if err := os.RemoveAll(dst); err != nil {
		ev.Err = fmt.Errorf("class: %w", err)
		return ev
	}
	if err := copyTree(cdir, dst); err != nil {
		ev.Err = fmt.Errorf("class: %w", err)
		return ev
	}
	// The result names the submission as intake did ("bob.zip"), or as
	// another student with the same files did when it came from the
	// cache: the gradebook names the student.
	if res.Submission != s.Name {
		res = res.Clone()
		res.Submission = s.Name
		if err := Write(dst, res); err != nil {
			ev.Err = fmt.Errorf("class: %w", err)
			return ev
		}
	}
	ev.Score, ev.Max, ev.Wall = res.Score, res.MaxScore, time.Since(start)
	return ev
}

func writeClassFiles(c Config, all, subs []Submission, sum *Summary) error {
	if err := report.WriteFile(filepath.Join(c.Out, GradebookFile), func(w io.Writer) error {
		return report.Gradebook(w, sum.Results)
	}); err != nil {
		return fmt.Errorf("class: %w", err)
	}
	info := ShardInfo{Index: c.Shard.Index, Count: c.Shard.Count, Rubric: c.Rubric.Hash(), Class: classHash(all), Total: len(all)}
	for _, s := range subs {
		info.Students = append(info.Students, s.Name)
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("class: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.Out, ShardFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("class: %w", err)
	}
	errPath := filepath.Join(c.Out, ErrorsFile)
	if len(sum.Failed) == 0 {
		if err := os.Remove(errPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("class: %w", err)
		}
		return nil
	}
	var lines []string
	for _, ev := range sum.Failed {
		lines = append(lines, fmt.Sprintf("%s: %v", ev.Name, ev.Err))
	}
	if err := os.WriteFile(errPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("class: %w", err)
	}
	return nil
}

func classHash(all []Submission) string {
	h := sha256.New()
	for _, s := range all {
		_, _ = io.WriteString(h, s.Name+"\n") // a hash's Write never fails
	}
	return hex.EncodeToString(h.Sum(nil))
}

func cacheKey(subHash, rubricHash, build string) string {
	sum := sha256.Sum256([]byte(subHash + "\n" + rubricHash + "\n" + build))
	return hex.EncodeToString(sum[:16])
}

// BuildID identifies what grades besides the submission and the rubric:
// the grader's own executable and the lab's sources the build tree takes
// (go.mod, go.sum and every non-test .go file under labRoot that the
// handout keeps, per its .handoutignore, and the hidden scenarios),
// skipping hidden directories, testdata, the student package's directory
// and the paths in skip, such as the class and output directories when
// they lie inside the lab. Editing the grader's own sources or the
// reference re-grades nothing until the grader is rebuilt with them.
func BuildID(labRoot string, skip ...string) (string, error) {
	h := sha256.New()
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("build id: %w", err)
	}
	if err := hashFile(h, exe); err != nil {
		return "", fmt.Errorf("build id: %w", err)
	}
	var skipAbs []string
	for _, s := range skip {
		if a, err := filepath.Abs(s); err == nil {
			skipAbs = append(skipAbs, a)
		}
	}
	ig := &intake.Ignore{} // no .handoutignore: every file counts
	if b, err := os.ReadFile(filepath.Join(labRoot, intake.HandoutIgnore)); err == nil {
		if ig, err = intake.ParseIgnore(b); err != nil {
			return "", fmt.Errorf("build id: %w", err)
		}
	}
	student := filepath.Join(labRoot, filepath.FromSlash(intake.StudentPackage))
	hidden := filepath.Join(labRoot, filepath.FromSlash(intake.HiddenPackage))
	err = filepath.WalkDir(labRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(labRoot, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			base := d.Name()
			abs, _ := filepath.Abs(p)
			if p != labRoot && (strings.HasPrefix(base, ".") || base == "testdata" || p == student || slices.Contains(skipAbs, abs) ||
				ig.Match(rel, true) && p != hidden && !strings.HasPrefix(hidden, p+string(filepath.Separator))) {
				return filepath.SkipDir
			}
			return nil
		}
		if ig.Match(rel, false) && filepath.Dir(p) != hidden {
			return nil
		}
		name := d.Name()
		source := name == "go.mod" || name == "go.sum" || strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")
		if !d.Type().IsRegular() || !source {
			return nil
		}
		_, _ = io.WriteString(h, rel+"\n")
		return hashFile(h, p)
	})
	if err != nil {
		return "", fmt.Errorf("build id: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	_, err = io.Copy(w, f)
	return err
}

// copyTree copies the regular files and directories under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer func() { _ = in.Close() }()
		return report.WriteFile(to, func(w io.Writer) error { _, err := io.Copy(w, in); return err })
	})
}

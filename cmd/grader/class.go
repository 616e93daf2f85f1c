package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/raftlab/raftlab/grader/class"
	"github.com/raftlab/raftlab/grader/publish"
	"github.com/raftlab/raftlab/grader/sandbox"
	"github.com/raftlab/raftlab/labs"
)

func cmdClass(args []string, stdout, stderr io.Writer) error {
	fs := flags("class", stderr)
	rubricPath := fs.String("rubric", "", "the rubric file (default: the embedded default rubric)")
	out := fs.String("out", "grader-out/class", "the output directory: gradebook.csv, <student>/ and cache/")
	parallel := fs.Int("parallel", 0, "submissions graded at once (default: the number of cores)")
	shard := fs.String("shard", "", "grade one slice i/n of the class (0 ≤ i < n; e.g. $JOB_COMPLETION_INDEX/4); join slices with grader merge")
	hidden := fs.Bool("hidden", true, "run the rubric's hidden scenarios and hidden seeds")
	var stages stringsFlag
	fs.Var(&stages, "stages", "grade only these stages (comma-separated)")
	lab := fs.String("lab", "", "the lab's module root (default: found from the working directory)")
	publishURL := fs.String("publish", "", "post every result, signed with the key in $"+publish.KeyEnv+", to a class scoreboard (https://HOST/api/courses/COURSE/results)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	pub, err := newPublisher(*publishURL)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: class takes one directory of submissions", errUsage)
	}
	var sh class.Shard
	if *shard != "" {
		var err error
		if sh, err = class.ParseShard(*shard); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
	}
	rb, err := gradeRubric(*rubricPath, stages, *hidden, stderr)
	if err != nil {
		return err
	}
	labRoot := *lab
	if labRoot == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		if labRoot, err = labs.ModuleRoot(wd); err != nil {
			return fmt.Errorf("find the lab: %w", err)
		}
	}
	build, err := class.BuildID(labRoot, pos[0], *out)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	p := newProgress(stderr)
	sum, err := class.Run(ctx, class.Config{
		Dir: pos[0], Out: *out, Rubric: rb, Parallel: *parallel, Shard: sh, BuildID: build,
		Base:  sandbox.Options{LabRoot: labRoot},
		Start: p.begin, Progress: p.event,
	})
	p.finish()
	if err != nil {
		return err
	}
	sayf(stdout, "graded %d, %d from the cache, in %s: %s\n", sum.Graded, sum.Cached, sum.Wall.Round(time.Second), filepath.Join(*out, class.GradebookFile))
	if pub != nil {
		if err := pub.publishClass(ctx, *out, stderr); err != nil {
			return err
		}
	}
	if len(sum.Failed) > 0 {
		for _, ev := range sum.Failed {
			sayf(stderr, "grader: %s: %v\n", ev.Name, ev.Err)
		}
		return fmt.Errorf("%d submission(s) could not be graded (listed above and in %s); the others are in the gradebook", len(sum.Failed), filepath.Join(*out, class.ErrorsFile))
	}
	return nil
}

func cmdMerge(args []string, stdout, stderr io.Writer) error {
	fs := flags("merge", stderr)
	out := fs.String("out", "", "the merged output directory (required)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || len(pos) == 0 {
		return fmt.Errorf("%w: merge OUT1 OUT2 ... --out OUT", errUsage)
	}
	sum, err := class.Merge(pos, *out)
	if err != nil {
		return err
	}
	sayf(stdout, "merged %d shard(s): %d students in %s\n", len(pos), sum.Graded, filepath.Join(*out, class.GradebookFile))
	if len(sum.Failed) > 0 {
		for _, ev := range sum.Failed {
			sayf(stderr, "grader: %s: no result: %v\n", ev.Name, ev.Err)
		}
		return fmt.Errorf("%d student(s) have no result in their shard (see the shard's %s)", len(sum.Failed), class.ErrorsFile)
	}
	return nil
}

// progress shows a class run: a bar with an ETA on a terminal, one line
// per submission otherwise (a CI log, a file).
type progress struct {
	w      io.Writer
	tty    bool
	bar    *progressbar.ProgressBar
	done   int
	total  int
	start  time.Time
	cached int
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *progress) begin(total, cached int) {
	p.total, p.cached = total, cached
	if cached > 0 {
		sayf(p.w, "%d of %d submission(s) already graded (cache): skipped\n", cached, total)
	}
	if p.tty && total-cached > 0 {
		// The bar counts only what is graded, so its ETA is not skewed
		// by cache hits that take no time.
		p.bar = progressbar.NewOptions(total-cached,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("grading"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionFullWidth(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetRenderBlankState(true), // the bar from the start, not after the first submission
		)
	}
}

func (p *progress) event(ev class.Event) {
	p.done++
	if ev.Cached {
		return
	}
	if p.bar != nil {
		if ev.Err != nil {
			_ = p.bar.Clear() // best effort: the terminal display only
			sayf(p.w, "%s: grader error: %v\n", ev.Name, ev.Err)
		}
		_ = p.bar.Add(1)
		return
	}
	line := fmt.Sprintf("%s: %s / %s in %s", ev.Name, pointsText(ev.Score), pointsText(ev.Max), ev.Wall.Round(100*time.Millisecond))
	if ev.Err != nil {
		line = fmt.Sprintf("%s: grader error: %v", ev.Name, ev.Err)
	}
	graded := p.done - p.cached
	left := p.total - p.done
	eta := ""
	if graded > 0 && left > 0 {
		per := time.Since(p.start) / time.Duration(graded)
		eta = fmt.Sprintf(", ETA %s", (per * time.Duration(left)).Round(time.Second))
	}
	sayf(p.w, "[%d/%d%s] %s\n", p.done, p.total, eta, line)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		say(p.w, "\n")
	}
}

func pointsText(x float64) string {
	s := fmt.Sprintf("%.2f", x)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return trimDot(s)
}

func trimDot(s string) string {
	if s[len(s)-1] == '.' {
		return s[:len(s)-1]
	}
	return s
}

// parseInterspersed parses flags that may come before or after the
// positional arguments (grader merge A B --out OUT), which the flag
// package alone stops at, and returns the positional ones. "--" ends the
// flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

package class

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/raftlab/raftlab/grader/report"
	"github.com/raftlab/raftlab/grader/result"
)

// ReadShard reads dir/shard.json.
func ReadShard(dir string) (*ShardInfo, error) {
	b, err := os.ReadFile(filepath.Join(dir, ShardFile))
	if err != nil {
		return nil, fmt.Errorf("merge: %s is not a class run's output (no %s): %w", dir, ShardFile, err)
	}
	var info ShardInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("merge: %s: %w", filepath.Join(dir, ShardFile), err)
	}
	return &info, nil
}

// Merge joins the outputs of a sharded class run (each a grader class
// --shard i/n OUT) into out: every student's directory, one gradebook,
// and a shard.json of the whole class. It refuses shards of different
// classes, rubrics or counts, a shard given twice or missing, and a
// student in two shards, naming which.
func Merge(dirs []string, out string) (*Summary, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("merge: no shard directories")
	}
	infos := make([]*ShardInfo, len(dirs))
	for i, d := range dirs {
		info, err := ReadShard(d)
		if err != nil {
			return nil, err
		}
		infos[i] = info
	}
	first := infos[0]
	byIndex := map[int]string{}
	owner := map[string]string{}
	for i, info := range infos {
		d := dirs[i]
		switch {
		case info.Count != first.Count:
			return nil, fmt.Errorf("merge: %s is shard %d/%d but %s is shard %d/%d: the shards come from runs with different --shard counts", d, info.Index, info.Count, dirs[0], first.Index, first.Count)
		case info.Rubric != first.Rubric:
			return nil, fmt.Errorf("merge: %s and %s were graded with different rubrics (hashes %.12s and %.12s)", d, dirs[0], info.Rubric, first.Rubric)
		case info.Class != first.Class || info.Total != first.Total:
			return nil, fmt.Errorf("merge: %s and %s saw different class directories (%d and %d submissions): every shard must grade the same listing", d, dirs[0], info.Total, first.Total)
		}
		if prev, ok := byIndex[info.Index]; ok {
			return nil, fmt.Errorf("merge: shard %d/%d is given twice (%s and %s): overlapping shards", info.Index, info.Count, prev, d)
		}
		byIndex[info.Index] = d
		for _, s := range info.Students {
			if prev, ok := owner[s]; ok {
				return nil, fmt.Errorf("merge: student %q is in both %s and %s: overlapping shards", s, prev, d)
			}
			owner[s] = d
		}
	}
	var missing []string
	for i := range first.Count {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, first.Count))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("merge: missing shard(s) %s: run grader class --shard for them (or pass their output directories)", strings.Join(missing, ", "))
	}
	if len(owner) != first.Total {
		return nil, fmt.Errorf("merge: the shards hold %d students but the class has %d", len(owner), first.Total)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	students := make([]string, 0, len(owner))
	for s := range owner {
		students = append(students, s)
	}
	slices.Sort(students)
	sum := &Summary{}
	for _, s := range students {
		src := filepath.Join(owner[s], s)
		r, err := result.ReadFile(filepath.Join(src, ResultFile))
		if err != nil {
			// The shard could not grade this one (its errors.txt says why).
			sum.Failed = append(sum.Failed, Event{Name: s, Err: err})
			continue
		}
		dst := filepath.Join(out, s)
		if filepath.Clean(src) != filepath.Clean(dst) {
			if err := os.RemoveAll(dst); err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
			if err := copyTree(src, dst); err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
		}
		sum.Results = append(sum.Results, r)
		sum.Graded++
	}
	if err := report.WriteFile(filepath.Join(out, GradebookFile), func(w io.Writer) error {
		return report.Gradebook(w, sum.Results)
	}); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	whole := ShardInfo{Index: 0, Count: 1, Rubric: first.Rubric, Class: first.Class, Total: first.Total, Students: students}
	b, err := json.MarshalIndent(whole, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if err := os.WriteFile(filepath.Join(out, ShardFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return sum, nil
}

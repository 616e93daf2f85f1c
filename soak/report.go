package soak

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// ReportFormat names the JSON form of a Report (WriteJSON, ReadReport); a
// file of another format or version is refused.
const (
	ReportFormat  = "raftlab-soak-report"
	ReportVersion = 1
)

// ErrMerge is returned for shard reports that do not make one soak.
var ErrMerge = errors.New("soak: cannot merge")

type reportFile struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	*Report
}

// WriteJSON writes r as JSON, tagged with its format and version.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(reportFile{Format: ReportFormat, Version: ReportVersion, Report: r}); err != nil {
		return fmt.Errorf("soak: write the report: %w", err)
	}
	return nil
}

// WriteFile writes r as JSON to path.
func (r *Report) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	if err := r.WriteJSON(f); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	return nil
}

// ReadReport reads a report written by WriteJSON.
func ReadReport(r io.Reader) (*Report, error) {
	file := reportFile{Report: &Report{}}
	if err := json.NewDecoder(r).Decode(&file); err != nil {
		return nil, fmt.Errorf("soak: read a report: %w", err)
	}
	if file.Format != ReportFormat || file.Version != ReportVersion {
		return nil, fmt.Errorf("soak: not a soak report of version %d (format %q, version %d)", ReportVersion, file.Format, file.Version)
	}
	return file.Report, nil
}

// ReadReportFile reads the report at path.
func ReadReportFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	defer func() { _ = f.Close() }()
	rep, err := ReadReport(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// Merge joins the reports of every shard of one soak (same implementation,
// seed range, mixes and options; shards 0 … n-1 of n, each once) into the
// report one unsharded run would have given: counts add up, each mix lists
// its lowest failing seeds, and wall times add up (the CPU the soak took,
// not how long it lasted).
func Merge(reports ...*Report) (*Report, error) {
	if len(reports) == 0 {
		return nil, fmt.Errorf("%w: no reports", ErrMerge)
	}
	first := reports[0]
	count := max(first.Shard.Count, 1)
	seen := make([]bool, count)
	for _, r := range reports {
		if err := sameSoak(first, r); err != nil {
			return nil, err
		}
		if max(r.Shard.Count, 1) != count {
			return nil, fmt.Errorf("%w: shard %s and shard %s split the seeds differently", ErrMerge, first.Shard, r.Shard)
		}
		for _, m := range r.Mixes {
			if want := len(r.Shard.Seeds(r.FirstSeed, r.Seeds)); m.Runs != want {
				return nil, fmt.Errorf("%w: shard %s is incomplete: mix %s ran %d of its %d seeds", ErrMerge, r.Shard, m.Mix, m.Runs, want)
			}
		}
		if seen[r.Shard.Index] {
			return nil, fmt.Errorf("%w: shard %s given twice", ErrMerge, r.Shard)
		}
		seen[r.Shard.Index] = true
	}
	var missing []string
	for i, ok := range seen {
		if !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: missing shards %s", ErrMerge, strings.Join(missing, ", "))
	}
	out := *first
	out.Shard = Shard{Index: 0, Count: 1}
	out.Mixes = make([]MixReport, len(first.Mixes))
	out.Total = MixReport{Mix: "total"}
	for i := range out.Mixes {
		m := MixReport{Mix: first.Mixes[i].Mix}
		var fails []Failure
		for _, r := range reports {
			fails = append(fails, r.Mixes[i].Failures...)
			m.add(&r.Mixes[i], 0)
		}
		slices.SortStableFunc(fails, func(a, b Failure) int {
			switch {
			case a.Seed < b.Seed:
				return -1
			case a.Seed > b.Seed:
				return 1
			}
			return 0
		})
		m.Failures = slices.Clip(fails[:min(len(fails), out.MaxFailures)])
		out.Mixes[i] = m
		out.Total.add(&m, out.MaxFailures)
	}
	out.Total.Wall = 0
	for _, r := range reports {
		out.Total.Wall += r.Total.Wall
	}
	return &out, nil
}

// sameSoak checks that two shard reports come from one soak.
func sameSoak(a, b *Report) error {
	mixes := func(r *Report) []string {
		var out []string
		for _, m := range r.Mixes {
			out = append(out, m.Mix)
		}
		return out
	}
	for _, d := range []struct {
		what string
		a, b any
	}{
		{"implementation", a.Implementation, b.Implementation},
		{"seeds", a.Seeds, b.Seeds},
		{"first seed", a.FirstSeed, b.FirstSeed},
		{"nodes", a.Nodes, b.Nodes},
		{"duration", a.Duration, b.Duration},
		{"liveness phase", a.Liveness, b.Liveness},
		{"failures listed", a.MaxFailures, b.MaxFailures},
		{"mixes", strings.Join(mixes(a), ","), strings.Join(mixes(b), ",")},
	} {
		if d.a != d.b {
			return fmt.Errorf("%w: shard %s and shard %s differ in %s (%v, %v)", ErrMerge, a.Shard, b.Shard, d.what, d.a, d.b)
		}
	}
	return nil
}

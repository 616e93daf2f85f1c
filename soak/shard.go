package soak

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Shard is one part of a seed range, so that one soak runs as many
// processes (a CI job matrix, a Kubernetes indexed Job): shard Index of
// Count runs the seeds s of the range with s ≡ Index (mod Count). The
// shards of a range cover it exactly once, whatever the range, and a seed
// belongs to the same shard whatever range it is run in. The zero value,
// like {0, 1}, is the whole range.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ErrBadShard is returned for a shard that is not "i/n" with 0 ≤ i < n.
var ErrBadShard = errors.New("bad shard")

// ParseShard reads a shard written "i/n" (0 ≤ i < n), as -shard takes it.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("%w %q: want i/n, as 0/4", ErrBadShard, s)
	}
	sh := Shard{Index: i, Count: n}
	if err := sh.validate(); err != nil {
		return Shard{}, err
	}
	return sh, nil
}

func (s Shard) String() string {
	if s.Count == 0 {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

func (s Shard) validate() error {
	if s.Count == 0 && s.Index == 0 {
		return nil
	}
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("%w %d/%d: want i/n with 0 ≤ i < n", ErrBadShard, s.Index, s.Count)
	}
	return nil
}

// Seeds lists, in increasing order, the seeds of first … first+n-1 that
// belong to the shard.
func (s Shard) Seeds(first uint64, n int) []uint64 {
	count := uint64(max(s.Count, 1))
	want := uint64(s.Index) % count
	// The first seed of the range that is ≡ Index (mod Count).
	start := first + (want+count-first%count)%count
	out := make([]uint64, 0, n/int(count)+1)
	for seed := start; seed-first < uint64(n) && seed >= first; seed += count {
		out = append(out, seed)
	}
	return out
}

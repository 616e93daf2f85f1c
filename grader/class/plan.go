// Package class grades submissions by a rubric: one (Grade, which maps
// the rubric onto the sandbox's options, runs it and writes the reports),
// or a whole class (Run: in parallel, resumable through a cache keyed by
// content, and in shards that Merge joins into one gradebook).
package class

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/grader/sandbox"
	"github.com/raftlab/raftlab/labs"
)

// A Pass is one sandbox.Grade call. The sandbox runs every scenario of a
// call with one seed count and one salt, while a rubric gives each
// scenario its own public count and, besides, hidden seeds shifted by the
// salt: the rubric's scenarios are grouped by (count, salt), one pass per
// group. The first pass also runs the rule tests; the others do not.
type Pass struct {
	Seeds int    // seeds per scenario (0: the suite's default)
	Salt  uint64 // 0 for the public seeds, the rubric's salt for hidden ones
	// Members are the stage/scenario pairs whose runs this pass scores;
	// a scenario of the same name in another of the pass's stages runs
	// too (the sandbox filters by name alone) and is dropped.
	Members map[labs.Stage][]string
	Rules   bool
	// Hidden says a member is one of labs/hidden's scenarios, which the
	// sandbox adds only when asked.
	Hidden bool
}

// Stages are the pass's stages, in the labs' order.
func (p Pass) Stages() []labs.Stage {
	var out []labs.Stage
	for _, st := range labs.Stages {
		if _, ok := p.Members[st]; ok {
			out = append(out, st)
		}
	}
	return out
}

// names is the sandbox's name filter: the members of every stage.
func (p Pass) names() []string {
	var out []string
	for _, ns := range p.Members {
		for _, n := range ns {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		// The sandbox reads an empty filter as "every scenario": a
		// name no scenario has runs none (the pass runs only rules).
		out = []string{"-"}
	}
	return out
}

type passKey struct {
	seeds  int
	salt   uint64
	hidden bool // hidden seeds stay apart from public ones even under a zero salt
}

// Plan turns a rubric into the sandbox calls that run exactly what it
// scores. Every stage the rubric scores is in the first pass (its rule
// tests run there, once).
func Plan(r *rubric.Rubric) []Pass {
	byKey := map[passKey]*Pass{}
	var order []passKey
	add := func(k passKey, st labs.Stage, name string, hidden bool) {
		p, ok := byKey[k]
		if !ok {
			p = &Pass{Seeds: k.seeds, Salt: k.salt, Members: map[labs.Stage][]string{}}
			byKey[k] = p
			order = append(order, k)
		}
		p.Members[st] = append(p.Members[st], name)
		p.Hidden = p.Hidden || hidden
	}
	for _, st := range r.Stages {
		for _, sc := range st.Scenarios {
			add(passKey{seeds: sc.Seeds}, st.Stage, sc.Name, sc.Hidden)
			if sc.HiddenSeeds > 0 {
				add(passKey{seeds: sc.HiddenSeeds, salt: r.Salt, hidden: true}, st.Stage, sc.Name, sc.Hidden)
			}
		}
	}
	if len(order) == 0 {
		order = append(order, passKey{})
		byKey[passKey{}] = &Pass{Members: map[labs.Stage][]string{}}
	}
	// The first pass is the public one with the most members; it carries
	// the rule tests of every stage.
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.hidden != b.hidden {
			return !a.hidden
		}
		return count(byKey[a]) > count(byKey[b])
	})
	first := byKey[order[0]]
	first.Rules = true
	for _, st := range r.Stages {
		if _, ok := first.Members[st.Stage]; !ok {
			first.Members[st.Stage] = nil
		}
	}
	out := make([]Pass, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out
}

func count(p *Pass) int {
	n := 0
	for _, ns := range p.Members {
		n += len(ns)
	}
	return n
}

// Options are the sandbox options of a pass: base (the grader's own
// settings: lab, work dir, parallelism, trace dir) with the rubric's
// limits and the pass's stages, scenarios, seeds and salt.
func (p Pass) Options(r *rubric.Rubric, base sandbox.Options) sandbox.Options {
	o := base
	o.Stages = p.Stages()
	o.Scenarios = p.names()
	o.Hidden = p.Hidden
	o.Seeds = p.Seeds
	o.Salt = p.Salt
	o.NoRules = !p.Rules
	if o.StageTimeout <= 0 {
		o.StageTimeout = StageTimeout(r, o.Stages)
	}
	if o.MemoryBytes <= 0 && r.MemoryLimitMB > 0 {
		o.MemoryBytes = int64(r.MemoryLimitMB) << 20
	}
	return o
}

// StageTimeout is the wall-clock limit the sandbox gets for stages: it
// takes one limit for every stage of a call, so a rubric's per-stage
// limits become their largest (see Unsupported).
func StageTimeout(r *rubric.Rubric, stages []labs.Stage) time.Duration {
	var longest time.Duration
	for _, st := range stages {
		if s, ok := r.Stage(st); ok && s.TimeLimit > longest {
			longest = s.TimeLimit
		}
	}
	if longest == 0 {
		longest = rubric.DefaultTimeLimit
	}
	return longest
}

// Unsupported says which of the rubric's settings the sandbox cannot
// apply as written, one line each (empty when it applies them all).
func Unsupported(r *rubric.Rubric) []string {
	var out []string
	limits := map[time.Duration]bool{}
	for _, st := range r.Stages {
		limits[st.TimeLimit] = true
	}
	if len(limits) > 1 {
		var stages []labs.Stage
		for _, st := range r.Stages {
			stages = append(stages, st.Stage)
		}
		out = append(out, fmt.Sprintf("per-stage time limits: the sandbox takes one wall-clock limit per call, so every stage gets the largest, %s", StageTimeout(r, stages)))
	}
	return out
}

// Select narrows a rubric to what a run grades: only the given stages
// (nil: all), and without its hidden scenarios and hidden seeds unless
// hidden. The result is scored out of its own maximum, and its hash
// differs from the full rubric's, so cached results never mix.
func Select(r *rubric.Rubric, stages []labs.Stage, hidden bool) (*rubric.Rubric, error) {
	for _, st := range stages {
		if _, ok := r.Stage(st); !ok {
			var have []string
			for _, s := range r.Stages {
				have = append(have, string(s.Stage))
			}
			return nil, fmt.Errorf("the rubric does not score stage %q (it scores: %v)", st, have)
		}
	}
	out := *r
	out.Stages = nil
	for _, st := range r.Stages {
		if len(stages) > 0 && !slices.Contains(stages, st.Stage) {
			continue
		}
		s := st
		s.Scenarios = nil
		for _, sc := range st.Scenarios {
			if !hidden {
				if sc.Hidden {
					continue
				}
				sc.HiddenSeeds = 0
			}
			s.Scenarios = append(s.Scenarios, sc)
		}
		out.Stages = append(out.Stages, s)
	}
	return &out, nil
}

// merge folds a later pass's outcome into the first one's: a pass keeps
// only its members' runs; a scenario's seeds add up and its first
// failure is kept; a stage that did not run in some pass takes that
// pass's verdict (its unrun seeds would otherwise look passed).
func merge(into, from *result.Outcome, p Pass) {
	for _, n := range from.Isolation {
		if !slices.Contains(into.Isolation, n) {
			into.Isolation = append(into.Isolation, n)
		}
	}
	for _, fs := range from.Stages {
		i := slices.IndexFunc(into.Stages, func(s result.StageOutcome) bool { return s.Stage == fs.Stage })
		if i < 0 {
			into.Stages = append(into.Stages, result.StageOutcome{Stage: fs.Stage, Verdict: result.StageRan})
			i = len(into.Stages) - 1
		}
		ts := &into.Stages[i]
		ts.WallMs += fs.WallMs
		if fs.Verdict != result.StageRan && ts.Verdict == result.StageRan {
			ts.Verdict, ts.Detail = fs.Verdict, fs.Detail
		}
		for _, sc := range fs.Scenarios {
			if !slices.Contains(p.Members[fs.Stage], sc.Name) {
				continue
			}
			j := slices.IndexFunc(ts.Scenarios, func(s result.ScenarioOutcome) bool { return s.Name == sc.Name })
			if j < 0 {
				ts.Scenarios = append(ts.Scenarios, sc)
				continue
			}
			t := &ts.Scenarios[j]
			t.SeedsRun += sc.SeedsRun
			t.SeedsPassed += sc.SeedsPassed
			t.WallMs += sc.WallMs
			if t.Failure == nil && sc.Failure != nil {
				t.Failure, t.Report = sc.Failure, sc.Report
			}
		}
	}
}

// keep drops from o the runs that are not the pass's members (a name
// shared by two stages runs in both).
func keep(o *result.Outcome, p Pass) {
	for i := range o.Stages {
		st := &o.Stages[i]
		st.Scenarios = slices.DeleteFunc(st.Scenarios, func(s result.ScenarioOutcome) bool {
			return !slices.Contains(p.Members[st.Stage], s.Name)
		})
	}
}

package rubric

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/labs/hidden"
	"github.com/raftlab/raftlab/labs/rules"
)

// The file's shape, as TOML decodes it. Pointers mark values whose absence
// differs from zero (a default applies).
type file struct {
	Version          int                   `toml:"version"`
	Title            string                `toml:"title"`
	HiddenSalt       uint64                `toml:"hidden_salt"`
	HiddenSeeds      *int                  `toml:"hidden_seeds"`
	Partial          string                `toml:"partial"`
	Visibility       string                `toml:"visibility"`
	HiddenVisibility string                `toml:"hidden_visibility"`
	StdoutVisibility string                `toml:"stdout_visibility"`
	TimeLimit        string                `toml:"time_limit"`
	MemoryLimitMB    *int                  `toml:"memory_limit_mb"`
	Lint             *lintFile             `toml:"lint"`
	Stages           map[string]*stageFile `toml:"stages"`
}

type lintFile struct {
	Policy    string   `toml:"policy"`
	Deduct    *float64 `toml:"deduct"`
	MaxDeduct *float64 `toml:"max_deduct"`
}

type stageFile struct {
	TimeLimit   string                   `toml:"time_limit"`
	Partial     string                   `toml:"partial"`
	Visibility  string                   `toml:"visibility"`
	HiddenSeeds *int                     `toml:"hidden_seeds"`
	Rules       *rulesFile               `toml:"rules"`
	Scenarios   map[string]*scenarioFile `toml:"scenarios"`
}

type rulesFile struct {
	Points     *float64           `toml:"points"`
	PerRule    map[string]float64 `toml:"per_rule"`
	Partial    string             `toml:"partial"`
	Visibility string             `toml:"visibility"`
}

type scenarioFile struct {
	Points      *float64 `toml:"points"`
	Seeds       int      `toml:"seeds"`
	HiddenSeeds *int     `toml:"hidden_seeds"`
	Partial     string   `toml:"partial"`
	Visibility  string   `toml:"visibility"`
}

// FieldError is one thing wrong with a rubric, at a field.
type FieldError struct {
	Path    string   // the TOML path, e.g. "stages.election.scenarios.ReElection.points"
	Line    int      // 1-based; 0 if unknown (a missing field)
	Msg     string   // what is wrong
	Allowed []string // what the field may be, if it is one of a set
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		fmt.Fprintf(&b, "%s: ", e.Path)
	}
	b.WriteString(e.Msg)
	if len(e.Allowed) > 0 {
		fmt.Fprintf(&b, " (allowed: %s)", strings.Join(e.Allowed, ", "))
	}
	return b.String()
}

// Error is every problem Parse found in a rubric, in file order.
type Error struct {
	File   string // set by Load
	Fields []*FieldError
}

func (e *Error) Error() string {
	name := e.File
	if name == "" {
		name = "rubric"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s):", name, len(e.Fields))
	for _, f := range e.Fields {
		b.WriteString("\n  ")
		b.WriteString(f.Error())
	}
	return b.String()
}

// Unwrap gives the field errors to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	out := make([]error, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f
	}
	return out
}

// Parse decodes and validates a rubric. Its error, if any, is an *Error
// listing every problem found.
func Parse(b []byte) (*Rubric, error) {
	var f file
	dec := toml.NewDecoder(bytes.NewReader(b)).DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, decodeError(b, err)
	}
	v := validator{lines: keyLines(b)}
	r := v.resolve(&f)
	if len(v.errs) > 0 {
		slices.SortStableFunc(v.errs, func(a, b *FieldError) int { return a.Line - b.Line })
		return nil, &Error{Fields: v.errs}
	}
	return r, nil
}

// decodeError turns the TOML library's errors into field errors: an
// unknown key lists the keys allowed where it stands.
func decodeError(b []byte, err error) error {
	lines := keyLines(b)
	if sm, ok := errors.AsType[*toml.StrictMissingError](err); ok {
		out := &Error{}
		for i := range sm.Errors {
			de := &sm.Errors[i]
			line, _ := de.Position()
			key := exactKey(lines, line, de.Key())
			out.Fields = append(out.Fields, &FieldError{
				Path: strings.Join(key, "."), Line: line,
				Msg: "unknown key", Allowed: allowedKeys(key),
			})
		}
		return out
	}
	if de, ok := errors.AsType[*toml.DecodeError](err); ok {
		line, _ := de.Position()
		key := []string(de.Key())
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		// The library names the Go field ("struct field rubric.scenarioFile.Points
		// of type float64"): name the TOML key instead, and the type alone.
		if m := goField.FindStringSubmatch(msg); m != nil {
			key = append(slices.Clone(key), snake(m[1]))
			if _, ok := lines[strings.Join(key, ".")]; !ok {
				key = exactKey(lines, line, key)
			}
			msg = goField.ReplaceAllString(msg, "$2")
		}
		return &Error{Fields: []*FieldError{{Path: strings.Join(key, "."), Line: line, Msg: msg}}}
	}
	return &Error{Fields: []*FieldError{{Msg: err.Error()}}}
}

var goField = regexp.MustCompile(`struct field \S+\.(\w+) of type (\S+)`)

// snake turns a Go field name into the file's key: HiddenSeeds → hidden_seeds.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// exactKey recovers a key's full path from the line it is written on: the
// library drops the name of an inline table's key ("scenarios.seed" for
// ReElection = { seed = 3 } under [stages.election.scenarios]). Among the
// paths written on line that end with key's last part and start with its
// first parts, it picks the shortest; key itself if none.
func exactKey(lines map[string]int, line int, key []string) []string {
	if len(key) == 0 {
		return key
	}
	last := key[len(key)-1]
	prefix := strings.Join(key[:len(key)-1], ".")
	best := ""
	for p, l := range lines {
		if l != line || !strings.HasSuffix(p, "."+last) || !strings.HasPrefix(p, prefix) {
			continue
		}
		if best == "" || len(p) < len(best) || (len(p) == len(best) && p < best) {
			best = p
		}
	}
	if best == "" {
		return key
	}
	return strings.Split(best, ".")
}

// allowedKeys lists the keys the file's shape allows beside the last key
// of path (map levels take any name: stage and scenario names are checked
// after decoding, against the labs).
func allowedKeys(path []string) []string {
	t := reflect.TypeFor[file]()
	for _, k := range path[:max(len(path)-1, 0)] {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Map:
			t = t.Elem()
		case reflect.Struct:
			f, ok := fieldByTag(t, k)
			if !ok {
				return nil
			}
			t = f.Type
		default:
			return nil
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for f := range t.Fields() {
		out = append(out, tagName(f))
	}
	return out
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if tagName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return name
}

// keyLines maps each key's dotted path to the line it is written on, so
// that validation errors after decoding can point at the line.
func keyLines(b []byte) map[string]int {
	lines := map[string]int{}
	p := unstable.Parser{}
	p.Reset(b)
	var table []string
	var walk func(prefix []string, n *unstable.Node)
	walk = func(prefix []string, n *unstable.Node) {
		path := slices.Clone(prefix)
		line := 0
		for it := n.Key(); it.Next(); {
			k := it.Node()
			path = append(path, string(k.Data))
			if line == 0 {
				line = p.Shape(k.Raw).Start.Line
			}
			// Dotted keys define their prefixes where they are written.
			if _, seen := lines[strings.Join(path, ".")]; !seen {
				lines[strings.Join(path, ".")] = line
			}
		}
		if v := n.Value(); v != nil && v.Kind == unstable.InlineTable {
			for it := v.Children(); it.Next(); {
				walk(path, it.Node())
			}
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = table[:0]
			for it := e.Key(); it.Next(); {
				k := it.Node()
				table = append(table, string(k.Data))
				key := strings.Join(table, ".")
				if _, seen := lines[key]; !seen {
					lines[key] = p.Shape(k.Raw).Start.Line
				}
			}
		case unstable.KeyValue:
			walk(table, e)
		}
	}
	return lines
}

// MinSalt is the smallest salt hidden seeds may use: above any public
// seed count, so salted seeds never repeat public ones.
const MinSalt = 100_000

type validator struct {
	lines map[string]int
	errs  []*FieldError
}

// fail records a problem at path; the line is the path's, or its nearest
// written ancestor's.
func (v *validator) fail(path string, allowed []string, format string, args ...any) {
	line := 0
	for p := path; p != ""; {
		if l, ok := v.lines[p]; ok {
			line = l
			break
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	v.errs = append(v.errs, &FieldError{Path: path, Line: line, Msg: fmt.Sprintf(format, args...), Allowed: allowed})
}

func (v *validator) visibility(path, s string, def Visibility) Visibility {
	if s == "" {
		return def
	}
	if !slices.Contains(Visibilities, Visibility(s)) {
		v.fail(path, strs(Visibilities), "unknown visibility %q", s)
		return def
	}
	return Visibility(s)
}

func (v *validator) partial(path, s string, def Partial) Partial {
	if s == "" {
		return def
	}
	if p := Partial(s); p != AllOrNothing && p != Fraction {
		v.fail(path, []string{string(AllOrNothing), string(Fraction)}, "unknown partial-credit policy %q", s)
		return def
	}
	return Partial(s)
}

func (v *validator) duration(path, s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		v.fail(path, nil, "%q is not a positive duration such as \"90s\" or \"5m\"", s)
		return def
	}
	return d
}

func (v *validator) points(path string, p float64) float64 {
	if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
		v.fail(path, nil, "points must be a finite number ≥ 0, not %v", p)
		return 0
	}
	return p
}

func (v *validator) count(path string, n *int, def int) int {
	if n == nil {
		return def
	}
	if *n < 0 {
		v.fail(path, nil, "must be ≥ 0, not %d", *n)
		return def
	}
	return *n
}

// noHiddenPoints enforces Gradescope's rule: a hidden test never shows,
// so students could not see their total; hidden is for 0-point items.
func (v *validator) noHiddenPoints(path string, vis Visibility, points float64) {
	if vis == Hidden && points > 0 {
		v.fail(path+".visibility", []string{string(Visible), string(AfterDueDate), string(AfterPublished)},
			"an item worth %v points cannot be hidden: Gradescope keeps hidden items for 0-point tests (students would not see their total); use after_due_date or after_published", points)
	}
}

func (v *validator) resolve(f *file) *Rubric {
	if f.Version != 1 {
		v.fail("version", []string{"1"}, "unsupported rubric version %d", f.Version)
	}
	r := &Rubric{Title: f.Title, Salt: f.HiddenSalt}
	if r.Title == "" {
		r.Title = "raftlab"
	}
	r.MemoryLimitMB = v.count("memory_limit_mb", f.MemoryLimitMB, DefaultMemoryLimitMB)
	if r.MemoryLimitMB < 64 {
		v.fail("memory_limit_mb", nil, "%d MB is too little for the Go runtime and the simulator; give at least 64", r.MemoryLimitMB)
	}
	vis := v.visibility("visibility", f.Visibility, Visible)
	hiddenVis := v.visibility("hidden_visibility", f.HiddenVisibility, AfterPublished)
	r.StdoutVisibility = v.visibility("stdout_visibility", f.StdoutVisibility, Hidden)
	partial := v.partial("partial", f.Partial, Fraction)
	hiddenSeeds := v.count("hidden_seeds", f.HiddenSeeds, 0)
	timeLimit := v.duration("time_limit", f.TimeLimit, DefaultTimeLimit)
	r.Lint = v.lint(f.Lint)

	stageNames := strs(labs.Stages)
	for name := range f.Stages {
		if !slices.Contains(stageNames, name) {
			v.fail("stages."+name, stageNames, "unknown stage %q", name)
		}
	}
	if len(f.Stages) == 0 {
		v.fail("stages", stageNames, "the rubric scores no stage; add a [stages.NAME] table")
	}
	usedSalt := false
	for _, st := range labs.Stages {
		sf, ok := f.Stages[string(st)]
		if !ok {
			continue
		}
		if sf == nil {
			sf = &stageFile{}
		}
		base := "stages." + string(st)
		s := Stage{
			Stage:      st,
			TimeLimit:  v.duration(base+".time_limit", sf.TimeLimit, timeLimit),
			Visibility: v.visibility(base+".visibility", sf.Visibility, vis),
		}
		stPartial := v.partial(base+".partial", sf.Partial, partial)
		stHiddenSeeds := v.count(base+".hidden_seeds", sf.HiddenSeeds, hiddenSeeds)
		if sf.Rules != nil {
			s.Rules = v.rules(base+".rules", st, sf.Rules, stPartial, s.Visibility)
		}
		known := labs.Scenarios(st, hidden.Scenarios()...)
		var knownNames []string
		for _, sc := range known {
			knownNames = append(knownNames, sc.Name)
		}
		for name := range sf.Scenarios {
			if !slices.Contains(knownNames, name) {
				v.fail(base+".scenarios."+name, knownNames, "stage %s has no scenario %q", st, name)
			}
		}
		// The suite's order, so reports list scenarios as students meet them.
		for _, sc := range known {
			scf, ok := sf.Scenarios[sc.Name]
			if !ok {
				continue
			}
			if scf == nil {
				scf = &scenarioFile{}
			}
			p := base + ".scenarios." + sc.Name
			if scf.Points == nil {
				v.fail(p+".points", nil, "missing: how many points the scenario is worth (0 to run it unscored)")
				scf.Points = new(float64)
			}
			defVis := s.Visibility
			if sc.Hidden {
				defVis = hiddenVis
			}
			out := Scenario{
				Name:        sc.Name,
				Hidden:      sc.Hidden,
				Points:      v.points(p+".points", *scf.Points),
				Seeds:       v.count(p+".seeds", &scf.Seeds, 0),
				HiddenSeeds: v.count(p+".hidden_seeds", scf.HiddenSeeds, stHiddenSeeds),
				Partial:     v.partial(p+".partial", scf.Partial, stPartial),
				Visibility:  v.visibility(p+".visibility", scf.Visibility, defVis),
			}
			v.noHiddenPoints(p, out.Visibility, out.Points)
			if out.HiddenSeeds > 0 {
				usedSalt = true
			}
			s.Scenarios = append(s.Scenarios, out)
		}
		if s.Rules == nil && len(s.Scenarios) == 0 {
			v.fail(base, []string{"rules", "scenarios"}, "the stage scores nothing; give its rules or scenarios points")
		}
		r.Stages = append(r.Stages, s)
	}
	switch {
	case usedSalt && r.Salt == 0:
		v.fail("hidden_salt", nil, "hidden seeds need a salt students never see: set hidden_salt to a large random number (for example the output of `od -An -N8 -tu8 /dev/urandom`)")
	case usedSalt && r.Salt < MinSalt:
		v.fail("hidden_salt", nil, "a salt below %d could make hidden seeds repeat public ones a student has replayed; use a large random number", MinSalt)
	}
	return r
}

func (v *validator) rules(path string, st labs.Stage, rf *rulesFile, partial Partial, vis Visibility) *Rules {
	out := &Rules{
		Partial:    v.partial(path+".partial", rf.Partial, partial),
		Visibility: v.visibility(path+".visibility", rf.Visibility, vis),
	}
	switch {
	case rf.Points != nil && rf.PerRule != nil:
		v.fail(path, []string{"points", "per_rule"}, "give either points (for the rule tests as a group) or per_rule, not both")
	case rf.Points != nil:
		out.Points = v.points(path+".points", *rf.Points)
	case rf.PerRule != nil:
		var names []string
		for _, r := range rules.All() {
			if r.Stage == st {
				names = append(names, r.Name)
			}
		}
		out.PerRule = map[string]float64{}
		for name, p := range rf.PerRule {
			if !slices.Contains(names, name) {
				v.fail(path+".per_rule."+name, names, "stage %s has no rule test %q", st, name)
				continue
			}
			out.PerRule[name] = v.points(path+".per_rule."+name, p)
		}
	default:
		v.fail(path, []string{"points", "per_rule"}, "missing: points for the rule tests as a group, or per_rule")
	}
	v.noHiddenPoints(path, out.Visibility, out.Max())
	return out
}

func (v *validator) lint(lf *lintFile) Lint {
	if lf == nil {
		return Lint{Policy: LintWarn}
	}
	policies := []string{string(LintWarn), string(LintDeduct), string(LintFail)}
	l := Lint{Policy: LintPolicy(lf.Policy)}
	if lf.Policy == "" {
		l.Policy = LintWarn
	} else if !slices.Contains(policies, lf.Policy) {
		v.fail("lint.policy", policies, "unknown lint policy %q", lf.Policy)
		l.Policy = LintWarn
	}
	if lf.Deduct != nil {
		l.Deduct = v.points("lint.deduct", *lf.Deduct)
	}
	if lf.MaxDeduct != nil {
		l.MaxDeduct = v.points("lint.max_deduct", *lf.MaxDeduct)
	}
	if l.Policy == LintDeduct && l.Deduct == 0 {
		v.fail("lint.deduct", nil, "policy \"deduct\" needs deduct: the points each finding costs (> 0)")
	}
	if l.Policy != LintDeduct && (lf.Deduct != nil || lf.MaxDeduct != nil) {
		v.fail("lint.policy", []string{string(LintDeduct)}, "deduct and max_deduct apply only under policy \"deduct\"")
	}
	return l
}

func strs[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// Package docscheck finds the commands that Markdown documentation tells
// people to type — go test with its flags, go run ./cmd/X with a
// subcommand and flags, a command's bare name (raftview --last 40) — and
// checks each against what the repository defines, so that a handout never
// names a flag, command or subcommand that does not exist. Extract reads
// the commands out of code blocks and code spans; Check compares them with
// a Known, which the repository's test (docs_reference_test.go) fills by
// asking go help for go test's flags, by reading the flag definitions of
// the test packages, and by running each command with -h.
package docscheck

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// Command is one command a document names.
type Command struct {
	File string   // the document, as given to Extract
	Line int      // 1-based line of the command's start
	Text string   // the command as written
	Args []string // its words, the shell's quoting removed: "go", "test", ... or "raftview", ...
	// Context is set for a lone flag (a code span such as `-traces`): the
	// words of the command it belongs to, the latest one named before it in
	// the same paragraph; nil when the paragraph names none. Args is then
	// the flag alone.
	Context []string
	Lone    bool // Args is a lone flag, checked against Context (not at all when Context is nil)
	// Dir is the directory, relative to the repository's root, the command
	// runs in: "" for the root, "worker" after a leading `cd worker &&`
	// (or inside `(cd worker && …)`). Its paths are checked from there.
	Dir string
}

// Extract returns the commands in a Markdown document: every line of a
// code block (fenced or indented) and every code span that starts with
// "go test", "go run ./cmd/", "bash <path>" or the name of one of cmds
// (the commands under cmd/), and, inside a line, a command that starts
// with "go test " or "go run ./cmd/" after other text (a YAML run: key, a
// JSON string). A code span that is a flag alone ("-traces", "--states")
// is returned with Lone set and the paragraph's latest command as
// Context. A paragraph ends at a blank line, and a table row or a list
// item is a paragraph of its own.
func Extract(file string, md []byte, cmds []string) []Command {
	var out []Command
	lines := strings.Split(string(md), "\n")
	var para []int // line indexes of the current paragraph
	flush := func() {
		out = append(out, spans(file, lines, para, cmds)...)
		para = para[:0]
	}
	fence := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		trim := strings.TrimSpace(l)
		if fence != "" {
			if strings.HasPrefix(trim, fence) {
				fence = ""
				continue
			}
			out = append(out, lineCommands(file, i+1, l, cmds)...)
			continue
		}
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			flush()
			fence = trim[:3]
			continue
		}
		if strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t") {
			if len(para) == 0 { // an indented code block (not a paragraph's continuation)
				out = append(out, lineCommands(file, i+1, l, cmds)...)
				continue
			}
		}
		if trim == "" {
			flush()
			continue
		}
		// A table row and a list item are paragraphs of their own: a
		// flag in one belongs to no command of another.
		if strings.HasPrefix(trim, "|") || listItemRE.MatchString(trim) {
			flush()
		}
		para = append(para, i)
	}
	flush()
	return out
}

var (
	spanRE     = regexp.MustCompile("`+([^`]+)`+")
	listItemRE = regexp.MustCompile(`^([-*+]|\d+[.)])\s`)
)

// spans extracts the commands in a paragraph's code spans, which may run
// across its lines.
func spans(file string, lines []string, para []int, cmds []string) []Command {
	if len(para) == 0 {
		return nil
	}
	var b strings.Builder
	starts := make([]int, len(para)) // offset of each line in the joined text
	for k, i := range para {
		starts[k] = b.Len()
		b.WriteString(lines[i])
		b.WriteByte(' ')
	}
	text := b.String()
	lineAt := func(off int) int {
		k, _ := slices.BinarySearch(starts, off+1)
		return para[k-1] + 1
	}
	var out []Command
	var context []string
	for _, m := range spanRE.FindAllStringSubmatchIndex(text, -1) {
		s := strings.TrimSpace(text[m[2]:m[3]])
		if isFlag(s) {
			word, _, _ := strings.Cut(s, " ")
			out = append(out, Command{File: file, Line: lineAt(m[0]), Text: s, Args: []string{word}, Context: context, Lone: true})
			continue
		}
		if c, ok := command(file, lineAt(m[0]), s, cmds); ok {
			out = append(out, c)
			context = c.Args
		} else if strings.Contains(s, " ") {
			context = nil // a command of another program (git, kubectl): its flags are not ours
		}
	}
	return out
}

// isFlag reports whether a code span is a flag alone, maybe with its value
// ("-seed=N", "-faults partitions,unreliable"): a dash and a letter.
func isFlag(s string) bool {
	t := strings.TrimLeft(s, "-")
	n := len(s) - len(t)
	return (n == 1 || n == 2) && t != "" && (t[0] >= 'a' && t[0] <= 'z' || t[0] >= 'A' && t[0] <= 'Z') &&
		!strings.ContainsAny(strings.SplitN(t, " ", 2)[0], "/.")
}

// lineCommands extracts the command a code line holds: at its start, or
// after other text when it is go test or go run ./cmd/.
func lineCommands(file string, line int, l string, cmds []string) []Command {
	s := strings.TrimSpace(l)
	s = strings.TrimPrefix(s, "$ ")
	if c, ok := command(file, line, s, cmds); ok {
		return []Command{c}
	}
	for _, start := range []string{"go test ", "go run ./cmd/"} {
		i := strings.Index(s, start)
		if i <= 0 {
			continue
		}
		rest := s[i:]
		// Inside a quoted string (JSON, a YAML list): the command ends at
		// the string's closing quote.
		if q := s[i-1]; q == '"' || q == '\'' {
			if j := strings.IndexByte(rest, q); j >= 0 {
				rest = rest[:j]
			}
		}
		if c, ok := command(file, line, rest, cmds); ok {
			return []Command{c}
		}
	}
	return nil
}

// command parses s as a command if it is one this package checks.
func command(file string, line int, s string, cmds []string) (Command, bool) {
	s = stripComment(s)
	// A subshell, (cd dir && command): the parentheses are not the command's.
	if strings.HasPrefix(s, "(") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "("), ")")
	}
	words, err := Split(s)
	if err != nil || len(words) == 0 {
		return Command{}, false
	}
	// cd dir && command: the command runs in dir.
	dir := ""
	for len(words) > 3 && words[0] == "cd" && words[2] == "&&" {
		dir = path.Join(dir, words[1])
		words = words[3:]
	}
	// Only the first command of a pipeline or list, up to a redirection.
	for i, w := range words {
		if w == "|" || w == "||" || w == "&&" || w == ";" || w == "&" || strings.HasPrefix(w, ">") || strings.HasPrefix(w, "2>") {
			words = words[:i]
			break
		}
	}
	if len(words) == 0 {
		return Command{}, false
	}
	c := Command{File: file, Line: line, Text: s, Args: words, Dir: dir}
	switch {
	case len(words) >= 2 && words[0] == "go" && words[1] == "test":
		return c, true
	case len(words) >= 3 && words[0] == "go" && words[1] == "run" && strings.HasPrefix(words[2], "./cmd/"):
		return c, true
	case len(words) >= 2 && words[0] == "bash" && strings.Contains(words[1], "/"):
		return c, true
	case slices.Contains(cmds, words[0]):
		return c, true
	}
	return Command{}, false
}

// stripComment cuts a shell comment: a # at the start of a word, outside
// quotes.
func stripComment(s string) string {
	var q byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return strings.TrimSpace(s[:i])
		}
	}
	return s
}

// ErrQuote is wrapped by Split's error for a quote that is not closed.
var ErrQuote = errors.New("unclosed quote")

// Split splits a command line into words as a POSIX shell does for single
// and double quotes and backslashes (no expansion: "$X" stays "$X").
func Split(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	in := false // inside a word
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q == '\'':
			if c == '\'' {
				q = 0
			} else {
				w.WriteByte(c)
			}
		case q == '"':
			switch {
			case c == '"':
				q = 0
			case c == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
				i++
				w.WriteByte(s[i])
			default:
				w.WriteByte(c)
			}
		case c == '\'' || c == '"':
			q, in = c, true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteByte(c)
			in = true
		}
	}
	if q != 0 {
		return nil, fmt.Errorf("%w (%c) in %q", ErrQuote, q, s)
	}
	if in {
		words = append(words, w.String())
	}
	return words, nil
}

// Known is what the repository defines, for Check.
type Known struct {
	// GoTest holds the flags go test accepts: its own, go build's, and
	// those the test packages define; the value says whether the flag
	// takes a value (-run X) or not (-v).
	GoTest map[string]bool
	// Tools are the commands under cmd/, by name.
	Tools map[string]*Tool
	// Exists reports whether a path relative to the repository's root
	// exists (./cmd/raftview, ./assignments/raft, scripts/test.sh).
	Exists func(path string) bool
}

// Tool is what one command accepts.
type Tool struct {
	Flags FlagSet // its top-level flags
	// Sub holds its subcommands' flags, by subcommand name.
	Sub map[string]FlagSet
	// Refused holds first arguments the command refuses, with what it
	// said: "bogus" for a command whose arguments are subcommands.
	Refused map[string]string
}

// FlagSet is a command's flags; the value says whether the flag takes a
// value.
type FlagSet map[string]bool

// Problem is a command a document names that the repository does not
// define.
type Problem struct {
	Command Command
	Msg     string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: `%s`: %s", p.Command.File, p.Command.Line, p.Command.Text, p.Msg)
}

// Check returns the problems of c: a flag, command, subcommand, package or
// file that does not exist.
func (k *Known) Check(c Command) []Problem {
	var ps []Problem
	bad := func(format string, args ...any) { ps = append(ps, Problem{c, fmt.Sprintf(format, args...)}) }
	if c.Lone {
		if c.Context == nil {
			return nil // no command to check it against: prose may name other programs' flags
		}
		flags, what := k.flagsOf(c.Context)
		name := flagName(c.Args[0])
		if _, ok := flags[name]; !ok {
			bad("the flag -%s is not one of %s's (%s), the command this paragraph names before it", name, what, names(flags))
		}
		return ps
	}
	w := c.Args
	switch {
	case w[0] == "go" && w[1] == "test":
		for i := 2; i < len(w); i++ {
			a := w[i]
			switch {
			case a == "-args":
				return ps // the rest goes to the test binary: checked as flags of the test packages would need the package
			case isFlagWord(a):
				name := flagName(a)
				value, ok := k.GoTest[name]
				if !ok {
					bad("go test has no flag -%s (neither go test, go build nor the test packages define it)", name)
				}
				if value && !strings.Contains(a, "=") {
					i++
				}
			case strings.HasPrefix(a, "."):
				if p := strings.TrimSuffix(strings.TrimSuffix(a, "..."), "/"); p != "." && p != "" && !k.Exists(c.path(p)) {
					bad("no package %s in the repository%s", a, c.in())
				}
			}
		}
		return ps
	case w[0] == "go" && w[1] == "run" && c.Dir != "":
		// Another module's command (worker/ has its own): its flags are
		// not probed, but it must exist.
		if !k.Exists(c.path(w[2])) {
			bad("no command %s in the repository%s", w[2], c.in())
		}
		return ps
	case w[0] == "go" && w[1] == "run":
		name := strings.TrimSuffix(strings.TrimPrefix(w[2], "./cmd/"), "/")
		if !k.Exists(w[2]) || k.Tools[name] == nil {
			bad("no command %s in the repository", w[2])
			return ps
		}
		return append(ps, k.checkTool(c, name, w[3:])...)
	case w[0] == "bash":
		if !k.Exists(c.path(w[1])) {
			bad("no file %s in the repository%s", w[1], c.in())
		}
		return ps
	}
	return append(ps, k.checkTool(c, w[0], w[1:])...)
}

// path is p, a path the command names, relative to the repository's root.
func (c Command) path(p string) string {
	if c.Dir == "" {
		return p
	}
	return path.Join(c.Dir, p)
}

// in names the command's directory for a problem's message.
func (c Command) in() string {
	if c.Dir == "" {
		return ""
	}
	return " (under " + c.Dir + "/, where the command runs after its cd)"
}

// checkTool checks the arguments of command name.
func (k *Known) checkTool(c Command, name string, args []string) []Problem {
	var ps []Problem
	t := k.Tools[name]
	if t == nil {
		return []Problem{{c, fmt.Sprintf("no command %s under cmd/", name)}}
	}
	flags, what := t.Flags, name
	first := true // before the first argument that is not a flag
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !isFlagWord(a) {
			if first {
				first = false
				if sub, ok := t.Sub[a]; ok {
					flags, what = sub, name+" "+a
				} else if msg, ok := t.Refused[a]; ok {
					ps = append(ps, Problem{c, fmt.Sprintf("%s has no subcommand %s (it says: %s)", name, a, msg)})
					return ps
				}
			}
			continue
		}
		fn := flagName(a)
		if fn == "h" || fn == "help" {
			continue // every command answers -h
		}
		value, ok := flags[fn]
		if !ok {
			ps = append(ps, Problem{c, fmt.Sprintf("%s has no flag -%s (its flags: %s)", what, fn, names(flags))})
			continue
		}
		if value && !strings.Contains(a, "=") {
			i++
		}
	}
	return ps
}

// flagsOf is the flag set a lone flag is checked against: go test's, or
// every flag of its context's command, subcommands included (prose about
// one subcommand may name a flag of the command's other runs).
func (k *Known) flagsOf(context []string) (FlagSet, string) {
	name := context[0]
	switch {
	case len(context) >= 2 && context[0] == "go" && context[1] == "test":
		return k.GoTest, "go test"
	case len(context) >= 3 && context[0] == "go" && context[1] == "run":
		name = strings.TrimSuffix(strings.TrimPrefix(context[2], "./cmd/"), "/")
	}
	t := k.Tools[name]
	if t == nil {
		return FlagSet{}, name
	}
	all := FlagSet{}
	for f, v := range t.Flags {
		all[f] = v
	}
	for _, s := range t.Sub {
		for f, v := range s {
			all[f] = v
		}
	}
	return all, name
}

// isFlagWord reports whether a command's word is a flag: - or -- and a
// letter (not "-", "-1" or a path).
func isFlagWord(a string) bool {
	t := strings.TrimLeft(a, "-")
	n := len(a) - len(t)
	return (n == 1 || n == 2) && t != "" && (t[0] >= 'a' && t[0] <= 'z' || t[0] >= 'A' && t[0] <= 'Z')
}

// flagName is a flag word's name: "-seed=7" is "seed", "--states" is
// "states".
func flagName(a string) string {
	name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
	return name
}

func names(f FlagSet) string {
	var ns []string
	for n := range f {
		ns = append(ns, "-"+n)
	}
	slices.Sort(ns)
	if len(ns) == 0 {
		return "none"
	}
	return strings.Join(ns, " ")
}

// flagLineRE matches a flag in the flag package's usage output
// ("  -seed uint", "  -v"): the name, and the value's type if it takes
// one.
var flagLineRE = regexp.MustCompile(`^  -{1,2}([A-Za-z][\w.-]*)(?: (\S+))?\s*$`)

// ParseUsage reads the flags a command's -h output lists in the flag
// package's format (PrintDefaults).
func ParseUsage(out string) FlagSet {
	f := FlagSet{}
	for _, l := range strings.Split(out, "\n") {
		if m := flagLineRE.FindStringSubmatch(l); m != nil {
			f[m[1]] = m[2] != ""
		}
	}
	return f
}

// goHelpFlagRE matches a flag in go help's text ("\t-run regexp").
var goHelpFlagRE = regexp.MustCompile(`^\t-([A-Za-z][\w]*)(?: (\S.*))?$`)

// ParseGoHelp reads the flags go help build, go help test and go help
// testflag list.
func ParseGoHelp(out string) FlagSet {
	f := FlagSet{}
	for _, l := range strings.Split(out, "\n") {
		if m := goHelpFlagRE.FindStringSubmatch(l); m != nil {
			f[m[1]] = m[2] != ""
		}
	}
	return f
}

// Command raftview prints a raftlab trace in the terminal as a timeline
// with one column per node: what each node sent, received, applied and
// became, with the network's faults and the checker's verdict.
//
//	go run ./cmd/raftview [flags] trace.json
//
// Run it with -h for the flags; docs/trace-format.md describes the trace.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/raftlab/raftlab/trace"
	"github.com/raftlab/raftlab/traceview"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// terminal says whether w is a terminal, and its width if so.
type terminal func(w io.Writer) (isTTY bool, width int)

func detectTerminal(w io.Writer) (bool, int) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width, _ = strconv.Atoi(os.Getenv("COLUMNS"))
	}
	return true, width
}

const usage = `usage: raftview [flags] trace.json

Prints a raftlab trace as a timeline, one column per node: sends (→n2) in
the sender's column, deliveries (←n0) in the receiver's, state changes
(★ leader t=3, commit 7) where they happen; partitions, heals, notes and
the failure span the row. A request shows its call number (#7), a reply
the request it answers (↩#7). Times are simulated time.

examples:
  raftview trace.json                      everything
  raftview --last 40 trace.json            the 40 rows before the end (the failure)
  raftview --node 0,2 --hide apply t.json  what n0 and n2 did or received, no applies
  raftview --kind state,crash,restart,partition,heal t.json
  raftview --from 1.2s --to 1.5s t.json    a window of simulated time
  raftview --states --node 1 t.json        n1's state over time as a table, with a leader's nextIndex/matchIndex

flags:
`

// run is the command: it returns the exit status (0 ok, 1 the trace could
// not be read or shown, 2 bad usage).
func run(args []string, stdout, stderr io.Writer) int {
	return runWith(args, stdout, stderr, detectTerminal)
}

func runWith(args []string, stdout, stderr io.Writer, tty terminal) int {
	fs := flag.NewFlagSet("raftview", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		say(stderr, "%s", usage)
		fs.PrintDefaults()
	}
	var (
		o          traceview.Options
		color      = fs.String("color", "auto", "colours: auto (on a terminal, unless $NO_COLOR is set), always or never")
		nodes      = fs.String("node", "", "only events involving these nodes, as actor or peer, e.g. 0,2 (world events always show)")
		kinds      = fs.String("kind", "", "only these kinds, e.g. send,deliver,apply; kinds: "+strings.Join(traceview.Kinds, ","))
		hide       = fs.String("hide", "", "leave out these kinds, e.g. apply,state")
		from, to   durationFlag
		widthFlag  = fs.Int("width", 0, "line width in columns (default: the terminal's width, else 160)")
		showStates = fs.Bool("states", false, "print the table of node states over time instead of the events")
	)
	fs.Var(&from, "from", "start of the time window, in simulated time, e.g. 1.2s or 800ms")
	fs.Var(&to, "to", "end of the time window, in simulated time, e.g. 3s")
	fs.IntVar(&o.Last, "last", 0, "only the last `N` rows (after the other filters), handy on a failure")
	fs.BoolVar(&o.Raw, "raw", false, "print message summaries as recorded, not abbreviated")

	// Accept flags after the file name too: raftview trace.json --last 20.
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files, rest = append(files, rest[0]), rest[1:]
	}
	if len(files) != 1 {
		if len(files) == 0 {
			say(stderr, "raftview: no trace file given\n")
		} else {
			say(stderr, "raftview: one trace file at a time (got %d: %s)\n", len(files), strings.Join(files, " "))
		}
		fs.Usage()
		return 2
	}
	bad := func(format string, a ...any) int {
		say(stderr, "raftview: "+format+"\n", a...)
		say(stderr, "(raftview -h lists the flags)\n")
		return 2
	}
	var err error
	if o.Nodes, err = parseNodes(*nodes); err != nil {
		return bad("-node: %v", err)
	}
	o.Kinds, o.Hide = splitList(*kinds), splitList(*hide)
	o.From, o.To, o.States = from.d, to.d, *showStates
	isTTY, width := tty(stdout)
	switch *color {
	case "auto":
		o.Color = isTTY && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	case "always":
		o.Color = true
	case "never":
		o.Color = false
	default:
		return bad("-color must be auto, always or never, not %q", *color)
	}
	switch {
	case *widthFlag < 0:
		return bad("-width must be positive, not %d", *widthFlag)
	case *widthFlag > 0:
		o.Width = *widthFlag
	case isTTY && width > 0:
		o.Width = width
	default:
		o.Width = traceview.DefaultWidth
	}

	t, err := trace.ReadFile(files[0])
	if err != nil {
		say(stderr, "raftview: %v\n", err)
		return 1
	}
	if err := traceview.View(stdout, t, o); err != nil {
		if errors.Is(err, traceview.ErrOption) {
			return bad("%v", err)
		}
		say(stderr, "raftview: %v\n", err)
		return 1
	}
	return 0
}

// say writes a message for the user; there is nothing to do if that fails.
func say(w io.Writer, format string, a ...any) {
	_, _ = fmt.Fprintf(w, format, a...)
}

// durationFlag is a simulated-time flag: a Go duration ("1.2s", "300ms").
type durationFlag struct{ d time.Duration }

func (f *durationFlag) String() string {
	if f == nil || f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f *durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		if _, numErr := strconv.ParseFloat(s, 64); numErr == nil {
			return fmt.Errorf("%q has no unit: write %ss (seconds) or %sms", s, s, s)
		}
		return fmt.Errorf("%q is not a duration like 1.5s or 300ms", s)
	}
	if d < 0 {
		return fmt.Errorf("%q is negative", s)
	}
	f.d = d
	return nil
}

func splitList(s string) []string {
	var out []string
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, strings.ToLower(f))
	}
	return out
}

// parseNodes reads "0,2" or "n0,n2".
func parseNodes(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(strings.TrimPrefix(f, "n"))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a node number (write e.g. 0,2)", f)
		}
		out = append(out, n)
	}
	return out, nil
}

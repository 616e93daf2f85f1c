//go:build !raftlab_sandbox

package labs

import "flag"

// The suites' command-line flags, as students type them after go test:
//
//	go test ./assignments/raft -run Election -seed=7
//
// Test flags must be registered at package level for go test to accept
// them; they are the package's only package-level variables and are read,
// never written, by the suites.
var (
	seedFlag  = flag.Uint64("seed", 0, "raftlab: replay exactly this seed of each scenario that runs (0: run the default seeds)")
	seedsFlag = flag.Int("seeds", 0, "raftlab: how many seeds each scenario runs (0: the scenario's default)")
	traceFlag = flag.Bool("traces", false, "raftlab: write a trace for passing runs too (failing runs always write one); not -trace, which is go test's own execution tracer")
	traceDir  = flag.String("tracedir", "", "raftlab: where traces go (default: the test's artifact directory with go test -artifacts, else $TMPDIR/raftlab-traces)")
)

// lookupFlag returns a registered flag's value, "" if there is none.
func lookupFlag(name string) string {
	if f := flag.Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

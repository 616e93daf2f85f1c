package startercheck

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/labs/testjson"
	"github.com/raftlab/raftlab/sim"
)

// wallBudget is how long the whole four-stage run of the unchanged
// starter may take: a student's first go test must answer in seconds.
const wallBudget = 60 * time.Second

// killAfter stops a run that hangs, well after it has already failed the
// budget, so that this test reports the hang instead of being killed by
// go test's own timeout.
const killAfter = 3 * wallBudget

// starterPkg is the starter kit's package, relative to the module root.
const starterPkg = "./assignments/raft"

// starterTag is the build tag without which the course repository leaves
// out the starter's stage tests (assignments/raft/raft_test.go), so that
// go test ./... at its root passes; the student handout is exported
// without the constraint, and there the tag changes nothing.
const starterTag = "starter"

// rootEnv names the environment variable that points the check at the
// module root of another tree, such as the handout copy that
// scripts/handout-check.sh makes; by default it checks this tree.
const rootEnv = "RAFTLAB_STARTER_ROOT"

// run is the outcome of one go test -json run.
type run struct {
	tests map[string]*testjson.Test
	all   string // every output line, for whole-run checks
	wall  time.Duration
}

// starterKinds are the failure kinds (the failure_kind attribute)
// acceptable from the starter: the others (panic, hang, contract,
// nondeterminism, internal) would mean the starter or raftlab is broken.
var starterKinds = []string{sim.KindLiveness, sim.KindSafety, sim.KindScenario}

// stackDump matches the goroutine header of a Go stack dump.
var stackDump = regexp.MustCompile(`goroutine \d+ \[`)

// moduleRoot is the directory holding go.mod, above the test's package
// directory (where go test runs it), unless $RAFTLAB_STARTER_ROOT names
// another.
func moduleRoot(t *testing.T) string {
	t.Helper()
	if root := os.Getenv(rootEnv); root != "" {
		return root
	}
	wd, err := os.Getwd()
	require.NoError(t, err)
	root, err := labs.ModuleRoot(wd)
	require.NoError(t, err)
	return root
}

// runStarter runs the starter's whole suite under go test -json.
func runStarter(t *testing.T) *run {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), killAfter)
	defer cancel()
	// Traces of the failing runs go to a directory of this test's own,
	// rather than piling up in $TMPDIR.
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-json", "-tags="+starterTag, starterPkg, "-tracedir="+t.TempDir())
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, cmd.Start())

	events, readErr := testjson.Read(out)
	require.NoError(t, readErr)
	r := &run{tests: events.Tests}
	err = cmd.Wait()
	r.wall = time.Since(start)
	require.NoError(t, ctx.Err(), "the starter's suite was still running after %s and was killed", killAfter)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "go test must run and fail (exit status 1) on the unchanged starter; stderr:\n%s", stderr.String())
	require.Equal(t, 1, exit.ExitCode(), "go test exit status (2 means the starter did not build); stderr:\n%s", stderr.String())
	r.all = events.Text + stderr.String()
	return r
}

// topLevel names each stage's top-level test in assignments/raft.
var topLevel = map[labs.Stage]string{
	labs.Election:    "TestElection",
	labs.Replication: "TestReplication",
	labs.Persistence: "TestPersistence",
	labs.Snapshots:   "TestSnapshots",
}

// TestStarterFailsEveryStageFastAndReadably is what CI runs for the starter
// kit; see the package documentation.
func TestStarterFailsEveryStageFastAndReadably(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs to run the go command")
	}
	if _, err := exec.LookPath("go"); errors.Is(err, exec.ErrNotFound) {
		t.Skip("the go command is not on PATH")
	}
	r := runStarter(t)
	t.Logf("the unchanged starter's four stages ran in %s of wall time (budget %s)", r.wall.Round(time.Millisecond), wallBudget)

	t.Run("whole run", func(t *testing.T) {
		assert.Less(t, r.wall, wallBudget, "the whole starter run must end within the budget")
		assert.NotRegexp(t, stackDump, r.all, "no goroutine stack dumps in the starter's output")
		assert.NotContains(t, r.all, "panic:", "nothing may panic against the starter")
		assert.NotContains(t, r.all, "[build failed]", "the starter must build")
	})

	for _, stage := range labs.Stages {
		t.Run(string(stage), func(t *testing.T) {
			top := topLevel[stage]
			rec := r.tests[top]
			require.NotNil(t, rec, "%s did not run", top)
			assert.Equal(t, "fail", rec.Action, "%s must fail on the unchanged starter", top)

			failed := 0
			for _, sc := range labs.Suite(stage) {
				name := top + "/" + strings.ReplaceAll(sc.Name, " ", "_")
				rec := r.tests[name]
				if !assert.NotNil(t, rec, "scenario %s did not run", name) {
					continue
				}
				out := rec.Output.String()
				if !assert.Equal(t, "fail", rec.Action, "scenario %s passed against a node that does nothing: it checks nothing a student must build\n%s", name, out) {
					continue
				}
				failed++
				attrs := rec.Attrs
				assert.Contains(t, starterKinds, attrs[labs.AttrFailureKind],
					"scenario %s must fail with a liveness, safety or scenario failure (attribute %s):\n%s", name, labs.AttrFailureKind, out)
				assert.NotEmpty(t, attrs[labs.AttrFailureRule], "scenario %s: the failure names no rule (attribute %s)", name, labs.AttrFailureRule)
				assert.NotEmpty(t, attrs[labs.AttrFailedSeed], "scenario %s: the failure names no seed (attribute %s)", name, labs.AttrFailedSeed)
				assert.Contains(t, attrs[labs.AttrReplay], "go test ", "scenario %s: the failure must say how to replay the failing seed (attribute %s)", name, labs.AttrReplay)
				assert.Contains(t, out, attrs[labs.AttrReplay], "scenario %s: the report a student reads must show the replay command", name)
			}

			rulesFailed := 0
			prefix := top + "/Rules/"
			for test, rec := range r.tests {
				if !strings.HasPrefix(test, prefix) || rec.Action != "fail" {
					continue
				}
				rulesFailed++
				cite := rec.Attrs[labs.AttrRule]
				// Rules of the paper cite a section or a figure; rules the contract
				// adds (Start on a non-leader, no no-op entries) cite raftapi.
				assert.True(t, strings.Contains(cite, "§") || strings.Contains(cite, "Figure") || strings.Contains(cite, "raftapi"),
					"rule test %s must cite the paper or the contract (attribute %s = %q):\n%s", test, labs.AttrRule, cite, rec.Output.String())
				assert.Contains(t, rec.Output.String(), cite, "rule test %s: the failure a student reads must cite its rule", test)
			}
			t.Logf("%s: %d of %d scenarios failed; %d rule-level tests failed", top, failed, len(labs.Suite(stage)), rulesFailed)
		})
	}
}

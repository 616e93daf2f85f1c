package labs

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestCompareCost checks the cost line's verdicts on made-up costs: each
// figure warns past ten times the reference's, with its likely cause, and
// not below (nor below the floors that make a ratio worth a word).
func TestCompareCost(t *testing.T) {
	ref := Cost{Runs: 10, Committed: 100, SimTime: int64(10 * time.Second), Messages: 1000, Bytes: 100_000,
		Saves: 500, PersistedBytes: 1_000_000, Units: 100}
	cpu := stageTime{What: "CPU time", Unit: 2 * time.Millisecond} // 100 units: 200 ms
	for _, tc := range []struct {
		name    string
		impl    func(c *Cost)
		tracing bool
		warn    []string // substrings, one per warning, in order
	}{
		{"the same", func(*Cost) {}, false, nil},
		{"nine times everything", func(c *Cost) {
			c.Messages, c.Bytes, c.PersistedBytes, c.Units = 9*c.Messages, 9*c.Bytes, 9*c.PersistedBytes, 9*c.Units
		}, false, nil},
		{"eleven times the time", func(c *Cost) { c.Units *= 11 }, false, []string{"CPU time is 11× the reference's"}},
		{"eleven times the time, under -traces", func(c *Cost) { c.Units *= 11 }, true, nil},
		{"eleven times a short time", func(c *Cost) { c.Units = 11 * 40 }, false, nil}, // 0.88 s: below the floor
		{"eleven times the messages", func(c *Cost) { c.Messages *= 11 }, false, []string{"messages per committed entry are 11× the reference's"}},
		{"eleven times the bytes", func(c *Cost) { c.Bytes *= 11 }, false, []string{"bytes sent per committed entry are 11× the reference's: does the leader send the whole log"}},
		{"fourteen times the bytes per save", func(c *Cost) { c.PersistedBytes *= 14 }, false, []string{"persisted bytes per save are 14× the reference's (28000 bytes against 2000)"}},
		{"fifty times small saves", func(c *Cost) { c.Saves = 50_000 * c.Saves }, false, nil}, // see below
		{"all of it", func(c *Cost) {
			c.Units, c.Messages, c.Bytes, c.PersistedBytes = 20*c.Units, 20*c.Messages, 20*c.Bytes, 20*c.PersistedBytes
		}, false,
			[]string{"CPU time is 20×", "messages per", "bytes sent per", "persisted bytes per save are 20×"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			impl, ref := ref, ref
			tc.impl(&impl)
			if impl.Saves != ref.Saves {
				// 1000 bytes per save against 20: fifty times, but below
				// the floor.
				impl.Saves, impl.PersistedBytes, ref.Saves, ref.PersistedBytes = 1, 1000, 1000, 20_000
			}
			r := compareCost(Replication, []string{"A", "B"}, 0, true, impl, ref, cpu, tc.tracing)
			assert.Len(t, r.Warnings, len(tc.warn), "%v", r.Warnings)
			for i, w := range tc.warn {
				if i < len(r.Warnings) {
					assert.Contains(t, r.Warnings[i], w)
				}
			}
			line := r.Line()
			assert.Contains(t, line, "cost against the reference, over 2 scenario(s) and 10 run(s): CPU time ")
			assert.Equal(t, len(tc.warn), strings.Count(line, "\ncost warning: "))
		})
	}
}

// TestCostPerSimulatedSecond: where the reference commits nothing (the
// election stage), messages and bytes are counted per simulated second.
func TestCostPerSimulatedSecond(t *testing.T) {
	ref := Cost{Runs: 4, SimTime: int64(20 * time.Second), Messages: 2000, Bytes: 10_000, Saves: 10, PersistedBytes: 60, Units: 50}
	r := compareCost(Election, []string{"Swarm"}, 1, false, ref, ref, stageTime{What: "wall time", Unit: time.Millisecond}, false)
	assert.Equal(t, perSecond, r.Impl.Per)
	assert.InDelta(t, 100, r.Impl.Messages, 1e-9)
	assert.InDelta(t, 500, r.Impl.Bytes, 1e-9)
	assert.InDelta(t, 6, r.Impl.BytesPerSave, 1e-9)
	line := r.Line()
	assert.Contains(t, line, "wall time 50ms (1.0×")
	assert.Contains(t, line, "per simulated second 100.0 messages (1.0×) and 500 bytes sent (1.0×); 6 bytes persisted per save (1.0×)")
	assert.Contains(t, line, "1 other scenario(s) failed or have no reference figures")
	assert.Contains(t, line, "the reference's figures are for the default seeds, not this run's")
	assert.Contains(t, (&CostReport{Stage: Election}).Line(), "no scenario of the election stage")
}

// TestBaselineCoversTheSuites: every visible scenario has the reference's
// figures (the reference test TestBaseline checks that they are right).
func TestBaselineCoversTheSuites(t *testing.T) {
	for _, stage := range Stages {
		b := baselineOf(stage)
		for _, sc := range Suite(stage) {
			c, ok := b[sc.Name]
			if assert.True(t, ok, "%s/%s has no reference figures: regenerate labs/baseline.go (go test ./labs -run '^TestBaseline$' -update)", stage, sc.Name) {
				assert.Equal(t, (SeedPlan{}).Seeds(sc), seedsOf(c.Runs), "%s/%s: the baseline is for the default seeds", stage, sc.Name)
			}
		}
	}
}

func seedsOf(n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

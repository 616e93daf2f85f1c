package sandbox

import (
	"fmt"
	"testing"
	"time"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/sim"
)

// The sandbox's speed, natively and under js/wasm (Node), on one fixed
// run: 5 nodes on a lossy network with snapshots every 100 entries, a
// client command every 100 ms, 60 simulated seconds, every checker on.
//
//	go test ./wasm/sandbox -run XXX -bench Sandbox -benchtime 5x
//	GOOS=js GOARCH=wasm go test -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./wasm/sandbox -run XXX -bench Sandbox -benchtime 5x
//
// BenchmarkSandboxWorld drives a World the way the page does (an Advance
// of 100 ms and a propose, 600 times); BenchmarkSandboxSimRun runs the
// same schedule as one plain sim.Run scenario, without the World's
// channel hand-offs, JSON or state reads: the difference is the World's
// own cost.

var benchCfg = Config{Nodes: 5, Seed: 1, Drop: 0.05, Dup: 0.02, DelayMinMs: 1, DelayMaxMs: 10, SnapshotEvery: 100}

const benchSteps = 600 // × 100 ms = 60 simulated seconds

func BenchmarkSandboxWorld(b *testing.B) {
	var events int64
	for b.Loop() {
		w, err := NewWorld(reference(), benchCfg)
		if err != nil {
			b.Fatal(err)
		}
		step := int64(100_000)
		for i := range benchSteps {
			if err := w.Advance(Advance{ForUs: &step}); err != nil {
				b.Fatal(err)
			}
			cmd := fmt.Sprint("c", i)
			if _, err := w.Act(Action{Type: "propose", Command: &cmd}); err != nil {
				b.Fatal(err)
			}
		}
		st := w.State()
		if st.Failure != nil {
			b.Fatal(st.Failure.Message)
		}
		events += st.Events
		w.Close()
	}
	report(b, events)
}

func BenchmarkSandboxSimRun(b *testing.B) {
	var events int64
	for b.Loop() {
		res := sim.Run(sim.Config{Nodes: 5, Factory: raft.New, Seed: 1, SnapshotEvery: 100, TimelineLen: recentLen, MaxEvents: 1 << 62,
			Network: sim.Network{DropRate: 0.05, DupRate: 0.02, DelayMin: time.Millisecond, DelayMax: 10 * time.Millisecond}},
			func(c *sim.Cluster) {
				for i := range benchSteps {
					c.RunFor(100 * time.Millisecond)
					cmd := []byte(fmt.Sprint("c", i))
					propose(c, cmd, &Outcome{})
				}
			})
		if res.Failure != nil {
			b.Fatal(res.Failure)
		}
		events += res.Stats.Events
	}
	report(b, events)
}

// BenchmarkSandboxState is one state read (what the page does per frame),
// with JSON, on a 7-node world after 60 simulated seconds of commands.
func BenchmarkSandboxState(b *testing.B) {
	api := NewAPI(reference())
	if out := api.Call("newWorld", `{"nodes":7,"seed":1,"snapshot_every":0}`); len(out) < 20 {
		b.Fatal(out)
	}
	for i := range 600 {
		api.Call("advance", `{"for_us":100000}`)
		api.Call("act", fmt.Sprintf(`{"type":"propose","command":"c%d"}`, i))
	}
	var size int
	for b.Loop() {
		size = len(api.Call("state", ""))
	}
	b.ReportMetric(float64(size), "bytes")
}

func report(b *testing.B, events int64) {
	wall := b.Elapsed()
	b.ReportMetric(float64(events)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
}

// BenchmarkSandboxHandoff is one empty command on the world's goroutine:
// the fixed cost of every API call on a world.
func BenchmarkSandboxHandoff(b *testing.B) {
	w, err := NewWorld(reference(), benchCfg)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	for b.Loop() {
		w.do(func(*sim.Cluster) {})
	}
}

// BenchmarkSandboxAdvance60s is the page's long jump: a new world of
// benchCfg advanced to 60 simulated seconds, no client. The browser test
// "simulator speed in Chromium" times the same calls in the page's
// Worker, for the ratio against native.
func BenchmarkSandboxAdvance60s(b *testing.B) {
	var events int64
	for b.Loop() {
		w, err := NewWorld(reference(), benchCfg)
		if err != nil {
			b.Fatal(err)
		}
		until := int64(60_000_000)
		for {
			if err := w.Advance(Advance{UntilUs: &until}); err != nil {
				b.Fatal(err)
			}
			if !w.truncated {
				break
			}
		}
		events += w.State().Events
		w.Close()
	}
	report(b, events)
}

// BenchmarkSandboxScenario is the page's "watch the reference pass a lab
// scenario": runScenario on three scenarios of the unreliable network
// (their scripts poll the cluster between events, so the labs package's
// code runs all along), the trace encoded for the page.
func BenchmarkSandboxScenario(b *testing.B) {
	reqs := []ScenarioRequest{
		{Stage: "persistence", Name: "Figure8Unreliable", Seed: 1},
		{Stage: "persistence", Name: "UnreliableChurn", Seed: 1},
		{Stage: "replication", Name: "Backup", Seed: 1},
	}
	for b.Loop() {
		for _, req := range reqs {
			res, err := RunScenario(reference(), req)
			if err != nil {
				b.Fatal(err)
			}
			if !res.OK {
				b.Fatalf("%s/%s failed: %s", req.Stage, req.Name, res.Report)
			}
		}
	}
}

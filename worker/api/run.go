package api

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/trace"
)

// RunRequest asks for one run of the reference: a lab scenario, or the
// randomized fault mix of raftsim, for a seed.
type RunRequest struct {
	Scenario *ScenarioRef `json:"scenario,omitempty"`
	Mix      *Mix         `json:"mix,omitempty"`
	Seed     uint64       `json:"seed"`
	// Nodes is the mix's cluster size (default 5); a scenario fixes its own.
	Nodes   int        `json:"nodes,omitempty"`
	Options RunOptions `json:"options"`
	// NoTrace leaves the trace out of the answer.
	NoTrace bool `json:"no_trace,omitempty"`
}

// ScenarioRef names a public lab scenario.
type ScenarioRef struct {
	Stage string `json:"stage"`
	Name  string `json:"name"`
}

// Mix is raftsim's run: a first leader, a randomized fault mix while a
// client offers commands, then recovery.
type Mix struct {
	Faults     string `json:"faults"`      // all, none, or a comma list of partitions,unreliable,crashes,pauses
	DurationMs int64  `json:"duration_ms"` // how long the faults run, simulated; 0: 2000
	Liveness   string `json:"liveness"`    // all, core or drawn (""); see raftsim -liveness
}

// RunOptions are the reference's options and the service's snapshots.
type RunOptions struct {
	PreVote       bool `json:"prevote"`
	CheckQuorum   bool `json:"checkquorum"`
	SnapshotEvery int  `json:"snapshot_every"` // mix only
}

// ScenarioSimBound bounds a public lab scenario's simulated time (a test
// holds every scenario to it); it sizes a scenario run's CPU estimate.
const ScenarioSimBound = 60 * time.Second

// mixRecovery is the simulated time a mix typically adds after its
// faults: the first leader, then a leader and a commit once they stop.
const mixRecovery = 3 * time.Second

// maxMixDuration bounds duration_ms whatever the budget.
const maxMixDuration = 10 * time.Minute

// Plan is a parsed, validated RunRequest.
type Plan struct {
	req      RunRequest
	scenario *labs.Scenario
	swarm    sim.Swarm
	nodes    int
	duration time.Duration
	cost     float64 // simulated node-seconds, estimated
}

// ParseRunRequest decodes and checks an /api/run body; its error is the
// API's answer (400 malformed JSON or a bad field, 404 unknown scenario).
func ParseRunRequest(body []byte) (*Plan, error) {
	var req RunRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	p := &Plan{req: req}
	switch {
	case req.Scenario != nil && req.Mix != nil:
		return nil, errorf(http.StatusBadRequest, "bad request", "give either \"scenario\" or \"mix\", not both")
	case req.Scenario != nil:
		sc, err := labs.FindScenario(labs.Stage(req.Scenario.Stage), req.Scenario.Name)
		if err != nil || sc.Hidden {
			return nil, errorf(http.StatusNotFound, "unknown scenario", "no public scenario %q in stage %q; the scenarios are: %s",
				req.Scenario.Name, req.Scenario.Stage, scenarioList())
		}
		if req.Nodes != 0 && req.Nodes != sc.Nodes {
			return nil, errorf(http.StatusBadRequest, "bad request", "scenario %s/%s runs %d nodes; leave \"nodes\" out", sc.Stage, sc.Name, sc.Nodes)
		}
		if req.Options.SnapshotEvery != 0 {
			return nil, errorf(http.StatusBadRequest, "bad request", "a scenario sets its own snapshots; snapshot_every is for a mix")
		}
		p.scenario, p.nodes, p.duration = &sc, sc.Nodes, ScenarioSimBound
	case req.Mix != nil:
		faults, err := sim.ParseFaults(orDefault(req.Mix.Faults, "all"))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "bad request", "mix.faults: %v", err)
		}
		live, err := sim.ParseLiveness(orDefault(req.Mix.Liveness, sim.LivenessDrawn.String()))
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "bad request", "mix.liveness: %v", err)
		}
		p.nodes = req.Nodes
		if p.nodes == 0 {
			p.nodes = 5
		}
		if p.nodes < 1 || p.nodes > 9 {
			return nil, errorf(http.StatusBadRequest, "bad request", "nodes must be between 1 and 9, not %d", p.nodes)
		}
		d := time.Duration(req.Mix.DurationMs) * time.Millisecond
		if req.Mix.DurationMs == 0 {
			d = 2 * time.Second
		}
		if d < 0 || d > maxMixDuration {
			return nil, errorf(http.StatusBadRequest, "bad request", "mix.duration_ms must be between 1 and %d", maxMixDuration.Milliseconds())
		}
		if req.Options.SnapshotEvery < 0 {
			return nil, errorf(http.StatusBadRequest, "bad request", "options.snapshot_every must not be negative")
		}
		p.swarm = sim.Swarm{Faults: faults, Nodes: p.nodes, Duration: d, Liveness: live}
		if req.Options.SnapshotEvery > 0 {
			p.swarm.SnapshotEvery = []int{req.Options.SnapshotEvery}
		}
		p.duration = d + mixRecovery
	default:
		return nil, errorf(http.StatusBadRequest, "bad request", "give \"scenario\": {\"stage\", \"name\"} or \"mix\": {\"faults\", \"duration_ms\"}")
	}
	p.cost = float64(p.nodes) * p.duration.Seconds()
	return p, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func scenarioList() string {
	var names []string
	for _, st := range labs.Stages {
		for _, sc := range labs.Scenarios(st) {
			names = append(names, string(st)+"/"+sc.Name)
		}
	}
	return strings.Join(names, ", ")
}

// RunAnswer is /api/run's answer.
type RunAnswer struct {
	Verdict string      `json:"verdict"` // pass or fail
	OK      bool        `json:"ok"`
	Summary RunSummary  `json:"summary"`
	Failure *RunFailure `json:"failure"`
	Report  string      `json:"report,omitempty"` // the failure as a student reads it
	// Trace is the run's trace, gzip-compressed and base64-encoded; nil
	// if no_trace asked so or it was over the cap (TraceOmitted says).
	Trace        *EncodedTrace `json:"trace"`
	TraceOmitted string        `json:"trace_omitted,omitempty"`
}

// RunSummary says what ran.
type RunSummary struct {
	Implementation string  `json:"implementation"`
	Scenario       string  `json:"scenario"`
	Plan           string  `json:"plan,omitempty"` // a mix's draw
	Seed           uint64  `json:"seed"`
	Nodes          int     `json:"nodes"`
	SimMs          float64 `json:"sim_ms"`
	Events         int64   `json:"events"`
	Committed      int     `json:"committed"`
	Hash           string  `json:"hash"`
	CostNodeSec    float64 `json:"cost_node_seconds"` // the estimate the budget was checked with
}

// RunFailure is the checker's finding.
type RunFailure struct {
	Kind    string `json:"kind"`
	Rule    string `json:"rule"`
	Paper   string `json:"paper,omitempty"`
	Message string `json:"message"`
	Nodes   []int  `json:"nodes,omitempty"`
	AtUs    int64  `json:"at_us"`
}

// EncodedTrace is a trace in an answer.
type EncodedTrace struct {
	Encoding  string `json:"encoding"` // "gzip+base64"
	RawBytes  int    `json:"raw_bytes"`
	GzipBytes int    `json:"gzip_bytes"`
	Data      string `json:"data"`
}

// DecodeTrace returns the trace's JSON text.
func (e *EncodedTrace) DecodeTrace() ([]byte, error) {
	if e.Encoding != "gzip+base64" {
		return nil, fmt.Errorf("trace encoding %q, want gzip+base64", e.Encoding)
	}
	gz, err := base64.StdEncoding.DecodeString(e.Data)
	if err != nil {
		return nil, fmt.Errorf("trace: base64: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("trace: gzip: %w", err)
	}
	return readAll(zr)
}

func (h *Handler) run(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, 16<<10)
	if err != nil {
		return err
	}
	p, err := ParseRunRequest(body)
	if err != nil {
		return err
	}
	if budget := h.env.Limits.RunNodeSeconds; p.cost > budget {
		return errorf(http.StatusUnprocessableEntity, "over the CPU budget",
			"this run is estimated at %.0f simulated node-seconds (%d nodes × %s); this host runs at most %.0f node-seconds a request (RUN_NODE_SECONDS, set for its plan's CPU limit): run fewer nodes or a shorter mix, or run it yourself with go run ./cmd/raftsim",
			p.cost, p.nodes, p.duration, budget)
	}
	if h.env.Reference == nil {
		return errorf(http.StatusServiceUnavailable, "no implementation", "this host was built without the reference")
	}
	ans, err := h.Execute(p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}

// Execute runs a plan, with no budget check (the handler checks it).
func (h *Handler) Execute(p *Plan) (*RunAnswer, error) {
	o := p.req.Options
	factory := h.env.Reference(o.PreVote, o.CheckQuorum)
	impl := "reference"
	if o.PreVote || o.CheckQuorum {
		impl = fmt.Sprintf("reference (prevote=%t checkquorum=%t)", o.PreVote, o.CheckQuorum)
	}
	ans := &RunAnswer{Summary: RunSummary{Implementation: impl, Seed: p.req.Seed, Nodes: p.nodes, CostNodeSec: p.cost}}
	var simRes *sim.Result
	var tr *trace.Trace
	if p.scenario != nil {
		res := labs.Run{Impl: labs.Impl{Name: impl, Factory: factory}, Scenario: *p.scenario, Seed: p.req.Seed, Trace: !p.req.NoTrace}.Execute()
		ans.Summary.Scenario = string(p.scenario.Stage) + "/" + p.scenario.Name
		simRes, tr = res.Sim, res.Trace
		if res.Failure != nil {
			ans.Failure = runFailure(&res.Failure.Failure)
			ans.Report = res.Failure.Error()
		}
	} else {
		draw := p.swarm.Draw(p.req.Seed)
		cfg := sim.Config{
			Factory: factory, Implementation: impl, Scenario: "raftsim " + orDefault(p.req.Mix.Faults, "all"),
			Replay:      fmt.Sprintf("go run ./cmd/raftsim -seed %d -nodes %d -faults %s -duration %s", p.req.Seed, p.nodes, orDefault(p.req.Mix.Faults, "all"), p.swarm.Duration),
			RecordTrace: !p.req.NoTrace, TimelineLen: 24,
		}
		draw.Configure(&cfg)
		simRes = sim.Run(cfg, func(c *sim.Cluster) { p.swarm.Run(c, draw) })
		ans.Summary.Scenario, ans.Summary.Plan = cfg.Scenario, draw.String()
		tr = simRes.Trace
		if simRes.Failure != nil {
			ans.Failure = runFailure(simRes.Failure)
			ans.Report = simRes.Failure.Error()
		}
	}
	ans.OK = ans.Failure == nil
	ans.Verdict = "pass"
	if !ans.OK {
		ans.Verdict = "fail"
	}
	if simRes != nil {
		ans.Summary.SimMs = float64(simRes.End.Microseconds()) / 1000
		ans.Summary.Events = simRes.Stats.Events
		ans.Summary.Committed = simRes.Stats.Committed
		ans.Summary.Hash = fmt.Sprintf("%016x", simRes.Hash)
	}
	switch {
	case p.req.NoTrace:
		ans.TraceOmitted = "no_trace was asked"
	case tr == nil:
		ans.TraceOmitted = "the run kept no trace (a hang, or a replay that differed)"
	default:
		enc, err := encodeTrace(tr)
		if err != nil {
			return nil, err
		}
		if enc.GzipBytes > h.env.Limits.RunTraceBytes {
			ans.TraceOmitted = fmt.Sprintf("the trace is %d bytes gzip-compressed, over this host's cap of %d: run it with go run ./cmd/raftsim for the trace", enc.GzipBytes, h.env.Limits.RunTraceBytes)
		} else {
			ans.Trace = enc
		}
	}
	return ans, nil
}

func runFailure(f *sim.Failure) *RunFailure {
	return &RunFailure{Kind: f.Kind, Rule: f.Rule, Paper: f.Paper, Message: f.Message, Nodes: f.Nodes, AtUs: f.At.Microseconds()}
}

func encodeTrace(t *trace.Trace) (*EncodedTrace, error) {
	raw, err := trace.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode the trace: %w", err)
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed) // CPU is what the plan limits
	if err != nil {
		return nil, fmt.Errorf("encode the trace: %w", err)
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("encode the trace: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode the trace: %w", err)
	}
	return &EncodedTrace{Encoding: "gzip+base64", RawBytes: len(raw), GzipBytes: gz.Len(), Data: base64.StdEncoding.EncodeToString(gz.Bytes())}, nil
}

// Cost is the run's estimated cost in simulated node-seconds, which the
// budget (Limits.RunNodeSeconds) is checked against.
func (p *Plan) Cost() float64 { return p.cost }

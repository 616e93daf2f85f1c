package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/trace"
)

// API is the JavaScript interface of the sandbox, as JSON in and JSON
// out: every function takes one JSON string and returns one, an error
// being {"error": "..."}. The js/wasm bridge maps globalThis.raftlab.<name>
// to Call(name, arg) and nothing else, so the whole interface is tested
// here, natively.
type API struct {
	impl  Impl
	world *World
	kept  []*World    // checkpoints for time travel, most recent first (checkpoints.go)
	build trace.Build // read once: runtime/debug parses the build info at every call
}

// NewAPI returns the API over impl, with no world yet.
func NewAPI(impl Impl) *API { return &API{impl: impl, build: trace.CurrentBuild()} }

// Functions lists the names Call answers, in the order the bridge
// registers them.
func Functions() []string {
	return []string{"version", "newWorld", "advance", "act", "state", "scenarios", "runScenario", "loadTrace"}
}

// Version is the sandbox's version as version() returns it.
const Version = "0.1.0"

// Call runs the API function name on the JSON argument arg and returns
// its JSON result. It never panics: a panic becomes an error result.
func (a *API) Call(name, arg string) (out string) {
	defer func() {
		if r := recover(); r != nil {
			out = errorJSON(fmt.Errorf("internal error in %s: %v (please report this)\n%s", name, r, debug.Stack()))
		}
	}()
	v, err := a.call(name, arg)
	if err != nil {
		return errorJSON(err)
	}
	var b []byte
	if ap, ok := v.(appender); ok {
		b, err = ap.appendJSON(make([]byte, 0, 64<<10))
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return errorJSON(fmt.Errorf("%s: encode the result: %w", name, err))
	}
	return string(b)
}

func errorJSON(err error) string {
	b, _ := json.Marshal(map[string]string{"error": err.Error()})
	return string(b)
}

func decode(name, arg string, v any) error {
	if strings.TrimSpace(arg) == "" {
		arg = "{}"
	}
	d := json.NewDecoder(strings.NewReader(arg))
	d.DisallowUnknownFields() // a misspelt field is an error, not a silent default
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s: bad argument: %w", name, err)
	}
	return nil
}

func (a *API) call(name, arg string) (any, error) {
	switch name {
	case "version":
		return map[string]any{"version": Version, "trace_format": trace.Version, "implementation": a.impl.Name, "build": a.build}, nil
	case "newWorld":
		var req NewWorldRequest
		if err := decode(name, arg, &req); err != nil {
			return nil, err
		}
		w, err := a.newWorld(req)
		if err != nil {
			return nil, fmt.Errorf("newWorld: %w", err)
		}
		return w.State(), nil
	case "advance":
		var req Advance
		if err := decode(name, arg, &req); err != nil {
			return nil, err
		}
		w, err := a.current(name)
		if err != nil {
			return nil, err
		}
		if err := w.Advance(req); err != nil {
			return nil, fmt.Errorf("advance: %w", err)
		}
		return w.State(), nil
	case "act":
		var act Action
		if err := decode(name, arg, &act); err != nil {
			return nil, err
		}
		w, err := a.current(name)
		if err != nil {
			return nil, err
		}
		out, err := w.Act(act)
		if err != nil {
			return nil, fmt.Errorf("act: %w", err)
		}
		st := w.State()
		st.Outcome = out
		return st, nil
	case "state":
		w, err := a.current(name)
		if err != nil {
			return nil, err
		}
		return w.State(), nil
	case "scenarios":
		return ListScenarios(), nil
	case "runScenario":
		var req ScenarioRequest
		if err := decode(name, arg, &req); err != nil {
			return nil, err
		}
		return RunScenario(a.impl, req)
	case "loadTrace":
		return LoadTrace(arg)
	}
	return nil, fmt.Errorf("no function %q (the sandbox has %s)", name, strings.Join(Functions(), ", "))
}

func (a *API) current(name string) (*World, error) {
	if a.world == nil {
		return nil, fmt.Errorf("%s: no world yet: call newWorld first", name)
	}
	return a.world, nil
}

// ScenarioInfo is one lab scenario as scenarios() lists it.
type ScenarioInfo struct {
	Stage string `json:"stage"`
	Name  string `json:"name"`
	Paper string `json:"paper"`
	Nodes int    `json:"nodes"`
}

// ListScenarios lists every public scenario of every stage, in order.
func ListScenarios() []ScenarioInfo {
	out := []ScenarioInfo{}
	for _, st := range labs.Stages {
		for _, sc := range labs.Scenarios(st) {
			out = append(out, ScenarioInfo{Stage: string(st), Name: sc.Name, Paper: sc.Paper, Nodes: sc.Nodes})
		}
	}
	return out
}

// ScenarioRequest names a scenario run.
type ScenarioRequest struct {
	Stage string `json:"stage"`
	Name  string `json:"name"`
	Seed  uint64 `json:"seed"`
}

// ScenarioResult is a scenario run: whether it passed, its failure, and
// its trace for the page to replay.
type ScenarioResult struct {
	OK      bool            `json:"ok"`
	Failure *FailureView    `json:"failure"`
	Report  string          `json:"report,omitempty"` // the report a student reads, for a failure
	Trace   json.RawMessage `json:"trace"`            // null if the run kept none (a hang)
}

// RunScenario runs one lab scenario for one seed against impl, with the
// trace on.
func RunScenario(impl Impl, req ScenarioRequest) (*ScenarioResult, error) {
	if impl.Factory == nil {
		return nil, errors.New("runScenario: the sandbox was built without an implementation")
	}
	sc, err := labs.FindScenario(labs.Stage(req.Stage), req.Name)
	if err != nil {
		return nil, fmt.Errorf("runScenario: %w (scenarios() lists them)", err)
	}
	run := labs.Run{Impl: labs.Impl{Name: impl.Name, Factory: impl.Factory}, Scenario: sc, Seed: req.Seed, Trace: true}
	res := run.Execute()
	out := &ScenarioResult{OK: res.Passed, Trace: json.RawMessage("null")}
	if res.Failure != nil {
		out.Failure = failureView(&res.Failure.Failure)
		out.Report = res.Failure.Error()
	}
	if res.Trace != nil {
		b, err := trace.Marshal(res.Trace)
		if err != nil {
			return nil, fmt.Errorf("runScenario: encode the trace: %w", err)
		}
		out.Trace = b
	}
	return out, nil
}

// TraceSummary is what loadTrace says about a trace.
type TraceSummary struct {
	Header  trace.Header `json:"header"`
	Events  int          `json:"events"`
	States  int          `json:"states"`
	EndUs   int64        `json:"end_us"`
	OK      bool         `json:"ok"`
	Failure *FailureView `json:"failure"`
	Hash    string       `json:"hash"`
}

// LoadTrace checks a trace file's text and summarizes it. Its error says
// what is wrong (not a trace, the old format v1, bad JSON, ...).
func LoadTrace(text string) (*TraceSummary, error) {
	t, err := trace.Decode(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("loadTrace: %w", err)
	}
	s := &TraceSummary{Header: t.Header, Events: len(t.Events), States: len(t.States), EndUs: t.Result.EndT, OK: t.Result.OK, Hash: t.Result.Hash}
	if f := t.Result.Failure; f != nil {
		s.Failure = &FailureView{Kind: f.Kind, Rule: f.Rule, Paper: f.Paper, Message: f.Message,
			Nodes: orEmpty(f.Nodes), Terms: orEmpty(f.Terms), Indexes: orEmpty(f.Indexes), AtUs: f.T}
	}
	return s, nil
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/publish"
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/result/resulttest"
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/trace"
	"github.com/raftlab/raftlab/worker/api"
)

// memStore is api.Store in memory, with expiry on the test's clock.
type memStore struct {
	mu   sync.Mutex
	now  func() time.Time
	m    map[string]string
	exp  map[string]time.Time
	puts int // of traces
}

func newMemStore(now func() time.Time) *memStore {
	return &memStore{now: now, m: map[string]string{}, exp: map[string]time.Time{}}
}

func (s *memStore) Get(_ context.Context, key string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.exp[key]; ok && !s.now().Before(e) {
		delete(s.m, key)
		delete(s.exp, key)
	}
	v, ok := s.m[key]
	return v, ok, nil
}

func (s *memStore) Put(_ context.Context, key, value string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.HasPrefix(key, "trace/") {
		s.puts++
	}
	s.m[key] = value
	if ttl > 0 {
		s.exp[key] = s.now().Add(ttl)
	} else {
		delete(s.exp, key)
	}
	return nil
}

// schemaInvalidTrace is a trace trace.Decode reads but the schema refuses
// (no header fields, an empty hash): found by FuzzParseTrace.
const schemaInvalidTrace = `{"format":"raftlab-trace","version":2,"header":{"nodes":1},"events":[],"states":[],"result":{"ok":true,"end_t":0,"hash":""}}`

var courseKey = []byte("0123456789abcdef0123456789abcdef")

// fixture is a handler on an in-memory store and a settable clock.
type fixture struct {
	t     testing.TB
	h     *api.Handler
	store *memStore
	now   time.Time
}

func newFixture(t testing.TB, change func(*api.Limits)) *fixture {
	f := &fixture{t: t, now: time.Unix(1_800_000_000, 0)}
	clock := func() time.Time { return f.now }
	f.store = newMemStore(clock)
	lim := api.DefaultLimits()
	if change != nil {
		change(&lim)
	}
	f.h = api.New(api.Env{
		Store: f.store, Now: clock, Limits: lim,
		CourseKey: func(c string) ([]byte, bool) { return courseKey, c == "cs452" },
		Reference: reference, CheckTrace: checkTrace,
	})
	return f
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(a.body, &m), "%s", a.body)
	return m
}

func (f *fixture) do(method, path string, body []byte, header map[string]string) answer {
	f.t.Helper()
	req := httptest.NewRequest(method, "http://raftlab.test"+path, bytes.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// requireError checks an error answer: its status, JSON with "error" and
// a "detail" that says something.
func requireError(t *testing.T, a answer, status int, what string) {
	t.Helper()
	require.Equal(t, status, a.status, "%s", a.body)
	assert.Equal(t, "application/json; charset=utf-8", a.header.Get("Content-Type"))
	m := a.json(t)
	assert.Equal(t, what, m["error"], "%s", a.body)
	assert.NotEmpty(t, m["detail"])
}

func TestPingAndUnknownPaths(t *testing.T) {
	f := newFixture(t, nil)
	a := f.do("GET", "/api/ping", nil, nil)
	require.Equal(t, 200, a.status)
	assert.Equal(t, true, a.json(t)["ok"])
	requireError(t, f.do("GET", "/nowhere", nil, nil), 404, "not found")
	requireError(t, f.do("GET", "/api/run", nil, nil), 405, "method not allowed")
	requireError(t, f.do("DELETE", "/api/traces/0123", nil, nil), 405, "method not allowed")
}

func decodeRun(t *testing.T, a answer) (*api.RunAnswer, *trace.Trace) {
	t.Helper()
	require.Equal(t, 200, a.status, "%s", a.body)
	var ra api.RunAnswer
	require.NoError(t, json.Unmarshal(a.body, &ra))
	require.NotNil(t, ra.Trace, "trace omitted: %s", ra.TraceOmitted)
	raw, err := ra.Trace.DecodeTrace()
	require.NoError(t, err)
	assert.Len(t, raw, ra.Trace.RawBytes)
	tr, err := trace.Decode(bytes.NewReader(raw))
	require.NoError(t, err)
	return &ra, tr
}

func TestRunAScenario(t *testing.T) {
	f := newFixture(t, nil)
	ra, tr := decodeRun(t, f.do("POST", "/api/run", []byte(`{"scenario":{"stage":"election","name":"InitialElection"},"seed":3}`), nil))
	assert.Equal(t, "pass", ra.Verdict)
	assert.True(t, ra.OK)
	assert.Nil(t, ra.Failure)
	assert.Equal(t, "election/InitialElection", ra.Summary.Scenario)
	assert.Equal(t, uint64(3), tr.Header.Seed)
	assert.Equal(t, ra.Summary.Nodes, tr.Header.Nodes)
	assert.True(t, tr.Result.OK)
	assert.Positive(t, ra.Summary.Events)
}

func TestRunAMixIsDeterministic(t *testing.T) {
	f := newFixture(t, nil)
	req := []byte(`{"mix":{"faults":"crashes,unreliable","duration_ms":800},"seed":11,"nodes":3,"options":{"prevote":true,"checkquorum":true,"snapshot_every":5}}`)
	ra, tr := decodeRun(t, f.do("POST", "/api/run", req, nil))
	assert.Equal(t, "pass", ra.Verdict)
	assert.Equal(t, 3, tr.Header.Nodes)
	assert.Contains(t, ra.Summary.Implementation, "prevote=true")
	assert.Contains(t, ra.Summary.Plan, "3 nodes")
	again, _ := decodeRun(t, f.do("POST", "/api/run", req, nil))
	assert.Equal(t, ra.Summary.Hash, again.Summary.Hash, "the same request, the same run")
	assert.Equal(t, ra.Trace.Data, again.Trace.Data)
}

func TestRunWithoutTraceAndOverTheTraceCap(t *testing.T) {
	f := newFixture(t, func(l *api.Limits) { l.RunTraceBytes = 100 })
	a := f.do("POST", "/api/run", []byte(`{"scenario":{"stage":"election","name":"InitialElection"},"seed":1}`), nil)
	require.Equal(t, 200, a.status)
	var ra api.RunAnswer
	require.NoError(t, json.Unmarshal(a.body, &ra))
	assert.Nil(t, ra.Trace)
	assert.Contains(t, ra.TraceOmitted, "over this host's cap of 100")
	a = f.do("POST", "/api/run", []byte(`{"scenario":{"stage":"election","name":"InitialElection"},"seed":1,"no_trace":true}`), nil)
	require.NoError(t, json.Unmarshal(a.body, &ra))
	assert.Nil(t, ra.Trace)
	assert.Equal(t, "pass", ra.Verdict)
}

func TestRunRefuses(t *testing.T) {
	f := newFixture(t, func(l *api.Limits) { l.RunNodeSeconds = 20 })
	tests := []struct {
		name, body string
		status     int
		what, in   string
	}{
		{"malformed JSON", `{"mix":`, 400, "malformed JSON", ""},
		{"unknown field", `{"mix":{},"sed":1}`, 400, "malformed JSON", "sed"},
		{"two values", `{} {}`, 400, "malformed JSON", "more than one"},
		{"neither", `{"seed":1}`, 400, "bad request", "scenario"},
		{"both", `{"mix":{},"scenario":{"stage":"election","name":"InitialElection"}}`, 400, "bad request", "not both"},
		{"unknown scenario", `{"scenario":{"stage":"election","name":"Nope"}}`, 404, "unknown scenario", "election/InitialElection"},
		{"unknown stage", `{"scenario":{"stage":"nope","name":"InitialElection"}}`, 404, "unknown scenario", ""},
		{"hidden scenario", `{"scenario":{"stage":"election","name":"HiddenLockstepElections"}}`, 404, "unknown scenario", ""},
		{"unknown fault", `{"mix":{"faults":"fire"}}`, 400, "bad request", "fire"},
		{"bad liveness", `{"mix":{"liveness":"maybe"}}`, 400, "bad request", "liveness"},
		{"too many nodes", `{"mix":{},"nodes":50}`, 400, "bad request", "between 1 and 9"},
		{"negative duration", `{"mix":{"duration_ms":-5}}`, 400, "bad request", "duration_ms"},
		{"over the budget", `{"mix":{"duration_ms":60000}}`, 422, "over the CPU budget", "at most 20 node-seconds"},
		{"scenario over the budget", `{"scenario":{"stage":"election","name":"InitialElection"}}`, 422, "over the CPU budget", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.do("POST", "/api/run", []byte(tt.body), nil)
			requireError(t, a, tt.status, tt.what)
			assert.Contains(t, a.json(t)["detail"], tt.in)
		})
	}
	big := bytes.Repeat([]byte(" "), 17<<10)
	requireError(t, f.do("POST", "/api/run", big, nil), 413, "body too large")
}

// sampleTrace is the trace of a scenario run, as /api/run returns it.
func sampleTrace(t testing.TB) []byte {
	t.Helper()
	p, err := api.ParseRunRequest([]byte(`{"scenario":{"stage":"election","name":"InitialElection"},"seed":5}`))
	require.NoError(t, err)
	h := api.New(api.Env{Store: newMemStore(time.Now), Limits: api.DefaultLimits(), Reference: reference})
	ra, err := h.Execute(p)
	require.NoError(t, err)
	raw, err := ra.Trace.DecodeTrace()
	require.NoError(t, err)
	return raw
}

func reference(preVote, checkQuorum bool) raftapi.Factory {
	return raft.NewFactory(raft.Options{PreVote: preVote, CheckQuorum: checkQuorum})
}

func TestSharedTraceRoundTrips(t *testing.T) {
	f := newFixture(t, nil)
	raw := sampleTrace(t)
	a := f.do("POST", "/api/traces", raw, nil)
	require.Equal(t, 201, a.status, "%s", a.body)
	var sh api.Shared
	require.NoError(t, json.Unmarshal(a.body, &sh))
	assert.Equal(t, api.TraceID(raw), sh.ID)
	assert.Equal(t, "http://raftlab.test/t/"+sh.ID, sh.URL)
	assert.True(t, sh.Created)
	assert.Equal(t, "2027-02-14T08:00:00Z", sh.Expires, "30 days after the clock")

	puts := f.store.puts
	a = f.do("POST", "/api/traces", raw, nil)
	require.Equal(t, 200, a.status)
	require.NoError(t, json.Unmarshal(a.body, &sh))
	assert.False(t, sh.Created)
	assert.Equal(t, puts, f.store.puts, "sharing it again writes nothing")

	a = f.do("GET", "/api/traces/"+sh.ID, nil, nil)
	require.Equal(t, 200, a.status)
	assert.Equal(t, raw, a.body)
	assert.Contains(t, a.header.Get("Cache-Control"), "immutable")

	a = f.do("GET", "/t/"+sh.ID, nil, nil)
	require.Equal(t, 302, a.status)
	assert.Equal(t, "/?trace=%2Fapi%2Ftraces%2F"+sh.ID, a.header.Get("Location"))

	f.now = f.now.Add(31 * 24 * time.Hour)
	requireError(t, f.do("GET", "/api/traces/"+sh.ID, nil, nil), 404, "no such trace")
	requireError(t, f.do("GET", "/t/"+sh.ID, nil, nil), 404, "no such trace")
}

func TestShareTraceRefuses(t *testing.T) {
	f := newFixture(t, func(l *api.Limits) { l.TraceBytes = 4096 })
	tests := []struct {
		name, body string
		status     int
		what       string
	}{
		{"empty", "", 400, "malformed JSON"},
		{"not JSON", "{", 400, "not a trace"},
		{"not a trace", `{"format":"other"}`, 400, "not a trace"},
		{"old version", `{"format":"raftlab-trace","version":1}`, 400, "not a trace"},
		{"too large", `{"format":"raftlab-trace",` + strings.Repeat(" ", 5000) + `}`, 413, "body too large"},
		{"decodes, but not by the schema", schemaInvalidTrace, 400, "not a trace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireError(t, f.do("POST", "/api/traces", []byte(tt.body), nil), tt.status, tt.what)
		})
	}
	requireError(t, f.do("GET", "/api/traces/xyz", nil, nil), 400, "bad trace id")
	requireError(t, f.do("GET", "/t/"+strings.Repeat("A", 32), nil, nil), 400, "bad trace id")
	requireError(t, f.do("GET", "/api/traces/"+strings.Repeat("0", 32), nil, nil), 404, "no such trace")
}

// signed signs body for the course's results endpoint as the grader does.
func signed(t *testing.T, course string, body []byte, at time.Time, nonce string, key []byte) map[string]string {
	t.Helper()
	s, err := publish.Sign(key, "/api/courses/"+course+"/results", body, at, nonce)
	require.NoError(t, err)
	return map[string]string{publish.HeaderTimestamp: s.Timestamp, publish.HeaderNonce: s.Nonce, publish.HeaderSignature: s.Signature}
}

func scored(t *testing.T, name string) *result.Result {
	t.Helper()
	for _, c := range resulttest.Cases() {
		if c.Name == name {
			return result.Score(c.Outcome, resulttest.Rubric())
		}
	}
	t.Fatalf("no sample %s", name)
	return nil
}

func envelope(t *testing.T, submission, pseudonym string, r *result.Result) []byte {
	t.Helper()
	env, err := publish.NewEnvelope(submission, pseudonym, r)
	require.NoError(t, err)
	b, err := json.Marshal(env)
	require.NoError(t, err)
	return b
}

func TestPublishedResultsMakeTheScoreboard(t *testing.T) {
	f := newFixture(t, nil)
	post := func(sub, pseudo, sample, nonce string) {
		body := envelope(t, sub, pseudo, scored(t, sample))
		a := f.do("POST", "/api/courses/cs452/results", body, signed(t, "cs452", body, f.now, nonce, courseKey))
		require.Equal(t, 201, a.status, "%s", a.body)
		f.now = f.now.Add(time.Second)
	}
	post("alice", "ada", "full", "nonce-0000000001")
	post("bob", "", "partial", "nonce-0000000002")
	post("carol", "grace", "zero", "nonce-0000000003")
	post("carol", "grace", "partial", "nonce-0000000004") // the latest counts

	a := f.do("GET", "/api/courses/cs452/scoreboard", nil, nil)
	require.Equal(t, 200, a.status)
	var sb api.Scoreboard
	require.NoError(t, json.Unmarshal(a.body, &sb))
	assert.Equal(t, 3, sb.Submissions)
	full, partial := scored(t, "full"), scored(t, "partial")
	require.Equal(t, "election", sb.Stages[0].Stage)
	assert.Equal(t, 3, sb.Stages[0].Graded)
	passing := 0
	for _, r := range []*result.Result{full, partial, partial} {
		if r.Stages[0].Score >= r.Stages[0].MaxScore {
			passing++
		}
	}
	assert.Equal(t, passing, sb.Stages[0].Passing)
	require.NotEmpty(t, sb.Broken, "the partial sample breaks rules")
	assert.Equal(t, 2, sb.Broken[0].Submissions, "bob's and carol's")
	require.Len(t, sb.Leaderboard, 2, "only the opted-in")
	assert.Equal(t, api.LeaderEntry{Rank: 1, Pseudonym: "ada", Score: full.Score, MaxScore: full.MaxScore, At: "2027-01-15T08:00:00Z"}, sb.Leaderboard[0])
	assert.Equal(t, "grace", sb.Leaderboard[1].Pseudonym)
	assert.Equal(t, partial.Score, sb.Leaderboard[1].Score)
	assert.NotContains(t, string(a.body), "alice", "submission names are never shown")

	page := f.do("GET", "/courses/cs452", nil, nil)
	require.Equal(t, 200, page.status)
	assert.Contains(t, string(page.body), "<td>ada</td>")
	assert.Contains(t, string(page.body), "3 submissions graded")
	assert.NotContains(t, string(page.body), "alice")
}

func TestPublishRefuses(t *testing.T) {
	f := newFixture(t, func(l *api.Limits) { l.ResultBytes = 64 << 10 })
	body := envelope(t, "alice", "", scored(t, "full"))
	ok := signed(t, "cs452", body, f.now, "nonce-used-000001", courseKey)
	require.Equal(t, 201, f.do("POST", "/api/courses/cs452/results", body, ok).status)
	with := func(h map[string]string, k, v string) map[string]string {
		out := map[string]string{}
		for a, b := range h {
			out[a] = b
		}
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	bad := []byte(`{"version":1,"submission":`)
	tests := []struct {
		name   string
		course string
		body   []byte
		header map[string]string
		status int
		what   string
	}{
		{"no signature", "cs452", body, nil, 401, "missing signature"},
		{"no nonce", "cs452", body, with(ok, publish.HeaderNonce, ""), 401, "missing signature"},
		{"bad signature", "cs452", body, signed(t, "cs452", body, f.now, "nonce-bad-0000001", []byte("fedcba9876543210fedcba9876543210")), 401, "bad signature"},
		{"body changed", "cs452", append([]byte(" "), body...), signed(t, "cs452", body, f.now, "nonce-bad-0000002", courseKey), 401, "bad signature"},
		{"malformed signature", "cs452", body, with(ok, publish.HeaderSignature, "sha1=00"), 401, "malformed signature"},
		{"expired", "cs452", body, signed(t, "cs452", body, f.now.Add(-time.Hour), "nonce-old-0000001", courseKey), 401, "expired timestamp"},
		{"replayed nonce", "cs452", body, ok, 409, "replayed nonce"},
		{"malformed JSON", "cs452", bad, signed(t, "cs452", bad, f.now, "nonce-json-000001", courseKey), 400, "malformed JSON"},
		{"unknown course", "cs999", body, signed(t, "cs999", body, f.now, "nonce-crs-0000001", courseKey), 404, "unknown course"},
		{"bad course name", "CS452", body, nil, 404, "unknown course"},
		{"too large", "cs452", bytes.Repeat([]byte(" "), 65<<10), nil, 413, "body too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireError(t, f.do("POST", "/api/courses/"+tt.course+"/results", tt.body, tt.header), tt.status, tt.what)
		})
	}
	requireError(t, f.do("GET", "/api/courses/cs999/scoreboard", nil, nil), 404, "unknown course")
	requireError(t, f.do("GET", "/courses/cs999", nil, nil), 404, "unknown course")
	a := f.do("GET", "/api/courses/cs452/scoreboard", nil, nil)
	require.Equal(t, 200, a.status)
	assert.Contains(t, string(a.body), `"submissions":1`, "no refused request reached the board")
}

func TestEnvelopeRefusals(t *testing.T) {
	tests := []struct{ name, body, in string }{
		{"wrong envelope version", `{"version":2,"submission":"a","result":{"version":1}}`, "envelope version"},
		{"no submission", `{"version":1,"submission":" ","result":{"version":1}}`, "submission"},
		{"no result", `{"version":1,"submission":"a"}`, "result"},
		{"null result", `{"version":1,"submission":"a","result":null}`, "result"},
		{"wrong result version", `{"version":1,"submission":"a","result":{"version":9}}`, "result version"},
		{"result not an object", `{"version":1,"submission":"a","result":[1]}`, "not a grader result"},
		{"long pseudonym", `{"version":1,"submission":"a","pseudonym":"` + strings.Repeat("x", 41) + `","result":{"version":1}}`, "pseudonym"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.ParseEnvelope([]byte(tt.body))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.in)
		})
	}
}

// TestGradedResultReadsTheGradersResult holds api.GradedResult, the
// board's subset of the grader's result, in step with grader/result: the
// same scores, stages and broken rules from every sample.
func TestGradedResultReadsTheGradersResult(t *testing.T) {
	for _, c := range resulttest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			r := result.Score(c.Outcome, resulttest.Rubric())
			p, err := api.ParseEnvelope(envelope(t, "s", "p", r))
			require.NoError(t, err)
			e := api.EntryOf(p, time.Unix(0, 0))
			assert.Equal(t, r.Score, e.Score)
			assert.Equal(t, r.MaxScore, e.MaxScore)
			require.Len(t, e.Stages, len(r.Stages))
			var broken []string
			for i, st := range r.Stages {
				assert.Equal(t, string(st.Stage), e.Stages[i].Stage)
				assert.Equal(t, st.MaxScore > 0 && st.Score >= st.MaxScore, e.Stages[i].Passed)
				for _, sc := range st.Scenarios {
					if sc.Failure != nil && !contains(broken, sc.Failure.Rule) {
						broken = append(broken, sc.Failure.Rule)
					}
				}
				if st.Rules != nil {
					for _, rt := range st.Rules.Tests {
						if rt.Verdict == result.Failed && rt.Rule != "" && !contains(broken, rt.Rule) {
							broken = append(broken, rt.Rule)
						}
					}
				}
			}
			assert.Equal(t, broken, e.Broken)
		})
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func TestRateLimit(t *testing.T) {
	f := newFixture(t, func(l *api.Limits) { l.RatePerMinute = 3 })
	f.now = time.Unix(1_800_000_000-10, 0) // 50 s into a minute
	ip := map[string]string{"CF-Connecting-IP": "203.0.113.7"}
	for i := range 3 {
		a := f.do("POST", "/api/traces", []byte("{"), ip)
		require.Equal(t, 400, a.status, "request %d is not limited", i)
	}
	a := f.do("POST", "/api/traces", []byte("{"), ip)
	requireError(t, a, 429, "too many requests")
	assert.Equal(t, "10", a.header.Get("Retry-After"))
	assert.Equal(t, 400, f.do("POST", "/api/traces", []byte("{"), map[string]string{"CF-Connecting-IP": "203.0.113.8"}).status, "another client")
	assert.Equal(t, 200, f.do("GET", "/api/ping", nil, ip).status, "reads are not limited")
	f.now = f.now.Add(10 * time.Second)
	assert.Equal(t, 400, f.do("POST", "/api/traces", []byte("{"), ip).status, "a new minute")
}

// TestRateLimitSparesSignedPublications: grader class --publish posts a
// whole class from one machine, back to back; only publications that fail
// the course or signature check count against the client's rate.
func TestRateLimitSparesSignedPublications(t *testing.T) {
	f := newFixture(t, func(l *api.Limits) { l.RatePerMinute = 3 })
	const ip = "203.0.113.9"
	for i := range 10 {
		body := envelope(t, fmt.Sprintf("student-%02d", i), "", scored(t, "full"))
		h := signed(t, "cs452", body, f.now, fmt.Sprintf("nonce-class-%05d", i), courseKey)
		h["CF-Connecting-IP"] = ip
		a := f.do("POST", "/api/courses/cs452/results", body, h)
		require.Equal(t, 201, a.status, "publication %d: %s", i, a.body)
	}
	body := envelope(t, "mallory", "", scored(t, "full"))
	for i := range 4 {
		h := signed(t, "cs452", body, f.now, fmt.Sprintf("nonce-guess-%05d", i), []byte("fedcba9876543210fedcba9876543210"))
		h["CF-Connecting-IP"] = ip
		a := f.do("POST", "/api/courses/cs452/results", body, h)
		if i < 3 {
			requireError(t, a, 401, "bad signature")
		} else {
			requireError(t, a, 429, "too many requests")
		}
	}
}

// failingStore is a Store whose every call fails, as KV does when it is
// down or the free plan's daily writes are used up.
type failingStore struct{}

func (failingStore) Get(context.Context, string) (string, bool, error) {
	return "", false, errors.New("KV is down")
}

func (failingStore) Put(context.Context, string, string, time.Duration) error {
	return errors.New("KV is down")
}

// TestRunNeedsNoStore: the rate limit's counter lives in the Store, but a
// failing Store must not stop /api/run, which needs no KV otherwise.
func TestRunNeedsNoStore(t *testing.T) {
	h := api.New(api.Env{Store: failingStore{}, Limits: api.DefaultLimits(), Reference: reference, CheckTrace: checkTrace,
		CourseKey: func(string) ([]byte, bool) { return nil, false }})
	req := httptest.NewRequest("POST", "/api/run", strings.NewReader(`{"scenario":{"stage":"election","name":"InitialElection"},"seed":3}`))
	req.Header.Set("CF-Connecting-IP", "203.0.113.10")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, 200, rec.Code, "%s", rec.Body)
}

// TestScenariosEndWithinTheirBound holds ScenarioSimBound, which prices a
// scenario run, to every public scenario.
func TestScenariosEndWithinTheirBound(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every public scenario")
	}
	f := newFixture(t, func(l *api.Limits) { l.RunNodeSeconds = 1e9 })
	var list []struct{ Stage, Name string }
	for _, s := range strings.Split(scenarioNames(t, f), ", ") {
		st, name, _ := strings.Cut(s, "/")
		list = append(list, struct{ Stage, Name string }{st, name})
	}
	require.NotEmpty(t, list)
	for _, sc := range list {
		a := f.do("POST", "/api/run", []byte(fmt.Sprintf(`{"scenario":{"stage":%q,"name":%q},"seed":1,"no_trace":true}`, sc.Stage, sc.Name)), nil)
		require.Equal(t, 200, a.status, "%s", a.body)
		var ra api.RunAnswer
		require.NoError(t, json.Unmarshal(a.body, &ra))
		assert.LessOrEqual(t, ra.Summary.SimMs, float64(api.ScenarioSimBound.Milliseconds()), "%s/%s", sc.Stage, sc.Name)
	}
}

// scenarioNames reads the list an unknown scenario's error gives.
func scenarioNames(t *testing.T, f *fixture) string {
	a := f.do("POST", "/api/run", []byte(`{"scenario":{"stage":"x","name":"y"}}`), nil)
	detail, _ := a.json(t)["detail"].(string)
	_, list, ok := strings.Cut(detail, "the scenarios are: ")
	require.True(t, ok, detail)
	return list
}

func TestAcceptedTracesMatchTheSchema(t *testing.T) {
	s := traceSchema(t)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(sampleTrace(t)))
	require.NoError(t, err)
	require.NoError(t, s.Validate(inst))
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

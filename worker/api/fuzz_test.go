package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/worker/api"
)

// The fuzz targets' seed corpora run in every go test; go test -fuzz
// explores from them.

func FuzzParseRunRequest(f *testing.F) {
	for _, s := range []string{
		`{"scenario":{"stage":"election","name":"InitialElection"},"seed":1}`,
		`{"mix":{"faults":"all","duration_ms":2000,"liveness":"core"},"seed":7,"nodes":5,"options":{"prevote":true,"snapshot_every":3}}`,
		`{"mix":{"faults":"partitions, crashes"},"nodes":9}`,
		`{"mix":{"duration_ms":600000}}`, `{"mix":{"duration_ms":-1}}`, `{}`, `null`, `[]`, `{"seed":-1}`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := api.ParseRunRequest(body)
		if err != nil {
			var e *api.Error
			require.ErrorAs(t, err, &e)
			require.Contains(t, []int{400, 404}, e.Status)
			require.NotEmpty(t, e.Detail)
			return
		}
		require.Positive(t, p.Cost(), "an accepted run has a price")
		require.LessOrEqual(t, p.Cost(), 9*(10*60+3)+0.0, "and a bounded one")
	})
}

// FuzzParseTrace: trace.Decode never panics and errs with a 400; what it
// accepts, the host still checks against the schema (CheckTrace), since
// Decode accepts some traces the schema refuses (a seed below).
func FuzzParseTrace(f *testing.F) {
	f.Add(sampleTrace(f))
	f.Add([]byte(schemaInvalidTrace))
	f.Add([]byte(`{"format":"raftlab-trace","version":1}`))
	f.Add([]byte(`{"format":"raftlab-trace","version":2,"events":[{"t":5,"kind":"tick","node":3}]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fx := newFixture(t, func(l *api.Limits) { l.RatePerMinute = 0 })
		a := fx.do("POST", "/api/traces", body, nil)
		tr, err := api.ParseTrace(body)
		if err != nil {
			var e *api.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, 400, e.Status)
			require.Contains(t, []int{400, 413}, a.status)
			return
		}
		require.NotNil(t, tr)
		if a.status == 201 {
			require.NoError(t, checkTrace(body), "stored a trace the schema refuses: %s", body)
		}
	})
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte(`{"version":1,"submission":"a","pseudonym":"p","result":{"version":1,"score":1,"max_score":2,"stages":[{"stage":"election","score":1,"max_score":1,"scenarios":[{"failure":{"rule":"Election Safety"}}],"rules":{"tests":[{"rule":"r","verdict":"failed"}]}}]}}`))
	f.Add([]byte(`{"version":1,"submission":"a","result":{"version":1,"stages":null}}`))
	f.Add([]byte(`{"version":1,"submission":"a","result":"x"}`))
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`nul`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := api.ParseEnvelope(body)
		if err != nil {
			var e *api.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, 400, e.Status)
			return
		}
		e := api.EntryOf(p, time.Unix(0, 0))
		require.Len(t, e.Stages, len(p.Result.Stages))
		s := api.Summarize("c", &api.Board{Entries: map[string]*api.Entry{"x": e}})
		require.Equal(t, 1, s.Submissions)
	})
}

// FuzzHandler sends any method, path and body: the answer is never a
// 500, and an error answer is always the JSON error.
func FuzzHandler(f *testing.F) {
	for _, s := range [][3]string{
		{"GET", "/api/ping", ""}, {"POST", "/api/traces", "{"}, {"GET", "/t/00", ""}, {"POST", "/api/run", `{"mix":{"duration_ms":1}}`},
		{"POST", "/api/courses/cs452/results", "{}"}, {"GET", "/api/courses/cs452/scoreboard", ""}, {"GET", "/courses/cs452", ""},
		{"PUT", "/api/traces/" + strings.Repeat("a", 32), ""}, {"GET", "//api//ping", ""},
	} {
		f.Add(s[0], s[1], []byte(s[2]))
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#%") || len(path) > 200 || !validMethod(method) {
			return
		}
		if _, err := url.ParseRequestURI("http://raftlab.test" + path); err != nil {
			return // no client can send it
		}
		if strings.HasSuffix(strings.TrimRight(path, "/"), "/api/run") && method == http.MethodPost {
			return // runs the simulator: covered by FuzzParseRunRequest and the run tests
		}
		fx := newFixture(t, nil)
		a := fx.do(method, path, body, nil)
		require.Less(t, a.status, 500, "%s %s: %s", method, path, a.body)
		if a.status >= 400 {
			var e struct{ Error, Detail string }
			require.NoError(t, json.Unmarshal(a.body, &e), "%s", a.body)
			require.NotEmpty(t, e.Error)
			require.NotEmpty(t, e.Detail)
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS":
		return true
	}
	return false
}

// Package api is the serverless host's HTTP API: the reference Raft run in
// the simulator on request (/api/run), shared traces (/api/traces, /t/{id})
// and a class scoreboard fed by the grader's signed results
// (/api/courses/{course}/...). It is plain Go over a key-value Store, so it
// is tested natively; worker/cmd/worker wires it to Cloudflare Workers
// (syumai/workers) and Workers KV. The page and its WebAssembly are static
// assets served in front of it and never reach this handler.
//
// Every error is JSON, {"error": what, "detail": what to do}, with the
// status that says which.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/raftlab/raftlab/raftapi"
)

// Store is the key-value store the API keeps its state in (Workers KV in
// production). Values are text.
type Store interface {
	// Get returns the value at key; ok is false if there is none.
	Get(ctx context.Context, key string) (value string, ok bool, err error)
	// Put stores value at key; ttl > 0 expires it after ttl (Workers KV
	// wants at least 60 s).
	Put(ctx context.Context, key, value string, ttl time.Duration) error
}

// Limits bound what one request may ask for.
type Limits struct {
	// RatePerMinute is how many POST requests one client (by
	// CF-Connecting-IP) may make in a minute; 0: no limit.
	RatePerMinute int
	// TraceBytes caps a shared trace's body.
	TraceBytes int64
	// ResultBytes caps a published result's body.
	ResultBytes int64
	// TraceTTL is how long a shared trace is kept.
	TraceTTL time.Duration
	// RunNodeSeconds is /api/run's CPU budget in simulated node-seconds
	// (nodes × simulated seconds): a run estimated above it is refused
	// before it starts.
	RunNodeSeconds float64
	// RunTraceBytes caps the gzip-compressed trace an /api/run answer
	// carries; a larger one is left out (the answer says so).
	RunTraceBytes int
}

// DefaultLimits are the limits for the free plan's 10 ms of CPU, except
// RunNodeSeconds, which suits the paid plan's default 30 s (see the
// README's figures).
func DefaultLimits() Limits {
	return Limits{
		RatePerMinute:  60,
		TraceBytes:     1 << 20,
		ResultBytes:    256 << 10,
		TraceTTL:       30 * 24 * time.Hour,
		RunNodeSeconds: 300,
		RunTraceBytes:  2 << 20,
	}
}

// Env is what the handler runs on.
type Env struct {
	Store Store
	// Now is the clock for signatures, expiry and rate windows.
	Now func() time.Time
	// CourseKey returns a course's signing key; ok is false for a course
	// the host does not know.
	CourseKey func(course string) (key []byte, ok bool)
	// CheckTrace checks a trace's text against the published trace schema
	// (docs/trace.schema.json); nil refuses every shared trace. The Worker
	// runs a validator compiled to JavaScript (worker/validator.mjs).
	CheckTrace func(body []byte) error
	// Reference builds the reference's nodes with the given options.
	Reference func(preVote, checkQuorum bool) raftapi.Factory
	Limits    Limits
}

// Handler serves the API.
type Handler struct {
	env Env
}

// New returns the API handler over env.
func New(env Env) *Handler {
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.CourseKey == nil {
		env.CourseKey = func(string) ([]byte, bool) { return nil, false }
	}
	return &Handler{env: env}
}

// Error is an error answer: its status, and its JSON body.
type Error struct {
	Status int    `json:"-"`
	What   string `json:"error"`
	Detail string `json:"detail"`
	// RetryAfter, if > 0, is sent as the Retry-After header (seconds).
	RetryAfter int `json:"-"`
}

func (e *Error) Error() string { return e.What + ": " + e.Detail }

func errorf(status int, what, format string, args ...any) *Error {
	return &Error{Status: status, What: what, Detail: fmt.Sprintf(format, args...)}
}

// ServeHTTP routes a request. Paths the API does not know get a JSON 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	err := h.route(w, r)
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, What: "internal error", Detail: err.Error() + " (please report this)"}
	}
	writeError(w, e)
}

func writeError(w http.ResponseWriter, e *Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error","detail":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // nobody to tell if the client went away
}

func (h *Handler) route(w http.ResponseWriter, r *http.Request) error {
	p := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	onlyMethod := func(m string) error {
		if r.Method != m {
			w.Header().Set("Allow", m)
			return errorf(http.StatusMethodNotAllowed, "method not allowed", "%s takes %s, not %s", r.URL.Path, m, r.Method)
		}
		return nil
	}
	method := func(m string) error {
		if err := onlyMethod(m); err != nil {
			return err
		}
		if m == http.MethodPost {
			return h.rateLimit(r)
		}
		return nil
	}
	switch {
	case len(p) == 2 && p[0] == "api" && p[1] == "ping":
		if err := method(http.MethodGet); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return nil
	case len(p) == 2 && p[0] == "api" && p[1] == "run":
		if err := method(http.MethodPost); err != nil {
			return err
		}
		return h.run(w, r)
	case len(p) == 2 && p[0] == "api" && p[1] == "traces":
		if err := method(http.MethodPost); err != nil {
			return err
		}
		return h.shareTrace(w, r)
	case len(p) == 3 && p[0] == "api" && p[1] == "traces":
		if err := method(http.MethodGet); err != nil {
			return err
		}
		return h.getTrace(w, r, p[2])
	case len(p) == 2 && p[0] == "t":
		if err := method(http.MethodGet); err != nil {
			return err
		}
		return h.openTrace(w, r, p[1])
	case len(p) == 4 && p[0] == "api" && p[1] == "courses" && p[3] == "results":
		// Not rate-limited up front: grader class --publish posts a whole
		// class from one machine, back to back. publish limits the
		// requests that fail the course or signature check instead.
		if err := onlyMethod(http.MethodPost); err != nil {
			return err
		}
		return h.publish(w, r, p[2])
	case len(p) == 4 && p[0] == "api" && p[1] == "courses" && p[3] == "scoreboard":
		if err := method(http.MethodGet); err != nil {
			return err
		}
		return h.scoreboard(w, r, p[2])
	case len(p) == 2 && p[0] == "courses":
		if err := method(http.MethodGet); err != nil {
			return err
		}
		return h.scoreboardPage(w, r, p[1])
	}
	return errorf(http.StatusNotFound, "not found", "no page or API at %s (the API: POST /api/run, POST /api/traces, GET /api/traces/{id}, GET /t/{id}, POST /api/courses/{course}/results, GET /api/courses/{course}/scoreboard, GET /courses/{course})", r.URL.Path)
}

// rateLimit counts the client's POSTs in the current minute in the Store.
// Workers KV is eventually consistent and has no increment, so a burst
// across data centres can pass a few requests more than the limit: it is
// a brake on scripts, not an exact quota. For the same reason a Store that
// fails (KV down, or the free plan's daily writes used up) lets the
// request through rather than failing it: the brake must not stop
// /api/run, which needs no KV otherwise.
func (h *Handler) rateLimit(r *http.Request) error {
	lim := h.env.Limits.RatePerMinute
	if lim <= 0 {
		return nil
	}
	client := r.Header.Get("CF-Connecting-IP")
	if client == "" {
		client = "unknown"
	}
	now := h.env.Now()
	minute := now.Unix() / 60
	key := fmt.Sprintf("rate/%s/%d", client, minute)
	v, ok, err := h.env.Store.Get(r.Context(), key)
	if err != nil {
		return nil // see above: no counter, no brake
	}
	n := 0
	if ok {
		n, _ = strconv.Atoi(v) // a garbled counter counts as zero
	}
	if n >= lim {
		e := errorf(http.StatusTooManyRequests, "too many requests", "this client made %d requests this minute; the limit is %d a minute: wait and retry", n, lim)
		e.RetryAfter = int(60 - now.Unix()%60)
		return e
	}
	_ = h.env.Store.Put(r.Context(), key, strconv.Itoa(n+1), 2*time.Minute) // a failed count lets the request through, as above
	return nil
}

// readBody reads at most limit bytes of the body: more is a 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errorf(http.StatusRequestEntityTooLarge, "body too large", "the body has %d bytes; the limit is %d", r.ContentLength, limit)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	b, err := readAll(body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "body too large", "the body is over the limit of %d bytes", limit)
		}
		return nil, errorf(http.StatusBadRequest, "unreadable body", "reading the body: %v", err)
	}
	return b, nil
}

// origin is the scheme and host the request came to, for absolute URLs.
func origin(r *http.Request) string {
	if r.URL.Scheme != "" && r.URL.Host != "" {
		return r.URL.Scheme + "://" + r.URL.Host
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"time"

	"github.com/raftlab/raftlab/trace"
)

// TraceIDLen is the length of a shared trace's id: the first 128 bits of
// the SHA-256 of its bytes, in hex.
const TraceIDLen = 32

// TraceID is the id of a trace's bytes.
func TraceID(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:TraceIDLen/2])
}

func validTraceID(id string) bool {
	if len(id) != TraceIDLen {
		return false
	}
	for _, c := range id {
		if !lowerHex(c) {
			return false
		}
	}
	return true
}

func traceKey(id string) string { return "trace/" + id }

// Shared is the answer to a shared trace.
type Shared struct {
	ID       string `json:"id"`
	URL      string `json:"url"`       // the page opened on the trace
	TraceURL string `json:"trace_url"` // the trace itself
	Expires  string `json:"expires"`   // RFC 3339, at the latest
	Created  bool   `json:"created"`   // false: the same trace was already shared
}

// ParseTrace checks that body is a raftlab trace this build reads, by
// trace.Decode, the reader every tool uses (format, version, fields and
// their types, node numbers, time order; its errors say the most). The
// handler then checks it against the published schema too
// (Env.CheckTrace). Its error is the API's 400 answer.
func ParseTrace(body []byte) (*trace.Trace, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errorf(http.StatusBadRequest, "malformed JSON", "the body is empty: send the trace file's JSON")
	}
	t, err := trace.Decode(bytes.NewReader(body))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "not a trace", "%v", err)
	}
	return t, nil
}

func (h *Handler) shareTrace(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, h.env.Limits.TraceBytes)
	if err != nil {
		return err
	}
	if _, err := ParseTrace(body); err != nil {
		return err
	}
	if h.env.CheckTrace == nil {
		return errorf(http.StatusServiceUnavailable, "no trace schema", "this host was built without the trace schema's validator, so it cannot accept traces")
	}
	if err := h.env.CheckTrace(body); err != nil {
		return errorf(http.StatusBadRequest, "not a trace", "it does not match the trace schema (docs/trace.schema.json): %v", err)
	}
	id := TraceID(body)
	ctx := r.Context()
	_, exists, err := h.env.Store.Get(ctx, traceKey(id))
	if err != nil {
		return err
	}
	ttl := h.env.Limits.TraceTTL
	// Sharing a trace again does not extend its life: a KV write costs
	// more than a read, and the free plan allows 1,000 writes a day.
	if !exists {
		if err := h.env.Store.Put(ctx, traceKey(id), string(body), ttl); err != nil {
			return err
		}
	}
	o := origin(r)
	status := http.StatusCreated
	if exists {
		status = http.StatusOK
	}
	writeJSON(w, status, Shared{
		ID: id, URL: o + "/t/" + id, TraceURL: o + "/api/traces/" + id,
		Expires: h.env.Now().Add(ttl).UTC().Format(time.RFC3339), Created: !exists,
	})
	return nil
}

func (h *Handler) loadTrace(r *http.Request, id string) (string, error) {
	if !validTraceID(id) {
		return "", errorf(http.StatusBadRequest, "bad trace id", "a trace id is %d hex digits; %q is not one", TraceIDLen, id)
	}
	v, ok, err := h.env.Store.Get(r.Context(), traceKey(id))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errorf(http.StatusNotFound, "no such trace", "no trace %s: it was never shared here, or it expired after %s", id, h.env.Limits.TraceTTL)
	}
	return v, nil
}

func (h *Handler) getTrace(w http.ResponseWriter, r *http.Request, id string) error {
	v, err := h.loadTrace(r, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// The id is the content's hash: the bytes never change.
	w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
	_, _ = w.Write([]byte(v)) // nobody to tell if the client went away
	return nil
}

// openTrace sends the browser to the sandbox page, which loads the trace
// named by its ?trace= parameter.
func (h *Handler) openTrace(w http.ResponseWriter, r *http.Request, id string) error {
	if _, err := h.loadTrace(r, id); err != nil {
		return err
	}
	w.Header().Set("Location", "/?trace="+url.QueryEscape("/api/traces/"+id))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
	return nil
}

func lowerHex(c rune) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// Package publish signs a graded result for a class scoreboard and checks
// such a signature: the grader's --publish posts with it, and the
// serverless host (worker/) verifies with it, so both ends share one
// definition of the signed message.
//
// A request carries three headers: the Unix time it was signed at
// (HeaderTimestamp), a fresh random nonce (HeaderNonce) and
// HMAC-SHA256 with the course's key over "v1", the request's path, the
// timestamp, the nonce and the body, one per line (HeaderSignature, as
// "v1=<hex>"). The path binds the signature to one course's endpoint; the
// timestamp bounds how long a captured request stays usable, and the
// receiver refuses a nonce it has seen within that window.
package publish

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The signature's headers.
const (
	HeaderTimestamp = "X-Raftlab-Timestamp"
	HeaderNonce     = "X-Raftlab-Nonce"
	HeaderSignature = "X-Raftlab-Signature"
)

// KeyEnv is the environment variable the grader reads the course's key
// from (never a flag: flags show in process listings and shell history).
const KeyEnv = "RAFTLAB_PUBLISH_KEY"

// PseudonymEnv is the environment variable holding the pseudonym a
// student opted in with for the leaderboard; empty keeps them off it.
const PseudonymEnv = "RAFTLAB_PSEUDONYM"

// MaxAge is how far a timestamp may be from the receiver's clock, either
// way. A receiver must remember nonces for at least twice this long.
const MaxAge = 5 * time.Minute

// MinKeyLen is the shortest key Sign and Verify accept, in bytes.
const MinKeyLen = 16

// Version is the envelope's version.
const Version = 1

// Envelope is the body of a published result.
type Envelope struct {
	Version int `json:"version"`
	// Submission names the submission within the course; the host keeps
	// one entry per submission (the latest) and never shows the name.
	Submission string `json:"submission"`
	// Pseudonym is the name the student chose for the leaderboard; empty
	// keeps the submission off it.
	Pseudonym string `json:"pseudonym,omitempty"`
	// Result is the graded result's JSON (grader/result.Result). It is
	// kept as text so that this package, which the host links, does not
	// pull in the grader's rubric and scenarios.
	Result json.RawMessage `json:"result"`
}

// NewEnvelope wraps a graded result (a *result.Result) for publishing.
func NewEnvelope(submission, pseudonym string, res any) (*Envelope, error) {
	b, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("publish: encode the result: %w", err)
	}
	return &Envelope{Version: Version, Submission: submission, Pseudonym: pseudonym, Result: b}, nil
}

// Errors Verify returns (wrapped, with the detail).
var (
	ErrMissing   = errors.New("missing signature")
	ErrMalformed = errors.New("malformed signature")
	ErrBad       = errors.New("bad signature")
	ErrExpired   = errors.New("expired timestamp")
)

// Signed is a request's signature headers.
type Signed struct {
	Timestamp string // Unix seconds, decimal
	Nonce     string // 16 to 64 characters of [0-9a-zA-Z_-]
	Signature string // "v1=" and 64 hex digits
}

// FromHeader reads the signature headers.
func FromHeader(h http.Header) Signed {
	return Signed{Timestamp: h.Get(HeaderTimestamp), Nonce: h.Get(HeaderNonce), Signature: h.Get(HeaderSignature)}
}

// Set writes the signature headers.
func (s Signed) Set(h http.Header) {
	h.Set(HeaderTimestamp, s.Timestamp)
	h.Set(HeaderNonce, s.Nonce)
	h.Set(HeaderSignature, s.Signature)
}

func mac(key []byte, path, ts, nonce string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("v1\n" + path + "\n" + ts + "\n" + nonce + "\n"))
	m.Write(body)
	return m.Sum(nil)
}

// Sign signs body for path at time now with nonce.
func Sign(key []byte, path string, body []byte, now time.Time, nonce string) (Signed, error) {
	if len(key) < MinKeyLen {
		return Signed{}, fmt.Errorf("publish: the key has %d bytes; it needs at least %d (e.g. openssl rand -hex 32)", len(key), MinKeyLen)
	}
	if err := checkNonce(nonce); err != nil {
		return Signed{}, err
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	return Signed{Timestamp: ts, Nonce: nonce, Signature: "v1=" + hex.EncodeToString(mac(key, path, ts, nonce, body))}, nil
}

// NewNonce returns a fresh random nonce (128 bits, hex).
func NewNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("publish: nonce: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func checkNonce(n string) error {
	if len(n) < 16 || len(n) > 64 {
		return fmt.Errorf("%w: the nonce must have 16 to 64 characters, it has %d", ErrMalformed, len(n))
	}
	for _, c := range n {
		if !nonceChar(c) {
			return fmt.Errorf("%w: the nonce may hold only letters, digits, - and _", ErrMalformed)
		}
	}
	return nil
}

// Verify checks s over path and body with key at time now: the headers
// present and well-formed, the timestamp within MaxAge of now, the MAC
// right. It does not check the nonce's freshness: that needs the
// receiver's memory of nonces.
func Verify(key []byte, path string, body []byte, s Signed, now time.Time) error {
	if s.Timestamp == "" || s.Nonce == "" || s.Signature == "" {
		var missing []string
		for _, h := range []struct{ name, v string }{{HeaderTimestamp, s.Timestamp}, {HeaderNonce, s.Nonce}, {HeaderSignature, s.Signature}} {
			if h.v == "" {
				missing = append(missing, h.name)
			}
		}
		return fmt.Errorf("%w: the request has no %s header (sign it as grader --publish does)", ErrMissing, strings.Join(missing, ", "))
	}
	if len(key) < MinKeyLen {
		return fmt.Errorf("publish: the course's key is shorter than %d bytes", MinKeyLen)
	}
	ts, err := strconv.ParseInt(s.Timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not a Unix time in seconds", ErrMalformed, HeaderTimestamp)
	}
	if err := checkNonce(s.Nonce); err != nil {
		return err
	}
	hexSig, ok := strings.CutPrefix(s.Signature, "v1=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return fmt.Errorf("%w: %s must be v1= and 64 hex digits", ErrMalformed, HeaderSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: %s must be v1= and 64 hex digits", ErrMalformed, HeaderSignature)
	}
	// The MAC before the clock: an unauthenticated caller learns nothing
	// about the receiver's clock.
	if !hmac.Equal(got, mac(key, path, s.Timestamp, s.Nonce, body)) {
		return fmt.Errorf("%w: the signature does not match this body with the course's key (is %s the course's key?)", ErrBad, KeyEnv)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > MaxAge || d < -MaxAge {
		return fmt.Errorf("%w: signed at %s, %s from the server's clock; at most %s is accepted (check the clock of the machine that signed)",
			ErrExpired, time.Unix(ts, 0).UTC().Format(time.RFC3339), d.Round(time.Second), MaxAge)
	}
	return nil
}

// Client posts signed results to one course's endpoint.
type Client struct {
	URL  string // e.g. https://raftlab.example.workers.dev/api/courses/cs452/results
	Key  []byte
	HTTP *http.Client     // nil: a client with a 30 s timeout
	Now  func() time.Time // nil: time.Now
}

// Post signs env and posts it; an answer other than 2xx is an error that
// quotes the host's JSON error.
func (c *Client) Post(ctx context.Context, env *Envelope) error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("publish: %q is not an http(s) URL", c.URL)
	}
	env.Version = Version
	body, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("publish: encode the result: %w", err)
	}
	nonce, err := NewNonce()
	if err != nil {
		return err
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	s, err := Sign(c.Key, u.EscapedPath(), body, now(), nonce)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	s.Set(req.Header)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("publish: post to %s: %w", c.URL, err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		var e struct{ Error, Detail string }
		if json.Unmarshal(answer, &e) == nil && e.Error != "" {
			return fmt.Errorf("publish: %s answered %s: %s: %s", c.URL, resp.Status, e.Error, e.Detail)
		}
		return fmt.Errorf("publish: %s answered %s: %.200s", c.URL, resp.Status, answer)
	}
	return nil
}

func nonceChar(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

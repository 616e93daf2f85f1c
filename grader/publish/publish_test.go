package publish_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/publish"
)

var (
	key  = []byte("0123456789abcdef0123456789abcdef")
	now  = time.Unix(1_800_000_000, 0)
	body = []byte(`{"version":1}`)
)

const (
	path  = "/api/courses/cs452/results"
	nonce = "00112233445566778899aabbccddeeff"
)

func TestSignThenVerify(t *testing.T) {
	s, err := publish.Sign(key, path, body, now, nonce)
	require.NoError(t, err)
	require.NoError(t, publish.Verify(key, path, body, s, now))
	require.NoError(t, publish.Verify(key, path, body, s, now.Add(publish.MaxAge)), "the edge of the window")
}

func TestVerifyRefuses(t *testing.T) {
	good, err := publish.Sign(key, path, body, now, nonce)
	require.NoError(t, err)
	tests := []struct {
		name string
		key  []byte
		path string
		body string
		s    publish.Signed
		now  time.Time
		want error
	}{
		{"no headers", key, path, string(body), publish.Signed{}, now, publish.ErrMissing},
		{"no signature", key, path, string(body), publish.Signed{Timestamp: good.Timestamp, Nonce: nonce}, now, publish.ErrMissing},
		{"another body", key, path, `{"version":2}`, good, now, publish.ErrBad},
		{"another course", key, "/api/courses/other/results", string(body), good, now, publish.ErrBad},
		{"another key", []byte("fedcba9876543210fedcba9876543210"), path, string(body), good, now, publish.ErrBad},
		{"another nonce", key, path, string(body), publish.Signed{Timestamp: good.Timestamp, Nonce: nonce + "00", Signature: good.Signature}, now, publish.ErrBad},
		{"too old", key, path, string(body), good, now.Add(publish.MaxAge + time.Second), publish.ErrExpired},
		{"from the future", key, path, string(body), good, now.Add(-publish.MaxAge - time.Second), publish.ErrExpired},
		{"not hex", key, path, string(body), publish.Signed{Timestamp: good.Timestamp, Nonce: nonce, Signature: "v1=" + string(make([]byte, 64))}, now, publish.ErrMalformed},
		{"no version", key, path, string(body), publish.Signed{Timestamp: good.Timestamp, Nonce: nonce, Signature: good.Signature[3:]}, now, publish.ErrMalformed},
		{"bad timestamp", key, path, string(body), publish.Signed{Timestamp: "yesterday", Nonce: nonce, Signature: good.Signature}, now, publish.ErrMalformed},
		{"short nonce", key, path, string(body), publish.Signed{Timestamp: good.Timestamp, Nonce: "abc", Signature: good.Signature}, now, publish.ErrMalformed},
		{"nonce with a newline", key, path, string(body), publish.Signed{Timestamp: good.Timestamp, Nonce: "0011223344556677\n8899", Signature: good.Signature}, now, publish.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := publish.Verify(tt.key, tt.path, []byte(tt.body), tt.s, tt.now)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestSignRefusesAShortKey(t *testing.T) {
	_, err := publish.Sign([]byte("short"), path, body, now, nonce)
	require.ErrorContains(t, err, "at least 16")
}

func TestNewNonceIsFreshAndValid(t *testing.T) {
	a, err := publish.NewNonce()
	require.NoError(t, err)
	b, err := publish.NewNonce()
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
	_, err = publish.Sign(key, path, body, now, a)
	require.NoError(t, err)
}

// TestClientPostsWhatVerifies posts through Client to a server that
// verifies with Verify, and reads a refusal's JSON error back.
func TestClientPostsWhatVerifies(t *testing.T) {
	var got publish.Envelope
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		if err := publish.Verify(key, r.URL.EscapedPath(), b, publish.FromHeader(r.Header), now); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"bad signature","detail":"` + err.Error() + `"}`))
			return
		}
		require.NoError(t, json.Unmarshal(b, &got))
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	env, err := publish.NewEnvelope("alice", "ada", map[string]any{"version": 1, "score": 3})
	require.NoError(t, err)
	c := &publish.Client{URL: srv.URL + path, Key: key, Now: func() time.Time { return now }}
	require.NoError(t, c.Post(context.Background(), env))
	assert.Equal(t, "alice", got.Submission)
	assert.Equal(t, "ada", got.Pseudonym)
	assert.JSONEq(t, `{"version":1,"score":3}`, string(got.Result))

	wrong := &publish.Client{URL: srv.URL + path, Key: []byte("fedcba9876543210fedcba9876543210"), Now: c.Now}
	err = wrong.Post(context.Background(), env)
	require.ErrorContains(t, err, "401")
	require.ErrorContains(t, err, "bad signature")

	bad := &publish.Client{URL: "ftp://x", Key: key}
	require.ErrorContains(t, bad.Post(context.Background(), env), "not an http(s) URL")
}

// FuzzVerify: Verify never panics, and whatever Sign makes verifies.
func FuzzVerify(f *testing.F) {
	f.Add("1800000000", nonce, "v1=00", []byte("{}"), "/p")
	f.Add("", "", "", []byte(nil), "")
	f.Add("-1", "zzzzzzzzzzzzzzzzzzzz", "v1="+string(make([]byte, 64)), []byte("x"), "/api/courses/a/results")
	f.Fuzz(func(t *testing.T, ts, n, sig string, b []byte, p string) {
		_ = publish.Verify(key, p, b, publish.Signed{Timestamp: ts, Nonce: n, Signature: sig}, now)
		if s, err := publish.Sign(key, p, b, now, n); err == nil {
			require.NoError(t, publish.Verify(key, p, b, s, now))
		}
	})
}

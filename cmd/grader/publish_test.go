package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/class"
	"github.com/raftlab/raftlab/grader/publish"
	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/result/resulttest"
)

const testKey = "0123456789abcdef0123456789abcdef"

func TestPublishNeedsTheKey(t *testing.T) {
	t.Setenv(publish.KeyEnv, "")
	var stderr bytes.Buffer
	code := run([]string{"grade", "--publish", "https://example.invalid/api/courses/c/results", "somewhere"}, io.Discard, &stderr)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr.String(), publish.KeyEnv)
	t.Setenv(publish.KeyEnv, "short")
	_, err := newPublisher("https://example.invalid/x")
	require.ErrorContains(t, err, "at least 16")
	p, err := newPublisher("")
	require.NoError(t, err)
	assert.Nil(t, p, "no --publish, no publisher")
}

// TestPublishClassPostsEveryResult publishes a class output directory to
// a server that verifies every signature as the host does.
func TestPublishClassPostsEveryResult(t *testing.T) {
	var mu sync.Mutex
	var got []publish.Envelope
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		if err := publish.Verify([]byte(testKey), r.URL.EscapedPath(), b, publish.FromHeader(r.Header), time.Now()); err != nil {
			http.Error(w, `{"error":"bad signature","detail":"`+err.Error()+`"}`, http.StatusUnauthorized)
			return
		}
		var env publish.Envelope
		require.NoError(t, json.Unmarshal(b, &env))
		mu.Lock()
		got = append(got, env)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	out := t.TempDir()
	for _, c := range resulttest.Cases()[:3] {
		r := result.Score(c.Outcome, resulttest.Rubric())
		r.Submission = c.Name
		require.NoError(t, r.WriteFile(filepath.Join(out, c.Name, class.ResultFile)))
	}
	require.NoError(t, (&result.Result{Version: result.Version, Submission: "cached"}).WriteFile(filepath.Join(out, class.CacheDir, "k", class.ResultFile)))

	t.Setenv(publish.KeyEnv, testKey)
	p, err := newPublisher(srv.URL + "/api/courses/c/results")
	require.NoError(t, err)
	var stderr bytes.Buffer
	require.NoError(t, p.publishClass(context.Background(), out, &stderr))
	assert.Contains(t, stderr.String(), "published 3 result(s)")
	require.Len(t, got, 3, "the cache is not published")
	for _, env := range got {
		assert.Empty(t, env.Pseudonym, "class runs publish no pseudonyms")
		var r result.Result
		require.NoError(t, json.Unmarshal(env.Result, &r))
		assert.Equal(t, env.Submission, r.Submission)
	}

	t.Setenv(publish.KeyEnv, "fedcba9876543210fedcba9876543210")
	p, err = newPublisher(srv.URL + "/api/courses/c/results")
	require.NoError(t, err)
	err = p.publishClass(context.Background(), out, &stderr)
	require.ErrorContains(t, err, "bad signature")
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/raftlab/raftlab/grader/class"
	"github.com/raftlab/raftlab/grader/publish"
	"github.com/raftlab/raftlab/grader/result"
)

// publisher posts results to a class scoreboard (grade/class --publish
// URL), signed with the course's key from $RAFTLAB_PUBLISH_KEY.
type publisher struct {
	client    *publish.Client
	pseudonym string
}

// newPublisher checks --publish before any grading, so that a missing key
// fails at once rather than after an hour of grading. url "" means no
// publishing (nil).
func newPublisher(url string) (*publisher, error) {
	if url == "" {
		return nil, nil
	}
	key := os.Getenv(publish.KeyEnv)
	if key == "" {
		return nil, fmt.Errorf("%w: --publish needs the course's key in $%s (the secret COURSE_KEY_<COURSE> the host was given)", errUsage, publish.KeyEnv)
	}
	if len(key) < publish.MinKeyLen {
		return nil, fmt.Errorf("%w: $%s has %d bytes; a course key has at least %d", errUsage, publish.KeyEnv, len(key), publish.MinKeyLen)
	}
	return &publisher{client: &publish.Client{URL: url, Key: []byte(key)}, pseudonym: os.Getenv(publish.PseudonymEnv)}, nil
}

func (p *publisher) post(ctx context.Context, r *result.Result, pseudonym string) error {
	env, err := publish.NewEnvelope(r.Submission, pseudonym, r)
	if err != nil {
		return err
	}
	return p.client.Post(ctx, env)
}

// publishClass posts every result of a class run's output directory
// (OUT/<student>/result.json), without pseudonyms: opting in to the
// leaderboard is each student's choice, made in their own grade run.
func (p *publisher) publishClass(ctx context.Context, out string, stderr io.Writer) error {
	entries, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	var failed []error
	n := 0
	for _, e := range entries {
		if !e.IsDir() || e.Name() == class.CacheDir {
			continue
		}
		path := filepath.Join(out, e.Name(), class.ResultFile)
		r, err := result.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err == nil {
			err = p.post(ctx, r, "")
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", e.Name(), err))
			continue
		}
		n++
	}
	sayf(stderr, "grader: published %d result(s) to %s\n", n, p.client.URL)
	return errors.Join(slices.Clip(failed)...)
}

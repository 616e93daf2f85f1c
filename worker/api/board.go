package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/raftlab/raftlab/grader/publish"
	"github.com/raftlab/raftlab/labs"
)

// maxCourseLen bounds a course's name.
const maxCourseLen = 40

// ValidCourse reports whether name can name a course: 1 to 40 of
// [a-z0-9-], so that it maps one to one onto the secret COURSE_KEY_<NAME>.
func ValidCourse(name string) bool {
	if name == "" || len(name) > maxCourseLen {
		return false
	}
	for _, c := range name {
		if !courseChar(c) {
			return false
		}
	}
	return true
}

// CourseKeyName is the secret (environment variable) holding a course's
// key: COURSE_KEY_ and the course's name in upper case, - as _.
func CourseKeyName(course string) string {
	return "COURSE_KEY_" + strings.ReplaceAll(strings.ToUpper(course), "-", "_")
}

func (h *Handler) course(name string) ([]byte, error) {
	if !ValidCourse(name) {
		return nil, errorf(http.StatusNotFound, "unknown course", "%q cannot name a course (1 to %d of a-z, 0-9 and -)", name, maxCourseLen)
	}
	key, ok := h.env.CourseKey(name)
	if !ok {
		return nil, errorf(http.StatusNotFound, "unknown course", "this host has no course %q: its instructor sets the secret %s (npx wrangler secret put %s)", name, CourseKeyName(name), CourseKeyName(name))
	}
	return key, nil
}

// Entry is one submission's latest result on a board.
type Entry struct {
	Pseudonym string         `json:"pseudonym,omitempty"`
	Score     float64        `json:"score"`
	MaxScore  float64        `json:"max_score"`
	At        int64          `json:"at"` // Unix seconds, when it was published
	Stages    []StageOutcome `json:"stages"`
	Broken    []string       `json:"broken,omitempty"` // the rules its failing scenarios broke, each once
}

// StageOutcome is whether a stage earned every point.
type StageOutcome struct {
	Stage  string `json:"stage"`
	Passed bool   `json:"passed"`
}

// Board is a course's stored board: the latest entry of each submission,
// keyed by a hash of the submission's name (the name is never stored).
type Board struct {
	Entries map[string]*Entry `json:"entries"`
}

func boardKey(course string) string { return "board/" + course }

// GradedResult is the part of the grader's result (grader/result.Result,
// version 1) the board reads. The host decodes only this much so that it
// does not link the grader (a test holds the two in step).
type GradedResult struct {
	Version  int     `json:"version"`
	Score    float64 `json:"score"`
	MaxScore float64 `json:"max_score"`
	Stages   []struct {
		Stage    string  `json:"stage"`
		Score    float64 `json:"score"`
		MaxScore float64 `json:"max_score"`
		Rules    *struct {
			Tests []struct {
				Rule    string `json:"rule"`
				Verdict string `json:"verdict"`
			} `json:"tests"`
		} `json:"rules"`
		Scenarios []struct {
			Failure *struct {
				Rule string `json:"rule"`
			} `json:"failure"`
		} `json:"scenarios"`
	} `json:"stages"`
}

// resultVersion is the grader's result version the board reads.
const resultVersion = 1

// Published is a parsed publication.
type Published struct {
	Envelope publish.Envelope
	Result   GradedResult
}

// ParseEnvelope decodes and checks a published result's body; its error
// is the API's 400 answer.
func ParseEnvelope(body []byte) (*Published, error) {
	var p Published
	if err := decodeStrict(body, &p.Envelope); err != nil {
		return nil, err
	}
	env := &p.Envelope
	switch {
	case env.Version != publish.Version:
		return nil, errorf(http.StatusBadRequest, "bad request", "envelope version %d; this host reads version %d (update the grader)", env.Version, publish.Version)
	case strings.TrimSpace(env.Submission) == "" || len(env.Submission) > 200:
		return nil, errorf(http.StatusBadRequest, "bad request", "\"submission\" must name the submission (1 to 200 characters)")
	case len(env.Pseudonym) > 40:
		return nil, errorf(http.StatusBadRequest, "bad request", "\"pseudonym\" has at most 40 characters")
	case len(env.Result) == 0 || string(env.Result) == "null":
		return nil, errorf(http.StatusBadRequest, "bad request", "\"result\" is missing")
	}
	// The grader's result has more fields than the board reads: no
	// DisallowUnknownFields here.
	if err := json.Unmarshal(env.Result, &p.Result); err != nil {
		return nil, errorf(http.StatusBadRequest, "malformed JSON", "\"result\" is not a grader result: %v", err)
	}
	if p.Result.Version != resultVersion {
		return nil, errorf(http.StatusBadRequest, "bad request", "result version %d; this host reads version %d", p.Result.Version, resultVersion)
	}
	return &p, nil
}

// EntryOf is the board entry of a publication.
func EntryOf(p *Published, at time.Time) *Entry {
	r := &p.Result
	e := &Entry{Pseudonym: strings.TrimSpace(p.Envelope.Pseudonym), Score: r.Score, MaxScore: r.MaxScore, At: at.Unix(), Stages: []StageOutcome{}}
	for _, st := range r.Stages {
		e.Stages = append(e.Stages, StageOutcome{Stage: st.Stage, Passed: st.MaxScore > 0 && st.Score >= st.MaxScore})
		for _, sc := range st.Scenarios {
			if sc.Failure != nil && sc.Failure.Rule != "" && !slices.Contains(e.Broken, sc.Failure.Rule) {
				e.Broken = append(e.Broken, sc.Failure.Rule)
			}
		}
		if st.Rules != nil {
			for _, t := range st.Rules.Tests {
				if t.Verdict == "failed" && t.Rule != "" && !slices.Contains(e.Broken, t.Rule) {
					e.Broken = append(e.Broken, t.Rule)
				}
			}
		}
	}
	return e
}

// limited is err for a publication that failed before its signature was
// verified, counted against the client's rate (a brake on guessing
// courses and keys): the limit's 429 if the client is over it.
func (h *Handler) limited(r *http.Request, err error) error {
	if rl := h.rateLimit(r); rl != nil {
		return rl
	}
	return err
}

func (h *Handler) publish(w http.ResponseWriter, r *http.Request, course string) error {
	key, err := h.course(course)
	if err != nil {
		return h.limited(r, err)
	}
	body, err := readBody(w, r, h.env.Limits.ResultBytes)
	if err != nil {
		return h.limited(r, err)
	}
	now := h.env.Now()
	sig := publish.FromHeader(r.Header)
	if err := publish.Verify(key, r.URL.EscapedPath(), body, sig, now); err != nil {
		return h.limited(r, signatureError(err))
	}
	ctx := r.Context()
	nonceKey := "nonce/" + course + "/" + sig.Nonce
	if _, seen, err := h.env.Store.Get(ctx, nonceKey); err != nil {
		return err
	} else if seen {
		return errorf(http.StatusConflict, "replayed nonce", "this nonce was used already: every publication needs a fresh one (grader --publish makes one)")
	}
	// Remembered past the timestamp's window both ways: by then the
	// signature itself has expired.
	if err := h.env.Store.Put(ctx, nonceKey, "1", 2*publish.MaxAge+time.Minute); err != nil {
		return err
	}
	pub, err := ParseEnvelope(body)
	if err != nil {
		return err
	}
	b, err := h.loadBoard(r, course)
	if err != nil {
		return err
	}
	id := submissionID(course, pub.Envelope.Submission)
	b.Entries[id] = EntryOf(pub, now)
	enc, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode the board: %w", err)
	}
	// Workers KV has no transactions: two results published in the same
	// second can lose one of the two board updates (the full result
	// below is kept either way, and the next publication of the lost
	// submission restores its entry).
	if err := h.env.Store.Put(ctx, boardKey(course), string(enc), 0); err != nil {
		return err
	}
	if err := h.env.Store.Put(ctx, "result/"+course+"/"+id, string(body), 0); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"accepted": true, "course": course, "entry": id, "scoreboard": origin(r) + "/courses/" + course})
	return nil
}

func signatureError(err error) error {
	switch {
	case errors.Is(err, publish.ErrMissing):
		return errorf(http.StatusUnauthorized, "missing signature", "%v", err)
	case errors.Is(err, publish.ErrMalformed):
		return errorf(http.StatusUnauthorized, "malformed signature", "%v", err)
	case errors.Is(err, publish.ErrBad):
		return errorf(http.StatusUnauthorized, "bad signature", "%v", err)
	case errors.Is(err, publish.ErrExpired):
		return errorf(http.StatusUnauthorized, "expired timestamp", "%v", err)
	}
	return err
}

func submissionID(course, submission string) string {
	sum := sha256.Sum256([]byte(course + "\n" + submission))
	return hex.EncodeToString(sum[:8])
}

func (h *Handler) loadBoard(r *http.Request, course string) (*Board, error) {
	b := &Board{Entries: map[string]*Entry{}}
	v, ok, err := h.env.Store.Get(r.Context(), boardKey(course))
	if err != nil || !ok {
		return b, err
	}
	if err := json.Unmarshal([]byte(v), b); err != nil {
		return nil, fmt.Errorf("the stored board of %s is unreadable: %w", course, err)
	}
	if b.Entries == nil {
		b.Entries = map[string]*Entry{}
	}
	return b, nil
}

// Scoreboard is what a course's board shows.
type Scoreboard struct {
	Course      string        `json:"course"`
	Submissions int           `json:"submissions"`
	Stages      []StageCount  `json:"stages"`
	Broken      []RuleCount   `json:"broken_rules"` // most common first
	Leaderboard []LeaderEntry `json:"leaderboard"`  // the opted-in, best first
}

// StageCount is how many submissions pass a stage.
type StageCount struct {
	Stage   string `json:"stage"`
	Graded  int    `json:"graded"`
	Passing int    `json:"passing"`
}

// RuleCount is how many submissions break a rule.
type RuleCount struct {
	Rule        string `json:"rule"`
	Submissions int    `json:"submissions"`
}

// LeaderEntry is one opted-in submission.
type LeaderEntry struct {
	Rank      int     `json:"rank"`
	Pseudonym string  `json:"pseudonym"`
	Score     float64 `json:"score"`
	MaxScore  float64 `json:"max_score"`
	At        string  `json:"at"`
}

// Summarize computes a course's scoreboard from its board.
func Summarize(course string, b *Board) *Scoreboard {
	s := &Scoreboard{Course: course, Submissions: len(b.Entries), Stages: []StageCount{}, Broken: []RuleCount{}, Leaderboard: []LeaderEntry{}}
	counts := map[string]*StageCount{}
	order := []string{}
	for _, st := range labs.Stages {
		counts[string(st)] = &StageCount{Stage: string(st)}
		order = append(order, string(st))
	}
	rules := map[string]int{}
	ids := make([]string, 0, len(b.Entries))
	for id := range b.Entries {
		ids = append(ids, id)
	}
	slices.Sort(ids) // the output must not depend on map order
	for _, id := range ids {
		e := b.Entries[id]
		for _, so := range e.Stages {
			c, ok := counts[so.Stage]
			if !ok { // a stage this build does not know: shown after the others
				c = &StageCount{Stage: so.Stage}
				counts[so.Stage] = c
				order = append(order, so.Stage)
			}
			c.Graded++
			if so.Passed {
				c.Passing++
			}
		}
		for _, rule := range e.Broken {
			rules[rule]++
		}
		if e.Pseudonym != "" {
			s.Leaderboard = append(s.Leaderboard, LeaderEntry{Pseudonym: e.Pseudonym, Score: e.Score, MaxScore: e.MaxScore, At: time.Unix(e.At, 0).UTC().Format(time.RFC3339)})
		}
	}
	for _, st := range order {
		s.Stages = append(s.Stages, *counts[st])
	}
	for rule, n := range rules {
		s.Broken = append(s.Broken, RuleCount{Rule: rule, Submissions: n})
	}
	slices.SortFunc(s.Broken, func(a, b RuleCount) int {
		if a.Submissions != b.Submissions {
			return b.Submissions - a.Submissions
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	if len(s.Broken) > 10 {
		s.Broken = s.Broken[:10]
	}
	slices.SortFunc(s.Leaderboard, func(a, b LeaderEntry) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		if a.At != b.At {
			return strings.Compare(a.At, b.At) // the earlier first
		}
		return strings.Compare(a.Pseudonym, b.Pseudonym)
	})
	for i := range s.Leaderboard {
		s.Leaderboard[i].Rank = i + 1
	}
	return s
}

// summary is the scoreboard of a course the host knows.
func (h *Handler) summary(r *http.Request, course string) (*Scoreboard, error) {
	if _, err := h.course(course); err != nil {
		return nil, err
	}
	b, err := h.loadBoard(r, course)
	if err != nil {
		return nil, err
	}
	return Summarize(course, b), nil
}

func (h *Handler) scoreboard(w http.ResponseWriter, r *http.Request, course string) error {
	s, err := h.summary(r, course)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s)
	return nil
}

// renderPage writes the scoreboard as a page. It escapes by hand
// (html.EscapeString) rather than with html/template, which would add
// about a megabyte to the Worker.
func renderPage(s *Scoreboard) string {
	e := html.EscapeString
	var b strings.Builder
	c := e(s.Course)
	fmt.Fprintf(&b, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>raftlab · %s scoreboard</title>
<style>body{font:15px/1.4 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #ccc;padding:.25rem .75rem;text-align:left}td.n{text-align:right}</style>
</head><body>
<h1>%s: the class</h1>
<p>%s graded. <a href="/api/courses/%s/scoreboard">JSON</a> · <a href="/">the sandbox</a></p>
<h2>Stages</h2>
<table><tr><th>stage</th><th>passing</th><th>graded</th></tr>
`, c, c, plural(s.Submissions, "submission"), c)
	for _, st := range s.Stages {
		fmt.Fprintf(&b, "<tr><td>%s</td><td class=n>%d</td><td class=n>%d</td></tr>\n", e(st.Stage), st.Passing, st.Graded)
	}
	b.WriteString("</table>\n<h2>Most often broken rules</h2>\n")
	if len(s.Broken) == 0 {
		b.WriteString("<p>None yet.</p>\n")
	} else {
		b.WriteString("<table><tr><th>rule</th><th>submissions</th></tr>\n")
		for _, r := range s.Broken {
			fmt.Fprintf(&b, "<tr><td>%s</td><td class=n>%d</td></tr>\n", e(r.Rule), r.Submissions)
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("<h2>Leaderboard</h2>\n<p>Only students who opted in, by the pseudonym they chose.</p>\n")
	if len(s.Leaderboard) == 0 {
		b.WriteString("<p>Nobody has opted in yet.</p>\n")
	} else {
		b.WriteString("<table id=leaderboard><tr><th>#</th><th>pseudonym</th><th>score</th><th>published</th></tr>\n")
		for _, l := range s.Leaderboard {
			fmt.Fprintf(&b, "<tr><td class=n>%d</td><td>%s</td><td class=n>%g / %g</td><td>%s</td></tr>\n", l.Rank, e(l.Pseudonym), l.Score, l.MaxScore, e(l.At))
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

func (h *Handler) scoreboardPage(w http.ResponseWriter, r *http.Request, course string) error {
	s, err := h.summary(r, course)
	if err != nil {
		return err
	}
	page := renderPage(s)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(page)) // nobody to tell if the client went away
	return nil
}

func courseChar(c rune) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' }

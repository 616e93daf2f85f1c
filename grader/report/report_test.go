package report

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/result/resulttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

type sample struct {
	name string
	r    *result.Result
}

func samples() []sample {
	rb := resulttest.Rubric()
	var out []sample
	for _, c := range resulttest.Cases() {
		out = append(out, sample{c.Name, result.Score(c.Outcome, rb)})
	}
	return out
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./grader/report -update to create it")
	assert.Equal(t, string(want), string(got), "%s differs; rerun with -update if the change is intended", path)
}

func render(t *testing.T, f func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, f(&buf))
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			golden(t, s.name+".gradescope.json.golden", render(t, func(b *bytes.Buffer) error { return WriteGradescope(b, s.r) }))
			golden(t, s.name+".classroom.json.golden", render(t, func(b *bytes.Buffer) error {
				enc := json.NewEncoder(b)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(ToClassroom(s.r))
			}))
			golden(t, s.name+".summary.md.golden", render(t, func(b *bytes.Buffer) error { return StepSummary(b, s.r) }))
			golden(t, s.name+".junit.xml.golden", render(t, func(b *bytes.Buffer) error { return WriteJUnit(b, s.r) }))
			golden(t, s.name+".report.md.golden", render(t, func(b *bytes.Buffer) error { return Markdown(b, s.r) }))
			golden(t, s.name+".terminal.txt.golden", render(t, func(b *bytes.Buffer) error { return Terminal(b, s.r, false) }))
			golden(t, s.name+".result.json.golden", render(t, func(b *bytes.Buffer) error { return s.r.WriteJSON(b) }))
		})
	}
	p := samples()[2]
	golden(t, "partial.terminal-color.txt.golden", render(t, func(b *bytes.Buffer) error { return Terminal(b, p.r, true) }))
	golden(t, "partial.students.report.md.golden", render(t, func(b *bytes.Buffer) error { return Markdown(b, p.r.ForStudents()) }))
	var all []*result.Result
	for _, s := range slices.Backward(samples()) { // out of order: the gradebook sorts
		all = append(all, s.r)
	}
	golden(t, "class.gradebook.csv.golden", render(t, func(b *bytes.Buffer) error { return Gradebook(b, all) }))
}

// The keys Gradescope's autograder specification documents for
// results.json ("Output format"), and the values it allows.
var (
	gsTopKeys  = []string{"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
	gsTestKeys = []string{"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags", "visibility", "extra_data"}
	gsVis      = []string{"visible", "hidden", "after_due_date", "after_published"}
	gsFormats  = []string{"text", "html", "simple_format", "md", "ansi"}
)

func TestGradescopeSchema(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			var doc map[string]any
			require.NoError(t, json.Unmarshal(render(t, func(b *bytes.Buffer) error { return WriteGradescope(b, s.r) }), &doc))
			for k := range doc {
				assert.Contains(t, gsTopKeys, k, "top-level key %q is not in Gradescope's specification", k)
			}
			assert.Equal(t, s.r.Score, doc["score"])
			assert.Contains(t, gsFormats, doc["output_format"])
			assert.Contains(t, gsVis, doc["visibility"])
			assert.Contains(t, gsVis, doc["stdout_visibility"])
			tests, ok := doc["tests"].([]any)
			require.True(t, ok)
			require.NotEmpty(t, tests)
			sumMax, numbers := 0.0, map[string]bool{}
			for _, x := range tests {
				tc, ok := x.(map[string]any)
				require.True(t, ok)
				for k := range tc {
					assert.Contains(t, gsTestKeys, k, "test key %q is not in Gradescope's specification", k)
				}
				assert.Contains(t, []any{"passed", "failed"}, tc["status"])
				assert.Contains(t, gsVis, tc["visibility"])
				assert.Contains(t, gsFormats, tc["output_format"])
				assert.LessOrEqual(t, tc["score"], tc["max_score"])
				sumMax += tc["max_score"].(float64)
				num := tc["number"].(string)
				assert.False(t, numbers[num], "number %s twice", num)
				numbers[num] = true
				if tc["visibility"] == "hidden" {
					assert.Zero(t, tc["max_score"], "Gradescope keeps hidden tests for 0-point items")
				}
			}
			assert.InDelta(t, s.r.MaxScore, sumMax, 1e-9, "the tests' points add up to the rubric's")
		})
	}
	// The top-level output, shown whenever the submission is, names no
	// held-back scenario.
	p := ToGradescope(samples()[2].r)
	assert.NotContains(t, p.Output, "HiddenLockstepElections")
	assert.NotContains(t, p.Output, "HiddenSevenAgreement")
	assert.Contains(t, ToGradescope(samples()[1].r).Output, "Failures", "the zero sample lists its visible failures")
}

func TestWriteGradescopeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "autograder", "results", "results.json")
	r := samples()[2].r
	require.NoError(t, WriteGradescopeFile(path, r))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, render(t, func(buf *bytes.Buffer) error { return WriteGradescope(buf, r) }), b)
}

func TestClassroomSchema(t *testing.T) {
	wantStatus := map[string]string{"full": "pass", "zero": "fail", "partial": "fail", "build-failed": "fail", "timeout": "error"}
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			out, err := ClassroomOutput(s.r)
			require.NoError(t, err)
			raw, err := base64.StdEncoding.DecodeString(out)
			require.NoError(t, err)
			var doc map[string]any
			require.NoError(t, json.Unmarshal(raw, &doc))
			// The command-grader's generateResult: exactly these keys.
			assert.ElementsMatch(t, []string{"version", "status", "max_score", "tests"}, keys(doc))
			assert.Equal(t, 1.0, doc["version"])
			assert.Equal(t, wantStatus[s.name], doc["status"])
			assert.Equal(t, s.r.MaxScore, doc["max_score"])
			sum := 0.0
			for _, x := range doc["tests"].([]any) {
				tc := x.(map[string]any)
				assert.ElementsMatch(t, []string{"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"}, keys(tc))
				assert.Contains(t, []any{"pass", "fail", "error"}, tc["status"])
				sum += tc["score"].(float64)
			}
			assert.InDelta(t, s.r.Score, sum, 1e-9, "the tests' scores add up to the total")
		})
	}
	var buf bytes.Buffer
	require.NoError(t, WriteGitHubOutput(&buf, samples()[0].r))
	assert.True(t, strings.HasPrefix(buf.String(), "result="))
	assert.True(t, strings.HasSuffix(buf.String(), "\n"))
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// junitDoc is an independent reading of JUnit XML: what a CI system parses.
type junitDoc struct {
	XMLName xml.Name `xml:"testsuites"`
	Tests   int      `xml:"tests,attr"`
	Suites  []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
			} `xml:"failure"`
			Error *struct {
				Type string `xml:"type,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitParses(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			var doc junitDoc
			require.NoError(t, xml.Unmarshal(render(t, func(b *bytes.Buffer) error { return WriteJUnit(b, s.r) }), &doc))
			require.Len(t, doc.Suites, len(s.r.Stages))
			total := 0
			for i, suite := range doc.Suites {
				assert.Equal(t, string(s.r.Stages[i].Stage), suite.Name)
				assert.Len(t, suite.Cases, suite.Tests)
				total += suite.Tests
				f, e := 0, 0
				for _, c := range suite.Cases {
					if c.Failure != nil {
						f++
						assert.Contains(t, c.Failure.Message, "replay: go test ./assignments/raft -run", c.Name)
						assert.NotEmpty(t, c.Failure.Type)
					}
					if c.Error != nil {
						e++
						if !ran(&s.r.Stages[i]) {
							assert.Equal(t, string(s.r.Stages[i].Verdict), c.Error.Type)
						}
					}
				}
				assert.Equal(t, suite.Failures, f)
				assert.Equal(t, suite.Errors, e)
			}
			assert.Equal(t, total, doc.Tests)
		})
	}
}

func TestGradebook(t *testing.T) {
	var all []*result.Result
	for _, s := range samples() {
		all = append(all, s.r)
	}
	rows, err := csv.NewReader(bytes.NewReader(render(t, func(b *bytes.Buffer) error { return Gradebook(b, all) }))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 6)
	assert.Equal(t, []string{"submission", "hash", "election", "replication", "persistence", "snapshots", "lint_deducted", "total", "max_score", "status"}, rows[0])
	var names []string
	for _, row := range rows[1:] {
		names = append(names, row[0])
		assert.Len(t, row, 10)
		assert.Empty(t, row[4], "the rubric does not score persistence")
	}
	assert.Equal(t, []string{"alice", "bob", "carol", "dave", "starter"}, names)
	assert.Equal(t, []string{"bob", "sha256:b0b0", "9.65", "3", "", "", "1", "11.65", "20", "graded"}, rows[2])
	assert.Equal(t, "replication timed-out", rows[4][9])
}

func TestTerminalColour(t *testing.T) {
	r := samples()[2].r
	plain := string(render(t, func(b *bytes.Buffer) error { return Terminal(b, r, false) }))
	colour := string(render(t, func(b *bytes.Buffer) error { return Terminal(b, r, true) }))
	assert.NotContains(t, plain, "\x1b[")
	assert.Contains(t, colour, "\x1b[31m✗\x1b[0m")
	assert.Equal(t, plain, stripANSI(colour), "colour changes nothing but colour")

	// A pipe is not a terminal; NO_COLOR wins even where one is.
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer func() { _ = pr.Close(); _ = pw.Close() }()
	assert.False(t, ColorFor(pw))
	t.Setenv("NO_COLOR", "1")
	assert.False(t, ColorFor(os.Stdout))
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestTerminalContent(t *testing.T) {
	r := samples()[2].r
	out := string(render(t, func(b *bytes.Buffer) error { return Terminal(b, r, false) }))
	for _, want := range []string{
		"ReElection", "17/22 seeds", "2.32 / 3",
		"safety: Election Safety (§5.2), seed 7",
		"replay: go test ./assignments/raft -run '^TestElection$/^ReElection$' -seed=7",
		"trace:  go run ./cmd/raftview traces/TestElection-ReElection-seed7.json",
		"on replay: nondeterminism: replaying seed 7 passed",
		"TOTAL", "11.65 / 20",
	} {
		assert.Contains(t, out, want)
	}
}

func TestNoSaltInReports(t *testing.T) {
	salt := "424242" // resulttest.RubricTOML's hidden_salt
	for _, s := range samples() {
		for name, f := range map[string]func(*bytes.Buffer) error{
			"gradescope": func(b *bytes.Buffer) error { return WriteGradescope(b, s.r) },
			"junit":      func(b *bytes.Buffer) error { return WriteJUnit(b, s.r) },
			"markdown":   func(b *bytes.Buffer) error { return Markdown(b, s.r) },
			"terminal":   func(b *bytes.Buffer) error { return Terminal(b, s.r, false) },
			"result":     func(b *bytes.Buffer) error { return s.r.WriteJSON(b) },
		} {
			assert.NotContains(t, string(render(t, f)), salt, "%s of %s", name, s.name)
		}
	}
}

func TestShellQuote(t *testing.T) {
	assert.Equal(t, "go run ./cmd/raftview traces/a-b_c.json", RaftviewCommand("traces/a-b_c.json"))
	assert.Equal(t, `go run ./cmd/raftview 'my traces/it'\''s.json'`, RaftviewCommand("my traces/it's.json"))
}

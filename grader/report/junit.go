package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/raftlab/raftlab/grader/result"
)

// JUnit XML, in the shape CI systems read (Jenkins, GitLab, GitHub test
// reporters): a testsuite per stage, a testcase per rule test and per
// scenario. A failing item has a <failure> whose message is its rule and
// replay command and whose type is the failure's kind; an item whose
// stage did not run has an <error> typed by the stage's verdict.

// JUnitSuites is the document's root.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one stage.
type JUnitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Time       string          `xml:"time,attr"`
	Properties []JUnitProperty `xml:"properties>property"`
	Cases      []JUnitCase     `xml:"testcase"`
}

// JUnitProperty is a name and value.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one rule test or scenario.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitProblem `xml:"failure,omitempty"`
	Error     *JUnitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitProblem is a failure or an error.
type JUnitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func secs(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) }

// ToJUnit builds the JUnit document of a result.
func ToJUnit(r *result.Result) *JUnitSuites {
	doc := &JUnitSuites{Name: r.Submission, Time: secs(r.WallMs)}
	for si := range r.Stages {
		s := &r.Stages[si]
		suite := JUnitSuite{
			Name: string(s.Stage), Time: secs(s.WallMs),
			Properties: []JUnitProperty{
				{Name: "verdict", Value: string(s.Verdict)},
				{Name: "score", Value: pts(s.Score)},
				{Name: "max_score", Value: pts(s.MaxScore)},
			},
		}
		notRun := func() *JUnitProblem {
			return &JUnitProblem{Message: firstLine(s.Message), Type: string(s.Verdict), Text: s.Message}
		}
		if s.Rules != nil {
			for _, t := range s.Rules.Tests {
				c := JUnitCase{Name: "Rules/" + t.Name, Classname: "raftlab." + string(s.Stage) + ".rules", Time: secs(0)}
				switch t.Verdict {
				case result.NotRun:
					c.Error = notRun()
				case result.Missing:
					c.Error = &JUnitProblem{Message: "the run reported no result for this rule test", Type: "missing"}
				case result.Failed:
					c.Failure = &JUnitProblem{
						Message: strings.TrimSpace(t.Rule + " — replay: " + RuleReplay(s.Stage, t.Name)),
						Type:    "rule", Text: t.Message,
					}
				}
				suite.Cases = append(suite.Cases, c)
			}
		}
		for _, sc := range s.Scenarios {
			c := JUnitCase{
				Name: sc.Name, Classname: "raftlab." + string(s.Stage), Time: secs(sc.WallMs),
				SystemOut: fmt.Sprintf("%s; %s points", seedsLine(sc.Seeds), scoreOf(sc.Score, sc.MaxScore)),
			}
			switch {
			case sc.Verdict == result.NotRun:
				c.Error, c.SystemOut = notRun(), ""
			case sc.Verdict == result.Missing:
				c.Error, c.SystemOut = &JUnitProblem{Message: "the run reported no result for this scenario", Type: "missing"}, ""
			case sc.Failure != nil:
				f := sc.Failure
				msg := failureLine(f)
				if f.Replay != "" {
					msg += " — replay: " + f.Replay
				}
				text := sc.Report
				if f.TracePath != "" {
					text = strings.TrimRight(text, "\n") + "\ntrace: " + RaftviewCommand(f.TracePath)
				}
				c.Failure = &JUnitProblem{Message: msg, Type: f.Kind, Text: text}
			case sc.Verdict == result.Failed:
				c.Failure = &JUnitProblem{Message: seedsLine(sc.Seeds), Type: "failure"}
			}
			suite.Cases = append(suite.Cases, c)
		}
		for _, c := range suite.Cases {
			suite.Tests++
			if c.Failure != nil {
				suite.Failures++
			}
			if c.Error != nil {
				suite.Errors++
			}
		}
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
		doc.Suites = append(doc.Suites, suite)
	}
	return doc
}

// WriteJUnit writes the JUnit XML of a result.
func WriteJUnit(w io.Writer, r *result.Result) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(ToJUnit(r)); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("report: junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

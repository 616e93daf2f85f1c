package handout_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/raftlab/raftlab/grader/handout"
	"github.com/raftlab/raftlab/grader/report"
	"github.com/raftlab/raftlab/grader/rubric"
)

// The Classroom actions the workflow uses (their action.yml and README:
// classroom-resources/autograding-command-grader and
// classroom-resources/autograding-grading-reporter).
const (
	commandGrader = "classroom-resources/autograding-command-grader@v1"
	reporter      = "classroom-resources/autograding-grading-reporter@v1"
)

type workflow struct {
	Name        string            `yaml:"name"`
	On          []string          `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		RunsOn string `yaml:"runs-on"`
		If     string `yaml:"if"`
		Steps  []struct {
			Name string            `yaml:"name"`
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// gradeStep is one command-grader step of the workflow.
type gradeStep struct {
	id, name, command string
	maxScore          float64
}

// parseWorkflow reads the handout's workflow and checks its structure:
// the lines the generated Classroom workflows have (trigger, permissions,
// the bot guard), one command-grader step per stage with its inputs, and
// the reporter collecting every step's result.
func parseWorkflow(t *testing.T, out string) []gradeStep {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, ".github", "workflows", "classroom.yml"))
	require.NoError(t, err)
	var wf workflow
	require.NoError(t, yaml.Unmarshal(data, &wf), "the workflow is not valid YAML")
	assert.NotEmpty(t, wf.Name)
	assert.Contains(t, wf.On, "push", "the workflow runs on every push")
	assert.Equal(t, map[string]string{"checks": "write", "actions": "read", "contents": "read"}, wf.Permissions)
	require.Len(t, wf.Jobs, 1)
	var steps []gradeStep
	for _, job := range wf.Jobs {
		assert.Equal(t, "ubuntu-latest", job.RunsOn)
		assert.Equal(t, "github.actor != 'github-classroom[bot]'", job.If)
		require.GreaterOrEqual(t, len(job.Steps), 3)
		assert.Equal(t, "actions/checkout@v4", job.Steps[0].Uses)
		var rep *struct {
			env     map[string]string
			runners string
		}
		ids := map[string]bool{}
		for _, st := range job.Steps {
			switch st.Uses {
			case commandGrader:
				require.NotEmpty(t, st.ID, "step %q has no id: the reporter cannot read its result", st.Name)
				assert.False(t, ids[st.ID], "two steps have the id %s", st.ID)
				ids[st.ID] = true
				for _, in := range []string{"test-name", "command", "timeout", "max-score"} {
					assert.NotEmpty(t, st.With[in], "step %s: input %s", st.ID, in)
				}
				for in := range st.With {
					assert.Contains(t, []string{"test-name", "setup-command", "command", "timeout", "max-score"}, in, "step %s: the command-grader has no input %s", st.ID, in)
				}
				timeout, err := strconv.Atoi(st.With["timeout"])
				if assert.NoError(t, err, "step %s: timeout in minutes", st.ID) {
					assert.True(t, timeout > 0 && timeout <= 360, "step %s: timeout %d minutes (the command-grader allows up to 6 hours)", st.ID, timeout)
				}
				maxScore, err := strconv.ParseFloat(st.With["max-score"], 64)
				require.NoError(t, err, "step %s: max-score", st.ID)
				steps = append(steps, gradeStep{id: st.ID, name: st.With["test-name"], command: st.With["command"], maxScore: maxScore})
			case reporter:
				rep = &struct {
					env     map[string]string
					runners string
				}{st.Env, st.With["runners"]}
			}
		}
		require.NotNil(t, rep, "no %s step", reporter)
		var runners []string
		for _, s := range steps {
			runners = append(runners, s.id)
			assert.Equal(t, "${{steps."+s.id+".outputs.result}}", rep.env[strings.ToUpper(s.id)+"_RESULTS"], "the reporter reads step %s's result from <ID>_RESULTS", s.id)
		}
		assert.Equal(t, strings.Join(runners, ","), rep.runners)
		assert.Len(t, rep.env, len(steps))
	}
	return steps
}

// stageCommand is the shape of a stage's command: go test of the student
// package, one top-level test.
var stageCommand = regexp.MustCompile(`^go test -count=1 \./assignments/raft -run '\^(Test\w+)\$'$`)

// commandGrade runs a step's command in dir as the command-grader does
// (through a shell; exit status 0 passes and earns max-score) and returns
// its result output: base64 of the version 1 JSON.
func commandGrade(t *testing.T, dir string, st gradeStep) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", st.command)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err())
	res := report.Classroom{Version: 1, Status: "pass", MaxScore: st.maxScore}
	test := report.ClassroomTest{Name: st.name, Status: "pass", Score: st.maxScore, Message: string(out), TestCode: st.command, Duration: time.Since(start).Milliseconds()}
	if err != nil {
		res.Status, test.Status, test.Score = "fail", "fail", 0
	}
	res.Tests = []report.ClassroomTest{test}
	data, err := json.Marshal(res)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(data)
}

// reporterTotal sums the results as the reporter does: each runner's
// <ID>_RESULTS decoded from base64 JSON, its tests' scores added.
func reporterTotal(t *testing.T, results map[string]string) (score, maxScore float64) {
	t.Helper()
	for id, b64 := range results {
		raw, err := base64.StdEncoding.DecodeString(b64)
		require.NoError(t, err, "runner %s: not base64", id)
		var res report.Classroom
		require.NoError(t, json.Unmarshal(raw, &res), "runner %s: not the result JSON", id)
		require.Equal(t, 1, res.Version, "runner %s: result version", id)
		maxScore += res.MaxScore
		for _, tc := range res.Tests {
			score += tc.Score
		}
	}
	return score, maxScore
}

// checkClassroom validates the workflow and runs each step's command in
// the handout: the unfilled starter fails every stage (0 points), a
// finished implementation passes every one (all the points).
func checkClassroom(t *testing.T, out, filled string) {
	steps := parseWorkflow(t, out)
	stages := handout.Stages(rubric.Default())
	require.Len(t, steps, len(stages), "one step per stage")

	// Every command names a test the handout has.
	tests := map[string]bool{}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(out, "assignments", "raft", "raft_test.go"), nil, parser.SkipObjectResolution)
	require.NoError(t, err)
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok {
			tests[fn.Name.Name] = true
		}
	}
	total := 0.0
	for i, st := range steps {
		m := stageCommand.FindStringSubmatch(st.command)
		require.NotNil(t, m, "step %s: command %q is not a stage's go test", st.id, st.command)
		assert.True(t, tests[m[1]], "step %s runs %s, which assignments/raft does not have", st.id, m[1])
		assert.Equal(t, stages[i].Test, m[1])
		assert.Equal(t, stages[i].Points, st.maxScore, "step %s: the rubric's public points", st.id)
		total += st.maxScore
	}
	assert.Positive(t, total)

	for _, tc := range []struct {
		name string
		dir  string
		want float64
	}{
		{"the unfilled starter earns nothing", out, 0},
		{"a finished Raft earns every point", filled, total},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := map[string]string{}
			for _, st := range steps {
				results[st.id] = commandGrade(t, tc.dir, st)
			}
			score, maxScore := reporterTotal(t, results)
			assert.Equal(t, total, maxScore)
			assert.Equal(t, tc.want, score)
		})
	}
}

package docscheck

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleDoc = "# Title\n" + // 1
	"\n" + // 2
	"Run `go test ./labs -run X -seeds=5` then\n" + // 3
	"`-traces` and `-bogus`.\n" + // 4
	"\n" + // 5
	"```sh\n" + // 6
	"go run ./cmd/tool sub -flag 3 --other x.json   # a comment with -nope\n" + // 7
	"go run ./cmd/tool -top=1 | tee out  # piped\n" + // 8
	"echo not ours -x\n" + // 9
	"```\n" + // 10
	"\n" + // 11
	"    tool --last 40 trace.json\n" + // 12
	"\n" + // 13
	"| `tool sub` | takes `-flag` |\n" + // 14
	"| row | `-flag` alone |\n" + // 15
	"- Use `git push --force`, then `--force` is git's.\n" + // 16
	"\n" + // 17
	"```yaml\n" + // 18
	`  run: go run ./cmd/tool -top "$X"` + "\n" + // 19
	`  "replay": "go test ./nowhere -v",` + "\n" + // 20
	"```\n" // 21

func TestExtract(t *testing.T) {
	cs := Extract("doc.md", []byte(sampleDoc), []string{"tool"})
	type got struct {
		line    int
		args    []string
		context []string
	}
	var gs []got
	for _, c := range cs {
		gs = append(gs, got{c.Line, c.Args, c.Context})
	}
	goTest := []string{"go", "test", "./labs", "-run", "X", "-seeds=5"}
	toolSub := []string{"tool", "sub"}
	assert.Equal(t, []got{
		{3, goTest, nil},
		{4, []string{"-traces"}, goTest},
		{4, []string{"-bogus"}, goTest},
		{7, []string{"go", "run", "./cmd/tool", "sub", "-flag", "3", "--other", "x.json"}, nil},
		{8, []string{"go", "run", "./cmd/tool", "-top=1"}, nil},
		{12, []string{"tool", "--last", "40", "trace.json"}, nil},
		{14, toolSub, nil},
		{14, []string{"-flag"}, toolSub},
		{15, []string{"-flag"}, nil}, // another table row: no command to check it against
		{16, []string{"--force"}, nil},
		{19, []string{"go", "run", "./cmd/tool", "-top", "$X"}, nil},
		{20, []string{"go", "test", "./nowhere", "-v"}, nil},
	}, gs)
}

func known() *Known {
	return &Known{
		GoTest: FlagSet{"run": true, "v": false, "seeds": true, "traces": false},
		Tools: map[string]*Tool{"tool": {
			Flags:   FlagSet{"top": true, "last": true},
			Sub:     map[string]FlagSet{"sub": {"flag": true, "other": true}},
			Refused: map[string]string{"bogus": `tool: unknown command "bogus"`},
		}},
		Exists: func(p string) bool {
			return p == "./labs" || p == "./cmd/tool" || p == "scripts/x.sh" || p == "worker/api" || p == "worker/cmd/w" || p == "worker/build.sh"
		},
	}
}

func TestCheck(t *testing.T) {
	k := known()
	var msgs []string
	for _, c := range Extract("doc.md", []byte(sampleDoc), []string{"tool"}) {
		for _, p := range k.Check(c) {
			msgs = append(msgs, p.String())
		}
	}
	assert.Equal(t, []string{
		"doc.md:4: `-bogus`: the flag -bogus is not one of go test's (-run -seeds -traces -v), the command this paragraph names before it",
		"doc.md:20: `go test ./nowhere -v`: no package ./nowhere in the repository",
	}, msgs)

	tests := []struct {
		line string
		want string // "" for no problem
	}{
		{"go test ./labs -seed=7", "go test has no flag -seed (neither go test, go build nor the test packages define it)"},
		{"go test ./labs -run -seeds", ""}, // -run's value
		{"go run ./cmd/tool -nope", "tool has no flag -nope (its flags: -last -top)"},
		{"go run ./cmd/tool sub -top 1", "tool sub has no flag -top (its flags: -flag -other)"},
		{"go run ./cmd/tool bogus -x", `tool has no subcommand bogus (it says: tool: unknown command "bogus")`},
		{"go run ./cmd/other -x", "no command ./cmd/other in the repository"},
		{"tool -h", ""},
		{"tool file.json --last 3", ""},
		{"bash scripts/x.sh", ""},
		{"bash scripts/y.sh", "no file scripts/y.sh in the repository"},
		// After a cd, paths are the directory's.
		{"cd worker && go test -run FuzzHandler ./api", ""},
		{"(cd worker && go test ./api)", ""},
		{"cd worker && go test ./labs", "no package ./labs in the repository (under worker/, where the command runs after its cd)"},
		{"cd worker && go run ./cmd/w -anything", ""},
		{"cd worker && go run ./cmd/x", "no command ./cmd/x in the repository (under worker/, where the command runs after its cd)"},
		{"cd worker && bash ./build.sh", ""},
		{"cd worker && bash scripts/x.sh", "no file scripts/x.sh in the repository (under worker/, where the command runs after its cd)"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			cs := Extract("d.md", []byte("```\n"+tt.line+"\n```\n"), []string{"tool"})
			require.Len(t, cs, 1)
			ps := k.Check(cs[0])
			if tt.want == "" {
				assert.Empty(t, ps)
				return
			}
			require.Len(t, ps, 1)
			assert.Equal(t, "d.md:2: `"+tt.line+"`: "+tt.want, ps[0].String())
		})
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`go test -run 'A|B' x`, []string{"go", "test", "-run", "A|B", "x"}},
		{`a "b c" d\ e "x\"y"`, []string{"a", "b c", "d e", `x"y`}},
		{`  `, nil},
		{`a ""`, []string{"a", ""}},
	}
	for _, tt := range tests {
		got, err := Split(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	_, err := Split(`a 'b`)
	require.ErrorIs(t, err, ErrQuote)
}

func TestParseUsage(t *testing.T) {
	out := "usage: x [flags]\n\nexamples:\n  x -seed 7   one seed\n\nflags:\n  -seed uint\n    \tthe seed\n  -v\tverbose\n  -prevote\n    \tenable PreVote\n  --states\n"
	assert.Equal(t, FlagSet{"seed": true, "prevote": false, "states": false}, ParseUsage(out))
	help := "\t-run regexp\n\t    Run only those tests.\n\t-v\n\t-tags tag,list\n\t\t-buildvcs=true to error out\n"
	assert.Equal(t, FlagSet{"run": true, "v": false, "tags": true}, ParseGoHelp(help))
}

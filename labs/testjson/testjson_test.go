package testjson

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRead(t *testing.T) {
	in := `# github.com/x/y
y.go:3:1: syntax error
{"Action":"run","Test":"TestA"}
{"Action":"attr","Test":"TestA","Key":"failure_kind","Value":"safety"}
{"Action":"output","Test":"TestA","Output":"report\n"}
{"Action":"fail","Test":"TestA"}
{"Action":"pass","Test":"TestB"}
{"Action":"output","Output":"FAIL\n"}
`
	run, err := Read(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, run.Tests, 2)
	a := run.Tests["TestA"]
	assert.Equal(t, "fail", a.Action)
	assert.Equal(t, map[string]string{"failure_kind": "safety"}, a.Attrs)
	assert.Equal(t, "report\n", a.Output.String())
	assert.Equal(t, "pass", run.Tests["TestB"].Action)
	assert.Equal(t, "# github.com/x/y\ny.go:3:1: syntax error\nreport\nFAIL\n", run.Text)
}

//go:build unix

package cluster

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

func TestFindVariant(t *testing.T) {
	designs := []Variant{{Name: "default"}, {Name: "pipelined"}}
	tests := []struct {
		name, want, err string
	}{
		{name: "", want: "default"},
		{name: "pipelined", want: "pipelined"},
		{name: "fast", err: `-design "fast": want one of default, pipelined`},
	}
	for _, tt := range tests {
		d, err := findVariant(designs, tt.name)
		if tt.err != "" {
			assert.EqualError(t, err, tt.err)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, d.Name)
	}
}

func TestRunVariantsRejectsAnUnknownDesign(t *testing.T) {
	var stdout, stderr bytes.Buffer
	designs := []Variant{{Name: "default", Factory: func(int, int, raftapi.Env) raftapi.Node { return nil }}}
	code := RunVariants([]string{"node", "-design", "fast", "-id", "0", "-peers", "127.0.0.1:1", "-clients", "127.0.0.1:2", "-dir", t.TempDir()},
		&stdout, &stderr, designs)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), `-design "fast": want one of default`)
	assert.Equal(t, 2, RunVariants([]string{"node"}, &stdout, &stderr, nil), "no design at all")
}

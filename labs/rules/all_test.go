package rules_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs/rules"
)

// TestAllIsWellFormed checks the catalogue itself: unique names, each
// citing the paper, in stage order.
func TestAllIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	stages := []rules.Stage{rules.Election, rules.Replication, rules.Persistence, rules.Snapshots}
	last := 0
	for _, r := range rules.All() {
		assert.False(t, seen[r.Name], "duplicate rule name %s", r.Name)
		seen[r.Name] = true
		assert.NotEmpty(t, r.Paper, r.Name)
		assert.NotNil(t, r.Run, r.Name)
		i := -1
		for j, s := range stages {
			if s == r.Stage {
				i = j
			}
		}
		require.GreaterOrEqual(t, i, 0, "rule %s has unknown stage %q", r.Name, r.Stage)
		assert.GreaterOrEqual(t, i, last, "rule %s (stage %s) is out of stage order", r.Name, r.Stage)
		last = i
	}
}

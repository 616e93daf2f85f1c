package rules_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/props"
)

// TestAllIsWellFormed checks the catalogue itself: unique names, each
// citing its property of the props catalogue, in stage order.
func TestAllIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	stages := []rules.Stage{rules.Election, rules.Replication, rules.Persistence, rules.Snapshots}
	last := 0
	for _, r := range rules.All() {
		assert.False(t, seen[r.Name], "duplicate rule name %s", r.Name)
		seen[r.Name] = true
		// The rule cites the catalogue's property, as the simulator does.
		assert.Contains(t, props.All(), r.Prop, "rule %s checks no property of the catalogue", r.Name)
		if r.Prop != 0 {
			assert.Equal(t, r.Prop.Cite(), r.Paper, r.Name)
		}
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

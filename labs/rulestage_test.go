package labs

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/props"
)

// TestRuleTestStageMatchesTheRuleTests keeps ruleTestStage's table equal to
// what rules.All() says: the stage of the earliest rule test of each
// protocol or progress property, and no stage for a property no rule test
// checks.
func TestRuleTestStageMatchesTheRuleTests(t *testing.T) {
	want := map[props.ID]Stage{}
	for _, r := range rules.All() { // in stage order: the first is the earliest
		if k := r.Prop.Kind(); k != props.Protocol && k != props.Progress {
			continue
		}
		if _, ok := want[r.Prop]; !ok {
			want[r.Prop] = r.Stage
		}
	}
	for _, id := range props.All() {
		got, ok := ruleTestStage(id)
		w, wok := want[id]
		assert.Equal(t, wok, ok, "%s: is it checked by a rule test?", id.Name())
		assert.Equal(t, w, got, "%s: the stage of its earliest rule test", id.Name())
	}
}

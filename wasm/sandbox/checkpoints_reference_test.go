package sandbox

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// at asks api for the world of settings and actions at time us, and
// returns its state (advanced on while a bound truncates it).
func at(t *testing.T, api *API, settings string, actions []Action, us int64) map[string]any {
	t.Helper()
	acts, err := json.Marshal(actions)
	require.NoError(t, err)
	st := call(t, api, "newWorld", fmt.Sprintf(`{%s,"actions":%s,"at_us":%d}`, settings, acts, us))
	for st["truncated"] == true {
		st = call(t, api, "advance", fmt.Sprintf(`{"until_us":%d}`, us))
	}
	require.Nil(t, st["error"], "%v", st["error"])
	require.EqualValues(t, us, st["now_us"])
	return st
}

// Going back and forth in time through the kept worlds gives exactly the
// world a fresh re-run gives, and the kept world is the one used.
func TestCheckpointsGiveTheWorldAFreshRunGives(t *testing.T) {
	const settings = `"nodes":5,"seed":3`
	api := NewAPI(reference())
	call(t, api, "newWorld", `{`+settings+`}`)
	call(t, api, "advance", `{"until_us":2000000}`)
	crash := call(t, api, "act", `{"type":"crash","node":1}`)
	require.Nil(t, crash["error"])
	call(t, api, "advance", `{"until_us":4000000}`)
	end := call(t, api, "state", "")
	var actions []Action
	b, _ := json.Marshal(end["actions"])
	require.NoError(t, json.Unmarshal(b, &actions))
	require.Len(t, actions, 1)
	head := api.world

	fresh := func(acts []Action, us int64) any {
		return at(t, NewAPI(reference()), settings, acts, us)["hash"]
	}
	before := func(us int64) []Action {
		var out []Action
		for _, a := range actions {
			if a.AtUs <= us {
				out = append(out, a)
			}
		}
		return out
	}

	for _, tc := range []struct {
		name  string
		us    int64
		reuse bool // the head (kept when the scrub went back) serves it
	}{
		{"back to 0", 0, false},
		{"forward to the end", 4_000_000, true},
		{"back to before the crash", 1_000_000, false},
		{"forward past the crash", 3_000_000, false},
		{"to the end again", 4_000_000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := at(t, api, settings, before(tc.us), tc.us)
			assert.Equal(t, fresh(before(tc.us), tc.us), st["hash"])
			assert.Equal(t, tc.reuse, api.world == head)
			if tc.us == 4_000_000 {
				assert.Equal(t, end["hash"], st["hash"])
			}
		})
	}
	assert.LessOrEqual(t, len(api.kept), maxCheckpoints)

	// A branch: other actions than the kept worlds had. No kept world
	// past the branch point may serve it.
	other := []Action{{Type: "crash", Node: ptr(2), AtUs: actions[0].AtUs, AtEvents: actions[0].AtEvents}}
	st := at(t, api, settings, other, 4_000_000)
	assert.Equal(t, fresh(other, 4_000_000), st["hash"])
	assert.NotEqual(t, end["hash"], st["hash"])
	assert.NotSame(t, head, api.world)

	// New settings end the kept worlds of the old ones.
	at(t, api, `"nodes":5,"seed":4`, nil, 0)
	assert.Empty(t, api.kept)
	assert.True(t, head.closed)
}

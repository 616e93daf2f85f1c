package labs

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
)

func TestPersistenceScenariosCatchMutants(t *testing.T) {
	// A node that never saves forgets its term, vote and log at every
	// restart; the checkers name it at the first restart.
	checkMutants(t, persistenceSuite(), []mutantCase{
		{"Persist1", "Save lost", forgetfulFactory, []string{"Terms never decrease", "Durability"}},
		{"Persist2", "Save lost", forgetfulFactory, []string{"Terms never decrease", "Durability"}},
		{"Persist3", "Save lost", forgetfulFactory, []string{"Terms never decrease", "Durability"}},
		{"Figure8", "Save lost", forgetfulFactory, []string{"Terms never decrease", "Durability"}},
		{"ReliableChurn", "Save lost", forgetfulFactory, []string{"Terms never decrease", "Durability"}},
	})
}

func TestPersistenceScenariosPassTheReference(t *testing.T) {
	for _, sc := range persistenceSuite() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			res := runScenario(sc, raft.New, 1)
			require.Nil(t, res.Failure, "%v", res.Failure)
		})
	}
}

package labs

// Suite returns a stage's visible scenarios, in a fixed order.
func Suite(stage Stage) []Scenario {
	var all []Scenario
	switch stage {
	case Election:
		all = electionSuite()
	case Replication:
		all = replicationSuite()
	case Persistence:
		all = persistenceSuite()
	case Snapshots:
		all = snapshotSuite()
	}
	for i := range all {
		all[i].Stage = stage
	}
	return all
}

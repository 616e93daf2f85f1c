package labs

// Suite returns a stage's visible scenarios, in a fixed order: parity
// with MIT 6.5840, then the targeted schedules, then the randomized swarm.
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
	all = append(all, targeted(stage)...)
	all = append(all, swarm(stage)...)
	for i := range all {
		all[i].Stage = stage
	}
	return all
}

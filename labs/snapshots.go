package labs

// snapshotSuite is the snapshots stage (MIT 6.5840 parity, and more).
func snapshotSuite() []Scenario { return nil }

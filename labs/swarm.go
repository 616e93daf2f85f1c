package labs

// swarm returns the stage's randomized swarm scenario: each seed draws a
// fault mix fit for the stage.
func swarm(stage Stage) []Scenario { return nil }

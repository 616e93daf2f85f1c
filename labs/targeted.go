package labs

// targeted returns the stage's targeted schedules: scripted, deterministic
// scenarios for the bugs that random faults find only by chance.
func targeted(stage Stage) []Scenario { return nil }

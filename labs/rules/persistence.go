package rules

func persistenceRules() []Rule { return nil }

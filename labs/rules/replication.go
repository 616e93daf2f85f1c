package rules

func replicationRules() []Rule { return nil }

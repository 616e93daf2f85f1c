package rules

func snapshotRules() []Rule { return nil }

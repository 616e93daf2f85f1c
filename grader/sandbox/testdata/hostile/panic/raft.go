package raft

// A panic in every turn.
func onBoot(n *node) {}

func onTick(n *node) {
	var m map[string]int
	m["boom"]++
}

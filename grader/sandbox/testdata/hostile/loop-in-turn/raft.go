package raft

// An infinite loop in a turn: the simulator cannot stop it.
func onBoot(n *node) {}

func onTick(n *node) {
	for {
	}
}

package raft

func onBoot(n *node) {}

func onTick(n *node) {
	n.undefinedField++
}

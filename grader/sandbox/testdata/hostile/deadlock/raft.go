package raft

// A deadlock on a channel in a turn: receive from a channel no one sends on.
func onBoot(n *node) {}

func onTick(n *node) {
	ch := make(chan int)
	<-ch
}

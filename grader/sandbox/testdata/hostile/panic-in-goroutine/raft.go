package raft

// A panic in a goroutine of the student's: nothing can recover it, the
// whole child dies.
func onBoot(n *node) {
	go func() { panic("boom from a goroutine") }()
}

func onTick(n *node) {}

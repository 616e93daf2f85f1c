package raft

// Ten thousand goroutines at every boot, each blocked forever.
func onBoot(n *node) {
	block := make(chan struct{})
	for range 10000 {
		go func() { <-block }()
	}
}

func onTick(n *node) {}

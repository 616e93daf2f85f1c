package raft

var burned uint64

// Burns CPU on every core from init, without end: the CPU limit must end it
// well before the stage's wall-clock limit.
func init() {
	for range 3 {
		go func() {
			for {
				burned++
			}
		}()
	}
	for {
		burned++
	}
}

func onBoot(n *node) {}
func onTick(n *node) {}

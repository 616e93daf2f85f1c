package raft

// A 10 GB allocation at the first tick.
var sink []byte

func onBoot(n *node) {}

func onTick(n *node) {
	sink = make([]byte, 10<<30)
	for i := 0; i < len(sink); i += 4096 {
		sink[i] = 1
	}
}

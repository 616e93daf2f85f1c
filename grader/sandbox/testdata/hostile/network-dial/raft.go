package raft

import "net"

// A network dial: refused by the allow-list.
func onBoot(n *node) {
	if c, err := net.Dial("tcp", "example.com:80"); err == nil {
		c.Close()
	}
}
func onTick(n *node) {}

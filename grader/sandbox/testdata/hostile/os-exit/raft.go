package raft

import "os"

// os.Exit: refused by the allow-list.
func onBoot(n *node) { os.Exit(0) }
func onTick(n *node) {}

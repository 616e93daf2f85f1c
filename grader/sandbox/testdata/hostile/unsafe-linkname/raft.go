package raft

import _ "unsafe"

//go:linkname nanotime runtime.nanotime
func nanotime() int64

func onBoot(n *node) { _ = nanotime() }
func onTick(n *node) {}

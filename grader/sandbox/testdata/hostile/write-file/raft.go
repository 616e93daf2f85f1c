package raft

import "io/ioutil"

// A write to a file: refused by the allow-list.
func onBoot(n *node) { _ = ioutil.WriteFile("/tmp/pwned", []byte("x"), 0o644) }
func onTick(n *node) {}

//go:build unix && !linux

package cluster

import "syscall"

// sysProcAttr puts a node in its own process group, so that a Ctrl-C in
// the supervisor's terminal reaches the supervisor only. (Only Linux can
// also have a node killed when the supervisor dies.)
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

package cluster

import "syscall"

// sysProcAttr puts a node in its own process group, so that a Ctrl-C in
// the supervisor's terminal reaches the supervisor only, which then stops
// the nodes in order; and has the kernel kill it when the supervisor dies,
// so that no node outlives it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

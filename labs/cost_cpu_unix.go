//go:build unix

package labs

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used so far, user and
// system; ok is true: the cost line measures CPU time where it can.
func processCPU() (cpu time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

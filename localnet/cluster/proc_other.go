//go:build unix && !linux

package cluster

import "errors"

// procCPU needs Linux's /proc: bench reports no CPU figure elsewhere.
func procCPU(int) (int64, error) { return 0, errors.New("cpu time: needs /proc (Linux)") }

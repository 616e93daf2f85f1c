//go:build !unix

package labs

import "time"

// processCPU is not available here (Windows, js/wasm, wasip1): the cost
// line measures wall time instead (see stageClock).
func processCPU() (time.Duration, bool) { return 0, false }

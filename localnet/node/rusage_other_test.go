//go:build !unix

package node_test

import "time"

// processCPU cannot be read here.
func processCPU() time.Duration { return -1 }

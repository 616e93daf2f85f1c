package sim

import "math/rand/v2"

// Stream names: one seed is split into independent streams so that, for
// example, changing the fault mix does not change a node's own draws.
const (
	streamNode     = 1 // per node and incarnation: the node's Env.Rand
	streamNetwork  = 2 // drops, duplicates, delays
	streamClock    = 3 // tick skew and phase
	streamScenario = 4 // the scenario's and the nemesis's own choices
)

// splitmix64 is the finaliser of SplitMix64: a bijective mix with good
// avalanche, used to derive independent PCG seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newStream returns the PRNG for stream kind with sub-identifiers a and b.
func newStream(seed uint64, kind, a, b uint64) *rand.Rand {
	s1 := splitmix64(seed ^ splitmix64(kind))
	s2 := splitmix64(s1 ^ splitmix64(a<<32|b) ^ kind)
	return rand.New(rand.NewPCG(s1, s2))
}

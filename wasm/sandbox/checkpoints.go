package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/raftlab/raftlab/sim"
)

// Time travel goes back by re-running the world from its seed and
// actions, which costs as much as the run up to the point asked for: a
// few seconds for a few minutes of simulated time under WebAssembly. So
// the API keeps the worlds it leaves, still running, as checkpoints: a
// world can only go forward, but one that stands at or before the point
// asked for, with the same settings and the same actions so far, gets
// there by running only the difference. Going back to 0 and forward to
// the end again, the end is still there.

// maxCheckpoints bounds the worlds kept: each holds a cluster (a few
// hundred KB for minutes of simulated time).
const maxCheckpoints = 8

// NewWorldRequest is newWorld's argument: the world's config, and
// optionally the simulated time to bring it to (AtUs). With AtUs, a kept
// world that can get there is reused (the result is the same world as a
// fresh one: the run is deterministic) and advanced to AtUs, at most
// MaxEventsPerAdvance events (State.Truncated says to advance on).
type NewWorldRequest struct {
	Config
	AtUs *int64 `json:"at_us,omitempty"`
}

// position is where a world stands in its run.
type position struct {
	now    time.Duration
	events int64
}

func (w *World) position() (position, bool) {
	var p position
	ok := !w.closed && w.do(func(c *sim.Cluster) { p = position{c.Now(), c.Stats().Events} })
	return p, ok
}

// sameSettings reports whether two configs differ in their actions only.
func sameSettings(a, b Config) bool {
	a.Actions, b.Actions = nil, nil
	return sameJSON(a, b)
}

// sameJSON compares two values by their JSON (reflect.DeepEqual would do,
// but links 10 KB more into the WebAssembly than encoding/json, which is
// there anyway). Configs and actions are what JSON carries, exactly.
func sameJSON(a, b any) bool {
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	return errX == nil && errY == nil && bytes.Equal(x, y)
}

// reaches reports whether w, standing at p, is the world cfg's actions
// make at that point, so that replaying the rest of them (and advancing
// to at) gives the same world as a fresh one: its actions so far are a
// prefix of cfg's, and every action after them falls after p.
func (w *World) reaches(cfg Config, p position, at time.Duration) bool {
	if !sameSettings(w.cfg, cfg) || p.now > at || len(w.actions) > len(cfg.Actions) {
		return false
	}
	for i, a := range w.actions {
		if !sameJSON(a, cfg.Actions[i]) {
			return false
		}
	}
	for _, a := range cfg.Actions[len(w.actions):] {
		t := time.Duration(a.AtUs) * time.Microsecond
		if a.AtEvents == nil {
			// Replayed after every event up to AtUs: w must not have
			// run any event of that instant yet.
			if t <= p.now {
				return false
			}
		} else if *a.AtEvents < p.events || t < p.now.Truncate(time.Microsecond) {
			return false
		}
	}
	return true
}

// newWorld answers newWorld: a fresh world, or with req.AtUs the kept
// world (the current one included) that stands latest at or before
// AtUs and reaches it, brought there. The world it replaces is kept.
func (a *API) newWorld(req NewWorldRequest) (*World, error) {
	cfg := req.Config
	if req.AtUs == nil {
		w, err := NewWorld(a.impl, cfg)
		if err != nil {
			return nil, err
		}
		a.keep(w)
		return w, nil
	}
	if *req.AtUs < 0 {
		return nil, fmt.Errorf("at_us must be ≥ 0, not %d", *req.AtUs)
	}
	at := time.Duration(*req.AtUs) * time.Microsecond
	var best *World
	var bestAt position
	for _, w := range a.worlds() {
		if w.stopped() {
			continue // a failure stopped it: it cannot go on
		}
		p, ok := w.position()
		if ok && w.reaches(cfg, p, at) && (best == nil || p.now > bestAt.now || p.now == bestAt.now && p.events > bestAt.events) {
			best, bestAt = w, p
		}
	}
	if best != nil {
		var err error
		for _, act := range cfg.Actions[len(best.actions):] {
			if err = best.replay(act); err != nil || best.stopped() {
				break
			}
		}
		if err != nil { // reaches said it could not happen; start afresh rather than fail
			a.drop(best)
			best = nil
		}
	}
	if best == nil {
		w, err := NewWorld(a.impl, cfg)
		if err != nil {
			return nil, err
		}
		best = w
	}
	a.keep(best)
	if err := best.Advance(Advance{UntilUs: req.AtUs}); err != nil {
		return nil, err
	}
	return best, nil
}

// worlds lists the current world and the kept ones.
func (a *API) worlds() []*World {
	if a.world == nil {
		return a.kept
	}
	return append([]*World{a.world}, a.kept...)
}

// keep makes w the current world. The world it replaces is kept, most
// recent first; kept worlds of other settings (a new seed, say) are of
// no more use and end, as does the oldest beyond maxCheckpoints.
func (a *API) keep(w *World) {
	all := append([]*World(nil), a.worlds()...)
	a.world, a.kept = w, a.kept[:0]
	for _, k := range all {
		switch {
		case k == w:
		case len(a.kept) < maxCheckpoints && !k.closed && !k.stopped() && sameSettings(k.cfg, w.cfg):
			a.kept = append(a.kept, k)
		default:
			k.Close()
		}
	}
}

// drop ends w and forgets it.
func (a *API) drop(w *World) {
	w.Close()
	if a.world == w {
		a.world = nil
	}
	for i, k := range a.kept {
		if k == w {
			a.kept = append(a.kept[:i], a.kept[i+1:]...)
			break
		}
	}
}

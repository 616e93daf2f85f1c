package rules

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/raftlab/raftlab/nodehost"
	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
)

// DefaultHangBound is how long, in wall time, one call into the node may
// run before a rule test is abandoned as a hang: the simulator's default
// (sim.Config.HangBound), so that a stage's scenarios and its rules judge
// a slow turn alike.
const DefaultHangBound = 5 * time.Second

// Hang describes a call into the node that did not return: the rule test
// was abandoned, and its goroutine, stuck in the node's code, cannot be
// stopped.
type Hang struct {
	Node  int           // the node whose call did not return
	What  string        // the call, e.g. "RequestVote (message from node 1)"
	Bound time.Duration // how long it ran without returning
}

// Error says what hung and what to do, the way the simulator's reports do.
func (h *Hang) Error() string {
	return fmt.Sprintf("%s: node %d's %s did not return within %s of wall time: an infinite loop, or a blocking call (channel, mutex, WaitGroup, time.Sleep)? Every call into a node must return promptly; wait for things by counting ticks instead. The rule test was abandoned",
		props.TurnsReturn.Cite(), h.Node, h.What, h.Bound)
}

// RunWatched runs the rule against f like Run, but on a goroutine of its
// own, watched: a call into the node that makes no progress for bound of
// wall time (DefaultHangBound if bound ≤ 0) ends the wait, and RunWatched
// returns the Hang. Otherwise it returns nil once the rule has finished.
//
// A stuck goroutine cannot be stopped in Go, so after a hang t is
// detached: whatever the abandoned goroutine later reports is dropped,
// never reaching a t whose test has ended. t's FailNow and Fatalf are
// called only on the rule's goroutine, so they must stop that goroutine
// without needing the test's own (testing.T's do not qualify; RunWatched
// wraps t so that any TB does).
func (r Rule) RunWatched(t TB, f raftapi.Factory, bound time.Duration) *Hang {
	if bound <= 0 {
		bound = DefaultHangBound
	}
	w := &watchedTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		finished := false
		defer func() {
			if p := recover(); p != nil {
				w.Errorf("%s: the rule test itself panicked, at %s: %v. The node passed every check up to there; if what it returned looks right, this is a bug in the test: please report it", r.Paper, panicSite(), p)
				return
			}
			if !finished && !w.stopped {
				// runtime.Goexit, and not FailNow's: the node's code
				// called it, which must not pass for success.
				w.Errorf("%s: %s", r.Paper, w.goexitReport())
			}
		}()
		r.Run(w, f)
		finished = true
	}()
	const poll = 50 * time.Millisecond
	tick := time.NewTicker(poll)
	defer tick.Stop()
	last, still := int64(-1), time.Duration(0)
	for {
		select {
		case <-done:
			return nil
		case <-tick.C:
		}
		now := w.progress()
		if now != last {
			last, still = now, 0
			continue
		}
		if still += poll; still < bound {
			continue
		}
		hang := &Hang{Node: -1, What: "code", Bound: bound}
		w.detach(hang)
		return hang
	}
}

// panicSite is, called from a deferred recover, the place that panicked:
// the innermost frame below runtime.gopanic outside the runtime.
func panicSite() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	panicked := false // the frames above runtime.gopanic are the recovering ones
	for {
		fr, more := frames.Next()
		if fr.Function == "runtime.gopanic" {
			panicked = true
		}
		if panicked && !strings.HasPrefix(fr.Function, "runtime.") {
			return fmt.Sprintf("%s:%d", filepath.Base(fr.File), fr.Line)
		}
		if !more {
			return "an unknown place"
		}
	}
}

// watchedTB is the TB a watched rule runs with: it forwards to the test's
// TB until detached, and counts the calls into the node for the watch.
type watchedTB struct {
	TB // Helper and Name are the test's own: a line reported through
	// harness helpers still names the rule's file

	mu       sync.Mutex
	detached bool
	hosts    []*nodehost.Host // every incarnation the rule booted, shadows included
	boots    int64            // factory calls started and ended: odd while one runs
	bootNode int              // the node the latest factory call boots

	stopped bool // FailNow stopped the rule's goroutine (that goroutine only)
}

// goexitReport says which call into the node called runtime.Goexit, as
// the host recorded it.
func (w *watchedTB) goexitReport() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, h := range w.hosts {
		if v := h.Err(); v != nil && v.Cause == nodehost.CauseGoexit {
			return v.Message
		}
	}
	return "a call into the node called runtime.Goexit (t.FailNow, t.Fatal or runtime.Goexit in node code?): every call into a node must return normally"
}

// progress is the number of calls into the node that started or ended:
// it stands still only while one call runs, or while the rule waits on
// nothing (which it never does for long).
func (w *watchedTB) progress() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.boots
	for _, h := range w.hosts {
		p += 2 * h.Turns()
		if _, _, busy := h.Current(); !busy {
			p++ // a call that ended counts as one more step than one in progress
		}
	}
	return p
}

// detach stops forwarding to the test's TB and fills in which call hung.
func (w *watchedTB) detach(hang *Hang) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.detached = true
	if w.boots%2 == 1 {
		hang.Node, hang.What = w.bootNode, "Factory"
		return
	}
	for _, h := range w.hosts {
		if kind, peer, busy := h.Current(); busy {
			hang.Node, hang.What = h.ID(), kind.Describe(peer)
			return
		}
	}
}

// boot runs nodehost.Boot as one watched call and watches the host it
// returns.
func (w *watchedTB) boot(node int, cfg nodehost.Config, f raftapi.Factory) (*nodehost.Host, error) {
	w.mu.Lock()
	w.boots++
	w.bootNode = node
	w.mu.Unlock()
	h, err := nodehost.Boot(cfg, f)
	w.mu.Lock()
	w.boots++
	if h != nil {
		w.hosts = append(w.hosts, h)
	}
	w.mu.Unlock()
	return h, err
}

// live reports whether the test's TB may still be called.
func (w *watchedTB) live() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.detached
}

func (w *watchedTB) Errorf(format string, args ...any) {
	w.Helper()
	if w.live() {
		w.TB.Errorf(format, args...)
	}
}

func (w *watchedTB) Logf(format string, args ...any) {
	w.Helper()
	if w.live() {
		w.TB.Logf(format, args...)
	}
}

// Fatalf reports and stops the rule's goroutine (see FailNow).
func (w *watchedTB) Fatalf(format string, args ...any) {
	w.Helper()
	if w.live() {
		w.TB.Errorf(format, args...)
	}
	w.FailNow()
}

// FailNow marks the test failed and stops the rule's goroutine. That
// goroutine is not the test's, and testing.T's FailNow may be called only
// from the test's own: a TB that can Fail is marked failed and the
// goroutine exits here, running its deferred calls; any other TB's
// FailNow is trusted to stop the calling goroutine, as TB requires.
func (w *watchedTB) FailNow() {
	w.stopped = true
	if !w.live() {
		runtime.Goexit()
	}
	if f, ok := w.TB.(interface{ Fail() }); ok {
		f.Fail()
		runtime.Goexit()
	}
	w.TB.FailNow()
}

func (w *watchedTB) Cleanup(f func()) {
	if w.live() {
		w.TB.Cleanup(f)
	}
}

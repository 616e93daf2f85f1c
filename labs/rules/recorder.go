package rules

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// Recorder is a TB that records a rule test's failures instead of
// reporting them, for running rules outside go test: the grader's child
// process, the hidden HiddenRules scenarios, this package's own tests.
// FailNow and Fatalf stop the calling goroutine, as testing.T's do, so run
// the rule with Rule.RunWatched (which gives it a goroutine of its own).
// Safe for concurrent use.
type Recorder struct {
	name     string
	mu       sync.Mutex
	failed   bool
	msgs     []string
	cleanups []func()
}

// NewRecorder returns an empty Recorder whose Name is name.
func NewRecorder(name string) *Recorder { return &Recorder{name: name} }

// Helper does nothing: a Recorder reports no lines.
func (r *Recorder) Helper() {}

// Name is the name given to NewRecorder.
func (r *Recorder) Name() string { return r.name }

// Logf drops the log: only failures are recorded.
func (r *Recorder) Logf(string, ...any) {}

// Errorf records a failure.
func (r *Recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// Fatalf records a failure and stops the calling goroutine.
func (r *Recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// FailNow marks the rule failed and stops the calling goroutine.
func (r *Recorder) FailNow() {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
	runtime.Goexit()
}

// Cleanup registers f for RunCleanups.
func (r *Recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// RunCleanups runs the functions Cleanup registered, last first, as
// testing.T does when a test ends.
func (r *Recorder) RunCleanups() {
	r.mu.Lock()
	cs := r.cleanups
	r.cleanups = nil
	r.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

// Failed reports whether the rule failed.
func (r *Recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// Messages returns the failures' messages, in order.
func (r *Recorder) Messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// limits are one child's resource limits.
type limits struct {
	Wall        time.Duration // wall clock, enforced by the parent (SIGKILL to the process group)
	CPU         time.Duration // RLIMIT_CPU: SIGKILL at the limit (soft = hard: Go ignores SIGXCPU)
	MemoryBytes int64         // RLIMIT_AS
	FileBytes   int64         // RLIMIT_FSIZE
	NoFile      int           // RLIMIT_NOFILE
}

// childSpec is one child process to run.
type childSpec struct {
	Path   string
	Args   []string
	Env    []string
	Dir    string
	Extra  []*os.File // inherited as fd 3, 4, ...
	Limits limits
	// Uid and Gid, when Drop is set, are the identity the child runs as
	// (the grader may be root; the child has no need to be).
	Drop     bool
	Uid, Gid uint32
}

// childExit is how a child ended.
type childExit struct {
	Err      error // from Start: the child never ran
	TimedOut bool  // the wall-clock limit killed it
	Canceled bool  // the caller's context ended first
	State    *os.ProcessState
	CPU      time.Duration // user + system
	Wall     time.Duration
	Stdout   string // the last bytes of each
	Stderr   string
	// Isolation lists what could not be applied to this child.
	Isolation []string
}

// tail keeps the last max bytes written to it: a child may print without
// end, and the grader must not hold it all.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
	cut bool
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
		t.cut = true
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cut {
		return "[...]" + string(t.buf)
	}
	return string(t.buf)
}

// prlimitPath is util-linux's prlimit, which sets the limits on itself and
// execs the child: the limits hold from the child's first instruction,
// before any package init of the student's runs. Found once per call.
func prlimitPath() string {
	p, err := exec.LookPath("prlimit")
	if err != nil {
		return ""
	}
	return p
}

// runChild runs one child to its end under the limits. Without prlimit, the
// limits are set on the child's process right after it starts (a window of
// microseconds before they hold; recorded in Isolation).
func runChild(ctx context.Context, spec childSpec) childExit {
	var ex childExit
	argv := append([]string{spec.Path}, spec.Args...)
	prl := prlimitPath()
	l := spec.Limits
	if prl != "" {
		cpu := max(int64(l.CPU/time.Second), 1)
		pre := []string{prl,
			fmt.Sprintf("--cpu=%d:%d", cpu, cpu),
			fmt.Sprintf("--as=%d:%d", l.MemoryBytes, l.MemoryBytes),
			fmt.Sprintf("--fsize=%d:%d", l.FileBytes, l.FileBytes),
			fmt.Sprintf("--nofile=%d:%d", l.NoFile, l.NoFile),
			"--core=0:0", "--"}
		argv = append(pre, argv...)
	} else {
		ex.Isolation = append(ex.Isolation, "prlimit (util-linux) not found: the resource limits were set just after the child started, not before its first instruction")
	}
	wctx, cancel := context.WithTimeout(ctx, l.Wall)
	defer cancel()

	attempt := func(cloneflags uintptr, drop bool) (*exec.Cmd, *tail, *tail, error) {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env, cmd.Dir, cmd.ExtraFiles = spec.Env, spec.Dir, spec.Extra
		out, errb := &tail{max: 16 << 10}, &tail{max: 16 << 10}
		cmd.Stdout, cmd.Stderr = out, errb
		attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Cloneflags: cloneflags}
		if drop {
			attr.Credential = &syscall.Credential{Uid: spec.Uid, Gid: spec.Gid, NoSetGroups: false, Groups: []uint32{}}
		}
		cmd.SysProcAttr = attr
		return cmd, out, errb, cmd.Start()
	}
	start := time.Now()
	cmd, stdout, stderr, err := attempt(syscall.CLONE_NEWNET, spec.Drop)
	if err != nil && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSYS)) {
		// No new network namespace here (not root, or a restricted
		// container): run without it and say so.
		ex.Isolation = append(ex.Isolation, fmt.Sprintf("no new network namespace (%v): the child ran with the grader's network (the allow-list still refuses net and syscall)", err))
		cmd, stdout, stderr, err = attempt(0, spec.Drop)
	}
	if err != nil {
		ex.Err = fmt.Errorf("start the child: %w", err)
		return ex
	}
	if prl == "" {
		setLimits(cmd.Process.Pid, l)
	}
	// The parent's copies of the inherited files are the child's alone now.
	for _, f := range spec.Extra {
		_ = f.Close()
	}
	// Wait's error says how the child ended; ProcessState says it better.
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-wctx.Done():
		// Kill the whole process group: the child and anything it left.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		if ctx.Err() != nil {
			ex.Canceled = true
		} else {
			ex.TimedOut = true
		}
	}
	ex.Wall = time.Since(start)
	ex.State = cmd.ProcessState
	if ex.State != nil {
		ex.CPU = ex.State.UserTime() + ex.State.SystemTime()
	}
	ex.Stdout, ex.Stderr = stdout.String(), stderr.String()
	return ex
}

// setLimits sets the limits on a running process (prlimit(2)), the
// fallback without the prlimit command.
func setLimits(pid int, l limits) {
	set := func(res int, v uint64) {
		lim := syscall.Rlimit{Cur: v, Max: v}
		_, _, _ = syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(res), uintptr(unsafe.Pointer(&lim)), 0, 0, 0)
	}
	set(syscall.RLIMIT_CPU, uint64(max(l.CPU/time.Second, 1)))
	set(syscall.RLIMIT_AS, uint64(l.MemoryBytes))
	set(syscall.RLIMIT_FSIZE, uint64(l.FileBytes))
	set(syscall.RLIMIT_NOFILE, uint64(l.NoFile))
}

// signalOf returns the signal that ended a process, or -1.
func signalOf(st *os.ProcessState) syscall.Signal {
	if st == nil {
		return -1
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return -1
}

// describeExit says how a process ended, for a student.
func describeExit(st *os.ProcessState) string {
	if st == nil {
		return "did not start"
	}
	if sig := signalOf(st); sig >= 0 {
		return "was killed by signal " + sig.String()
	}
	return "exited with status " + strconv.Itoa(st.ExitCode())
}

// lastLines returns the last n non-empty lines of s, trimmed.
func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

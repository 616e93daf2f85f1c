//go:build unix

package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StateFile is the name of the file, in a cluster's directory, that tells
// the other subcommands where the cluster's nodes and supervisor are.
const StateFile = "cluster.json"

// Config is a cluster of node processes on one machine.
type Config struct {
	N        int    // number of nodes (3, 5, 7, …)
	Dir      string // the cluster's directory: data dirs, logs, the state file
	BasePort int    // node i listens on BasePort+i (peers) and BasePort+N+i (clients); 0 picks free ports
	Binary   string // the executable that has the node subcommand (this program, usually)
	// NodeArgs are extra flags for every node subcommand
	// (e.g. -nosync, -snapshot-every 1000, -procs 0).
	NodeArgs []string
	Logf     func(format string, args ...any) // the supervisor's own log; nil: silent
}

// NodeInfo is one node of a cluster, as the state file records it.
type NodeInfo struct {
	ID         int    `json:"id"`
	PeerAddr   string `json:"peer_addr"`
	ClientAddr string `json:"client_addr"`
	DataDir    string `json:"data_dir"`
	Log        string `json:"log"`
	Pid        int    `json:"pid"` // 0 while the node is down
}

// State is the content of the state file.
type State struct {
	SupervisorPid int        `json:"supervisor_pid"`
	ControlAddr   string     `json:"control_addr,omitempty"` // the supervisor's control endpoint
	Nodes         []NodeInfo `json:"nodes"`
}

// ClientAddrs lists the nodes' client addresses in id order.
func (s State) ClientAddrs() []string {
	out := make([]string, len(s.Nodes))
	for i, n := range s.Nodes {
		out[i] = n.ClientAddr
	}
	return out
}

// ReadState reads the state file of the cluster in dir.
func ReadState(dir string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return st, fmt.Errorf("read the cluster state (is `localnet up` running with -dir %s?): %w", dir, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("parse %s: %w", filepath.Join(dir, StateFile), err)
	}
	return st, nil
}

// proc is one node's current process.
type proc struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited and been reaped
	paused bool
}

// Cluster runs and supervises the node processes of one cluster. Its
// methods are safe for concurrent use.
type Cluster struct {
	cfg   Config
	nodes []NodeInfo

	mu      sync.Mutex
	procs   []*proc // nil while a node is down
	control string
	stopped bool
}

// Start creates the cluster's directory and starts every node.
func Start(cfg Config) (*Cluster, error) {
	if cfg.N < 1 {
		return nil, fmt.Errorf("cluster: %d nodes", cfg.N)
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	addrs, err := ports(cfg.BasePort, 2*cfg.N)
	if err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, procs: make([]*proc, cfg.N)}
	for i := range cfg.N {
		c.nodes = append(c.nodes, NodeInfo{
			ID:         i,
			PeerAddr:   addrs[i],
			ClientAddr: addrs[cfg.N+i],
			DataDir:    filepath.Join(cfg.Dir, fmt.Sprintf("node-%d", i)),
			Log:        filepath.Join(cfg.Dir, fmt.Sprintf("node-%d.log", i)),
		})
	}
	for i := range cfg.N {
		if err := c.start(i); err != nil {
			c.Stop()
			return nil, err
		}
	}
	return c, nil
}

// ports returns n loopback addresses: base, base+1, … or, when base is
// 0, free ports the kernel picks (free when asked; a race with another
// program is possible but harmless on a test machine).
func ports(base, n int) ([]string, error) {
	out := make([]string, n)
	if base > 0 {
		for i := range out {
			out[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(base+i))
		}
		return out, nil
	}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close() // best effort: we only wanted the port number
		}
	}()
	for i := range out {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("cluster: pick a free port: %w", err)
		}
		ls = append(ls, l)
		out[i] = l.Addr().String()
	}
	return out, nil
}

// NodeArgs returns the node subcommand's flags for node i.
func (c *Cluster) NodeArgs(i int) []string {
	peers := make([]string, len(c.nodes))
	for j, n := range c.nodes {
		peers[j] = n.PeerAddr
	}
	args := []string{"node",
		"-id", strconv.Itoa(i),
		"-peers", strings.Join(peers, ","),
		"-clients", strings.Join(c.ClientAddrs(), ","),
		"-dir", c.nodes[i].DataDir,
		// The nodes share this machine's cores: one thread of Go code
		// each spares them the cross-thread handoffs between a node's
		// reader, loop and writer goroutines (bench -n 3 -nosync at
		// load 28: 14,000-16,200 ops/s at 45-48 µs CPU per op with the
		// default, 18,700-19,000 at 35-38 µs with 1).
		"-procs", "1",
	}
	return append(args, c.cfg.NodeArgs...) // later flags win
}

func (c *Cluster) start(i int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startLocked(i)
}

func (c *Cluster) startLocked(i int) error {
	if c.stopped {
		return errors.New("cluster: stopped")
	}
	if c.procs[i] != nil {
		return fmt.Errorf("cluster: node %d is running (pid %d)", i, c.procs[i].cmd.Process.Pid)
	}
	logf, err := os.OpenFile(c.nodes[i].Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cluster: node %d log: %w", i, err)
	}
	cmd := exec.Command(c.cfg.Binary, c.NodeArgs(i)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logf.Close() // best effort: the start failed
		return fmt.Errorf("cluster: start node %d: %w", i, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	c.procs[i] = p
	c.nodes[i].Pid = cmd.Process.Pid
	c.cfg.Logf("node %d started: pid %d, peers %s, clients %s", i, cmd.Process.Pid, c.nodes[i].PeerAddr, c.nodes[i].ClientAddr)
	go func() {
		err := cmd.Wait()
		_ = logf.Close() // best effort: the child has exited
		c.mu.Lock()
		if c.procs[i] == p {
			c.procs[i] = nil
			c.nodes[i].Pid = 0
		}
		stopped := c.stopped
		c.mu.Unlock()
		if !stopped {
			c.cfg.Logf("node %d (pid %d) exited: %v", i, cmd.Process.Pid, exitString(err))
			c.writeState()
		}
		close(p.done)
	}()
	c.writeStateLocked()
	return nil
}

func exitString(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// N returns the number of nodes.
func (c *Cluster) N() int { return len(c.nodes) }

// ClientAddrs lists the nodes' client addresses in id order.
func (c *Cluster) ClientAddrs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.ClientAddr
	}
	return out
}

// Nodes returns the nodes as they stand (a pid of 0: down).
func (c *Cluster) Nodes() []NodeInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]NodeInfo(nil), c.nodes...)
}

// Pids returns the pids of the running nodes.
func (c *Cluster) Pids() []int {
	var out []int
	for _, n := range c.Nodes() {
		if n.Pid != 0 {
			out = append(out, n.Pid)
		}
	}
	return out
}

// Kill sends SIGKILL to node i and waits until it is gone.
func (c *Cluster) Kill(i int) error {
	p, err := c.proc(i)
	if err != nil {
		return err
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("cluster: kill node %d: %w", i, err)
	}
	<-p.done
	return nil
}

// Restart starts node i again (killing it first if it runs).
func (c *Cluster) Restart(i int) error {
	if err := c.check(i); err != nil {
		return err
	}
	if _, err := c.proc(i); err == nil {
		if err := c.Kill(i); err != nil {
			return err
		}
	}
	return c.start(i)
}

// Pause stops node i with SIGSTOP: it holds its sockets and state but
// does nothing, as a node whose machine hangs.
func (c *Cluster) Pause(i int) error { return c.signal(i, syscall.SIGSTOP, true) }

// Resume continues a paused node with SIGCONT.
func (c *Cluster) Resume(i int) error { return c.signal(i, syscall.SIGCONT, false) }

func (c *Cluster) signal(i int, sig syscall.Signal, paused bool) error {
	p, err := c.proc(i)
	if err != nil {
		return err
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("cluster: %v node %d: %w", sig, i, err)
	}
	c.mu.Lock()
	p.paused = paused
	c.mu.Unlock()
	return nil
}

func (c *Cluster) check(i int) error {
	if i < 0 || i >= len(c.nodes) {
		return fmt.Errorf("cluster: no node %d (nodes are 0..%d)", i, len(c.nodes)-1)
	}
	return nil
}

func (c *Cluster) proc(i int) (*proc, error) {
	if err := c.check(i); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.procs[i] == nil {
		return nil, fmt.Errorf("cluster: node %d is down", i)
	}
	return c.procs[i], nil
}

// Stop stops every node: SIGTERM (after SIGCONT for a paused one), then
// SIGKILL for one still running after two seconds. It removes the state
// file.
func (c *Cluster) Stop() {
	c.mu.Lock()
	c.stopped = true
	procs := append([]*proc(nil), c.procs...)
	c.mu.Unlock()
	for _, p := range procs {
		if p == nil {
			continue
		}
		if p.paused {
			_ = p.cmd.Process.Signal(syscall.SIGCONT) // best effort: it may have exited
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM) // best effort: it may have exited
	}
	deadline := time.After(2 * time.Second)
	for _, p := range procs {
		if p == nil {
			continue
		}
		select {
		case <-p.done:
		case <-deadline:
			_ = p.cmd.Process.Signal(syscall.SIGKILL) // best effort: it may have exited
			<-p.done
		}
	}
	_ = os.Remove(filepath.Join(c.cfg.Dir, StateFile)) // best effort: a stale file is reported when read
}

// SetControlAddr records the supervisor's control endpoint in the state file.
func (c *Cluster) SetControlAddr(addr string) {
	c.mu.Lock()
	c.control = addr
	c.writeStateLocked()
	c.mu.Unlock()
}

func (c *Cluster) writeState() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeStateLocked()
}

// writeStateLocked replaces the state file (write and rename, so a reader
// never sees half of it).
func (c *Cluster) writeStateLocked() {
	if c.stopped {
		return
	}
	st := State{SupervisorPid: os.Getpid(), ControlAddr: c.control, Nodes: c.nodes}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		c.cfg.Logf("state file: %v", err)
		return
	}
	path := filepath.Join(c.cfg.Dir, StateFile)
	if err := os.WriteFile(path+".tmp", append(b, '\n'), 0o644); err != nil {
		c.cfg.Logf("state file: %v", err)
		return
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		c.cfg.Logf("state file: %v", err)
	}
}

// WaitReady waits until every running node answers /status.
func (c *Cluster) WaitReady(ctx context.Context) error {
	for _, n := range c.Nodes() {
		if n.Pid == 0 {
			continue
		}
		for {
			if _, err := GetStatus(ctx, n.ClientAddr); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("cluster: node %d not ready: %w", n.ID, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

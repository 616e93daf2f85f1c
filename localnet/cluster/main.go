//go:build unix

package cluster

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/raftlab/raftlab/localnet/client"
	"github.com/raftlab/raftlab/raftapi"
)

// Main runs the localnet command line with factory as the Raft of every
// node, and exits. It is the whole of a main package:
//
//	func main() { cluster.Main(myraft.New) }
func Main(factory raftapi.Factory) {
	os.Exit(Run(os.Args[1:], os.Stdout, os.Stderr, factory))
}

// Variant is one Raft a command line offers: the node subcommand's -design
// NAME runs Factory (up and bench pass -design on to their nodes).
type Variant struct {
	Name    string
	Factory raftapi.Factory
}

// MainVariants is Main with a choice of Rafts: the first design is the
// default. cmd/localnet offers the reference's replication designs
// (raft.Designs) this way.
func MainVariants(designs []Variant) {
	os.Exit(RunVariants(os.Args[1:], os.Stdout, os.Stderr, designs))
}

const usage = `usage: localnet COMMAND [flags] [args]

A Raft cluster of real processes on this machine (or several), with a
key/value service, fault injection and a load generator.

Cluster:
  up [-n 3] [-dir D] [-base-port P] [-nosync] [-design D]
                                                start N nodes and supervise them (Ctrl-C stops all)
  node -id I -peers A,B,C -clients X,Y,Z [-listen H:P] -dir D [-nosync]
                                                run one node (up runs these; use it for separate hosts)
  status                                        every node's term, role, commit, fsyncs
Faults (on the cluster that 'up -dir D' runs):
  kill N | restart N | pause N | resume N       SIGKILL, restart, SIGSTOP, SIGCONT node N
  partition 0,1 2                               split into groups {0,1} and {2} (unnamed nodes: one more group)
  heal                                          remove every partition
  slow-disk N MS                                node N waits MS milliseconds before each fsync (0: off)
Key/value:
  kv put K V | kv append K V | kv get K
Load:
  bench [-n 3 -nosync -design D] -clients 64 -size 100 -duration 30s [-faults kill-leader-every=5s]

Every command but node takes -dir (default ./localnet-data) to find the
cluster; status, partition, heal, slow-disk, kv and bench also take
-addrs host:port,… (the nodes' client addresses) instead. Flags go before
arguments. Nodes are numbered from 0.
`

// Run is the command line: it returns the exit status.
func Run(args []string, stdout, stderr io.Writer, factory raftapi.Factory) int {
	return RunVariants(args, stdout, stderr, []Variant{{Name: "default", Factory: factory}})
}

// RunVariants is Run with a choice of Rafts (see MainVariants).
func RunVariants(args []string, stdout, stderr io.Writer, designs []Variant) int {
	if len(designs) == 0 {
		say(stderr, "localnet: no Raft to run (RunVariants was given no design)\n")
		return 2
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" || args[0] == "--help" {
		say(stderr, "%s", usage)
		return 2
	}
	cmd, args := args[0], args[1:]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd {
	case "node":
		err = cmdNode(ctx, args, stderr, designs)
	case "up":
		err = cmdUp(ctx, args, stdout, designs)
	case "kill", "restart", "pause", "resume":
		err = cmdProc(cmd, args)
	case "status":
		err = cmdStatus(ctx, args, stdout)
	case "partition", "heal", "slow-disk":
		err = cmdNet(ctx, cmd, args)
	case "kv":
		err = cmdKV(ctx, args, stdout)
	case "bench":
		err = cmdBench(ctx, args, stdout, stderr, designs)
	default:
		say(stderr, "localnet: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		say(stderr, "localnet %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

const defaultDir = "localnet-data"

// where is the -dir / -addrs pair of the commands that talk to a cluster.
type where struct {
	dir   string
	addrs string
}

func (w *where) register(fs *flag.FlagSet, addrs bool) {
	fs.StringVar(&w.dir, "dir", defaultDir, "the cluster's directory (as given to up)")
	if addrs {
		fs.StringVar(&w.addrs, "addrs", "", "the nodes' client addresses host:port,… in id order (instead of -dir)")
	}
}

func (w *where) clientAddrs() ([]string, error) {
	if w.addrs != "" {
		return strings.Split(w.addrs, ","), nil
	}
	st, err := ReadState(w.dir)
	if err != nil {
		return nil, err
	}
	return st.ClientAddrs(), nil
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("localnet "+name, flag.ContinueOnError)
	return fs
}

// variantFlag registers -design, for commands that start nodes.
func variantFlag(fs *flag.FlagSet, designs []Variant) *string {
	return fs.String("design", "", "the Raft every node runs, one of: "+variantNames(designs)+" (default "+designs[0].Name+")")
}

func variantNames(designs []Variant) string {
	names := make([]string, len(designs))
	for i, d := range designs {
		names[i] = d.Name
	}
	return strings.Join(names, ", ")
}

// findVariant returns the design called name ("": the first).
func findVariant(designs []Variant, name string) (Variant, error) {
	if name == "" {
		return designs[0], nil
	}
	for _, d := range designs {
		if d.Name == name {
			return d, nil
		}
	}
	return Variant{}, fmt.Errorf("-design %q: want one of %s", name, variantNames(designs))
}

func cmdUp(ctx context.Context, args []string, stdout io.Writer, designs []Variant) error {
	fs := newFlags("up")
	n := fs.Int("n", 3, "number of nodes")
	dir := fs.String("dir", defaultDir, "the cluster's directory: data, logs, state file")
	base := fs.Int("base-port", 7400, "node i listens on base+i (peers) and base+n+i (clients); 0: free ports")
	nosync := fs.Bool("nosync", false, "no fsync (fast, not durable)")
	snapEvery := fs.Int("snapshot-every", 0, "snapshot the service every this many applied entries (0: the node's default)")
	design := variantFlag(fs, designs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := findVariant(designs, *design); err != nil {
		return err
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program: %w", err)
	}
	var nodeArgs []string
	if *nosync {
		nodeArgs = append(nodeArgs, "-nosync")
	}
	if *snapEvery > 0 {
		nodeArgs = append(nodeArgs, "-snapshot-every", strconv.Itoa(*snapEvery))
	}
	if *design != "" {
		nodeArgs = append(nodeArgs, "-design", *design)
	}
	logf := func(format string, args ...any) {
		say(stdout, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
	}
	c, err := Start(Config{N: *n, Dir: *dir, BasePort: *base, Binary: bin, NodeArgs: nodeArgs, Logf: logf})
	if err != nil {
		return err
	}
	defer c.Stop()
	go func() {
		if err := ServeControl(ctx, c); err != nil {
			logf("%v", err)
		}
	}()
	abs, _ := filepath.Abs(*dir)
	logf("cluster of %d nodes in %s (node logs: node-N.log); Ctrl-C stops it", *n, abs)
	for _, nd := range c.Nodes() {
		logf("node %d: peers %s, clients http://%s, data %s", nd.ID, nd.PeerAddr, nd.ClientAddr, nd.DataDir)
	}
	watch(ctx, c.ClientAddrs(), logf)
	logf("stopping")
	return nil
}

// watch prints who leads whenever it changes, and the commit index every
// second while it moves.
func watch(ctx context.Context, addrs []string, logf func(string, ...any)) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	lastView, lastCommit, lastPrint := "", int64(-1), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var parts []string
		leader, term, commit := -1, int64(0), int64(-1)
		sts, errs := StatusAll(ctx, addrs)
		for i, st := range sts {
			if errs[i] != nil {
				parts = append(parts, fmt.Sprintf("%d:down", i))
				continue
			}
			parts = append(parts, fmt.Sprintf("%d:%s", i, st.Role))
			if st.IsLeader() && st.Term >= term {
				leader, term = i, st.Term
			}
			commit = max(commit, st.Commit)
		}
		view := strings.Join(parts, " ")
		if leader >= 0 {
			view = fmt.Sprintf("leader %d (term %d) | %s", leader, term, view)
		} else {
			view = "no leader | " + view
		}
		if view != lastView {
			if commit < 0 {
				logf("%s", view)
			} else {
				logf("%s | commit %d", view, commit)
			}
			lastView, lastCommit, lastPrint = view, commit, time.Now()
			continue
		}
		if commit != lastCommit && time.Since(lastPrint) >= time.Second {
			rate := float64(commit-lastCommit) / time.Since(lastPrint).Seconds()
			logf("commit %d (%.0f/s)", commit, rate)
			lastCommit, lastPrint = commit, time.Now()
		}
	}
}

func cmdProc(cmd string, args []string) error {
	fs := newFlags(cmd)
	var w where
	w.register(fs, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("want one node number, got %q", fs.Args())
	}
	i, err := strconv.Atoi(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("node number: %w", err)
	}
	st, err := ReadState(w.dir)
	if err != nil {
		return err
	}
	if st.ControlAddr == "" {
		return fmt.Errorf("the supervisor in %s has no control endpoint", w.dir)
	}
	rc := RemoteControl{Addr: st.ControlAddr}
	return map[string]func(int) error{"kill": rc.Kill, "restart": rc.Restart, "pause": rc.Pause, "resume": rc.Resume}[cmd](i)
}

func cmdStatus(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("status")
	var w where
	w.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	addrs, err := w.clientAddrs()
	if err != nil {
		return err
	}
	var pids map[int]int
	if w.addrs == "" {
		if st, err := ReadState(w.dir); err == nil {
			pids = map[int]int{}
			for _, n := range st.Nodes {
				pids[n.ID] = n.Pid
			}
		}
	}
	say(stdout, "%-4s %-21s %-7s %-6s %-9s %-7s %-8s %-8s %-8s %-8s %-8s %s\n",
		"node", "client", "pid", "term", "role", "leader", "commit", "applied", "last", "snap", "fsyncs", "blocked")
	sts, errs := StatusAll(ctx, addrs)
	for i, addr := range addrs {
		pid := "-"
		if p, ok := pids[i]; ok && p != 0 {
			pid = strconv.Itoa(p)
		}
		st := sts[i]
		if errs[i] != nil {
			say(stdout, "%-4d %-21s %-7s down (%v)\n", i, addr, pid, errs[i])
			continue
		}
		blocked := "-"
		if len(st.Blocked) > 0 {
			blocked = strings.Trim(strings.Join(strings.Fields(fmt.Sprint(st.Blocked)), ","), "[]")
		}
		say(stdout, "%-4d %-21s %-7s %-6d %-9s %-7d %-8d %-8d %-8d %-8d %-8d %s\n",
			i, addr, pid, st.Term, st.Role, st.Leader, st.Commit, st.Applied, st.LastIndex, st.SnapshotIndex, st.Fsyncs, blocked)
	}
	return nil
}

func cmdNet(ctx context.Context, cmd string, args []string) error {
	fs := newFlags(cmd)
	var w where
	w.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	addrs, err := w.clientAddrs()
	if err != nil {
		return err
	}
	switch cmd {
	case "heal":
		return Heal(ctx, addrs)
	case "partition":
		if fs.NArg() < 1 {
			return errors.New("want groups of node numbers, e.g. partition 0,1 2")
		}
		var groups [][]int
		for _, g := range fs.Args() {
			ids, err := parseIDs(g)
			if err != nil {
				return err
			}
			groups = append(groups, ids)
		}
		return Partition(ctx, addrs, groups)
	default: // slow-disk
		if fs.NArg() != 2 {
			return errors.New("want a node and a delay in milliseconds, e.g. slow-disk 1 20")
		}
		i, err1 := strconv.Atoi(fs.Arg(0))
		ms, err2 := strconv.Atoi(fs.Arg(1))
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if i < 0 || i >= len(addrs) {
			return fmt.Errorf("no node %d", i)
		}
		return SetSlowDisk(ctx, addrs[i], time.Duration(ms)*time.Millisecond)
	}
}

func parseIDs(s string) ([]int, error) {
	var ids []int
	for f := range strings.SplitSeq(s, ",") {
		id, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("node list %q: %w", s, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func cmdKV(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("kv")
	var w where
	w.register(fs, true)
	timeout := fs.Duration("timeout", 10*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a := fs.Args()
	want := map[string]int{"put": 3, "append": 3, "get": 2}
	if len(a) == 0 || want[a[0]] == 0 || len(a) != want[a[0]] {
		return errors.New("want: kv put K V | kv append K V | kv get K")
	}
	addrs, err := w.clientAddrs()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c := client.New(addrs)
	switch a[0] {
	case "put":
		return c.Put(ctx, a[1], a[2])
	case "append":
		return c.Append(ctx, a[1], a[2])
	}
	v, found, err := c.Get(ctx, a[1])
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no key %q", a[1])
	}
	say(stdout, "%s\n", v)
	return nil
}

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer, designs []Variant) error {
	fs := newFlags("bench")
	var w where
	w.register(fs, true)
	n := fs.Int("n", 0, "start a cluster of this many nodes for the run (0: use the running one)")
	nosync := fs.Bool("nosync", false, "with -n: no fsync")
	clients := fs.Int("clients", 64, "closed-loop clients")
	size := fs.Int("size", 100, "bytes per written value")
	duration := fs.Duration("duration", 30*time.Second, "how long to offer load")
	keys := fs.Int("keys", 1000, "size of the key space")
	reads := fs.Float64("reads", 0.1, "fraction of operations that are Gets (through the log, like Puts); the rest are Puts of -size bytes")
	faults := fs.String("faults", "", "faults during the run: kill-leader-every=DURATION")
	check := fs.Bool("check", true, "check the history for linearizability (porcupine)")
	checkTimeout := fs.Duration("check-timeout", 2*time.Minute, "the checker's budget")
	html := fs.String("html", "bench-violation.html", "where a violation's visualisation goes")
	design := variantFlag(fs, designs)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (the clients, not the nodes: see -node-args) to this file")
	nodeFlags := fs.String("node-args", "", "with -n: extra flags for every node, space-separated (e.g. \"-snapshot-every 1000 -cpuprofile /tmp/prof\")")
	proto := fs.String("proto", "binary", "the client protocol: binary (kvproto, pipelined on one connection per node) or http (JSON, one request at a time per connection)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logf := func(format string, args ...any) {
		say(stderr, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
	}
	cfg := BenchConfig{Clients: *clients, Size: *size, Duration: *duration, Keys: *keys, Reads: *reads,
		Check: *check, CheckTimeout: *checkTimeout, HTMLPath: *html, Logf: logf, HTTP: *proto == "http"}
	if *proto != "binary" && *proto != "http" {
		return fmt.Errorf("-proto %q: want binary or http", *proto)
	}
	if _, err := findVariant(designs, *design); err != nil {
		return err
	}
	if *design != "" && *n == 0 {
		return errors.New("-design needs -n (a running cluster runs the design it was started with)")
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if *faults != "" {
		k, v, ok := strings.Cut(*faults, "=")
		if !ok || k != "kill-leader-every" {
			return fmt.Errorf("-faults %q: want kill-leader-every=DURATION", *faults)
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("-faults: %w", err)
		}
		cfg.KillLeaderEvery = d
	}
	switch {
	case *n > 0:
		bin, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find this program: %w", err)
		}
		dir, err := os.MkdirTemp("", "localnet-bench-")
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer func() { _ = os.RemoveAll(dir) }() // best effort: a temp dir
		var nodeArgs []string
		if *nosync {
			nodeArgs = append(nodeArgs, "-nosync")
		}
		if *design != "" {
			nodeArgs = append(nodeArgs, "-design", *design)
		}
		nodeArgs = append(nodeArgs, strings.Fields(*nodeFlags)...)
		c, err := Start(Config{N: *n, Dir: dir, Binary: bin, NodeArgs: nodeArgs, Logf: logf})
		if err != nil {
			return err
		}
		defer c.Stop()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := WaitLeader(wctx, c.ClientAddrs()); err != nil {
			return err
		}
		cfg.Addrs, cfg.Control, cfg.Pids = c.ClientAddrs(), c, c.Pids
	case w.addrs != "":
		cfg.Addrs = strings.Split(w.addrs, ",")
	default:
		st, err := ReadState(w.dir)
		if err != nil {
			return err
		}
		cfg.Addrs = st.ClientAddrs()
		if st.ControlAddr != "" {
			cfg.Control = RemoteControl{Addr: st.ControlAddr}
		}
		cfg.Pids = func() []int {
			st, err := ReadState(w.dir)
			if err != nil {
				return nil
			}
			var pids []int
			for _, n := range st.Nodes {
				if n.Pid != 0 {
					pids = append(pids, n.Pid)
				}
			}
			return pids
		}
	}
	logf("bench: %d clients (%s), %d-byte values, %v, %.0f%% reads, %d keys, against %s", cfg.Clients, *proto, cfg.Size, cfg.Duration, 100*cfg.Reads, cfg.Keys, strings.Join(cfg.Addrs, ","))
	res, err := Bench(ctx, cfg)
	res.Print(stdout)
	if err != nil {
		return err
	}
	if res.Check != nil && res.Check.HTML != "" {
		return fmt.Errorf("the history is not linearizable: see %s", res.Check.HTML)
	}
	return nil
}

// say prints to a terminal or a pipe; a failed write there has no one to
// report to.
func say(w io.Writer, format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }

// startCPUProfile writes a CPU profile of this process to path until stop
// is called: -cpuprofile of bench and node.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close() // best effort: a diagnostic
	}, nil
}

//go:build unix

package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/raftlab/raftlab/localnet/node"
)

// defaultGOGC is a node's GOGC. A node's live heap is small (the service's
// data, the log since the last snapshot, buffers) and it allocates fast
// (every message and command), so the default GOGC of 100 collects very
// often: with 400, bench -n 3 -nosync spent 16% less CPU per operation
// (three runs each, alternating: 33.9 µs → 28.5 µs median), for a peak heap
// of about five times the live one.
const defaultGOGC = 400

// cmdNode runs one node until SIGINT or SIGTERM.
func cmdNode(ctx context.Context, args []string, stderr io.Writer, designs []Variant) error {
	fs := newFlags("node")
	id := fs.Int("id", -1, "this node's id: its index in -peers")
	peers := fs.String("peers", "", "every node's peer address host:port, in id order")
	clients := fs.String("clients", "", "every node's client address host:port, in id order (leader hints; this node's entry is where it serves clients)")
	listen := fs.String("listen", "", "where the peer port listens, if not this node's entry of -peers (e.g. 0.0.0.0:7400)")
	clientListen := fs.String("client-listen", "", "where the client port listens, if not this node's entry of -clients")
	dir := fs.String("dir", "", "the node's data directory")
	nosync := fs.Bool("nosync", false, "no fsync (fast, not durable)")
	syncDelay := fs.Duration("sync-delay", 0, "sleep this long before every save (slow-disk injection)")
	snapEvery := fs.Int("snapshot-every", 200, "snapshot the service every this many applied entries (0: never); each save carries the log since the last snapshot, so a long log costs every command")
	tick := fs.Duration("tick", 0, "the Tick interval (0: the contract's)")
	quiet := fs.Bool("quiet", false, "no log")
	procs := fs.Int("procs", 0, "GOMAXPROCS of this process (0: the Go default, one per core); a local cluster's supervisor passes 1")
	design := variantFlag(fs, designs)
	gogc := fs.Int("gogc", defaultGOGC, "the garbage collector's GOGC for this process, unless the GOGC environment variable sets it (-1: off)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the node's whole run to this file, plus \".<id>\" (for finding where a run's CPU goes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(*gogc)
	}
	if *peers == "" || *dir == "" {
		return errors.New("-peers and -dir are required")
	}
	d, err := findVariant(designs, *design)
	if err != nil {
		return err
	}
	cfg := node.Config{
		ID: *id, Peers: strings.Split(*peers, ","), DataDir: *dir, Factory: d.Factory,
		NoSync: *nosync, SyncDelay: *syncDelay, SnapshotEvery: *snapEvery, TickInterval: *tick,
		PeerListen: *listen, ClientAddr: *clientListen,
	}
	if cfg.ID < 0 || cfg.ID >= len(cfg.Peers) {
		return fmt.Errorf("-id %d: want 0..%d (an index in -peers)", cfg.ID, len(cfg.Peers)-1)
	}
	if *clients != "" {
		cfg.ClientAddrs = strings.Split(*clients, ",")
		if len(cfg.ClientAddrs) != len(cfg.Peers) {
			return fmt.Errorf("-clients has %d addresses, -peers %d", len(cfg.ClientAddrs), len(cfg.Peers))
		}
		if cfg.ClientAddr == "" {
			cfg.ClientAddr = cfg.ClientAddrs[cfg.ID]
		}
	}
	if cfg.ClientAddr == "" {
		return errors.New("-clients or -client-listen is required")
	}
	if !*quiet {
		l := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
		cfg.Logf = l.Printf
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile + "." + strconv.Itoa(cfg.ID))
		if err != nil {
			return err
		}
		defer stop()
	}
	start := time.Now()
	err = node.Run(ctx, cfg)
	if cfg.Logf != nil {
		cfg.Logf("node %d: exits after %v: %v", cfg.ID, time.Since(start).Round(time.Millisecond), err)
	}
	return err
}

package node

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftlab/raftlab/localnet/kv"
	"github.com/raftlab/raftlab/localnet/storage"
	"github.com/raftlab/raftlab/localnet/transport"
	"github.com/raftlab/raftlab/nodehost"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wire"
)

// DefaultRequestTimeout bounds how long a client command waits to commit
// when Config.RequestTimeout is 0.
const DefaultRequestTimeout = 2 * time.Second

// maxBatch bounds the turns of one loop iteration, so that a flood of
// messages cannot hold back persisting and sending (and ticks) forever.
const maxBatch = 512

// maxEntryBytes bounds a batch entry: the client commands of one loop
// iteration go into entries of at most this many bytes (one command alone
// may be larger), so that an AppendEntries stays well inside a frame.
const maxEntryBytes = 256 << 10

// Config describes one node process.
type Config struct {
	ID          int
	Peers       []string // host:port of every node's peer port, indexed by node id
	ClientAddr  string   // where the HTTP client protocol listens
	ClientAddrs []string // every node's client address, for the 421 hint (optional)
	DataDir     string

	// Factory builds the Raft node. Required: this package does not
	// import the reference (cmd/localnet passes raft.New).
	Factory raftapi.Factory

	NoSync        bool          // no fsync (in-memory throughput runs)
	SyncDelay     time.Duration // slept before every save: slow-disk injection (changeable by /admin/slow-disk)
	SnapshotEvery int           // applied commands between service snapshots; 0: never
	TickInterval  time.Duration // 0: raftapi.TickInterval

	Logf func(format string, args ...any) // nil: no logging

	// Optional, mostly for tests: listeners already bound (port 0), used
	// instead of listening on Peers[ID] and ClientAddr.
	PeerListener   net.Listener
	ClientListener net.Listener
	// PeerListen, if set, is where the peer port listens (e.g.
	// "0.0.0.0:7000" across hosts); Peers[ID] is still what others dial.
	PeerListen string
	// RequestTimeout bounds a client command's wait; 0: DefaultRequestTimeout.
	RequestTimeout time.Duration
}

// Run runs the node until ctx ends (then it returns nil) or the node must
// stop: its storage failed, or its Raft broke the contract. It returns
// once every goroutine and listener it started is gone.
func Run(ctx context.Context, cfg Config) error {
	n, err := start(cfg)
	if err != nil {
		return err
	}
	return n.run(ctx)
}

// request is a client command waiting for the node's goroutine.
type request struct {
	cmd      kv.Command
	enc      []byte
	deadline time.Time
	reply    chan response // HTTP: buffered, the node never waits for the handler
	bin      *binConn      // binary: the connection to answer on (reply is nil)
	binID    uint64        // binary: the request's id on bin
}

// send answers the request; it never blocks.
func (r *request) send(resp response) {
	if r.bin != nil {
		r.bin.answer(r.binID, resp)
		return
	}
	r.reply <- resp
}

// response is an HTTP answer: a status code and a JSON body.
type response struct {
	code int
	body any
}

// waiter is the commands of one entry a leader started, waiting for the
// entry to apply: reqs[i] is the entry's i-th command.
type waiter struct {
	reqs []*request
	term int
}

type node struct {
	cfg   Config
	logf  func(string, ...any)
	store *storage.Store
	disk  *nodehost.Disk
	host  *nodehost.Host
	svc   *kv.Service
	tr    *transport.Transport
	inc   uint64

	http   *http.Server
	httpLn net.Listener
	sniff  *sniffListener // the client port: binary connections, the rest to http

	binMu     sync.Mutex
	binConns  map[net.Conn]struct{}
	binClosed bool

	reqs    chan *request
	queries chan func()
	done    chan struct{} // closed when the loop has stopped
	fatal   error         // set by a turn's callback: stop after this iteration

	waiters      map[int]waiter // by log index
	batch        []*request     // the client commands of this loop iteration
	encs         [][]byte       // scratch: their encodings
	results      []kv.Result    // scratch: what an entry's apply did
	saved        int            // disk.Saves() when last persisted
	savedSnap    []byte         // disk.Snapshot() when last persisted (the disk never modifies it)
	out          []nodehost.Message
	answers      []answer    // client replies held until the batch is on disk
	sinceSnap    int         // commands applied since the last service snapshot
	inStart      bool        // in a Start turn
	startApplied []kv.Result // what the Start turn applied (copies)
	leaderHint   int         // the leader this node last heard from, in hintTerm
	hintTerm     int

	// What is on disk as of the end of the last iteration (see sendEarly):
	// the term, whether the node led in it, and its last log index.
	// durableTerm is -1 until the first iteration has ended.
	durableTerm   int
	durableLeader bool
	durableLast   int

	syncDelay atomic.Int64 // ns slept before every save
	statSaves atomic.Int64
	statSyncs atomic.Int64
}

// answer is a client's reply, held until the batch is on disk. A
// redirect's 421 is written at flush time: the hint comes from a query
// (GetState), and a query must not run inside the turn that decided it.
type answer struct {
	req      *request
	resp     response
	redirect bool
	index    int // the log index of the entry whose apply decided it (0: none)
}

func start(cfg Config) (*node, error) {
	switch {
	case cfg.Factory == nil:
		return nil, errors.New("node: Config.Factory is nil (cmd/localnet passes raft.New)")
	case cfg.ID < 0 || cfg.ID >= len(cfg.Peers):
		return nil, fmt.Errorf("node: id %d out of range for %d peers", cfg.ID, len(cfg.Peers))
	case cfg.DataDir == "":
		return nil, errors.New("node: Config.DataDir is empty")
	case cfg.ClientAddrs != nil && len(cfg.ClientAddrs) != len(cfg.Peers):
		return nil, fmt.Errorf("node: %d client addresses for %d peers", len(cfg.ClientAddrs), len(cfg.Peers))
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = raftapi.TickInterval
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	n := &node{cfg: cfg, logf: logf, svc: kv.New(), disk: &nodehost.Disk{},
		reqs: make(chan *request, 4096), queries: make(chan func()), done: make(chan struct{}),
		waiters: map[int]waiter{}, leaderHint: -1, durableTerm: -1, binConns: map[net.Conn]struct{}{}}
	n.syncDelay.Store(int64(cfg.SyncDelay))

	inc, err := nextBoot(cfg.DataDir, !cfg.NoSync)
	if err != nil {
		return nil, err
	}
	n.inc = inc
	if n.store, err = storage.Open(cfg.DataDir, storage.Options{NoSync: cfg.NoSync}); err != nil {
		return nil, fmt.Errorf("node %d: %w", cfg.ID, err)
	}
	// The contract's restart: the service restores from the snapshot
	// before the node's first turn (the Factory is not a turn, but the
	// node may read the snapshot there, so restore before booting).
	n.disk.Set(n.store.ReadState(), n.store.ReadSnapshot())
	n.savedSnap = n.disk.Snapshot() // what the store holds
	if snap := n.disk.Snapshot(); snap != nil {
		if err := n.svc.Restore(snap); err != nil {
			_ = n.store.Close()
			return nil, fmt.Errorf("node %d: restore the service from the saved snapshot: %w", cfg.ID, err)
		}
	}
	n.host, err = nodehost.Boot(nodehost.Config{ID: cfg.ID, Peers: len(cfg.Peers), Incarnation: inc, Disk: n.disk,
		Rand:    rand.New(rand.NewPCG(uint64(cfg.ID)+1, inc)), // distinct per node and per incarnation
		OnApply: n.apply,
		OnViolation: func(v *nodehost.Violation) {
			logf("node %d: contract violation outside a turn: %v", cfg.ID, v)
		}}, cfg.Factory)
	if err != nil {
		_ = n.store.Close()
		return nil, fmt.Errorf("node %d: boot: %w", cfg.ID, err)
	}
	// n.saved stays 0 (Disk.Set counts no save): a Save the Factory made
	// is written by the first batch, before its messages leave.

	if n.tr, err = transport.New(transport.Config{ID: cfg.ID, Peers: cfg.Peers, Listener: cfg.PeerListener,
		ListenAddr: cfg.PeerListen, Logf: logf}); err != nil {
		_ = n.store.Close()
		return nil, fmt.Errorf("node %d: %w", cfg.ID, err)
	}
	n.httpLn = cfg.ClientListener
	if n.httpLn == nil {
		if n.httpLn, err = net.Listen("tcp", cfg.ClientAddr); err != nil {
			_ = n.tr.Close()
			_ = n.store.Close()
			return nil, fmt.Errorf("node %d: listen for clients: %w", cfg.ID, err)
		}
	}
	n.sniff = newSniffListener(n.httpLn, n.serveBinary, logf)
	n.http = &http.Server{Handler: n.handler(), ReadHeaderTimeout: 5 * time.Second}
	logf("node %d: incarnation %d, peers on %s, clients on %s, data in %s (state %d B, snapshot %d B, service at index %d)",
		cfg.ID, inc, n.tr.Addr(), n.httpLn.Addr(), cfg.DataDir, len(n.disk.State()), len(n.disk.Snapshot()), n.svc.LastApplied())
	return n, nil
}

// nextBoot increments and returns the boot counter kept in dir/boot: the
// incarnation number, new on every process start (written with a rename,
// so a crash leaves the old or the new number, and any later boot still
// counts past it).
func nextBoot(dir string, sync bool) (uint64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("node: data directory: %w", err)
	}
	path := filepath.Join(dir, "boot")
	var prev uint64
	if b, err := os.ReadFile(path); err == nil {
		if prev, err = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err != nil {
			return 0, fmt.Errorf("node: boot counter %s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("node: boot counter: %w", err)
	}
	next := prev + 1
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("node: boot counter: %w", err)
	}
	_, err = f.WriteString(strconv.FormatUint(next, 10) + "\n")
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil && sync { // the rename itself must survive a power loss
		var d *os.File
		if d, err = os.Open(dir); err == nil {
			err = d.Sync()
			if cerr := d.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		return 0, fmt.Errorf("node: boot counter: %w", err)
	}
	return next, nil
}

func (n *node) run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := n.http.Serve(n.sniff); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.logf("node %d: client server: %v", n.cfg.ID, err)
		}
	}()
	err := n.loop(ctx)
	close(n.done)
	if err != nil {
		n.logf("node %d: STOPPED: %v", n.cfg.ID, err)
	}
	n.host.Kill()
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = n.http.Shutdown(sctx)
	cancel()
	_ = n.http.Close()
	_ = n.sniff.Close()
	n.closeBinary()
	n.sniff.wg.Wait()
	wg.Wait()
	_ = n.tr.Close()
	if cerr := n.store.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("node %d: %w", n.cfg.ID, cerr)
	}
	// Anyone still waiting learns that the node is gone.
	for _, w := range n.waiters {
		for _, r := range w.reqs {
			r.send(response{http.StatusServiceUnavailable, errorBody{Error: "node stopped"}})
		}
	}
	return err
}

// loop is the node's goroutine: see the package documentation.
func (n *node) loop(ctx context.Context) error {
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	inbox := n.tr.Inbox()
	ticks := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case q := <-n.queries:
			q() // a query, not a turn: nothing to persist or send
			continue
		case <-ticker.C:
			n.turn(n.host.Tick())
			if ticks++; ticks%10 == 0 {
				n.expire(time.Now())
			}
		case e := <-inbox:
			n.deliver(e)
		case r := <-n.reqs:
			n.batch = append(n.batch, r)
		}
		// Drain what queued meanwhile into the same batch: group commit.
	drain:
		for i := 1; i < maxBatch && n.fatal == nil; i++ {
			select {
			case e := <-inbox:
				n.deliver(e)
			case r := <-n.reqs:
				n.batch = append(n.batch, r)
			default:
				break drain
			}
		}
		n.startBatch()
		if n.fatal == nil && n.cfg.SnapshotEvery > 0 && n.sinceSnap >= n.cfg.SnapshotEvery {
			n.sinceSnap = 0
			n.turn(n.host.Snapshot(n.svc.LastApplied(), n.svc.Snapshot()))
		}
		if n.fatal == nil {
			if v := n.host.Err(); v != nil { // a violation no turn returned (the node's stray goroutine)
				n.fatal = fmt.Errorf("node %d: %w", n.cfg.ID, v)
			}
		}
		if n.fatal != nil {
			return n.fatal
		}
		n.checkLeadership()
		if n.disk.Saves() != n.saved {
			n.sendEarly()
		}
		if err := n.persist(); err != nil {
			return err
		}
		n.flush()
		n.noteDurable()
	}
}

// splitEarly sends, in order, the messages of out that may leave before
// the save given that term is on disk and is the node's term through the
// whole iteration (see sendEarly): AppendEntries requests of that term. It
// returns the others, in order, in out's array.
func splitEarly(out []nodehost.Message, term int, send func(wire.Envelope)) []nodehost.Message {
	held := out[:0]
	for _, m := range out {
		if m.Kind == wire.KindAppendEntries && m.Term == term {
			send(m.Envelope)
			continue
		}
		held = append(held, m)
	}
	clear(out[len(held):]) // let the sent bodies go
	return held
}

// noteDurable records what is on disk now that the iteration's save (if
// any) is done: sendEarly's reference point for the next iteration.
func (n *node) noteDurable() {
	st, err := n.host.Inspect()
	if err != nil {
		n.durableTerm = -1
		return
	}
	n.durableTerm, n.durableLeader, n.durableLast = st.Term, st.Role == raftapi.Leader, st.LastIndex
}

// sendEarly lets go, before the iteration's save, what does not depend on
// it: the leader's AppendEntries, which Raft lets it write to its own disk
// in parallel with (Raft thesis §10.2.1; etcd does the same), and client
// answers that only report entries already on disk.
//
// Why an AppendEntries request of term T may leave before the save, when T
// was already on disk at the start of the iteration and still is the
// node's term (the iteration changed no term; a term only grows):
//   - A leader counts its own log towards a majority only when it handles
//     a reply, and it handles replies only in a later iteration, after
//     this one's save: every entry a follower can acknowledge was sent
//     in an earlier iteration, or this one, so it is on the leader's disk
//     by then. A commit index is therefore on the leader's disk too, and
//     on the disks of the followers that acknowledged it (a follower's
//     reply leaves only after its own save).
//   - If the leader crashes before the save, followers may hold entries
//     of term T it has lost. That is an ordinary uncommitted suffix: the
//     node restarts as a follower (with term T, which was durable), and no
//     leader of T can exist again to write a different entry of term T at
//     those indices, so Log Matching holds; later leaders overwrite or
//     keep them by the usual rules.
//   - The request carries nothing this node promised: its term and vote
//     are durable (a candidate's new term is not: that iteration changed
//     the term, and all of its messages wait).
//
// Everything else waits for the save: replies (an AppendEntries reply
// acknowledges entries, a RequestVote reply a vote, both must be on disk
// first), RequestVote and InstallSnapshot requests, and all messages of an
// iteration that changed the term.
//
// A client answer from the apply of entry i may leave early if the node led
// in the durable term and still does, and i is at most the last index that
// was durable: a leader's log only grows within its term, so entry i is
// the one on disk, and it is committed (on a majority's disks, by the
// argument above). A cluster of one commits an entry in the turn that
// appends it: that entry's index is past the durable one, so its answer
// waits for the save. A redirect promises nothing.
func (n *node) sendEarly() {
	term, isLeader, err := n.host.GetState()
	if err != nil || n.durableTerm < 0 || term != n.durableTerm {
		return
	}
	n.out = splitEarly(n.out, term, n.tr.Send)
	if !isLeader || !n.durableLeader {
		return
	}
	waiting := n.answers[:0]
	var redirect *response
	for _, a := range n.answers {
		switch {
		case a.redirect:
			if redirect == nil {
				r := n.notLeader()
				redirect = &r
			}
			a.req.send(*redirect)
		case a.index > 0 && a.index <= n.durableLast:
			a.req.send(a.resp)
		default:
			waiting = append(waiting, a)
		}
	}
	clear(n.answers[len(waiting):])
	n.answers = waiting
}

// turn collects a turn's messages and records a violation as fatal.
func (n *node) turn(err error) {
	n.out = append(n.out, n.host.TakeOutbox()...)
	if err != nil && n.fatal == nil {
		n.fatal = fmt.Errorf("node %d: %w", n.cfg.ID, err)
	}
}

func (n *node) deliver(e *wire.Envelope) {
	if e.To != n.cfg.ID {
		return
	}
	_, err := n.host.Deliver(e)
	out := n.host.TakeOutbox()
	// A follower that accepts AppendEntries has heard from the leader of
	// its term: remember it for the 421 hint.
	if e.Kind == wire.KindAppendEntries && len(out) > 0 {
		if r := out[len(out)-1]; r.Kind == wire.KindAppendEntriesReply && r.OK {
			n.leaderHint, n.hintTerm = e.From, r.Term
		}
	}
	n.out = append(n.out, out...)
	var v *nodehost.Violation
	switch {
	case err == nil:
	case errors.As(err, &v) || errors.Is(err, nodehost.ErrDead):
		if n.fatal == nil {
			n.fatal = fmt.Errorf("node %d: %w", n.cfg.ID, err)
		}
	default: // the network's fault (a message the node cannot have been sent)
		n.logf("node %d: dropped a message: %v", n.cfg.ID, err)
	}
}

// startBatch starts the iteration's client commands, as few entries as
// maxEntryBytes allows: group commit in the log itself, so that one Start
// turn, one save of the host's state and one AppendEntries carry many
// commands, not one each.
func (n *node) startBatch() {
	now := time.Now()
	live := n.batch[:0]
	for _, r := range n.batch {
		if now.Before(r.deadline) { // else its handler has already answered 503
			live = append(live, r)
		}
	}
	for len(live) > 0 && n.fatal == nil {
		k, size := 1, len(live[0].enc)
		for k < len(live) && size+len(live[k].enc) <= maxEntryBytes {
			size += len(live[k].enc)
			k++
		}
		// The entry's requests are the waiter's: a slice of their own.
		n.startEntry(append([]*request(nil), live[:k]...))
		live = live[k:]
	}
	clear(n.batch)
	n.batch = n.batch[:0]
}

// startEntry starts one entry holding the commands of reqs.
func (n *node) startEntry(reqs []*request) {
	n.encs = n.encs[:0]
	for _, r := range reqs {
		n.encs = append(n.encs, r.enc)
	}
	entry := kv.AppendBatch(nil, n.encs)
	clear(n.encs)
	// A cluster of one commits, and applies, inside Start, before the
	// waiter can be registered: apply keeps that turn's results.
	n.inStart, n.startApplied = true, n.startApplied[:0]
	index, term, isLeader, err := n.host.Start(entry)
	n.inStart = false
	n.turn(err)
	if err != nil {
		return
	}
	if !isLeader {
		n.redirect(reqs)
		return
	}
	if index <= n.svc.LastApplied() {
		// Applied inside Start, or inside a snapshot (then the retry is
		// answered by the dedup table).
		var res []kv.Result
		for _, r := range n.startApplied {
			if r.Index == index {
				res = append(res, r)
			}
		}
		n.answerEntry(reqs, res, index)
		return
	}
	if old, ok := n.waiters[index]; ok { // an entry of an older term that lost its place
		n.redirect(old.reqs)
	}
	n.waiters[index] = waiter{reqs: reqs, term: term}
}

// redirect answers reqs with "not leader" (the hint is looked up at flush).
func (n *node) redirect(reqs []*request) {
	for _, r := range reqs {
		n.answers = append(n.answers, answer{req: r, redirect: true})
	}
}

// answerEntry answers the commands of an entry that applied with results:
// each with its own reply if the i-th result is its command, else (another
// leader's entry took the index) with a redirect, to retry.
func (n *node) answerEntry(reqs []*request, results []kv.Result, index int) {
	for i, r := range reqs {
		if i < len(results) && results[i].Command.ClientID == r.cmd.ClientID && results[i].Command.Seq == r.cmd.Seq {
			n.answers = append(n.answers, answer{req: r, resp: replyOf(results[i].Reply), index: index})
			continue
		}
		n.answers = append(n.answers, answer{req: r, redirect: true})
	}
}

// apply is OnApply: it runs inside the turn that applies, so it must not
// call the host (not even a query).
func (n *node) apply(m raftapi.ApplyMsg) {
	switch {
	case m.CommandValid:
		var err error
		n.results, err = n.svc.ApplyEntry(m.CommandIndex, m.Command, n.results[:0])
		n.sinceSnap += max(1, len(n.results))
		w, waiting := n.waiters[m.CommandIndex]
		if waiting {
			delete(n.waiters, m.CommandIndex)
		}
		switch {
		case errors.Is(err, kv.ErrOrder):
			n.fatal = fmt.Errorf("node %d: the Raft node applied out of order: %w", n.cfg.ID, err)
			return
		case err != nil:
			n.logf("node %d: %v", n.cfg.ID, err)
			if waiting {
				for _, r := range w.reqs {
					n.answers = append(n.answers, answer{req: r, resp: response{http.StatusInternalServerError, errorBody{Error: err.Error()}}, index: m.CommandIndex})
				}
			}
			return
		}
		if n.inStart {
			n.startApplied = append(n.startApplied, n.results...)
		}
		if !waiting {
			return
		}
		if w.term != m.CommandTerm {
			n.redirect(w.reqs) // another leader's entry took this index: ours was lost
			return
		}
		n.answerEntry(w.reqs, n.results, m.CommandIndex)
	case m.SnapshotValid:
		if m.SnapshotIndex <= n.svc.LastApplied() {
			n.logf("node %d: ignored a snapshot at index %d: the service is already at %d (the contract forbids it)",
				n.cfg.ID, m.SnapshotIndex, n.svc.LastApplied())
			return
		}
		if err := n.svc.Restore(m.Snapshot); err != nil {
			n.fatal = fmt.Errorf("node %d: install snapshot at index %d: %w", n.cfg.ID, m.SnapshotIndex, err)
			return
		}
		n.sinceSnap = 0
		for i, w := range n.waiters {
			if i <= m.SnapshotIndex { // applied inside the snapshot: the client retries, the dedup table answers
				delete(n.waiters, i)
				n.redirect(w.reqs)
			}
		}
	}
}

func replyOf(r kv.Reply) response {
	switch r.Status {
	case kv.StatusOK:
		return response{http.StatusOK, kvReply{Status: "ok", Value: r.Value}}
	case kv.StatusNoKey:
		return response{http.StatusOK, kvReply{Status: "no-key"}}
	default:
		return response{http.StatusConflict, errorBody{Error: "stale request: the client already had a later command answered"}}
	}
}

// leader is the leader as this node knows it: itself, or the node it
// last accepted AppendEntries from in its current term; -1 if neither.
func (n *node) leader() (id, term int, isLeader bool) {
	term, isLeader, err := n.host.GetState()
	switch {
	case err != nil:
		return -1, 0, false
	case isLeader:
		return n.cfg.ID, term, true
	case n.hintTerm == term:
		return n.leaderHint, term, false
	}
	return -1, term, false
}

func (n *node) notLeader() response {
	id, _, _ := n.leader()
	body := notLeaderBody{Error: "not leader", Leader: id}
	if id >= 0 && id < len(n.cfg.ClientAddrs) {
		body.LeaderAddr = n.cfg.ClientAddrs[id]
	}
	return response{http.StatusMisdirectedRequest, body}
}

// checkLeadership answers the waiters of a leader that lost its term:
// their entries may still commit, but this node can no longer tell.
func (n *node) checkLeadership() {
	if len(n.waiters) == 0 {
		return
	}
	_, term, isLeader := n.leader()
	for i, w := range n.waiters {
		if !isLeader || w.term != term {
			delete(n.waiters, i)
			n.redirect(w.reqs)
		}
	}
}

// expire forgets the waiters whose handlers have all answered 503.
func (n *node) expire(now time.Time) {
	for i, w := range n.waiters {
		if !slices.ContainsFunc(w.reqs, func(r *request) bool { return !now.After(r.deadline) }) {
			delete(n.waiters, i)
		}
	}
}

// persist writes the disk if the batch's turns changed it: before any of
// their messages leave.
func (n *node) persist() error {
	if n.disk.Saves() == n.saved {
		return nil
	}
	if d := time.Duration(n.syncDelay.Load()); d > 0 {
		time.Sleep(d)
	}
	// Most saves keep the snapshot: the disk's slice is then the one
	// persisted last time, and the store need not compare its bytes.
	snap := n.disk.Snapshot()
	var err error
	if sameSlice(snap, n.savedSnap) {
		err = n.store.SaveState(n.disk.State())
	} else {
		err = n.store.Save(n.disk.State(), snap)
	}
	if err != nil {
		return fmt.Errorf("node %d: save failed, stopping before this batch's messages leave: %w", n.cfg.ID, err)
	}
	n.saved, n.savedSnap = n.disk.Saves(), snap
	st := n.store.Stats()
	n.statSaves.Store(st.Saves)
	n.statSyncs.Store(st.Syncs)
	return nil
}

// sameSlice reports whether a and b are the same bytes in memory.
func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// flush sends the batch's messages and answers its clients.
func (n *node) flush() {
	for i := range n.out {
		n.tr.Send(n.out[i].Envelope)
		n.out[i] = nodehost.Message{} // let the bodies go
	}
	n.out = n.out[:0]
	var redirect *response
	for i, a := range n.answers {
		if a.redirect {
			if redirect == nil {
				r := n.notLeader()
				redirect = &r
			}
			a.resp = *redirect
		}
		a.req.send(a.resp)
		n.answers[i] = answer{}
	}
	n.answers = n.answers[:0]
}

var errStopped = errors.New("node stopped")

// query runs f on the node's goroutine between turns, or gives up when
// ctx ends.
func (n *node) query(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case n.queries <- func() { f(); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return errStopped
	}
	<-done
	return nil
}

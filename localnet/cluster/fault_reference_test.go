//go:build linux

package cluster

// The fault tests: real node processes (cmd/localnet, so the reference
// Raft: hence this file's name, which keeps it out of the handout) on
// 127.0.0.1 with free ports, killed, paused, cut off and fed garbage.
// Each is bounded in time; -short skips them all.

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/localnet/client"
	"github.com/raftlab/raftlab/localnet/kv"
	"github.com/raftlab/raftlab/localnet/kvcheck"
	"github.com/raftlab/raftlab/localnet/storage"
	"github.com/raftlab/raftlab/localnet/transport"
	"github.com/raftlab/raftlab/wire"
)

var killsFlag = flag.Int("localnet.kills", 10, "how many times TestKillLeaderUnderLoad kills the leader")

// localnetBin is cmd/localnet, built once by TestMain ("" under -short).
var localnetBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		dir, err := os.MkdirTemp("", "localnet-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		localnetBin = filepath.Join(dir, "localnet")
		out, err := exec.Command("go", "build", "-o", localnetBin, "github.com/raftlab/raftlab/cmd/localnet").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build cmd/localnet: %v\n%s", err, out)
			os.Exit(1)
		}
		code := m.Run()
		_ = os.RemoveAll(dir) // best effort: a temp dir
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// startCluster starts n nodes and waits for a leader. The cluster stops
// when the test ends; a failed test logs the tail of every node's log.
func startCluster(t *testing.T, n int, nodeArgs ...string) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real processes; skipped with -short")
	}
	dir := t.TempDir()
	c, err := Start(Config{N: n, Dir: dir, Binary: localnetBin, NodeArgs: nodeArgs, Logf: t.Logf})
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			for _, nd := range c.Nodes() {
				b, _ := os.ReadFile(nd.Log)
				lines := strings.Split(strings.TrimSpace(string(b)), "\n")
				t.Logf("--- node %d log (last 40 lines) ---\n%s", nd.ID, strings.Join(lines[max(0, len(lines)-40):], "\n"))
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.WaitReady(ctx))
	_, err = WaitLeader(ctx, c.ClientAddrs())
	require.NoError(t, err)
	return c
}

// testCtx is a test's overall deadline.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// leaderOf waits for a leader and returns its id.
func leaderOf(t *testing.T, ctx context.Context, addrs []string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	id, err := WaitLeader(ctx, addrs)
	require.NoError(t, err)
	return id
}

func TestWriteThousandKeysReadThemBack(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testCtx(t, 2*time.Minute)
	const keys, writers = 1000, 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			cl := client.New(c.ClientAddrs())
			for i := w; i < keys && errs[w] == nil; i += writers {
				opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
				errs[w] = cl.Put(opCtx, fmt.Sprintf("key-%d", i), fmt.Sprintf("value-%d", i))
				cancel()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	fresh := client.New(c.ClientAddrs())
	for i := range keys {
		v, found, err := fresh.Get(ctx, fmt.Sprintf("key-%d", i))
		require.NoError(t, err)
		require.True(t, found, "key-%d", i)
		require.Equal(t, fmt.Sprintf("value-%d", i), v)
	}
}

// appendLoad is closed-loop clients appending unique tokens ("w.n;") to a
// few shared keys, and reading them, with the history recorded: at the end
// every acknowledged append must be in its key exactly once, and the
// history must be linearizable. Even clients speak HTTP/JSON, odd ones the
// binary protocol, pipelined on shared connections.
type appendLoad struct {
	addrs   []string
	bin     *client.Binary
	clients int
	keys    int
	rec     *kvcheck.Recorder
	ops     atomic.Int64 // acknowledged operations
	stop    chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	acked   map[string]bool // tokens whose append was acknowledged
	unknown map[string]bool // tokens whose append's outcome is unknown
}

func startAppendLoad(ctx context.Context, addrs []string, clients, keys int) *appendLoad {
	l := &appendLoad{addrs: addrs, bin: client.NewBinary(), clients: clients, keys: keys, rec: kvcheck.NewRecorder(),
		stop: make(chan struct{}), acked: map[string]bool{}, unknown: map[string]bool{}}
	for w := range clients {
		l.wg.Go(func() { l.client(ctx, w) })
	}
	return l
}

func (l *appendLoad) client(ctx context.Context, w int) {
	cl := client.New(l.addrs)
	if w%2 == 1 {
		cl = client.New(l.addrs, client.WithBinary(l.bin))
	}
	rng := rand.New(rand.NewPCG(uint64(w), 1))
	for n := 0; ; n++ {
		select {
		case <-l.stop:
			return
		default:
		}
		key := fmt.Sprintf("k%d", rng.IntN(l.keys))
		in := kvcheck.Input{Op: kv.OpAppend, Key: key, Value: fmt.Sprintf("%d.%d;", w, n)}
		if rng.IntN(4) == 0 {
			in = kvcheck.Input{Op: kv.OpGet, Key: key}
		}
		opCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		call := l.rec.Now()
		var out kvcheck.Output
		var err error
		if in.Op == kv.OpGet {
			out.Value, _, err = cl.Get(opCtx, key)
		} else {
			err = cl.Append(opCtx, key, in.Value)
		}
		ret := l.rec.Now()
		cancel()
		out.Unknown = err != nil
		l.rec.Record(w, in, out, call, ret)
		if in.Op == kv.OpAppend {
			l.mu.Lock()
			if err == nil {
				l.acked[in.Value] = true
			} else {
				l.unknown[in.Value] = true
			}
			l.mu.Unlock()
		}
		if err == nil {
			l.ops.Add(1)
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// progress waits until n more operations are acknowledged.
func (l *appendLoad) progress(t *testing.T, n int64, timeout time.Duration) {
	t.Helper()
	target := l.ops.Load() + n
	deadline := time.Now().Add(timeout)
	for l.ops.Load() < target {
		require.True(t, time.Now().Before(deadline), "no progress: %d of %d more operations in %v", l.ops.Load()-target+n, n, timeout)
		time.Sleep(20 * time.Millisecond)
	}
}

// verify stops the load, reads every key from a fresh client and checks
// that every acknowledged append is there exactly once, every other at
// most once, nothing else is, and the whole history is linearizable.
func (l *appendLoad) verify(t *testing.T, ctx context.Context) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	_ = l.bin.Close()
	fresh := client.New(l.addrs)
	seen := map[string]int{}
	for k := range l.keys {
		key := fmt.Sprintf("k%d", k)
		opCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		call := l.rec.Now()
		v, _, err := fresh.Get(opCtx, key)
		ret := l.rec.Now()
		cancel()
		require.NoError(t, err, "final read of %s", key)
		l.rec.Record(l.clients, kvcheck.Input{Op: kv.OpGet, Key: key}, kvcheck.Output{Value: v}, call, ret)
		for tok := range strings.SplitSeq(v, ";") {
			if tok != "" {
				seen[tok+";"]++
			}
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for tok := range l.acked {
		require.Equal(t, 1, seen[tok], "acknowledged append %q is in the store %d times", tok, seen[tok])
	}
	for tok, n := range seen {
		require.True(t, l.acked[tok] || l.unknown[tok], "%q is in the store but was never appended", tok)
		require.Equal(t, 1, n, "%q is in the store %d times", tok, n)
	}
	t.Logf("%d acknowledged appends, %d unknown, %d found", len(l.acked), len(l.unknown), len(seen))
	checkHistory(t, l.rec.Operations())
}

// checkHistory requires a linearizable history; on a violation it keeps
// porcupine's visualisation where the test log says.
func checkHistory(t *testing.T, ops []porcupine.Operation) {
	t.Helper()
	html := filepath.Join(os.TempDir(), fmt.Sprintf("localnet-%s-%d.html", t.Name(), time.Now().UnixNano()))
	res, err := kvcheck.Check(ops, time.Minute, html)
	require.NoError(t, err)
	require.NotEqual(t, porcupine.Illegal, res.Outcome, "history of %d operations is not linearizable: see %s", res.Ops, res.HTML)
	require.Equal(t, porcupine.Ok, res.Outcome, "the checker ran out of time on %d operations", res.Ops)
}

func TestKillLeaderUnderLoad(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testCtx(t, 4*time.Minute)
	load := startAppendLoad(ctx, c.ClientAddrs(), 16, 20)
	load.progress(t, 50, 20*time.Second)
	for k := range *killsFlag {
		id := leaderOf(t, ctx, c.ClientAddrs())
		require.NoError(t, c.Kill(id))
		t.Logf("kill %d: leader %d", k+1, id)
		time.Sleep(200 * time.Millisecond)
		require.NoError(t, c.Restart(id))
		// The cluster serves again before the next kill.
		load.progress(t, 50, 20*time.Second)
	}
	load.verify(t, ctx)
}

func TestKillAllRestartAll(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testCtx(t, 2*time.Minute)
	var (
		mu    sync.Mutex
		acked = map[string]string{}
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for w := range 8 {
		wg.Go(func() {
			cl := client.New(c.ClientAddrs())
			for n := 0; !stop.Load(); n++ {
				k, v := fmt.Sprintf("w%d-%d", w, n), fmt.Sprintf("v%d", n)
				opCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
				err := cl.Put(opCtx, k, v)
				cancel()
				if err == nil {
					mu.Lock()
					acked[k] = v
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(2 * time.Second)
	// Every node at once, with writes in flight.
	for i := range c.N() {
		require.NoError(t, c.Kill(i))
	}
	stop.Store(true)
	wg.Wait()
	require.NotEmpty(t, acked)
	for i := range c.N() {
		require.NoError(t, c.Restart(i))
	}
	leaderOf(t, ctx, c.ClientAddrs())
	fresh := client.New(c.ClientAddrs())
	for k, want := range acked {
		v, found, err := fresh.Get(ctx, k)
		require.NoError(t, err)
		require.True(t, found, "acknowledged key %s lost", k)
		require.Equal(t, want, v, "key %s", k)
	}
	t.Logf("%d acknowledged writes read back after killing and restarting every node", len(acked))
}

func TestTornLastRecordRecoversAndCatchesUp(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testCtx(t, 2*time.Minute)
	cl := client.New(c.ClientAddrs())
	for i := range 100 {
		require.NoError(t, cl.Put(ctx, fmt.Sprintf("a%d", i), "x"))
	}
	leader := leaderOf(t, ctx, c.ClientAddrs())
	victim := (leader + 1) % c.N()
	require.NoError(t, c.Kill(victim))
	dir := c.Nodes()[victim].DataDir
	recs, err := storage.Records(dir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(recs), 2)
	last := recs[len(recs)-1]
	// A crash in the middle of writing the next record: its first half
	// reached the disk, the rest did not. (Damaging the last complete
	// record instead would make the node forget a save it may have
	// acknowledged, which no crash does: the node fsyncs before its
	// messages leave.) The torn record is a copy of the last one
	// renumbered as its successor, cut in half.
	data, err := os.ReadFile(last.Path)
	require.NoError(t, err)
	torn := bytes.Clone(data[last.Offset : last.Offset+last.Size/2])
	binary.LittleEndian.PutUint64(torn[8:16], last.Seq+1) // u32 length | u32 CRC | u64 seq
	f, err := os.OpenFile(last.Path, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt(torn, last.Offset+last.Size)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	after, err := storage.Records(dir)
	require.NoError(t, err)
	require.Equal(t, last.Seq, after[len(after)-1].Seq, "recovery stops at the last complete save")

	// The cluster moves on without it, then it comes back.
	for i := range 100 {
		require.NoError(t, cl.Put(ctx, fmt.Sprintf("b%d", i), "y"))
	}
	require.NoError(t, c.Restart(victim))
	_, want := FindLeader(ctx, c.ClientAddrs())
	require.Eventually(t, func() bool {
		st, err := GetStatus(ctx, c.Nodes()[victim].ClientAddr)
		return err == nil && st.Applied >= want.Commit
	}, 30*time.Second, 50*time.Millisecond, "node %d catches up to index %d", victim, want.Commit)
	// And it has everything: it alone with one other node can serve it.
	leader = leaderOf(t, ctx, c.ClientAddrs())
	if leader != victim {
		require.NoError(t, c.Kill(leader))
	}
	for i := range 100 {
		for _, k := range []string{fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)} {
			v, found, err := cl.Get(ctx, k)
			require.NoError(t, err)
			require.True(t, found, k)
			require.Contains(t, []string{"x", "y"}, v)
		}
	}
}

func TestPausedLeaderStepsDown(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testCtx(t, 2*time.Minute)
	load := startAppendLoad(ctx, c.ClientAddrs(), 8, 10)
	load.progress(t, 50, 20*time.Second)
	old := leaderOf(t, ctx, c.ClientAddrs())
	oldSt, err := GetStatus(ctx, c.Nodes()[old].ClientAddr)
	require.NoError(t, err)
	require.NoError(t, c.Pause(old))
	t.Logf("paused leader %d (term %d)", old, oldSt.Term)
	var others []string
	for i, a := range c.ClientAddrs() {
		if i != old {
			others = append(others, a)
		}
	}
	require.Eventually(t, func() bool {
		_, st := FindLeader(ctx, others)
		return st.Term > oldSt.Term
	}, 20*time.Second, 50*time.Millisecond, "a new leader while %d is paused", old)
	load.progress(t, 50, 20*time.Second)
	require.NoError(t, c.Resume(old))
	require.Eventually(t, func() bool {
		st, err := GetStatus(ctx, c.Nodes()[old].ClientAddr)
		return err == nil && !st.IsLeader() && st.Term > oldSt.Term
	}, 10*time.Second, 50*time.Millisecond, "the resumed leader %d steps down", old)
	load.progress(t, 20, 20*time.Second)
	load.verify(t, ctx)
}

func TestMinorityWithOldLeaderNeverCommits(t *testing.T) {
	c := startCluster(t, 5)
	ctx := testCtx(t, 2*time.Minute)
	addrs := c.ClientAddrs()
	old := leaderOf(t, ctx, addrs)
	buddy := (old + 1) % c.N()
	var majority []int
	var majorityAddrs []string
	for i := range c.N() {
		if i != old && i != buddy {
			majority = append(majority, i)
			majorityAddrs = append(majorityAddrs, addrs[i])
		}
	}
	require.NoError(t, Partition(ctx, addrs, [][]int{{old, buddy}, majority}))
	t.Logf("partition: {%d %d} | %v", old, buddy, majority)

	// Writes to the minority: the old leader takes them and never
	// commits them (while the majority elects and serves).
	minority := client.New([]string{addrs[old], addrs[buddy]})
	majorityCl := client.New(majorityAddrs)
	var wg sync.WaitGroup
	var minorityErr error
	wg.Go(func() {
		opCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		minorityErr = minority.Put(opCtx, "contested", "minority")
	})
	for i := range 50 {
		opCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		require.NoError(t, majorityCl.Put(opCtx, fmt.Sprintf("m%d", i), "ok"), "the majority serves")
		cancel()
	}
	require.NoError(t, majorityCl.Put(ctx, "contested", "majority"))
	wg.Wait()
	require.Error(t, minorityErr, "a write to the minority succeeded")

	require.NoError(t, Heal(ctx, addrs))
	fresh := client.New(addrs)
	v, _, err := fresh.Get(ctx, "contested")
	require.NoError(t, err)
	require.Equal(t, "majority", v, "the minority's write surfaced after the heal")
	for i := range 50 {
		v, _, err := fresh.Get(ctx, fmt.Sprintf("m%d", i))
		require.NoError(t, err)
		require.Equal(t, "ok", v)
	}
}

func TestGarbageOnThePeerPortIsDropped(t *testing.T) {
	c := startCluster(t, 3)
	ctx := testCtx(t, time.Minute)
	target := c.Nodes()[0]
	send := func(b []byte) {
		conn, err := net.DialTimeout("tcp", target.PeerAddr, 2*time.Second)
		require.NoError(t, err)
		_, _ = conn.Write(b) // the node may close first
		time.Sleep(100 * time.Millisecond)
		_ = conn.Close() // best effort
	}
	var frame []byte
	frame = transport.AppendFrame(frame, &wire.Envelope{Kind: wire.Kind(0), From: 7, To: 0})
	garbage := [][]byte{
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),      // not a frame: a length of ~1.2 GB
		{0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}, // a frame whose envelope does not decode
		frame,                            // an envelope from a node that does not exist
		{0, 0, 0, 0},                     // a frame of zero bytes
		bytes.Repeat([]byte{0xAA}, 1000), // noise
		{0, 0, 1},                        // half a length, then gone
	}
	for _, g := range garbage {
		send(g)
	}
	// Also noise on the client port (the HTTP server answers 400 or drops it).
	conn, err := net.DialTimeout("tcp", target.ClientAddr, 2*time.Second)
	require.NoError(t, err)
	_, _ = conn.Write(bytes.Repeat([]byte{0, 1, 2, 0xff}, 256))
	_ = conn.Close() // best effort

	// The node still runs, and the cluster with it serves.
	require.Equal(t, target.Pid, c.Nodes()[0].Pid, "node 0 exited")
	cl := client.New(c.ClientAddrs())
	require.NoError(t, cl.Put(ctx, "after", "garbage"))
	_, err = GetStatus(ctx, target.ClientAddr)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(target.Log)
		return bytes.Count(b, []byte("dropping the connection")) >= 4
	}, 5*time.Second, 50*time.Millisecond, "a log line for each bad connection")
	// Node 0 still takes part: with another node down it is needed for a majority.
	other := (leaderOf(t, ctx, c.ClientAddrs()) + 1) % c.N()
	if other == 0 {
		other = (other + 1) % c.N()
	}
	require.NoError(t, c.Kill(other))
	opCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	require.NoError(t, cl.Put(opCtx, "after-kill", "ok"))
}

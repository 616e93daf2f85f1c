package kv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func enc(c Command) []byte { return AppendCommand(nil, c) }

func TestCommandRoundTrip(t *testing.T) {
	cases := []Command{
		{Op: OpGet, ClientID: 1, Seq: 1, Key: "k"},
		{Op: OpPut, ClientID: 7, Seq: 42, Key: "key", Value: "value"},
		{Op: OpAppend, ClientID: math.MaxUint64, Seq: math.MaxUint64, Key: "ключ", Value: "значение"},
		{Op: OpPut, ClientID: 0, Seq: 1, Key: "", Value: ""},
		{Op: OpAppend, ClientID: 3, Seq: 9, Key: "big", Value: strings.Repeat("v", 100_000)},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/%d", c.Op, len(c.Value)), func(t *testing.T) {
			b := AppendCommand([]byte("prefix"), c)
			require.Equal(t, "prefix", string(b[:6]), "AppendCommand appends")
			got, err := DecodeCommand(b[6:])
			require.NoError(t, err)
			assert.Equal(t, c, got)
		})
	}
}

func TestDecodeCommandErrors(t *testing.T) {
	valid := enc(Command{Op: OpPut, ClientID: 300, Seq: 2, Key: "key", Value: "value"})
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "unexpected end"},
		{"op zero", []byte{0, 1, 1, 0}, "unknown op 0"},
		{"op four", []byte{4, 1, 1, 0}, "unknown op 4"},
		{"seq zero", enc(Command{Op: OpGet, ClientID: 1, Seq: 0, Key: "k"}), "seq 0"},
		{"trailing byte", append(enc(Command{Op: OpGet, ClientID: 1, Seq: 1, Key: "k"}), 0), "1 trailing bytes"},
		{"get with a value", append(enc(Command{Op: OpGet, ClientID: 1, Seq: 1, Key: "k"}), 1, 'v'), "2 trailing bytes"},
		{"long varint", []byte{byte(OpGet), 0x81, 0x00, 1, 0}, "shortest form"},
		{"varint overflow", append([]byte{byte(OpGet)}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), "overflows"},
		{"key past the end", []byte{byte(OpGet), 1, 1, 5, 'a'}, "runs past the end"},
	}
	for i := range valid {
		cases = append(cases, struct {
			name string
			b    []byte
			want string
		}{fmt.Sprintf("cut at %d", i), valid[:i], ""})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCommand(tc.b)
			require.ErrorIs(t, err, ErrMalformed)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// applier feeds a service consecutive entries.
type applier struct {
	t *testing.T
	s *Service
}

func (a *applier) apply(c Command) Result {
	a.t.Helper()
	res, err := a.s.Apply(a.s.LastApplied()+1, enc(c))
	require.NoError(a.t, err)
	return res
}

func TestApply(t *testing.T) {
	a := applier{t, New()}
	const c1 = 1
	steps := []struct {
		cmd  Command
		want Reply
	}{
		{Command{Op: OpGet, ClientID: c1, Seq: 1, Key: "x"}, Reply{Status: StatusNoKey}},
		{Command{Op: OpAppend, ClientID: c1, Seq: 2, Key: "x", Value: "a"}, Reply{}},
		{Command{Op: OpAppend, ClientID: c1, Seq: 3, Key: "x", Value: "b"}, Reply{}},
		{Command{Op: OpGet, ClientID: c1, Seq: 4, Key: "x"}, Reply{Value: "ab"}},
		{Command{Op: OpPut, ClientID: c1, Seq: 5, Key: "x", Value: "p"}, Reply{}},
		{Command{Op: OpGet, ClientID: c1, Seq: 6, Key: "x"}, Reply{Value: "p"}},
		{Command{Op: OpPut, ClientID: c1, Seq: 8, Key: "", Value: ""}, Reply{}}, // seqs may skip
		{Command{Op: OpGet, ClientID: c1, Seq: 9, Key: ""}, Reply{Status: StatusOK}},
	}
	for i, st := range steps {
		res := a.apply(st.cmd)
		assert.Equal(t, i+1, res.Index)
		assert.Equal(t, st.cmd, res.Command)
		assert.Equal(t, st.want, res.Reply, "step %d: %v", i, st.cmd)
		assert.False(t, res.Duplicate)
	}
	assert.Equal(t, len(steps), a.s.LastApplied())
	assert.Equal(t, 2, a.s.Len())
}

func TestDedup(t *testing.T) {
	a := applier{t, New()}
	const c1, c2 = 1, 2
	app := Command{Op: OpAppend, ClientID: c1, Seq: 1, Key: "x", Value: "a"}
	a.apply(app)
	res := a.apply(app) // the leader crashed before replying; the client retried
	assert.True(t, res.Duplicate)
	assert.Equal(t, Reply{}, res.Reply)
	v, _ := a.s.Lookup("x")
	assert.Equal(t, "a", v, "a retried Append applies once")

	get := Command{Op: OpGet, ClientID: c1, Seq: 2, Key: "x"}
	assert.Equal(t, Reply{Value: "a"}, a.apply(get).Reply)
	a.apply(Command{Op: OpPut, ClientID: c2, Seq: 1, Key: "x", Value: "other"})
	res = a.apply(get)
	assert.True(t, res.Duplicate)
	assert.Equal(t, Reply{Value: "a"}, res.Reply, "a retried Get returns what the first one read")

	// An older command of a client that already moved on changes nothing.
	res = a.apply(app)
	assert.False(t, res.Duplicate)
	assert.Equal(t, Reply{Status: StatusStale}, res.Reply)
	v, _ = a.s.Lookup("x")
	assert.Equal(t, "other", v)

	// Clients are independent: c2's seq 2 is new although c1 used 2.
	a.apply(Command{Op: OpAppend, ClientID: c2, Seq: 2, Key: "x", Value: "!"})
	v, _ = a.s.Lookup("x")
	assert.Equal(t, "other!", v)
}

func TestApplyOrderAndMalformedEntries(t *testing.T) {
	s := New()
	put := enc(Command{Op: OpPut, ClientID: 1, Seq: 1, Key: "k", Value: "v"})
	for _, idx := range []int{0, 2, -1} {
		_, err := s.Apply(idx, put)
		require.ErrorIs(t, err, ErrOrder, "index %d", idx)
	}
	assert.Equal(t, 0, s.LastApplied())
	assert.Equal(t, 0, s.Len())

	res, err := s.Apply(1, []byte{0xff, 0xff})
	require.ErrorIs(t, err, ErrMalformed)
	assert.Contains(t, err.Error(), "entry 1 skipped")
	assert.Equal(t, 1, res.Index)
	assert.Equal(t, 1, s.LastApplied(), "a malformed entry still counts as applied")

	_, err = s.Apply(2, put)
	require.NoError(t, err)
	v, ok := s.Lookup("k")
	assert.True(t, ok)
	assert.Equal(t, "v", v)
}

// randomService applies n random commands from a few clients, with
// retries and stale commands among them, and returns the log too.
func randomService(t *testing.T, seed uint64, n int) (*Service, [][]byte) {
	t.Helper()
	s, log, err := buildRandom(seed, n)
	require.NoError(t, err)
	return s, log
}

func buildRandom(seed uint64, n int) (*Service, [][]byte, error) {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := New()
	seqs := map[uint64]uint64{}
	var log [][]byte
	for i := 1; i <= n; i++ {
		id := rng.Uint64N(5)
		if rng.IntN(10) != 0 { // a new command; otherwise a retry or a stale one
			seqs[id]++
		}
		seq := max(1, seqs[id]-uint64(rng.IntN(2)))
		c := Command{Op: Op(1 + rng.IntN(3)), ClientID: id, Seq: seq, Key: fmt.Sprint("k", rng.IntN(8))}
		if c.Op != OpGet {
			c.Value = fmt.Sprint(i)
		}
		log = append(log, enc(c))
		if _, err := s.Apply(i, log[len(log)-1]); err != nil {
			return nil, nil, err
		}
	}
	return s, log, nil
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 10, 500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s, log := randomService(t, uint64(n), n)
			snap := s.Snapshot()
			assert.Equal(t, snap, s.Snapshot(), "Snapshot is deterministic")

			r := New()
			require.NoError(t, r.Restore(snap))
			assert.Equal(t, s.data, r.data, "the restored data equals the data")
			assert.Equal(t, s.sessions, r.sessions, "the restored dedup table equals the table")
			assert.Equal(t, s.lastApplied, r.lastApplied)
			assert.Equal(t, snap, r.Snapshot())

			// A replica applying the same log holds the same bytes.
			replica, _ := randomService(t, uint64(n), n)
			assert.Equal(t, snap, replica.Snapshot())

			if n > 0 {
				// The dedup table survived: the last command again is a
				// retry (or stale), and changes nothing.
				res, err := r.Apply(n+1, log[n-1])
				require.NoError(t, err)
				assert.True(t, res.Duplicate || res.Reply.Status == StatusStale)
				r.lastApplied--
				assert.Equal(t, snap, r.Snapshot())
			}
		})
	}
}

func TestRestoreErrors(t *testing.T) {
	s := New()
	a := applier{t, s}
	a.apply(Command{Op: OpPut, ClientID: 5, Seq: 1, Key: "a", Value: "1"})
	a.apply(Command{Op: OpPut, ClientID: 6, Seq: 1, Key: "b", Value: "2"})
	a.apply(Command{Op: OpGet, ClientID: 7, Seq: 3, Key: "a"})
	valid := s.Snapshot()

	// two keys, hand-encoded: "RLKV" v1, last 1, 2 keys, 0 clients
	keys := func(k1, k2 string) []byte {
		b := append([]byte(snapMagic), snapVersion, 1, 2)
		b = appendString(appendString(b, k1), "v")
		b = appendString(appendString(b, k2), "v")
		return append(b, 0)
	}
	clients := func(id1, id2, seq uint64, st Status, v string) []byte {
		b := append([]byte(snapMagic), snapVersion, 1, 0, 2)
		for _, id := range []uint64{id1, id2} {
			b = append(b, byte(id), byte(seq), byte(st))
			b = appendString(b, v)
		}
		return b
	}
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "not a key/value snapshot"},
		{"wrong magic", []byte("RLKX\x01\x00\x00\x00"), "not a key/value snapshot"},
		{"newer version", []byte("RLKV\x02\x00\x00\x00"), "version 2"},
		{"trailing byte", append(valid, 0), "1 trailing bytes"},
		{"keys out of order", keys("b", "a"), "keys must ascend"},
		{"duplicate key", keys("a", "a"), "keys must ascend"},
		{"clients out of order", clients(9, 8, 1, StatusOK, ""), "clients must ascend"},
		{"session with seq 0", clients(1, 2, 0, StatusOK, ""), "seq 0"},
		{"stale reply cached", clients(1, 2, 1, StatusStale, ""), "reply status 2"},
		{"NoKey with a value", clients(1, 2, 1, StatusNoKey, "x"), "NoKey reply holding a value"},
		{"huge count", []byte("RLKV\x01\x00\xff\xff\xff\xff\x0f"), "exceeds"},
	}
	for i := range valid {
		cases = append(cases, struct {
			name string
			b    []byte
			want string
		}{fmt.Sprintf("cut at %d", i), valid[:i], ""})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Restore(tc.b)
			require.ErrorIs(t, err, ErrMalformed)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, valid, s.Snapshot(), "a failed Restore changes nothing")
		})
	}
}

func FuzzDecodeCommand(f *testing.F) {
	f.Add(enc(Command{Op: OpGet, ClientID: 1, Seq: 1, Key: "k"}))
	f.Add(enc(Command{Op: OpPut, ClientID: 1 << 40, Seq: 300, Key: "key", Value: "value"}))
	f.Add(enc(Command{Op: OpAppend, ClientID: 2, Seq: 2, Key: "", Value: "x"}))
	f.Add([]byte{})
	f.Add([]byte{byte(OpGet), 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCommand(b)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Equal(t, b, enc(c), "the encoding is canonical")
	})
}

func FuzzRestore(f *testing.F) {
	for _, n := range []int{0, 3, 40} {
		s, _, err := buildRandom(uint64(n), n)
		require.NoError(f, err)
		f.Add(s.Snapshot())
	}
	f.Add([]byte("RLKV\x01"))
	f.Add([]byte("RLKV\x01\x00\x01\x01a\x01b\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New()
		if err := s.Restore(b); err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			require.Equal(t, New(), s, "a failed Restore changes nothing")
			return
		}
		require.Equal(t, b, s.Snapshot(), "the encoding is canonical")
	})
}

func TestBatchRoundTrip(t *testing.T) {
	cmds := []Command{
		{Op: OpPut, ClientID: 1, Seq: 1, Key: "a", Value: "1"},
		{Op: OpGet, ClientID: 2, Seq: 5, Key: "a"},
		{Op: OpAppend, ClientID: 1, Seq: 2, Key: "a", Value: strings.Repeat("x", 300)},
	}
	for n := 1; n <= len(cmds); n++ {
		var encs [][]byte
		for _, c := range cmds[:n] {
			encs = append(encs, enc(c))
		}
		b := AppendBatch([]byte("pre"), encs)
		require.Equal(t, "pre", string(b[:3]), "AppendBatch appends")
		got, err := DecodeEntry(b[3:])
		require.NoError(t, err)
		assert.Equal(t, cmds[:n], got)
		if n == 1 {
			assert.Equal(t, enc(cmds[0]), b[3:], "a batch of one is the command alone")
		}
		// Every strict prefix is an error, never a panic.
		for i := range len(b) - 3 {
			_, err := DecodeEntry(b[3 : 3+i])
			require.ErrorIs(t, err, ErrMalformed, "n=%d prefix %d", n, i)
		}
		_, err = DecodeEntry(append(b[3:len(b):len(b)], 0))
		require.ErrorIs(t, err, ErrMalformed, "trailing byte")
	}
	bad := map[string][]byte{
		"batch of one":        {batchMarker, 1, 3, byte(OpGet), 1, 1},
		"batch of zero":       {batchMarker, 0},
		"length past the end": {batchMarker, 2, 200, 1},
		"bad command inside":  append([]byte{batchMarker, 2, 1, 9}, append([]byte{byte(len(enc(cmds[1])))}, enc(cmds[1])...)...),
		"nested batch":        append([]byte{batchMarker, 2, 2, batchMarker, 0}, append([]byte{byte(len(enc(cmds[1])))}, enc(cmds[1])...)...),
	}
	for name, b := range bad {
		_, err := DecodeEntry(b)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
}

// A batch entry applies its commands in order at one index, with the dedup
// table per command; a malformed batch is skipped whole.
func TestApplyEntry(t *testing.T) {
	s := New()
	entry := AppendBatch(nil, [][]byte{
		enc(Command{Op: OpPut, ClientID: 1, Seq: 1, Key: "k", Value: "a"}),
		enc(Command{Op: OpAppend, ClientID: 2, Seq: 1, Key: "k", Value: "b"}),
		enc(Command{Op: OpGet, ClientID: 3, Seq: 1, Key: "k"}),
		enc(Command{Op: OpPut, ClientID: 1, Seq: 1, Key: "k", Value: "again"}), // a retry: applied once
	})
	res, err := s.ApplyEntry(1, entry, nil)
	require.NoError(t, err)
	require.Len(t, res, 4)
	for _, r := range res {
		assert.Equal(t, 1, r.Index)
	}
	assert.Equal(t, Reply{Status: StatusOK, Value: "ab"}, res[2].Reply)
	assert.True(t, res[3].Duplicate)
	v, _ := s.Lookup("k")
	assert.Equal(t, "ab", v)

	_, err = s.ApplyEntry(3, entry, nil)
	require.ErrorIs(t, err, ErrOrder)
	res, err = s.ApplyEntry(2, []byte{batchMarker, 2, 1}, nil)
	require.ErrorIs(t, err, ErrMalformed)
	assert.Empty(t, res)
	assert.Equal(t, 2, s.LastApplied(), "a malformed entry still counts as applied")
}

// Snapshot keeps its key and client orders between calls: they must follow
// new keys and clients, and a Restore of as many other keys.
func TestSnapshotOrderCache(t *testing.T) {
	s := New()
	put := func(i int, id uint64, key string) {
		_, err := s.Apply(i, enc(Command{Op: OpPut, ClientID: id, Seq: uint64(i), Key: key, Value: key}))
		require.NoError(t, err)
	}
	put(1, 5, "m")
	put(2, 5, "c")
	first := s.Snapshot()
	put(3, 2, "a") // a new key and a new client, both first in order
	put(4, 9, "z")
	fresh := New()
	require.NoError(t, fresh.Restore(s.Snapshot()))
	assert.Equal(t, s.data, fresh.data)
	assert.Equal(t, s.sessions, fresh.sessions)

	other := New()
	_, err := other.Apply(1, enc(Command{Op: OpPut, ClientID: 7, Seq: 1, Key: "x", Value: "1"}))
	require.NoError(t, err)
	_, err = other.Apply(2, enc(Command{Op: OpPut, ClientID: 7, Seq: 2, Key: "y", Value: "2"}))
	require.NoError(t, err)
	r := New()
	require.NoError(t, r.Restore(first)) // keys c, m
	r.Snapshot()
	require.NoError(t, r.Restore(other.Snapshot())) // as many keys: x, y
	assert.Equal(t, other.Snapshot(), r.Snapshot())
}

// BenchmarkSnapshot is the service's snapshot in a bench's steady state:
// 1,000 keys of 100-byte values and 64 clients, one Put between snapshots.
func BenchmarkSnapshot(b *testing.B) {
	s := New()
	value := strings.Repeat("v", 100)
	index := 0
	put := func(client uint64, seq uint64, key string) {
		index++
		_, err := s.Apply(index, AppendCommand(nil, Command{Op: OpPut, ClientID: client, Seq: seq, Key: key, Value: value}))
		require.NoError(b, err)
	}
	for i := range 1000 {
		put(uint64(i%64)+1, uint64(i/64)+1, fmt.Sprintf("b0000abcd-k%d", i))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		put(uint64(i%64)+1, uint64(1000+i), fmt.Sprintf("b0000abcd-k%d", i%1000))
		if len(s.Snapshot()) < 100_000 {
			b.Fatal("short snapshot")
		}
	}
}

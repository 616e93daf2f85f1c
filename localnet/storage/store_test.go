package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func open(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() }) // tests may have closed it already
	return s
}

// requireHolds asserts what a store opened on dir recovers.
func requireHolds(t *testing.T, dir string, state, snap []byte) {
	t.Helper()
	s, err := Open(dir, Options{NoSync: true})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	require.Equal(t, nilIfEmpty(state), s.ReadState())
	require.Equal(t, nilIfEmpty(snap), s.ReadSnapshot())
	require.Equal(t, len(state), s.StateSize())
	require.Equal(t, len(snap), s.SnapshotSize())
}

func TestFreshStoreIsEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "node0") // Open creates it
	s := open(t, dir, Options{})
	assert.Nil(t, s.ReadState())
	assert.Nil(t, s.ReadSnapshot())
	assert.Zero(t, s.StateSize())
	assert.Zero(t, s.SnapshotSize())
	recs, err := Records(dir)
	require.NoError(t, err)
	require.Len(t, recs, 1, "a new store holds one empty save")
	assert.Equal(t, uint64(1), recs[0].Seq)
}

func TestRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KB
	saves := []struct {
		name        string
		state, snap []byte
	}{
		{"state only", []byte("term=1"), nil},
		{"state and snapshot", []byte("term=2"), []byte("snap-1")},
		{"same snapshot again", []byte("term=3 log=[a b c]"), []byte("snap-1")},
		{"new snapshot", []byte("term=3 log=[]"), []byte("snap-2")},
		{"large state", big, []byte("snap-2")},
		{"large snapshot", []byte("term=4"), big},
		{"snapshot dropped", []byte("term=5"), nil},
		{"empty state", nil, []byte("snap-3")},
	}
	dir := t.TempDir()
	for _, sv := range saves {
		t.Run(sv.name, func(t *testing.T) {
			s, err := Open(dir, Options{})
			require.NoError(t, err)
			require.NoError(t, s.Save(sv.state, sv.snap))
			assert.Equal(t, nilIfEmpty(sv.state), s.ReadState(), "before close")
			assert.Equal(t, nilIfEmpty(sv.snap), s.ReadSnapshot(), "before close")
			require.NoError(t, s.Close())
			requireHolds(t, dir, sv.state, sv.snap)
		})
	}
}

func TestSaveAndReadCopy(t *testing.T) {
	s := open(t, t.TempDir(), Options{NoSync: true})
	state, snap := []byte("state"), []byte("snap")
	require.NoError(t, s.Save(state, snap))
	state[0], snap[0] = 'X', 'X' // the caller reuses its buffers
	got := s.ReadState()
	assert.Equal(t, []byte("state"), got)
	assert.Equal(t, []byte("snap"), s.ReadSnapshot())
	got[0] = 'Y'
	assert.Equal(t, []byte("state"), s.ReadState(), "ReadState must return a copy")
}

func TestOneSyncPerSave(t *testing.T) {
	s := open(t, t.TempDir(), Options{})
	before := s.Stats()
	snap := bytes.Repeat([]byte{7}, 100<<10)
	require.NoError(t, s.Save([]byte("a"), snap))
	for i := range 10 {
		require.NoError(t, s.Save(fmt.Appendf(nil, "state %d", i), snap))
	}
	st := s.Stats()
	assert.Equal(t, int64(11), st.Saves)
	assert.Equal(t, int64(11), st.Syncs-before.Syncs, "one fdatasync per appended save")
	assert.Zero(t, st.Compactions)
	// The unchanged snapshot is not written again: 11 saves write little
	// more than one snapshot.
	assert.Less(t, st.BytesWritten-before.BytesWritten, int64(len(snap))+2000)
}

func TestSaveStateKeepsTheSnapshot(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{CompactBytes: 4 << 10})
	snap := bytes.Repeat([]byte{7}, 1<<10)
	require.NoError(t, s.Save([]byte("a"), snap))
	before := s.Stats()
	// Past CompactBytes: the compactions in between carry the snapshot on.
	for i := range 40 {
		require.NoError(t, s.SaveState(bytes.Repeat([]byte{byte(i)}, 600)))
	}
	st := s.Stats()
	assert.Equal(t, int64(40), st.Saves-before.Saves)
	assert.NotZero(t, st.Compactions, "the test must cross a compaction")
	assert.Equal(t, snap, s.ReadSnapshot())
	require.NoError(t, s.Close())
	requireHolds(t, dir, bytes.Repeat([]byte{39}, 600), snap)

	s = open(t, t.TempDir(), Options{NoSync: true})
	require.NoError(t, s.SaveState([]byte("b")), "a fresh store: no snapshot")
	assert.Nil(t, s.ReadSnapshot())
	require.NoError(t, s.Close())
	assert.Error(t, s.SaveState([]byte("c")), "a closed store refuses SaveState too")
}

func TestNoSync(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{NoSync: true, CompactBytes: 1})
	for i := range 5 {
		require.NoError(t, s.Save(fmt.Appendf(nil, "state %d", i), nil))
	}
	assert.Zero(t, s.Stats().Syncs)
	require.NoError(t, s.Close())
	requireHolds(t, dir, []byte("state 4"), nil)
}

func TestSyncDelay(t *testing.T) {
	s := open(t, t.TempDir(), Options{SyncDelay: 30 * time.Millisecond})
	start := time.Now()
	require.NoError(t, s.Save([]byte("x"), nil))
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
}

func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{CompactBytes: 4 << 10})
	snap := bytes.Repeat([]byte("s"), 300)
	var last []byte
	for i := range 500 {
		if i%100 == 0 {
			snap = fmt.Appendf(snap[:0], "snapshot %d %s", i, bytes.Repeat([]byte("s"), 300))
		}
		last = fmt.Appendf(nil, "state %d %s", i, bytes.Repeat([]byte("x"), i%200))
		require.NoError(t, s.Save(last, snap))
		for _, name := range fileNames {
			fi, err := os.Stat(filepath.Join(dir, name))
			require.NoError(t, err)
			require.LessOrEqual(t, fi.Size(), int64(4<<10), "%s after save %d", name, i)
		}
	}
	assert.Positive(t, s.Stats().Compactions)
	require.NoError(t, s.Close())
	requireHolds(t, dir, last, snap)
	tmps, err := filepath.Glob(filepath.Join(dir, "*.tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmps)
}

func TestSaveAfterCloseFails(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.Error(t, s.Save([]byte("x"), nil))
}

func TestInterruptedCreation(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, Options{})
	require.NoError(t, s.Save([]byte("kept"), []byte("snap")))
	require.NoError(t, s.Close())
	// A crash while a new store created its second file leaves a
	// temporary file, and no second file.
	require.NoError(t, os.Remove(filepath.Join(dir, fileNames[1])))
	require.NoError(t, os.WriteFile(filepath.Join(dir, fileNames[1]+".tmp"), []byte("raftlabS half"), 0o644))
	requireHolds(t, dir, []byte("kept"), []byte("snap"))
	fi, err := os.Stat(filepath.Join(dir, fileNames[1]))
	require.NoError(t, err, "Open creates the missing file")
	assert.Equal(t, int64(DefaultCompactBytes), fi.Size())
}

// buildLog writes saves into a fresh directory and returns it with the
// records of the log.
func buildLog(t *testing.T, opts Options, saves [][2][]byte) (string, []Record) {
	t.Helper()
	dir := t.TempDir()
	opts.NoSync = true
	if opts.CompactBytes == 0 {
		opts.CompactBytes = 16 << 10 // small files keep the every-byte loops fast
	}
	s, err := Open(dir, opts)
	require.NoError(t, err)
	for _, sv := range saves {
		require.NoError(t, s.Save(sv[0], sv[1]))
	}
	require.NoError(t, s.Close())
	recs, err := Records(dir)
	require.NoError(t, err)
	require.Equal(t, uint64(len(saves)+1), recs[len(recs)-1].Seq, "one record per save, after the empty one")
	return dir, recs
}

// savesUntilCompaction returns saves of which the last one compacts, with
// files of compactBytes.
func savesUntilCompaction(t *testing.T, compactBytes int64) [][2][]byte {
	t.Helper()
	s, err := Open(t.TempDir(), Options{NoSync: true, CompactBytes: compactBytes})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	var saves [][2][]byte
	for i := 0; s.Stats().Compactions == 0; i++ {
		sv := [2][]byte{fmt.Appendf(nil, "term=%d vote=1 log=[x y z]", i), []byte("snapshot one")}
		saves = append(saves, sv)
		require.NoError(t, s.Save(sv[0], sv[1]))
	}
	return saves
}

// TestTornLastRecord simulates a crash in the middle of the last save, at
// every byte: the log cut short there, or that byte damaged. Recovery must
// return the save before, and the store must go on working.
func TestTornLastRecord(t *testing.T) {
	cases := []struct {
		name  string
		opts  Options
		saves [][2][]byte
	}{
		{"last record is state only", Options{}, [][2][]byte{
			{[]byte("term=1 vote=0"), []byte("snapshot one")},
			{[]byte("term=2 vote=1 log=[x]"), []byte("snapshot one")},
			{[]byte("term=2 vote=1 log=[x y z]"), []byte("snapshot one")},
		}},
		{"last record is full", Options{}, [][2][]byte{
			{[]byte("term=1 vote=0"), []byte("snapshot one")},
			{[]byte("term=2 vote=1 log=[x]"), []byte("snapshot one")},
			{[]byte("term=3 vote=1 log=[]"), []byte("snapshot two, longer")},
		}},
		{"the only save", Options{}, [][2][]byte{
			{[]byte("term=1 vote=0"), []byte("snapshot one")},
		}},
		// The last save starts the other file; when it is torn, recovery
		// falls back to the first file.
		{"last record starts the other file", Options{CompactBytes: 512}, savesUntilCompaction(t, 512)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, recs := buildLog(t, tc.opts, tc.saves)
			var wantState, wantSnap []byte // what the save before the last left
			if n := len(tc.saves); n > 1 {
				wantState, wantSnap = tc.saves[n-2][0], tc.saves[n-2][1]
			}
			last := recs[len(recs)-1]
			if tc.opts.CompactBytes != 0 {
				require.Equal(t, int64(fileHeaderLen), last.Offset, "the last save must start the other file")
			}
			origs := map[string][]byte{}
			for _, name := range fileNames {
				path := filepath.Join(dir, name)
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				origs[path] = data
			}
			orig := origs[last.Path]

			damage := func(t *testing.T, what string, data []byte) {
				t.Helper()
				for _, name := range fileNames { // undo the last round's save
					path := filepath.Join(dir, name)
					require.NoError(t, os.WriteFile(path, origs[path], 0o644), what)
				}
				require.NoError(t, os.WriteFile(last.Path, data, 0o644), what)
				requireHolds(t, dir, wantState, wantSnap)
				// A new save goes after the last whole record, over the
				// torn one, and is read back.
				s, err := Open(dir, Options{NoSync: true, CompactBytes: 16 << 10})
				require.NoError(t, err, what)
				require.NoError(t, s.Save([]byte("after recovery"), wantSnap), what)
				require.NoError(t, s.Close())
				requireHolds(t, dir, []byte("after recovery"), wantSnap)
			}
			cutFrom := last.Offset
			if last.Offset == fileHeaderLen {
				cutFrom = 0 // a compaction torn inside the new file's header
			}
			for cut := cutFrom; cut < last.Offset+last.Size; cut++ {
				damage(t, fmt.Sprintf("cut at %d", cut), bytes.Clone(orig[:cut]))
			}
			for at := last.Offset; at < last.Offset+last.Size; at++ {
				data := bytes.Clone(orig)
				data[at] ^= 0x5a
				damage(t, fmt.Sprintf("byte %d damaged", at), data)
			}
			// A torn write of which only the first bytes reached the disk.
			data := bytes.Clone(orig)
			clear(data[last.Offset+10 : last.Offset+last.Size])
			damage(t, "zero tail", data)
		})
	}
}

func TestCorruptDirectory(t *testing.T) {
	saves := [][2][]byte{
		{[]byte("term=1"), []byte("snap")},
		{[]byte("term=2"), []byte("snap")},
		{[]byte("term=3"), []byte("snap")},
	}
	cases := []struct {
		name    string
		mangle  func(data []byte, recs []Record) []byte
		wantErr error
		wantMsg string
	}{
		{"empty file", func([]byte, []Record) []byte { return nil }, ErrCorrupt, "readable log"},
		{"not a state log", func([]byte, []Record) []byte { return []byte("hello, world, this is text") }, ErrCorrupt, "readable log"},
		{"newer version", func(data []byte, _ []Record) []byte {
			setVersion(data, formatVersion+1)
			return data
		}, ErrNewerVersion, fmt.Sprintf("format version %d, this build reads version %d", formatVersion+1, formatVersion)},
		{"version zero", func(data []byte, _ []Record) []byte {
			setVersion(data, 0)
			return data
		}, ErrCorrupt, "version 0"},
		{"middle record damaged", func(data []byte, recs []Record) []byte {
			data[recs[1].Offset+recHeaderLen+2] ^= 1
			return data
		}, ErrCorrupt, "followed by a complete save"},
		{"first record damaged", func(data []byte, recs []Record) []byte {
			data[recs[0].Offset+recHeaderLen+2] ^= 1
			return data
		}, ErrCorrupt, "followed by a complete save"},
		{"valid checksum, unknown kind", func(data []byte, recs []Record) []byte {
			r := data[recs[2].Offset:]
			r[recHeaderLen] = 9
			binary.LittleEndian.PutUint32(r[4:], recordCRC(binary.LittleEndian.Uint64(data[16:]), r))
			return data
		}, ErrCorrupt, "unknown kind 9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, recs := buildLog(t, Options{}, saves)
			path := recs[0].Path
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, tc.mangle(data, recs), 0o644))
			_, err = Open(dir, Options{})
			require.ErrorIs(t, err, tc.wantErr)
			assert.Contains(t, err.Error(), tc.wantMsg)
			assert.Contains(t, err.Error(), dir, "the error names the directory")
			_, err = Records(dir)
			require.ErrorIs(t, err, tc.wantErr)
		})
	}
}

// TestDamagedHeaderOfTheNewerFile: the header of the file that holds the
// log is broken (a compaction torn between its header and its record, or
// damage). The records under it are whole, so the latest save is still
// recovered, and the store goes on.
func TestDamagedHeaderOfTheNewerFile(t *testing.T) {
	saves := savesUntilCompaction(t, 512)
	last := saves[len(saves)-1]
	saves = append(saves, [2][]byte{[]byte("after the compaction"), last[1]})
	dir, recs := buildLog(t, Options{CompactBytes: 512}, saves)
	path := recs[0].Path
	require.Equal(t, filepath.Join(dir, fileNames[1]), path, "the log moved to the second file")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, at := range []int{0, 9, 17, 25} { // magic, version, generation, CRC
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			d := bytes.Clone(data)
			d[at] ^= 0x40
			require.NoError(t, os.WriteFile(path, d, 0o644))
			requireHolds(t, dir, []byte("after the compaction"), last[1])
			s, err := Open(dir, Options{NoSync: true, CompactBytes: 512})
			require.NoError(t, err)
			require.NoError(t, s.Save([]byte("and on"), last[1]))
			require.NoError(t, s.Close())
			requireHolds(t, dir, []byte("and on"), last[1])
		})
	}
}

// setVersion rewrites the format version of a file header, with a
// matching header checksum: a file a newer build wrote.
func setVersion(data []byte, v uint32) {
	binary.LittleEndian.PutUint32(data[8:], v)
	binary.LittleEndian.PutUint32(data[24:], crc32.Checksum(data[:24], castagnoli))
}

func TestRecordsListsWholeRecords(t *testing.T) {
	dir, recs := buildLog(t, Options{}, [][2][]byte{
		{[]byte("a"), []byte("s1")},
		{[]byte("bb"), []byte("s1")},
		{[]byte("ccc"), []byte("s2")},
	})
	assert.Equal(t, int64(fileHeaderLen), recs[0].Offset)
	require.Len(t, recs, 4)
	for i, r := range recs {
		assert.Equal(t, uint64(i+1), r.Seq)
		assert.Equal(t, filepath.Join(dir, fileNames[0]), r.Path)
		if i > 0 {
			assert.Equal(t, recs[i-1].Offset+recs[i-1].Size, r.Offset)
		}
	}
	assert.Equal(t, []bool{true, true, false, true}, []bool{recs[0].Full, recs[1].Full, recs[2].Full, recs[3].Full})
	_, err := Records(filepath.Join(dir, "missing"))
	require.Error(t, err)
}

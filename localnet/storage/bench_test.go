package storage_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/raftlab/raftlab/localnet/storage"
)

// saver is what the benchmark compares: a whole-state Save with fsync.
type saver interface {
	Save(state, snapshot []byte) error
	Close() error
}

// boltStore keeps the state and the snapshot in two bbolt buckets, one
// transaction per Save, with bbolt's fastest durable options (no freelist
// sync, hashmap freelist, a large initial mmap so the file is not remapped
// while it grows). Like the log it rewrites the snapshot only when it
// changed; the two live in separate buckets because a put copies the whole
// leaf page of its key, and a 1 MB snapshot beside the state in one leaf
// would be rewritten by every save.
type boltStore struct {
	db   *bolt.DB
	snap []byte
}

var (
	bucketState = []byte("state")
	bucketSnap  = []byte("snapshot")
	key         = []byte("v")
)

func openBolt(dir string) (*boltStore, error) {
	db, err := bolt.Open(filepath.Join(dir, "state.db"), 0o644, &bolt.Options{
		NoFreelistSync:  true,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: 256 << 20,
	})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketState); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists(bucketSnap)
		return err
	})
	return &boltStore{db: db}, err
}

func (b *boltStore) Save(state, snapshot []byte) error {
	changed := !bytes.Equal(snapshot, b.snap)
	err := b.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketState).Put(key, state); err != nil {
			return err
		}
		if changed {
			return tx.Bucket(bucketSnap).Put(key, snapshot)
		}
		return nil
	})
	if err == nil && changed {
		b.snap = bytes.Clone(snapshot)
	}
	return err
}

func (b *boltStore) Close() error { return b.db.Close() }

// BenchmarkSave measures one durable Save (fsync included) of a state that
// changes every time, with no snapshot or with a 1 MB snapshot that stays
// the same (the common case: saves between two compactions). Run it on the
// disk the nodes will use (TMPDIR decides where t.TempDir lies):
//
//	go test ./localnet/storage -run '^$' -bench Save -benchtime 2s
//
// For the log the benchmark reports fsyncs per save from Store.Stats; for
// bbolt count them with strace -f -c -e trace=fsync,fdatasync.
func BenchmarkSave(b *testing.B) {
	snapshot := bytes.Repeat([]byte("snapshot"), (1<<20)/8)
	for _, impl := range []string{"log", "bbolt"} {
		for _, stateSize := range []int{1 << 10, 64 << 10, 1 << 20} {
			for _, snap := range [][]byte{nil, snapshot} {
				name := fmt.Sprintf("%s/state=%s/snap=%s", impl, size(stateSize), size(len(snap)))
				b.Run(name, func(b *testing.B) {
					benchSave(b, impl, stateSize, snap)
				})
			}
		}
	}
}

// warmup is how many saves run before the timing starts.
const warmup = 100

func benchSave(b *testing.B, impl string, stateSize int, snap []byte) {
	dir := b.TempDir()
	var (
		s   saver
		log *storage.Store
		err error
	)
	if impl == "log" {
		log, err = storage.Open(dir, storage.Options{})
		s = log
	} else {
		s, err = openBolt(dir)
	}
	require.NoError(b, err)
	defer func() { require.NoError(b, s.Close()) }()
	state := bytes.Repeat([]byte{'x'}, stateSize)
	// Warm up: the snapshot is written once, and both implementations
	// reach their steady state (the log has used both of its files, bbolt
	// has grown its file and reuses freed pages).
	for i := range warmup {
		state[i%stateSize]++
		require.NoError(b, s.Save(state, snap))
	}
	var syncs0 int64
	if log != nil {
		syncs0 = log.Stats().Syncs
	}
	b.SetBytes(int64(stateSize))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		state[i%stateSize]++ // every save holds a new state
		if err := s.Save(state, snap); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if log != nil {
		b.ReportMetric(float64(log.Stats().Syncs-syncs0)/float64(b.N), "fsyncs/op")
	}
}

func size(n int) string {
	switch {
	case n == 0:
		return "0"
	case n%(1<<20) == 0:
		return fmt.Sprintf("%dMB", n>>20)
	default:
		return fmt.Sprintf("%dKB", n>>10)
	}
}

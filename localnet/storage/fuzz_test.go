package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzRecover feeds recovery arbitrary contents for the two log files: it
// must return a save or an error wrapping ErrCorrupt or ErrNewerVersion,
// and never panic.
func FuzzRecover(f *testing.F) {
	seed := func(saves [][2][]byte) {
		d := f.TempDir()
		s, err := Open(d, Options{NoSync: true, CompactBytes: 256})
		require.NoError(f, err)
		for _, sv := range saves {
			require.NoError(f, s.Save(sv[0], sv[1]))
		}
		require.NoError(f, s.Close())
		a, err := os.ReadFile(filepath.Join(d, fileNames[0]))
		require.NoError(f, err)
		b, err := os.ReadFile(filepath.Join(d, fileNames[1]))
		require.NoError(f, err)
		f.Add(a, b)
	}
	seed(nil)
	seed([][2][]byte{{[]byte("term=1"), []byte("snap")}, {[]byte("term=2"), []byte("snap")}})
	seed([][2][]byte{ // enough to compact into the second file
		{[]byte("term=1 vote=0 log=[a b c d e f]"), []byte("snapshot one")},
		{[]byte("term=2 vote=0 log=[a b c d e f g]"), []byte("snapshot one")},
		{[]byte("term=3 vote=0 log=[a b c d e f g h]"), []byte("snapshot one")},
		{[]byte("term=4 vote=0 log=[a b c d e f g h i]"), []byte("snapshot one")},
		{[]byte("term=5 vote=0 log=[]"), []byte("snapshot two")},
	})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		r, err := recoverDir("dir", [2][]byte{a, b})
		if err != nil {
			require.True(t, errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNewerVersion), "%v", err)
			return
		}
		require.NotEmpty(t, r.records)
		require.LessOrEqual(t, r.end, int64(len([2][]byte{a, b}[r.active])))
	})
}

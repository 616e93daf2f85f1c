package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// The two log files of a node's directory, used in turn.
var fileNames = [2]string{"state.0", "state.1"}

// DefaultCompactBytes is the size each log file is preallocated to, and the
// log size past which a Save compacts into the other file (unless the live
// data is larger; see [Options]).
const DefaultCompactBytes = 4 << 20

// Options tune a [Store]. The zero value is the safe default: every Save
// is on disk when it returns.
type Options struct {
	// NoSync skips every fsync. Saves still reach the kernel, so they
	// survive kill -9 of the process but not a power loss. For in-memory
	// throughput runs.
	NoSync bool

	// SyncDelay is slept before every fsync: slow-disk injection for
	// fault tests. Zero means none.
	SyncDelay time.Duration

	// CompactBytes is the size a new log file is filled to with zeros, and
	// the log size past which a Save starts the other file with one full
	// record instead of appending, provided the log would also be more than
	// four times that record. Zero means DefaultCompactBytes.
	CompactBytes int64
}

// Stats counts what a Store did since Open.
type Stats struct {
	Saves        int64 // successful Save calls
	Syncs        int64 // fsync and fdatasync calls (files and the directory)
	Compactions  int64 // saves that started the other file
	Deltas       int64 // saves written as a change of the previous state
	BytesWritten int64 // bytes written to files
}

// Store is one node's durable state. See the package documentation; it is
// not safe for concurrent use.
type Store struct {
	dir    string
	opts   Options
	files  [2]*os.File
	active int    // index of the file the log lives in
	gen    uint64 // generation of the active file, which seeds its records' CRCs
	ver    uint32 // format version of the active file: delta records need 2
	whole  bool   // never write deltas (BenchmarkSaveGrowingLog's comparison)
	end    int64  // end of the active log's last record: where the next goes
	seq    uint64 // sequence number of the last record
	state  []byte // the last saved state (owned)
	chain  int64  // state bytes the deltas since the last whole state rebuild on recovery
	snap   []byte // the last saved snapshot (owned)
	buf    []byte // record under construction, reused between saves
	stats  Stats
	err    error // sticky: set by a failed Save or by Close
}

// recovered is what a directory holds.
type recovered struct {
	parsed
	active int
	gen    uint64 // generation of the active file
	ver    uint32 // its format version
}

// recoverDir reads both log files of dir and picks the newest one whose
// first record is whole.
func recoverDir(dir string, data [2][]byte) (recovered, error) {
	var r recovered
	var hs [2]header
	for i := range hs {
		h, err := readHeader(data[i])
		if err != nil {
			return r, fmt.Errorf("%s: %w", filepath.Join(dir, fileNames[i]), err)
		}
		hs[i] = h
	}
	// A file whose header is broken next to a valid one may be the newer
	// file, its header torn by the crash that interrupted the compaction
	// that started it, or damaged since: if a whole record follows under
	// the next generation, it is, and it holds the latest saves.
	for i := range hs {
		if o := hs[1-i]; !hs[i].valid && o.valid {
			hs[i] = header{gen: o.gen + 1, guessed: true}
		}
	}
	order := [2]int{0, 1}
	if hs[1].gen > hs[0].gen {
		order = [2]int{1, 0}
	}
	for _, i := range order {
		if !hs[i].valid && !hs[i].guessed {
			continue
		}
		p, err := parseRecords(data[i], hs[i].gen)
		if errors.Is(err, errNoRecord) {
			continue // a compaction torn by a crash: the other file has the log
		}
		if err != nil {
			return r, fmt.Errorf("%s: %w", filepath.Join(dir, fileNames[i]), err)
		}
		for j := range p.records {
			p.records[j].Path = filepath.Join(dir, fileNames[i])
		}
		r.parsed, r.active, r.gen, r.ver = p, i, hs[i].gen, hs[i].version
		if hs[i].guessed {
			r.ver = formatVersion // a compaction of this build started it
		}
		return r, nil
	}
	return r, fmt.Errorf("%s: neither %s nor %s holds a readable log: %w",
		dir, fileNames[0], fileNames[1], ErrCorrupt)
}

// readFiles reads both log files of dir; a missing file reads as nil.
func readFiles(dir string) (data [2][]byte, missing [2]bool, err error) {
	for i, name := range fileNames {
		data[i], err = os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			missing[i], err = true, nil
		}
		if err != nil {
			return data, missing, err
		}
	}
	return data, missing, nil
}

// Open opens the store in dir, creating dir and its log files if needed,
// and recovers the last complete save. It returns an error wrapping
// [ErrCorrupt] or [ErrNewerVersion] for a directory it cannot trust.
func Open(dir string, opts Options) (*Store, error) {
	if opts.CompactBytes <= 0 {
		opts.CompactBytes = DefaultCompactBytes
	}
	s := &Store{dir: dir, opts: opts}
	if err := s.open(); err != nil {
		_ = s.closeFiles() // the open error is the one worth reporting
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	return s, nil
}

func (s *Store) open() error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	data, missing, err := readFiles(s.dir)
	if err != nil {
		return err
	}
	if missing[0] || missing[1] {
		if missing[0] && missing[1] {
			// A new store: file 0 holds one record of nothing saved, so
			// that every log, from the first, starts with a whole record.
			data[0] = appendRecord(appendFileHeader(nil, 1), 1, 1, true, nil, nil)
			if err := s.create(0, data[0]); err != nil {
				return err
			}
		}
		// A store whose creation a crash interrupted has only file 0.
		if err := s.create(1, nil); err != nil {
			return err
		}
		if err := s.syncDir(); err != nil {
			return fmt.Errorf("sync directory: %w", err)
		}
	}
	r, err := recoverDir(s.dir, data)
	if err != nil {
		return err
	}
	for i, name := range fileNames {
		if s.files[i], err = os.OpenFile(filepath.Join(s.dir, name), os.O_RDWR, 0); err != nil {
			return err
		}
	}
	s.active, s.gen, s.end, s.seq, s.ver, s.chain = r.active, r.gen, r.end, r.seq, r.ver, r.chain
	s.state, s.snap = bytes.Clone(r.state), bytes.Clone(r.snap)
	return nil
}

// create writes a log file with content, filled with zeros to
// CompactBytes, through a temporary file renamed into place, so that a
// crash leaves either no file or a whole one. The zeros are written, not
// just allocated: overwriting written blocks later needs no metadata
// update, which is what makes a save cost one cheap fdatasync.
func (s *Store) create(i int, content []byte) error {
	path := filepath.Join(s.dir, fileNames[i])
	tmp := path + ".tmp"
	data := make([]byte, max(int64(len(content)), s.opts.CompactBytes))
	copy(data, content)
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	n, err := f.Write(data)
	s.stats.BytesWritten += int64(n)
	if err == nil {
		err = s.sync(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return nil
}

// Save replaces the state and the snapshot, atomically, and returns once
// both are on disk (unless Options.NoSync). A nil or empty snapshot means
// no snapshot. A snapshot equal to the stored one is not written again.
// After an error the Store refuses every later Save.
func (s *Store) Save(state, snapshot []byte) error {
	if s.err != nil {
		return s.err
	}
	return s.save(state, snapshot, !bytes.Equal(snapshot, s.snap))
}

// SaveState is Save(state, the stored snapshot): for a caller that knows
// its snapshot has not changed since the last save, which spares the
// comparison of the whole snapshot Save makes.
func (s *Store) SaveState(state []byte) error {
	if s.err != nil {
		return s.err
	}
	return s.save(state, s.snap, false)
}

// save writes state and, if full, snapshot (else snapshot is the stored one).
func (s *Store) save(state, snapshot []byte, full bool) error {
	fullSize := int64(recOverhead + bodyPrefixLen + len(state) + len(snapshot))
	if fullSize-recOverhead > maxBody {
		return fmt.Errorf("storage: save of %d state and %d snapshot bytes: larger than a record can hold",
			len(state), len(snapshot))
	}
	recSize := fullSize
	var d delta
	isDelta := false
	if !full {
		recSize -= int64(len(snapshot))
		if s.ver >= 2 && !s.whole {
			// A chain of deltas is bounded by what recovery rebuilds
			// (each delta copies a whole state): past the bound, a whole
			// state starts a new chain.
			if s.chain+int64(len(state)) <= s.maxChain() {
				if d, isDelta = findDelta(s.state, state); isDelta {
					recSize = int64(recOverhead + bodyPrefixLen + deltaPrefixLen + len(d.head) + len(d.tail))
				}
			}
		}
	}
	var err error
	wroteDelta := false
	switch {
	case s.end+recSize > max(s.opts.CompactBytes, 4*fullSize):
		err = s.compact(state, snapshot)
	case isDelta:
		wroteDelta = true
		s.buf = appendDeltaRecord(s.buf[:0], s.gen, s.seq+1, len(state), d)
		err = s.appendBuf()
		s.stats.Deltas++
	default:
		err = s.append(full, state, snapshot)
	}
	if err != nil {
		s.err = fmt.Errorf("storage: save in %s: %w (the store is unusable until reopened)", s.dir, err)
		return s.err
	}
	if wroteDelta {
		s.chain += int64(len(state))
	} else {
		s.chain = 0
	}
	s.stats.Saves++
	s.seq++
	s.state = append(s.state[:0], state...)
	if full {
		s.snap = append(s.snap[:0], snapshot...)
	}
	return nil
}

// append writes one record at the end of the active log and syncs it.
func (s *Store) append(full bool, state, snapshot []byte) error {
	s.buf = appendRecord(s.buf[:0], s.gen, s.seq+1, full, state, snapshot)
	return s.appendBuf()
}

// appendBuf writes the record in s.buf at the end of the active log and
// syncs it.
func (s *Store) appendBuf() error {
	if err := s.write(s.active, s.buf, s.end); err != nil {
		return err
	}
	s.end += int64(len(s.buf))
	return nil
}

// maxChain bounds the state bytes recovery rebuilds from one chain of
// delta records: 16 times the log file's size, so that a reopen copies at
// most a few hundred MB however small the deltas are (a chain of 25,000
// deltas of a 330 KB state took 2.4 s and 4 GB to reopen before).
func (s *Store) maxChain() int64 { return 16 * s.opts.CompactBytes }

// compact starts the other file with the next generation and one full
// record. Until its sync returns, the active file still holds the whole
// log, and recovery falls back to it if the new file's first record is
// torn. The newer file's generation is always the older one's plus one
// (also when a compaction is redone over a torn one, whose record never
// became whole), which lets recovery read a newer file whose header broke.
func (s *Store) compact(state, snapshot []byte) error {
	other, gen := 1-s.active, s.gen+1
	s.buf = appendFileHeader(s.buf[:0], gen)
	s.buf = appendRecord(s.buf, gen, s.seq+1, true, state, snapshot)
	if err := s.write(other, s.buf, 0); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	s.active, s.gen, s.end, s.ver = other, gen, int64(len(s.buf)), formatVersion
	s.stats.Compactions++
	return nil
}

func (s *Store) write(i int, b []byte, off int64) error {
	n, err := s.files[i].WriteAt(b, off)
	s.stats.BytesWritten += int64(n)
	if err != nil {
		return fmt.Errorf("write %s at %d: %w", fileNames[i], off, err)
	}
	if err := s.sync(s.files[i]); err != nil {
		return fmt.Errorf("sync %s: %w", fileNames[i], err)
	}
	return nil
}

func (s *Store) sync(f *os.File) error {
	if s.opts.NoSync {
		return nil
	}
	if s.opts.SyncDelay > 0 {
		time.Sleep(s.opts.SyncDelay)
	}
	s.stats.Syncs++
	return fdatasync(f)
}

func (s *Store) syncDir() error {
	if s.opts.NoSync {
		return nil
	}
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	if s.opts.SyncDelay > 0 {
		time.Sleep(s.opts.SyncDelay)
	}
	s.stats.Syncs++
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadState returns a copy of the last saved state, nil if none.
func (s *Store) ReadState() []byte { return bytes.Clone(nilIfEmpty(s.state)) }

// ReadSnapshot returns a copy of the last saved snapshot, nil if none.
func (s *Store) ReadSnapshot() []byte { return bytes.Clone(nilIfEmpty(s.snap)) }

// StateSize returns the size of the last saved state in bytes.
func (s *Store) StateSize() int { return len(s.state) }

// SnapshotSize returns the size of the last saved snapshot in bytes.
func (s *Store) SnapshotSize() int { return len(s.snap) }

// Stats returns the counters since Open.
func (s *Store) Stats() Stats { return s.stats }

// Dir returns the directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Close closes the log files. Every completed Save is already on disk, so
// Close has nothing to flush; later Saves fail.
func (s *Store) Close() error {
	err := s.closeFiles()
	if s.err == nil {
		s.err = errors.New("storage: store is closed")
	}
	return err
}

func (s *Store) closeFiles() error {
	var errs []error
	for i, f := range s.files {
		if f != nil {
			errs = append(errs, f.Close())
			s.files[i] = nil
		}
	}
	return errors.Join(errs...)
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// Records lists the whole records of the log in dir, the way Open would
// recover it, without changing anything: for tools, and for fault tests
// that damage the last record. A torn last record is not listed. The
// first record of a new store is an empty save.
func Records(dir string) ([]Record, error) {
	data, missing, err := readFiles(dir)
	if err == nil && missing[0] && missing[1] {
		err = fmt.Errorf("no log files in %s: %w", dir, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: records: %w", err)
	}
	r, err := recoverDir(dir, data)
	if err != nil {
		return nil, fmt.Errorf("storage: records: %w", err)
	}
	return r.records, nil
}

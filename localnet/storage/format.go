package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// The on-disk layout; see the package documentation.
const (
	fileMagic     = "raftlabS" // first 8 bytes of a log file
	formatVersion = 2          // the version this build writes; it reads 1 too (2 adds delta records)
	// file header: magic, u32 version, u32 reserved, u64 generation,
	// u32 CRC32C of the 24 bytes before it, u32 reserved.
	fileHeaderLen = 32

	recHeaderLen  = 16 // u32 body length, u32 CRC32C, u64 sequence number
	recTrailerLen = 8  // u32 body length, u32 trailer magic
	recOverhead   = recHeaderLen + recTrailerLen
	trailerMagic  = 0x31434552 // "REC1" in the file; a marker, the CRC decides
	bodyPrefixLen = 5          // u8 kind, u32 state length

	kindState = 1 // body holds the state; the snapshot is the previous record's
	kindFull  = 2 // body holds the state and the snapshot
	kindDelta = 3 // body holds the state as a change of the previous record's; the snapshot is the previous record's

	// a delta body after its prefix: u32 keep offset, u32 keep length, u32 head length
	deltaPrefixLen = 12

	maxBody = 1<<32 - 1
)

// ErrCorrupt is wrapped by the errors Open returns for a directory whose
// contents no crash could have produced: no readable log, or a damaged
// record followed by a complete one.
var ErrCorrupt = errors.New("storage: corrupt state log")

// ErrNewerVersion is wrapped by the error Open returns for a log written by
// a newer format version than this build understands.
var ErrNewerVersion = errors.New("storage: state log written by a newer format version")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Record describes one complete record of a state log, as listed by
// [Records]: where it lies, so that fault tests can damage it.
type Record struct {
	Path   string // the log file holding it
	Offset int64  // byte offset of the record's first byte in the file
	Size   int64  // length of the whole record, header and trailer included
	Seq    uint64 // sequence number; consecutive records count up by one
	Full   bool   // the record carries a snapshot (kind full)
}

func appendFileHeader(buf []byte, gen uint64) []byte {
	start := len(buf)
	buf = append(buf, fileMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, formatVersion)
	buf = binary.LittleEndian.AppendUint32(buf, 0)
	buf = binary.LittleEndian.AppendUint64(buf, gen)
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf[start:], castagnoli))
	return binary.LittleEndian.AppendUint32(buf, 0)
}

// header is a file header read back.
type header struct {
	valid   bool   // magic and CRC match: the file belongs to a store
	guessed bool   // not valid, but gen is worth trying (see recoverDir)
	gen     uint64 // generation: the file with the highest one is the newest
	version uint32 // format version (valid headers only)
}

// readHeader reads a file header. A header that is not whole (a file never
// used, or a compaction torn while it overwrote the header) is not valid
// and not an error; a whole header of a newer version is.
func readHeader(data []byte) (header, error) {
	if len(data) < fileHeaderLen || string(data[:len(fileMagic)]) != fileMagic ||
		binary.LittleEndian.Uint32(data[24:]) != crc32.Checksum(data[:24], castagnoli) {
		return header{}, nil
	}
	v := binary.LittleEndian.Uint32(data[8:])
	if v != formatVersion && v != 1 {
		if v > formatVersion {
			return header{}, fmt.Errorf("format version %d, this build reads version %d: %w", v, formatVersion, ErrNewerVersion)
		}
		return header{}, fmt.Errorf("format version %d: %w", v, ErrCorrupt)
	}
	return header{valid: true, gen: binary.LittleEndian.Uint64(data[16:]), version: v}, nil
}

// appendRecord appends one record of generation gen to buf. snap is written
// only when full.
func appendRecord(buf []byte, gen, seq uint64, full bool, state, snap []byte) []byte {
	bodyLen := bodyPrefixLen + len(state)
	kind := byte(kindState)
	if full {
		bodyLen += len(snap)
		kind = kindFull
	}
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(bodyLen))
	buf = binary.LittleEndian.AppendUint32(buf, 0) // CRC, filled in below
	buf = binary.LittleEndian.AppendUint64(buf, seq)
	buf = append(buf, kind)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(state)))
	buf = append(buf, state...)
	if full {
		buf = append(buf, snap...)
	}
	binary.LittleEndian.PutUint32(buf[start+4:], recordCRC(gen, buf[start:]))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(bodyLen))
	buf = binary.LittleEndian.AppendUint32(buf, trailerMagic)
	return buf
}

// delta describes a state as a change of the previous one: head, then
// keepLen bytes of the previous state from keepOff, then tail.
type delta struct {
	head, tail       []byte
	keepOff, keepLen int
}

// appendDeltaRecord appends one record of kind delta: the new state, of
// stateLen bytes, as d applied to the previous record's state.
func appendDeltaRecord(buf []byte, gen, seq uint64, stateLen int, d delta) []byte {
	bodyLen := bodyPrefixLen + deltaPrefixLen + len(d.head) + len(d.tail)
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(bodyLen))
	buf = binary.LittleEndian.AppendUint32(buf, 0) // CRC, filled in below
	buf = binary.LittleEndian.AppendUint64(buf, seq)
	buf = append(buf, kindDelta)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(stateLen))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(d.keepOff))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(d.keepLen))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(d.head)))
	buf = append(buf, d.head...)
	buf = append(buf, d.tail...)
	binary.LittleEndian.PutUint32(buf[start+4:], recordCRC(gen, buf[start:]))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(bodyLen))
	buf = binary.LittleEndian.AppendUint32(buf, trailerMagic)
	return buf
}

// minDelta is the smallest state worth a delta record: below it, a state
// record costs about as little.
const minDelta = 512

// findDelta finds how next can be written as a change of prev: a run of
// prev that next holds at nearly the same place, after a head that may
// differ (Raft's state: a header whose counts change, the log's entries,
// new entries at the end). ok is false when the run would save less than
// half of next.
//
// The run may start a few bytes later in either (a varint that grew or
// shrank, a field that changed): the candidates' shifts are tried from
// the smallest, and the first run that reaches the end of prev is taken,
// which for Raft's appends is the first candidate that matches at all.
// The bytes compared are bounded (repetitive data matches at many
// shifts), so a save never costs more than a few passes over the state.
func findDelta(prev, next []byte) (d delta, ok bool) {
	if len(prev) < minDelta || len(next) < minDelta {
		return d, false
	}
	p := commonPrefix(prev, next)
	best, bestX := delta{keepOff: 0, keepLen: p}, 0
	const window, probe = 16, 32
	budget := 2*len(next) + 4*window*window*probe
	search := func() {
		for shift := 0; shift <= window; shift++ {
			for _, dir := range []int{1, -1} {
				if shift == 0 && dir < 0 {
					continue
				}
				for a := 0; a <= window; a++ {
					b := a + dir*shift
					y, x := p+a, p+b
					if b < 0 || b > window || y+probe > len(prev) || x+probe > len(next) {
						continue
					}
					budget -= probe
					if !bytes.Equal(prev[y:y+probe], next[x:x+probe]) {
						continue
					}
					l := probe + commonPrefix(prev[y+probe:], next[x+probe:])
					budget -= l
					if l > best.keepLen {
						best, bestX = delta{keepOff: y, keepLen: l}, x
					}
					if y+l == len(prev) || budget <= 0 {
						return
					}
				}
			}
		}
	}
	if p < len(prev) {
		search()
	}
	if best.keepLen < len(next)/2 {
		return d, false
	}
	best.head, best.tail = next[:bestX], next[bestX+best.keepLen:]
	return best, true
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for i+8 <= n && binary.LittleEndian.Uint64(a[i:]) == binary.LittleEndian.Uint64(b[i:]) {
		i += 8
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// recordCRC is the CRC32C of the file's generation and a record's length,
// sequence number and body; rec starts at the record's header and holds
// at least its body. Seeding with the generation makes every record left
// over from an earlier use of the file fail its check.
func recordCRC(gen uint64, rec []byte) uint32 {
	bodyLen := binary.LittleEndian.Uint32(rec)
	c := crc32.Update(0, castagnoli, binary.LittleEndian.AppendUint64(nil, gen))
	c = crc32.Update(c, castagnoli, rec[0:4])
	return crc32.Update(c, castagnoli, rec[8:recHeaderLen+int(bodyLen)])
}

// decoded is one whole record read back.
type decoded struct {
	Record
	state   []byte // aliases the file's bytes; nil for a delta
	snap    []byte // aliases the file's bytes; meaningful only if Full
	isDelta bool
	delta   delta // a delta record's change (aliasing the file's bytes)
}

// errContent marks a record whose checksum matches but whose body makes no
// sense: the writer wrote it so, which no crash explains.
var errContent = errors.New("malformed body under a valid checksum")

// readRecord reads the record at off. ok is false when the record is not
// whole (short, bad trailer, bad CRC): a torn write, the end of the log, or
// damage. err is set when the record is whole but its body is malformed.
func readRecord(data []byte, gen uint64, off int64) (d decoded, ok bool, err error) {
	if off > int64(len(data)) {
		return d, false, nil
	}
	rest := data[off:]
	if len(rest) < recOverhead {
		return d, false, nil
	}
	bodyLen := int64(binary.LittleEndian.Uint32(rest))
	size := recOverhead + bodyLen
	if bodyLen < bodyPrefixLen || int64(len(rest)) < size {
		return d, false, nil
	}
	tr := rest[recHeaderLen+bodyLen:]
	if int64(binary.LittleEndian.Uint32(tr)) != bodyLen || binary.LittleEndian.Uint32(tr[4:]) != trailerMagic {
		return d, false, nil
	}
	if binary.LittleEndian.Uint32(rest[4:]) != recordCRC(gen, rest) {
		return d, false, nil
	}
	body := rest[recHeaderLen : recHeaderLen+bodyLen]
	d.Offset, d.Size = off, size
	d.Seq = binary.LittleEndian.Uint64(rest[8:])
	stateLen := int64(binary.LittleEndian.Uint32(body[1:]))
	if body[0] == kindDelta {
		return readDelta(d, body, stateLen)
	}
	if stateLen > bodyLen-bodyPrefixLen {
		return d, true, fmt.Errorf("record at offset %d: state length %d exceeds body: %w", off, stateLen, errContent)
	}
	d.state = body[bodyPrefixLen : bodyPrefixLen+stateLen]
	switch body[0] {
	case kindState:
		if stateLen != bodyLen-bodyPrefixLen {
			return d, true, fmt.Errorf("record at offset %d: state record with %d trailing bytes: %w",
				off, bodyLen-bodyPrefixLen-stateLen, errContent)
		}
	case kindFull:
		d.Full = true
		d.snap = body[bodyPrefixLen+stateLen:]
	default:
		return d, true, fmt.Errorf("record at offset %d: unknown kind %d: %w", off, body[0], errContent)
	}
	return d, true, nil
}

// readDelta reads the rest of a delta record's body.
func readDelta(d decoded, body []byte, stateLen int64) (decoded, bool, error) {
	rest := body[bodyPrefixLen:]
	if len(rest) < deltaPrefixLen {
		return d, true, fmt.Errorf("record at offset %d: delta body of %d bytes: %w", d.Offset, len(body), errContent)
	}
	keepOff := int64(binary.LittleEndian.Uint32(rest))
	keepLen := int64(binary.LittleEndian.Uint32(rest[4:]))
	headLen := int64(binary.LittleEndian.Uint32(rest[8:]))
	rest = rest[deltaPrefixLen:]
	if headLen > int64(len(rest)) || headLen+keepLen+int64(len(rest))-headLen != stateLen {
		return d, true, fmt.Errorf("record at offset %d: delta of %d head, %d kept and %d tail bytes for a state of %d: %w",
			d.Offset, headLen, keepLen, int64(len(rest))-headLen, stateLen, errContent)
	}
	d.isDelta = true
	d.delta = delta{head: rest[:headLen], tail: rest[headLen:], keepOff: int(keepOff), keepLen: int(keepLen)}
	return d, true, nil
}

// parsed is what one log file holds.
type parsed struct {
	state, snap []byte   // the latest save (aliasing the file's bytes)
	seq         uint64   // its sequence number
	end         int64    // end of the last whole record: where the next one goes
	records     []Record // every whole record, in order
	chain       int64    // state bytes the deltas since the last whole state rebuilt
}

// parseRecords reads the records of a file of generation gen, from the
// first to the first one that is not whole: that one was being written
// when the node stopped (or is what an earlier use of the file left
// there). It is an error if a whole record of this generation and a later
// sequence number follows it, which no crash explains, or if the file has
// no whole record at all (the caller then uses the other file).
func parseRecords(data []byte, gen uint64) (parsed, error) {
	var p parsed
	var rebuild [2][]byte
	cur := 0
	off := int64(fileHeaderLen)
	for {
		d, ok, err := readRecord(data, gen, off)
		if err != nil {
			return p, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if ok && len(p.records) > 0 && d.Seq != p.seq+1 {
			ok = false // a whole record out of sequence: not part of this log
		}
		if ok && d.isDelta && (len(p.records) == 0 || d.delta.keepOff+d.delta.keepLen > len(p.state)) {
			return p, fmt.Errorf("%w: record at offset %d keeps bytes %d..%d of a previous state of %d bytes: %w",
				ErrCorrupt, off, d.delta.keepOff, d.delta.keepOff+d.delta.keepLen, len(p.state), errContent)
		}
		if !ok {
			break
		}
		if d.isDelta {
			// Rebuilt into one of two buffers in turn (the other holds
			// the previous state): a chain of deltas costs copies, not
			// an allocation each.
			next := rebuild[cur][:0]
			next = append(next, d.delta.head...)
			next = append(next, p.state[d.delta.keepOff:d.delta.keepOff+d.delta.keepLen]...)
			next = append(next, d.delta.tail...)
			rebuild[cur], cur = next, 1-cur
			d.state = next
			p.chain += int64(len(next))
		} else {
			p.chain = 0
		}
		p.records = append(p.records, d.Record)
		p.state, p.seq = d.state, d.Seq
		if d.Full {
			p.snap = d.snap
		}
		off += d.Size
	}
	p.end = off
	if err := findLaterRecord(data, gen, off, p.seq); err != nil {
		return p, err
	}
	if len(p.records) == 0 {
		return p, errNoRecord
	}
	return p, nil
}

// errNoRecord: a file with a valid header whose first record is not whole,
// which is what a compaction torn by a crash leaves.
var errNoRecord = errors.New("no whole record")

// findLaterRecord returns an error if a whole record of generation gen
// with a sequence number above lastSeq starts after off. Each record is
// synced before the next is written, so a crash tears only the last one;
// a whole record after a broken one means damage, and reading on from the
// broken one would silently forget complete saves (for Raft: votes and
// acknowledged entries). Candidates are found by their trailer magic.
func findLaterRecord(data []byte, gen uint64, off int64, lastSeq uint64) error {
	magic := binary.LittleEndian.AppendUint32(nil, trailerMagic)
	for from := off + recOverhead - 4; from < int64(len(data)); {
		i := bytes.Index(data[from:], magic)
		if i < 0 {
			return nil
		}
		end := from + int64(i) + 4 // one past the candidate's trailer
		from = end
		bodyLen := int64(binary.LittleEndian.Uint32(data[end-recTrailerLen:]))
		start := end - recOverhead - bodyLen
		if start <= off {
			continue
		}
		if d, ok, _ := readRecord(data, gen, start); ok && d.Seq > lastSeq {
			return fmt.Errorf("broken record at offset %d is followed by a complete save (seq %d at offset %d): %w",
				off, d.Seq, start, ErrCorrupt)
		}
	}
	return nil
}

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
	formatVersion = 1          // the version this build writes and reads
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
}

// readHeader reads a file header. A header that is not whole (a file never
// used, or a compaction torn while it overwrote the header) is not valid
// and not an error; a whole header of a newer version is.
func readHeader(data []byte) (header, error) {
	if len(data) < fileHeaderLen || string(data[:len(fileMagic)]) != fileMagic ||
		binary.LittleEndian.Uint32(data[24:]) != crc32.Checksum(data[:24], castagnoli) {
		return header{}, nil
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != formatVersion {
		if v > formatVersion {
			return header{}, fmt.Errorf("format version %d, this build reads version %d: %w", v, formatVersion, ErrNewerVersion)
		}
		return header{}, fmt.Errorf("format version %d: %w", v, ErrCorrupt)
	}
	return header{valid: true, gen: binary.LittleEndian.Uint64(data[16:])}, nil
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
	state []byte // aliases the file's bytes
	snap  []byte // aliases the file's bytes; meaningful only if Full
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

// parsed is what one log file holds.
type parsed struct {
	state, snap []byte   // the latest save (aliasing the file's bytes)
	seq         uint64   // its sequence number
	end         int64    // end of the last whole record: where the next one goes
	records     []Record // every whole record, in order
}

// parseRecords reads the records of a file of generation gen, from the
// first to the first one that is not whole: that one was being written
// when the node stopped (or is what an earlier use of the file left
// there). It is an error if a whole record of this generation and a later
// sequence number follows it, which no crash explains, or if the file has
// no whole record at all (the caller then uses the other file).
func parseRecords(data []byte, gen uint64) (parsed, error) {
	var p parsed
	off := int64(fileHeaderLen)
	for {
		d, ok, err := readRecord(data, gen, off)
		if err != nil {
			return p, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if ok && len(p.records) > 0 && d.Seq != p.seq+1 {
			ok = false // a whole record out of sequence: not part of this log
		}
		if !ok {
			break
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

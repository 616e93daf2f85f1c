// Package storage is the durable storage of one localnet node: the
// [github.com/raftlab/raftlab/raftapi.Persister] contract (Save replaces the Raft state and the
// snapshot atomically) made to survive kill -9 and power loss.
//
// # Format
//
// A node's directory holds two log files, state.0 and state.1, used in
// turn. Each starts with a 32-byte header (magic, format version, a
// generation number, a CRC) followed by an append-only log of records, each
// a whole save:
//
//	header  u32 body length | u32 CRC32C | u64 sequence number
//	body    u8 kind | u32 state length | state | snapshot (kind full only)
//	        kind delta: u8 kind | u32 state length | u32 keep offset |
//	        u32 keep length | u32 head length | head | tail
//	trailer u32 body length | u32 trailer magic
//
// The CRC covers the file's generation, the length, the sequence number
// and the body. A record of kind "state" carries only the Raft state and
// keeps the snapshot of the record before it; a record of kind "full"
// carries both. A Save whose snapshot equals the stored one writes only the
// state, so the usual save (a term, a vote, a few new log entries, next to
// a large snapshot that did not change) costs one write of the state and
// one fdatasync, whatever the snapshot's size.
//
// Format version 2 adds records of kind "delta": the new state is the
// previous record's with a new head, a run of its bytes kept (from the
// keep offset), and a new tail. Raft's state changes that way between
// most saves (a header of counts, the log's entries, new entries at the
// end), so a save writes the new entries and a few bytes, not the whole
// log; Save uses one when the kept run is at least half the state.
// Recovery rebuilds each state from the one before, in order; a delta
// whose kept run lies outside the previous state, under a valid checksum,
// is corruption. Version-1 files (no deltas) are read, and written on
// without deltas until a compaction starts a version-2 file.
//
// When the active log is full ([Options.CompactBytes], or four times the
// live data if that is more), the Save writes a new header (generation + 1)
// and one full record at the start of the other file, over whatever an
// earlier generation left there: one write and one fdatasync too, and no
// rename. Until that record is whole on disk the active file still holds
// the whole log, so a crash in the middle leaves one of the two intact.
//
// # Why a format of our own, and why two files
//
// Raft saves whole state, every time, and needs only the latest save back.
// On ext4, an fdatasync after a write that only overwrites allocated blocks
// flushes the data and nothing else; one that extends the file also commits
// the journal for the new size and blocks, which on this class of machine
// doubles its cost. So both files are filled with zeros when a store is
// created and are reused forever after: a save overwrites, and the
// generation seeded into every record's CRC makes records left over from an
// earlier use of a file fail their check. A key/value store such as bbolt
// also overwrites in place, but commits with two fdatasyncs (the data
// pages, then the meta page) and writes B+tree pages and a freelist besides.
// BenchmarkSave measures both on the same disk; the figures are in the
// commit that added this package.
//
// # Recovery
//
// [Open] picks the file with the highest generation whose first record is
// whole (a file whose header is broken is read as the next generation of
// the other: a compaction whose crash tore the header but not the record,
// or a header damaged since, still yields its records), and keeps the last
// record of its log that is whole: its header,
// body and trailer are all present, its CRC matches and its sequence number
// follows the one before. A crash can damage only the last record (each
// record is synced before the next is written), so a broken record is taken
// for a torn write, or the end of the log, and recovery stops before it;
// the next save overwrites it. A broken record followed by a whole one of
// the same generation and a later sequence number cannot be the result of
// a crash: Open returns an error wrapping [ErrCorrupt] rather than silently
// dropping complete saves, which for Raft would forget votes and
// acknowledged entries. A directory with no readable log is corrupt too,
// and a file written by a newer format version gives an error wrapping
// [ErrNewerVersion].
//
// # Use
//
// A [Store] is not safe for concurrent use: one goroutine (the one that
// owns the node and runs its turns) calls it. Only one Store may have a
// directory open at a time; nothing enforces that, the supervisor gives
// every node its own directory. After Save returns an error the Store
// refuses further saves: after a failed write or fsync the kernel's page
// cache can no longer be trusted to match the disk, so the node must stop
// and be restarted from what Open recovers. [raftapi.Persister.Save]
// returns no error; the driver that adapts a Store to it decides what a
// failed save does to the node (it must not let the turn's messages leave).
package storage

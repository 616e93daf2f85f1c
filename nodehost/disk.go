package nodehost

import "bytes"

// Disk is one node's stable storage: the Raft state and the snapshot that
// the node's [raftapi.Persister] saves. It outlives incarnations: a driver
// keeps it across a crash and boots the next incarnation over it. The zero
// Disk is empty. Like the Host, it belongs to the driver's goroutine.
//
// The contract's semantics, which every driver now shares: Save replaces
// both blobs at once and copies them; an empty blob is no blob, so a
// snapshot saved as nil or as []byte{} reads back as nil, and so does an
// empty state.
type Disk struct {
	state, snapshot []byte
	saves           int
}

// State is the saved Raft state (nil if none). It is the disk's own slice:
// the caller must not modify it.
func (d *Disk) State() []byte { return d.state }

// Snapshot is the saved snapshot (nil if none). It is the disk's own slice:
// the caller must not modify it.
func (d *Disk) Snapshot() []byte { return d.snapshot }

// Saves counts the calls of Save so far, across incarnations.
func (d *Disk) Saves() int { return d.saves }

// Clone returns an independent copy of the disk, for booting a throw-away
// incarnation over the same bytes.
func (d *Disk) Clone() *Disk {
	return &Disk{state: clone(d.state), snapshot: clone(d.snapshot), saves: d.saves}
}

// Set replaces the disk's contents, as Save does, without counting a save:
// for drivers that prepare a disk (a test restoring a node from given
// bytes).
func (d *Disk) Set(state, snapshot []byte) {
	d.state, d.snapshot = clone(state), clone(snapshot)
}

func (d *Disk) save(state, snapshot []byte) {
	d.state = clone(state)
	// Nodes save their snapshot with every state change; a copy of the
	// same bytes (the disk's are never modified) would cost an allocation
	// of the whole snapshot per save.
	if !bytes.Equal(snapshot, d.snapshot) {
		d.snapshot = clone(snapshot)
	}
	d.saves++
}

// clone copies b; an empty b (nil or not) is nil, the contract's "none".
func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

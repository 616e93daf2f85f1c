package sim

import "time"

type eventKind uint8

const (
	evTick     eventKind = iota // a node's clock ticks
	evDeliver                   // a message arrives
	evSnapshot                  // the service's queued Snapshot turn
)

// event is one entry of the simulator's agenda. Events at the same time run
// in the order they were scheduled (the agenda's seq), which makes the run
// a pure function of the seed.
type event struct {
	at   time.Duration
	kind eventKind
	// uncounted marks a delivery the flood counters leave out (see
	// flood): one held for a paused node and released at its resume
	// (released is set too), or a reply sent by the turn that handled
	// such a released message.
	uncounted, released bool
	node                int
	inc                 int // incarnation the event is for (ticks, snapshot turns)
	index               int // snapshot turns: the index
	// msg is the message a delivery carries: one of the Cluster's pooled
	// messages, which counts this event among its holders (see
	// Cluster.newMessage).
	msg  *message
	data []byte // snapshot turns: the service's snapshot
}

// agendaKey is an event's place in the agenda's heap: its order (at,
// seq) and the slot of the slab that holds it. Keys hold no pointers,
// so that moving them through the heap costs no write barriers, and
// they are small, so that a move is cheap (under js/wasm both matter).
type agendaKey struct {
	at   time.Duration
	seq  uint64
	slot int32
}

func (k *agendaKey) before(o *agendaKey) bool {
	if k.at != o.at {
		return k.at < o.at
	}
	return k.seq < o.seq
}

// tickKey is a scheduled tick: the whole event, in the keys' order.
type tickKey struct {
	at   time.Duration
	seq  uint64
	node int
	inc  int
}

func (k *tickKey) before(o *tickKey) bool {
	if k.at != o.at {
		return k.at < o.at
	}
	return k.seq < o.seq
}

// agenda is the simulator's queue of events, in (at, seq) order. Ticks,
// nearly nine events in ten, wait in a heap of their own (a handful of
// small pointer-free entries, one or two per node); the other events in
// a heap of keys over a slab whose free slots are reused, so that an
// event is written once when pushed and read once when popped, and the
// agenda allocates nothing once it has grown to the run's size. Both
// heaps draw seq from one counter, so that the order of all events is
// the one a single heap gives. They are written out rather than built on
// container/heap to keep everything unboxed on the hot path.
type agenda struct {
	ticks []tickKey
	keys  []agendaKey
	slab  []event
	free  []int32 // slots of slab not in use
	seq   uint64
}

func (q *agenda) len() int { return len(q.ticks) + len(q.keys) }

func (q *agenda) push(e event) {
	q.seq++
	if e.kind == evTick {
		q.pushTick(tickKey{at: e.at, seq: q.seq, node: e.node, inc: e.inc})
		return
	}
	var slot int32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.slab[slot] = e
	} else {
		slot = int32(len(q.slab))
		q.slab = append(q.slab, e)
	}
	q.keys = append(q.keys, agendaKey{at: e.at, seq: q.seq, slot: slot})
	i := len(q.keys) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.keys[i].before(&q.keys[p]) {
			break
		}
		q.keys[i], q.keys[p] = q.keys[p], q.keys[i]
		i = p
	}
}

// tick schedules a tick of node's incarnation inc at at.
func (q *agenda) tick(at time.Duration, node, inc int) {
	q.seq++
	q.pushTick(tickKey{at: at, seq: q.seq, node: node, inc: inc})
}

func (q *agenda) pushTick(k tickKey) {
	q.ticks = append(q.ticks, k)
	i := len(q.ticks) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.ticks[i].before(&q.ticks[p]) {
			break
		}
		q.ticks[i], q.ticks[p] = q.ticks[p], q.ticks[i]
		i = p
	}
}

// tickFirst reports whether the next event is a tick; the agenda must not
// be empty.
func (q *agenda) tickFirst() bool {
	if len(q.ticks) == 0 {
		return false
	}
	if len(q.keys) == 0 {
		return true
	}
	t, k := &q.ticks[0], &q.keys[0]
	if t.at != k.at {
		return t.at < k.at
	}
	return t.seq < k.seq
}

// peekAt is the time of the next event; the agenda must not be empty.
func (q *agenda) peekAt() time.Duration {
	if q.tickFirst() {
		return q.ticks[0].at
	}
	return q.keys[0].at
}

// pop removes the next event into *e, which must be the zero event.
func (q *agenda) pop(e *event) {
	if q.tickFirst() {
		t := q.ticks[0]
		e.at, e.kind, e.node, e.inc = t.at, evTick, t.node, t.inc
		last := len(q.ticks) - 1
		q.ticks[0] = q.ticks[last]
		q.ticks = q.ticks[:last]
		i := 0
		for {
			l := 2*i + 1
			if l >= last {
				break
			}
			m := l
			if r := l + 1; r < last && q.ticks[r].before(&q.ticks[l]) {
				m = r
			}
			if !q.ticks[m].before(&q.ticks[i]) {
				break
			}
			q.ticks[i], q.ticks[m] = q.ticks[m], q.ticks[i]
			i = m
		}
		return
	}
	slot := q.keys[0].slot
	*e = q.slab[slot]
	// A free slot keeps its stale fields until reused (clearing them
	// all costs a write barrier per pop while the GC runs); only a
	// snapshot, which nothing else holds, is let go now. A stale msg
	// points at a pooled message, which stays reachable anyway.
	if e.data != nil {
		q.slab[slot].data = nil
	}
	q.free = append(q.free, slot)
	last := len(q.keys) - 1
	q.keys[0] = q.keys[last]
	q.keys = q.keys[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= last {
			break
		}
		m := l
		if r := l + 1; r < last && q.keys[r].before(&q.keys[l]) {
			m = r
		}
		if !q.keys[m].before(&q.keys[i]) {
			break
		}
		q.keys[i], q.keys[m] = q.keys[m], q.keys[i]
		i = m
	}
}

// lastAt is the time of the latest event (0 if none).
func (q *agenda) lastAt() (last time.Duration) {
	for i := range q.ticks {
		last = max(last, q.ticks[i].at)
	}
	for i := range q.keys {
		last = max(last, q.keys[i].at)
	}
	return last
}

// other returns the i-th event that is not a tick, in heap order, and its
// seq (for read-only views); i < len(q.keys).
func (q *agenda) other(i int) (*event, uint64) {
	return &q.slab[q.keys[i].slot], q.keys[i].seq
}

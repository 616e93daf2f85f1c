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

// agenda is a binary min-heap of events by (at, seq). The heap holds
// keys; the events themselves sit in a slab whose free slots are reused,
// so that an event is written once when pushed and read once when
// popped, and the agenda allocates nothing once it has grown to the
// run's size. It is written out rather than built on container/heap to
// keep everything unboxed on the hot path.
type agenda struct {
	keys []agendaKey
	slab []event
	free []int32 // slots of slab not in use
	seq  uint64
}

func (q *agenda) len() int { return len(q.keys) }

func (q *agenda) push(e event) {
	q.seq++
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

// peekAt is the time of the next event; the agenda must not be empty.
func (q *agenda) peekAt() time.Duration { return q.keys[0].at }

// pop removes the next event into *e.
func (q *agenda) pop(e *event) {
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

// at returns the i-th event in heap order (for read-only views).
func (q *agenda) at(i int) *event { return &q.slab[q.keys[i].slot] }

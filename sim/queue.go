package sim

import "time"

type eventKind uint8

const (
	evTick     eventKind = iota // a node's clock ticks
	evDeliver                   // a message arrives
	evSnapshot                  // the service's queued Snapshot turn
)

// event is one entry of the simulator's agenda. Events at the same time run
// in the order they were scheduled (seq), which makes the run a pure
// function of the seed.
type event struct {
	at   time.Duration
	seq  uint64
	kind eventKind
	// uncounted marks a delivery the flood counters leave out (see
	// flood): one held for a paused node and released at its resume
	// (released is set too), or a reply sent by the turn that handled
	// such a released message.
	uncounted, released bool
	node                int
	inc                 int // incarnation the event is for (ticks, snapshot turns)
	index               int // snapshot turns: the index
	msg                 *message
	data                []byte // snapshot turns: the service's snapshot
}

func (e *event) before(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.seq < o.seq
}

// agenda is a binary min-heap of events by (at, seq). It is written out
// rather than built on container/heap to keep events unboxed on the hot
// path.
type agenda struct {
	ev  []event
	seq uint64
}

func (q *agenda) len() int { return len(q.ev) }

func (q *agenda) push(e event) {
	q.seq++
	e.seq = q.seq
	q.ev = append(q.ev, e)
	i := len(q.ev) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.ev[i].before(&q.ev[p]) {
			break
		}
		q.ev[i], q.ev[p] = q.ev[p], q.ev[i]
		i = p
	}
}

func (q *agenda) peek() *event { return &q.ev[0] }

func (q *agenda) pop() event {
	top := q.ev[0]
	last := len(q.ev) - 1
	q.ev[0] = q.ev[last]
	q.ev[last] = event{}
	q.ev = q.ev[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= last {
			break
		}
		m := l
		if r := l + 1; r < last && q.ev[r].before(&q.ev[l]) {
			m = r
		}
		if !q.ev[m].before(&q.ev[i]) {
			break
		}
		q.ev[i], q.ev[m] = q.ev[m], q.ev[i]
		i = m
	}
	return top
}

package nodehost_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/raftlab/raftlab/nodehost"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wire"
)

// pinger is a toy node: every tick it asks the next node for a vote and
// counts the replies.
type pinger struct {
	me, peers int
	env       raftapi.Env
	replies   int
}

func newPinger(me, peers int, env raftapi.Env) raftapi.Node {
	return &pinger{me: me, peers: peers, env: env}
}

func (p *pinger) Tick() {
	p.env.SendRequestVote((p.me+1)%p.peers, &raftapi.RequestVoteArgs{Term: 1, CandidateID: p.me},
		func(r *raftapi.RequestVoteReply) {
			if r.VoteGranted {
				p.replies++
			}
		})
}

func (p *pinger) RequestVote(_ int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
	r.Term, r.VoteGranted = a.Term, true
}
func (p *pinger) AppendEntries(int, *raftapi.AppendEntriesArgs, *raftapi.AppendEntriesReply)       {}
func (p *pinger) InstallSnapshot(int, *raftapi.InstallSnapshotArgs, *raftapi.InstallSnapshotReply) {}
func (p *pinger) Start([]byte) (int, int, bool)                                                    { return 0, 0, false }
func (p *pinger) GetState() (int, bool)                                                            { return 1, false }
func (p *pinger) Snapshot(int, []byte)                                                             {}
func (p *pinger) Inspect() raftapi.NodeState                                                       { return raftapi.NodeState{} }
func (p *pinger) InspectLog() raftapi.LogView                                                      { return raftapi.LogView{FirstIndex: 1} }

// A driver with one goroutine per node and a wall-clock ticker, as
// localnet's processes are: every call into the node is a host method on
// the node's own goroutine, and what a turn sent leaves, as encoded
// envelopes, after the turn. (A real driver would also run a watchdog
// goroutine over Host.Current and Host.Turns.)
func Example_goroutinePerNode() {
	const n = 3
	inbox := make([]chan []byte, n) // the "network": encoded envelopes
	for i := range inbox {
		inbox[i] = make(chan []byte, 256)
	}
	replies := make([]int, n)
	var wg sync.WaitGroup
	for id := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h, err := nodehost.Boot(nodehost.Config{ID: id, Peers: n, Incarnation: 1, Disk: &nodehost.Disk{},
				Rand: rand.New(rand.NewPCG(uint64(id), 1))}, newPinger)
			if err != nil {
				fmt.Println("boot:", err)
				return
			}
			ticker := time.NewTicker(time.Millisecond)
			defer ticker.Stop()
			stop := time.After(100 * time.Millisecond)
			for {
				var err error
				select {
				case <-ticker.C:
					err = h.Tick()
				case b := <-inbox[id]:
					var e wire.Envelope
					if wire.DecodeEnvelope(b, &e) == nil {
						_, err = h.Deliver(&e)
					}
				case <-stop:
					replies[id] = h.Node().(*pinger).replies
					h.Kill()
					return
				}
				if err != nil { // a *nodehost.Violation: report it, stop the node
					fmt.Println(err)
					return
				}
				for _, m := range h.TakeOutbox() {
					select {
					case inbox[m.To] <- wire.AppendEnvelope(nil, &m.Envelope):
					default: // a full link loses the message, as a network may
					}
				}
			}
		}()
	}
	wg.Wait()
	for id, r := range replies {
		fmt.Printf("node %d got replies: %t\n", id, r > 0)
	}
	// Output:
	// node 0 got replies: true
	// node 1 got replies: true
	// node 2 got replies: true
}

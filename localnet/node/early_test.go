package node

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/raftlab/raftlab/nodehost"
	"github.com/raftlab/raftlab/wire"
)

func TestSplitEarlySendsOnlyAppendEntriesOfTheDurableTerm(t *testing.T) {
	msg := func(kind wire.Kind, to, term int) nodehost.Message {
		return nodehost.Message{Envelope: wire.Envelope{Kind: kind, From: 0, To: to}, Fields: nodehost.Fields{Term: term}}
	}
	tests := []struct {
		name       string
		out        []nodehost.Message
		term       int
		sent, held []nodehost.Message
	}{
		{name: "AppendEntries of the durable term leave",
			out:  []nodehost.Message{msg(wire.KindAppendEntries, 1, 3), msg(wire.KindAppendEntries, 2, 3)},
			term: 3, sent: []nodehost.Message{msg(wire.KindAppendEntries, 1, 3), msg(wire.KindAppendEntries, 2, 3)}},
		{name: "replies and votes wait, in order",
			out: []nodehost.Message{msg(wire.KindAppendEntriesReply, 1, 3), msg(wire.KindAppendEntries, 2, 3),
				msg(wire.KindRequestVoteReply, 2, 3), msg(wire.KindRequestVote, 1, 3), msg(wire.KindInstallSnapshot, 2, 3),
				msg(wire.KindInstallSnapshotReply, 1, 3)},
			term: 3, sent: []nodehost.Message{msg(wire.KindAppendEntries, 2, 3)},
			held: []nodehost.Message{msg(wire.KindAppendEntriesReply, 1, 3), msg(wire.KindRequestVoteReply, 2, 3),
				msg(wire.KindRequestVote, 1, 3), msg(wire.KindInstallSnapshot, 2, 3), msg(wire.KindInstallSnapshotReply, 1, 3)}},
		{name: "AppendEntries of another term wait",
			out:  []nodehost.Message{msg(wire.KindAppendEntries, 1, 2), msg(wire.KindAppendEntries, 2, 4)},
			term: 3, held: []nodehost.Message{msg(wire.KindAppendEntries, 1, 2), msg(wire.KindAppendEntries, 2, 4)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent []nodehost.Message
			held := splitEarly(append([]nodehost.Message(nil), tt.out...), tt.term, func(e wire.Envelope) {
				for _, m := range tt.out {
					if m.Kind == e.Kind && m.To == e.To {
						sent = append(sent, m)
						return
					}
				}
				t.Fatalf("sent a message that was not in the outbox: %+v", e)
			})
			assert.Equal(t, tt.sent, sent)
			if len(tt.held) == 0 {
				assert.Empty(t, held)
			} else {
				assert.Equal(t, tt.held, held)
			}
		})
	}
}

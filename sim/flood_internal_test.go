package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFloodReportWording(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {40000, "40,000"}, {1234567, "1,234,567"}, {-5000, "-5,000"}} {
		assert.Equal(t, tc.want, commas(tc.n))
	}
	for k, want := range map[MsgKind]string{MsgRequestVote: "RequestVotes", MsgRequestVoteReply: "RequestVoteReplies",
		MsgAppendEntries: "AppendEntries", MsgAppendEntriesReply: "AppendEntriesReplies",
		MsgInstallSnapshot: "InstallSnapshots", MsgInstallSnapshotReply: "InstallSnapshotReplies"} {
		assert.Equal(t, want, plural(k))
	}
	assert.Equal(t, "512 bytes", fmtBytes(512))
	assert.Equal(t, "88.0 KiB", fmtBytes(90_112))
	assert.Equal(t, "16.0 MiB", fmtBytes(16<<20))
}

package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		env  Envelope
	}{
		{"request", Envelope{Kind: KindAppendEntries, From: 2, To: 0, Call: 1 << 40, Incarnation: 3, Body: []byte("body")}},
		{"reply", Envelope{Kind: KindInstallSnapshotReply, From: 6, To: 1, Call: 9, Incarnation: 1, Body: []byte{}}},
		{"nil body", Envelope{Kind: KindRequestVote}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got Envelope
			require.NoError(t, DecodeEnvelope(AppendEnvelope(nil, &tc.env), &got))
			if len(tc.env.Body) == 0 {
				assert.Empty(t, got.Body)
				got.Body = tc.env.Body
			}
			assert.Equal(t, tc.env, got)
		})
	}
}

func TestEnvelopeRejectsGarbage(t *testing.T) {
	good := AppendEnvelope(nil, &Envelope{Kind: KindRequestVote, From: 1, To: 2, Call: 7, Incarnation: 1, Body: []byte("xyz")})
	tests := []struct {
		name  string
		bytes []byte
		want  string
	}{
		{"empty", nil, "truncated"},
		{"other version", append([]byte{9}, good[1:]...), "format version 9"},
		{"unknown kind", append([]byte{good[0], 42}, good[2:]...), "unknown message kind 42"},
		{"truncated body", good[:len(good)-1], "truncated"},
		{"trailing bytes", append(append([]byte{}, good...), 0), "trailing"},
		{"node id out of range", AppendEnvelope(nil, &Envelope{Kind: KindRequestVote, From: 1 << 20}), "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Envelope
			err := DecodeEnvelope(tc.bytes, &e)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestKind(t *testing.T) {
	for k := range NumKinds {
		got, err := ParseKind(k.String())
		require.NoError(t, err)
		assert.Equal(t, k, got)
		assert.Equal(t, k%2 == 1, k.IsReply())
		if !k.IsReply() {
			assert.Equal(t, k+1, k.Reply())
		}
	}
	_, err := ParseKind("Heartbeat")
	assert.Error(t, err)
	assert.Equal(t, "Kind(9)", Kind(9).String())
}

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(AppendEnvelope(nil, &Envelope{Kind: KindAppendEntries, From: 1, To: 2, Call: 3, Incarnation: 4, Body: []byte("b")}))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Envelope
		if DecodeEnvelope(b, &e) != nil {
			return
		}
		var again Envelope
		require.NoError(t, DecodeEnvelope(AppendEnvelope(nil, &e), &again))
	})
}

package kvproto

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequestRoundTrip(t *testing.T) {
	tests := []Request{
		{Tag: 1, Op: OpPut, ClientID: 7, Seq: 1, Key: []byte("k"), Value: []byte("v")},
		{Tag: 1 << 63, Op: OpGet, ClientID: 1<<64 - 1, Seq: 9, Key: []byte("key")},
		{Tag: 0, Op: OpAppend, ClientID: 3, Seq: 2, Key: nil, Value: bytes.Repeat([]byte("x"), 1000)},
	}
	for _, r := range tests {
		b := AppendRequest(nil, &r)
		body, err := ReadFrame(bufio.NewReader(bytes.NewReader(b)), nil)
		require.NoError(t, err)
		got, err := ParseRequest(body)
		require.NoError(t, err)
		assert.Equal(t, r.Tag, got.Tag)
		assert.Equal(t, r.Op, got.Op)
		assert.Equal(t, r.ClientID, got.ClientID)
		assert.Equal(t, r.Seq, got.Seq)
		assert.Equal(t, string(r.Key), string(got.Key))
		assert.Equal(t, string(r.Value), string(got.Value))
		// A body cut short is an error, never a panic; a cut that still
		// frames keeps the key inside the body.
		for i := range len(body) {
			if _, err := ParseRequest(body[:i]); err == nil {
				assert.GreaterOrEqual(t, i, reqHeader+len(r.Key), "a prefix of %d bytes parsed", i)
			}
		}
	}
}

func TestResponseRoundTrip(t *testing.T) {
	tests := []Response{
		{Tag: 5, Status: StatusOK, Value: []byte("value"), Leader: -1},
		{Tag: 6, Status: StatusNoKey, Leader: -1},
		{Tag: 7, Status: StatusNotLeader, Leader: 2, LeaderAddr: []byte("127.0.0.1:7405")},
		{Tag: 8, Status: StatusNotLeader, Leader: -1},
		{Tag: 9, Status: StatusUnavailable, Value: []byte("timeout"), Leader: -1},
	}
	for _, r := range tests {
		b := AppendResponse(nil, &r)
		body, err := ReadFrame(bufio.NewReader(bytes.NewReader(b)), nil)
		require.NoError(t, err)
		got, err := ParseResponse(body)
		require.NoError(t, err)
		assert.Equal(t, r.Tag, got.Tag)
		assert.Equal(t, r.Status, got.Status)
		assert.Equal(t, r.Leader, got.Leader)
		assert.Equal(t, string(r.Value), string(got.Value))
		assert.Equal(t, string(r.LeaderAddr), string(got.LeaderAddr))
	}
	_, err := ParseResponse([]byte{1, 2, 3})
	require.ErrorIs(t, err, ErrMalformed)
	_, err = ParseResponse(append(make([]byte, 8), StatusNotLeader, 1))
	require.ErrorIs(t, err, ErrMalformed)
}

func TestBadFramesAndGreetings(t *testing.T) {
	_, err := ReadFrame(bufio.NewReader(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff})), nil)
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorContains(t, err, "frame of 4294967295 bytes")
	_, err = ReadFrame(bufio.NewReader(bytes.NewReader([]byte{10, 0, 0, 0, 1})), nil)
	require.Error(t, err, "a frame cut short")

	require.NoError(t, ReadHello(bufio.NewReader(bytes.NewReader(Hello()))))
	err = ReadHello(bufio.NewReader(bytes.NewReader([]byte("RLKV\x09"))))
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorContains(t, err, "version 9")
	err = ReadHello(bufio.NewReader(bytes.NewReader([]byte("HTTP/"))))
	require.ErrorIs(t, err, ErrMalformed)
}

package kvcheck

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/localnet/kv"
)

func put(client int, k, v string, call, ret int64) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: Input{Op: kv.OpPut, Key: k, Value: v}, Output: Output{}, Call: call, Return: ret}
}

func appendOp(client int, k, v string, call, ret int64) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: Input{Op: kv.OpAppend, Key: k, Value: v}, Output: Output{}, Call: call, Return: ret}
}

func get(client int, k, got string, call, ret int64) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: Input{Op: kv.OpGet, Key: k}, Output: Output{Value: got}, Call: call, Return: ret}
}

func unknown(op porcupine.Operation) porcupine.Operation {
	op.Output = Output{Unknown: true}
	op.Return = op.Call + 1 // ignored: an unknown outcome never returned
	return op
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name    string
		history []porcupine.Operation
		want    porcupine.CheckResult
	}{
		{"empty", nil, porcupine.Ok},
		{"concurrent put and get: either value", []porcupine.Operation{
			put(0, "x", "1", 0, 10),
			get(1, "x", "", 5, 15),
			get(2, "x", "1", 6, 16),
		}, porcupine.Ok},
		{"missing key reads empty", []porcupine.Operation{get(0, "x", "", 0, 1)}, porcupine.Ok},
		{"read after the put returned sees nothing", []porcupine.Operation{
			put(0, "x", "1", 0, 5),
			get(1, "x", "", 6, 10),
		}, porcupine.Illegal},
		{"stale read after a newer one", []porcupine.Operation{
			put(0, "x", "1", 0, 2),
			put(0, "x", "2", 3, 20),
			get(1, "x", "2", 4, 6),
			get(2, "x", "1", 7, 9), // client 1 already saw 2 take effect
		}, porcupine.Illegal},
		{"concurrent appends in either order", []porcupine.Operation{
			appendOp(0, "x", "a", 0, 10),
			appendOp(1, "x", "b", 0, 10),
			get(2, "x", "ba", 11, 12),
		}, porcupine.Ok},
		{"an append lost", []porcupine.Operation{
			appendOp(0, "x", "a", 0, 10),
			appendOp(1, "x", "b", 0, 10),
			get(2, "x", "a", 11, 12),
		}, porcupine.Illegal},
		{"an append applied twice", []porcupine.Operation{
			appendOp(0, "x", "a", 0, 10),
			get(1, "x", "aa", 11, 12),
		}, porcupine.Illegal},
		{"keys are independent", []porcupine.Operation{
			put(0, "x", "1", 0, 5),
			put(1, "y", "2", 0, 5),
			get(2, "x", "1", 6, 7),
			get(2, "y", "2", 8, 9),
		}, porcupine.Ok},
		{"a violation on one key of two", []porcupine.Operation{
			put(0, "x", "1", 0, 5),
			put(1, "y", "2", 0, 5),
			get(2, "x", "1", 6, 7),
			get(2, "y", "", 8, 9),
		}, porcupine.Illegal},
		{"unknown put may have happened", []porcupine.Operation{
			unknown(put(0, "x", "1", 0, 0)),
			get(1, "x", "1", 50, 60),
		}, porcupine.Ok},
		{"unknown put may not have happened", []porcupine.Operation{
			unknown(put(0, "x", "1", 0, 0)),
			get(1, "x", "", 50, 60),
			get(1, "x", "1", 70, 80),
		}, porcupine.Ok},
		{"unknown put takes effect after its call only", []porcupine.Operation{
			get(1, "x", "1", 0, 10),
			unknown(put(0, "x", "1", 20, 0)),
		}, porcupine.Illegal},
		{"unknown get constrains nothing", []porcupine.Operation{
			put(0, "x", "1", 0, 5),
			unknown(get(1, "x", "", 6, 0)),
		}, porcupine.Ok},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			html := filepath.Join(t.TempDir(), "history.html")
			res, err := Check(tc.history, 0, html)
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Outcome)
			if tc.want == porcupine.Illegal {
				assert.Equal(t, html, res.HTML)
				b, err := os.ReadFile(html)
				require.NoError(t, err)
				assert.Contains(t, string(b), "<html")
			} else {
				assert.Empty(t, res.HTML)
				assert.NoFileExists(t, html)
			}
		})
	}
}

func TestCheckWithoutHTMLPath(t *testing.T) {
	res, err := Check([]porcupine.Operation{put(0, "x", "1", 0, 5), get(1, "x", "", 6, 10)}, 0, "")
	require.NoError(t, err)
	assert.Equal(t, porcupine.Illegal, res.Outcome)
	assert.Empty(t, res.HTML)
}

func TestCheckReportsAnUnwritableHTMLPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "h.html")
	res, err := Check([]porcupine.Operation{put(0, "x", "1", 0, 5), get(1, "x", "", 6, 10)}, 0, path)
	require.Error(t, err)
	assert.Equal(t, porcupine.Illegal, res.Outcome)
}

// TestServiceHistoryIsLinearizable runs clients against one kv.Service
// (applied under a lock, as a single log would order them), records what
// they saw, and checks it: the model agrees with the service. Then it
// tampers with one Get's answer, which the check must catch.
func TestServiceHistoryIsLinearizable(t *testing.T) {
	svc := kv.New()
	var mu sync.Mutex
	rec := NewRecorder()
	const clients, opsPerClient = 8, 200
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 2))
			for seq := uint64(1); seq <= opsPerClient; seq++ {
				cmd := kv.Command{Op: kv.Op(1 + rng.IntN(3)), ClientID: uint64(c), Seq: seq, Key: fmt.Sprint("k", rng.IntN(3))}
				if cmd.Op != kv.OpGet {
					cmd.Value = fmt.Sprintf("%d.%d ", c, seq)
				}
				call := rec.Now()
				mu.Lock()
				res, err := svc.Apply(svc.LastApplied()+1, kv.AppendCommand(nil, cmd))
				mu.Unlock()
				ret := rec.Now()
				if err != nil {
					t.Error(err)
					return
				}
				rec.Record(c, Input{Op: cmd.Op, Key: cmd.Key, Value: cmd.Value}, Output{Value: res.Reply.Value}, call, ret)
			}
		})
	}
	wg.Wait()
	ops := rec.Operations()
	require.Len(t, ops, clients*opsPerClient)
	res, err := Check(ops, 0, "")
	require.NoError(t, err)
	assert.Equal(t, porcupine.Ok, res.Outcome)
	assert.Equal(t, clients*opsPerClient, res.Ops)

	// Answer one Get with a value no write produced: no order explains it.
	for i, op := range ops {
		if op.Input.(Input).Op == kv.OpGet {
			ops[i].Output = Output{Value: "never written"}
			break
		}
	}
	html := filepath.Join(t.TempDir(), "bad.html")
	res, err = Check(ops, 0, html)
	require.NoError(t, err)
	assert.Equal(t, porcupine.Illegal, res.Outcome)
	assert.FileExists(t, html)
}

// Package kvcheck checks that a history of key/value operations, as
// clients of localnet's key/value service saw them, is linearizable: that
// some order of the operations, each taking effect at one instant between
// its invocation and its return, explains every result.
//
// It is built on github.com/anishathalye/porcupine (design.md §8) with a
// model of the service (package kv) that is partitioned by key: Put,
// Append and Get each touch one key, so each key's operations are checked
// on their own, which keeps the search small for histories of many
// thousands of operations. On a violation [Check] writes porcupine's HTML
// visualisation of the history, with the longest linearizable prefix of
// the failing key, so the reader sees where it goes wrong.
//
// The node does not import this package; the load generator and the
// tests do.
package kvcheck

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/raftlab/raftlab/localnet/kv"
)

// Input is an operation as a client invoked it.
type Input struct {
	Op    kv.Op
	Key   string
	Value string // Put and Append only
}

// Output is what the client got back.
type Output struct {
	Value string // a Get's value ("" for a missing key)
	// Unknown means the client never learned the outcome (it gave up
	// after a timeout): a Put or Append may or may not have taken
	// effect, at any time after its invocation.
	Unknown bool
}

// Model is the porcupine model of the key/value service. Each key's
// state is its value, "" when missing (a Get of a missing key returns "").
func Model() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByKey,
		Init:      func() any { return "" },
		Step: func(state, input, output any) (bool, any) {
			st, in, out := state.(string), input.(Input), output.(Output)
			switch in.Op {
			case kv.OpGet:
				return out.Unknown || out.Value == st, st
			case kv.OpPut:
				return true, in.Value
			case kv.OpAppend:
				return true, st + in.Value
			}
			return false, st
		},
		Equal: func(a, b any) bool { return a.(string) == b.(string) },
		DescribeOperation: func(input, output any) string {
			in, out := input.(Input), output.(Output)
			res := quote(out.Value)
			if out.Unknown {
				res = "?"
			}
			switch in.Op {
			case kv.OpGet:
				return fmt.Sprintf("get(%s) → %s", quote(in.Key), res)
			case kv.OpPut:
				return fmt.Sprintf("put(%s, %s)", quote(in.Key), quote(in.Value))
			case kv.OpAppend:
				return fmt.Sprintf("append(%s, %s)", quote(in.Key), quote(in.Value))
			}
			return fmt.Sprintf("%v(%s)", in.Op, quote(in.Key))
		},
		DescribeState: func(state any) string { return quote(state.(string)) },
	}
}

// quote shortens long values so the visualisation stays readable.
func quote(s string) string {
	const limit = 24
	if len(s) > limit {
		return fmt.Sprintf("%q…(%d bytes)", s[:limit], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// partitionByKey splits a history into one history per key, in key order.
func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	byKey := map[string][]porcupine.Operation{}
	for _, op := range history {
		k := op.Input.(Input).Key
		byKey[k] = append(byKey[k], op)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([][]porcupine.Operation, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, byKey[k])
	}
	return parts
}

// Recorder collects a history from many client goroutines. Times are
// nanoseconds since the recorder was made, read from the monotonic clock.
type Recorder struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
}

// NewRecorder returns an empty recorder whose clock starts now.
func NewRecorder() *Recorder { return &Recorder{start: time.Now()} }

// Now returns the recorder's time: read it just before invoking an
// operation and just after its reply arrives.
func (r *Recorder) Now() int64 { return int64(time.Since(r.start)) }

// Record adds one operation of client (numbered from 0), invoked at call
// and returned at ret (ignored when out.Unknown). Safe for concurrent use.
func (r *Recorder) Record(client int, in Input, out Output, call, ret int64) {
	op := porcupine.Operation{ClientId: client, Input: in, Output: out, Call: call, Return: ret}
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// Operations returns a copy of the history recorded so far.
func (r *Recorder) Operations() []porcupine.Operation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ops)
}

// Result is the verdict on a history.
type Result struct {
	Outcome porcupine.CheckResult // Ok, Illegal, or Unknown when the timeout ran out
	Ops     int                   // operations checked
	HTML    string                // the visualisation's path, written on Illegal; "" otherwise
}

// Check checks history for linearizability within timeout (0: no limit).
// On a violation it writes porcupine's visualisation to htmlPath (if not
// empty) and returns it in Result.HTML; the error is set only when the
// file cannot be written.
//
// Operations with an unknown outcome are treated as pending forever: a Put
// or Append may take effect at any point after its call (or never, in
// effect, by taking effect after everything else), and a Get with an
// unknown result constrains nothing and is left out.
func Check(history []porcupine.Operation, timeout time.Duration, htmlPath string) (Result, error) {
	ops := make([]porcupine.Operation, 0, len(history))
	for _, op := range history {
		if op.Output.(Output).Unknown {
			if op.Input.(Input).Op == kv.OpGet {
				continue
			}
			op.Return = math.MaxInt64
		}
		ops = append(ops, op)
	}
	// porcupine needs no order, but a stable one makes the
	// visualisation's client rows and the run repeatable.
	slices.SortStableFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	model := Model()
	outcome, info := porcupine.CheckOperationsVerbose(model, ops, timeout)
	res := Result{Outcome: outcome, Ops: len(ops)}
	if outcome == porcupine.Illegal && htmlPath != "" {
		if err := porcupine.VisualizePath(model, info, htmlPath); err != nil {
			return res, fmt.Errorf("kvcheck: write the visualisation of a non-linearizable history: %w", err)
		}
		res.HTML = htmlPath
	}
	return res, nil
}

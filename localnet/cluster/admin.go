//go:build unix

package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Status is a node's GET /status.
type Status struct {
	ID            int    `json:"id"`
	Term          int64  `json:"term"`
	Role          string `json:"role"`
	Leader        int    `json:"leader"`
	Commit        int64  `json:"commit"`
	Applied       int64  `json:"applied"`
	LastIndex     int64  `json:"last_index"`
	SnapshotIndex int64  `json:"snapshot_index"`
	Incarnation   uint64 `json:"incarnation"`
	Saves         int64  `json:"saves"`
	Fsyncs        int64  `json:"fsyncs"`
	Blocked       []int  `json:"blocked"` // the nodes this one is cut off from
}

// IsLeader reports whether the node believes it leads.
func (s Status) IsLeader() bool { return s.Role == "leader" || s.Role == "Leader" }

// adminClient is short on timeouts: a paused or dead node must not hold
// up the supervisor or a command.
var adminClient = &http.Client{Timeout: time.Second}

// GetStatus asks the node whose client port is addr for its status.
func GetStatus(ctx context.Context, addr string) (Status, error) {
	var st Status
	err := call(ctx, http.MethodGet, addr, "/status", nil, &st)
	return st, err
}

// SetBlocked tells the node at addr to drop all traffic to and from the
// given node ids (an empty list heals it).
func SetBlocked(ctx context.Context, addr string, blocked []int) error {
	if blocked == nil {
		blocked = []int{}
	}
	return call(ctx, http.MethodPost, addr, "/admin/partition", map[string]any{"blocked": blocked}, nil)
}

// SetSlowDisk makes the node at addr wait d before each fsync (0: none).
func SetSlowDisk(ctx context.Context, addr string, d time.Duration) error {
	return call(ctx, http.MethodPost, addr, "/admin/slow-disk", map[string]any{"delay_ms": d.Milliseconds()}, nil)
}

// Partition splits the nodes at addrs into groups: each node is told to
// block every node outside its group. Nodes named in no group form one
// more group together.
func Partition(ctx context.Context, addrs []string, groups [][]int) error {
	group := make([]int, len(addrs))
	for i := range group {
		group[i] = len(groups)
	}
	for g, ids := range groups {
		for _, id := range ids {
			if id < 0 || id >= len(addrs) {
				return fmt.Errorf("partition: no node %d (nodes are 0..%d)", id, len(addrs)-1)
			}
			group[id] = g
		}
	}
	for i, addr := range addrs {
		var blocked []int
		for j := range addrs {
			if group[j] != group[i] {
				blocked = append(blocked, j)
			}
		}
		if err := SetBlocked(ctx, addr, blocked); err != nil {
			return fmt.Errorf("partition: node %d: %w", i, err)
		}
	}
	return nil
}

// Heal removes every partition.
func Heal(ctx context.Context, addrs []string) error {
	var firstErr error
	for i, addr := range addrs {
		if err := SetBlocked(ctx, addr, nil); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("heal: node %d: %w", i, err)
		}
	}
	return firstErr
}

// StatusAll asks every node at once (a paused node costs one timeout,
// not one per node); errs[i] is set for a node that did not answer.
func StatusAll(ctx context.Context, addrs []string) (sts []Status, errs []error) {
	sts, errs = make([]Status, len(addrs)), make([]error, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Go(func() { sts[i], errs[i] = GetStatus(ctx, addr) })
	}
	wg.Wait()
	return sts, errs
}

// FindLeader asks every node and returns the id of the one that leads in
// the highest term, or -1 if none answers as leader.
func FindLeader(ctx context.Context, addrs []string) (int, Status) {
	best, bestSt := -1, Status{}
	sts, errs := StatusAll(ctx, addrs)
	for i, st := range sts {
		if errs[i] != nil || !st.IsLeader() {
			continue
		}
		if best < 0 || st.Term > bestSt.Term {
			best, bestSt = i, st
		}
	}
	return best, bestSt
}

// WaitLeader polls until a node leads, or ctx ends.
func WaitLeader(ctx context.Context, addrs []string) (int, error) {
	for {
		if id, _ := FindLeader(ctx, addrs); id >= 0 {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("wait for a leader: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func call(ctx context.Context, method, addr, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := adminClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s%s: %w", method, addr, path, err)
	}
	defer func() { _ = resp.Body.Close() }() // best effort: the body is read
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s%s: %w", method, addr, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s%s: %s: %s", method, addr, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s%s: %w", method, addr, path, err)
		}
	}
	return nil
}

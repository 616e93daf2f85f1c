// Package client is a Go client of localnet's key/value service: it speaks
// the HTTP/JSON protocol that package node documents, or, made
// [WithBinary], the pipelined binary protocol of package kvproto.
//
// A [Client] is one client of the service's dedup table: a random 64-bit
// id and a sequence number that goes up by one per command. It finds the
// leader by asking any node and following the 421 answer's hint, and
// retries a command, with the same seq, on timeouts, lost connections and
// leader changes until it gets an answer or its context ends. Retrying
// with the same seq is what makes this safe: a command that committed
// before its answer was lost is applied once, and its retry gets the
// first application's reply from the service's dedup table.
//
// Because of that numbering a Client runs one command at a time (its
// methods serialise); use one Client per concurrent stream of commands.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Op is one command.
type Op struct {
	Kind  string // "put", "append" or "get"
	Key   string
	Value string // put and append only
}

// Result is a command's answer.
type Result struct {
	Found bool   // false for a get of a missing key ("no-key"); true otherwise
	Value string // a get's value
}

// HistoryFunc receives every command a client ran: when it was invoked,
// when it returned, and its result, or the error that ended it (ctx's
// error: then the command may or may not have taken effect). Bench uses it
// to record porcupine histories. It is called on the command's goroutine.
type HistoryFunc func(invoke, ret time.Time, clientID uint64, op Op, res Result, err error)

// Error is a permanent refusal from a node: retrying cannot help.
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("localnet: HTTP %d: %s", e.Code, e.Msg) }

// Client is one client of the service; see the package documentation.
type Client struct {
	addrs   []string
	http    *http.Client
	bin     *Binary // nil: HTTP/JSON
	history HistoryFunc

	mu     sync.Mutex // one command at a time
	id     uint64
	seq    uint64
	leader int // index in addrs of the node to try first
}

// Option configures a Client.
type Option func(*Client)

// WithHistory sets the history hook.
func WithHistory(f HistoryFunc) Option { return func(c *Client) { c.history = f } }

// WithHTTPClient replaces the HTTP client (by default one with a 5 s
// attempt timeout and keep-alive connections to every node).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithID sets the client id instead of a random one (tests; ids must be
// unique among the service's clients).
func WithID(id uint64) Option { return func(c *Client) { c.id = id } }

// New returns a client of the cluster whose nodes' client addresses
// (host:port, or http://host:port) are addrs.
func New(addrs []string, opts ...Option) *Client {
	c := &Client{addrs: make([]string, len(addrs))}
	for i, a := range addrs {
		c.addrs[i] = strings.TrimPrefix(a, "http://")
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	c.id = binary.LittleEndian.Uint64(b[:]) | 1
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 5 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}}
	}
	return c
}

// ID is the client's id in the service's dedup table.
func (c *Client) ID() uint64 { return c.id }

// Put sets key to value.
func (c *Client) Put(ctx context.Context, key, value string) error {
	_, err := c.Do(ctx, Op{Kind: "put", Key: key, Value: value})
	return err
}

// Append appends value to key's value (a missing key counts as empty).
func (c *Client) Append(ctx context.Context, key, value string) error {
	_, err := c.Do(ctx, Op{Kind: "append", Key: key, Value: value})
	return err
}

// Get reads key, linearizably. found is false if the key does not exist.
func (c *Client) Get(ctx context.Context, key string) (value string, found bool, err error) {
	r, err := c.Do(ctx, Op{Kind: "get", Key: key})
	return r.Value, r.Found, err
}

type kvRequest struct {
	Op       string `json:"op"`
	Key      string `json:"key"`
	Value    string `json:"value,omitempty"`
	ClientID uint64 `json:"client_id"`
	Seq      uint64 `json:"seq"`
}

type kvAnswer struct {
	Status     string `json:"status"`
	Value      string `json:"value"`
	Error      string `json:"error"`
	Leader     *int   `json:"leader"`
	LeaderAddr string `json:"leader_addr"`
}

// Do runs one command until a node answers it or ctx ends.
func (c *Client) Do(ctx context.Context, op Op) (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	invoke := time.Now()
	res, err := c.run(ctx, op, c.seq)
	if c.history != nil {
		c.history(invoke, time.Now(), c.id, op, res, err)
	}
	return res, err
}

func (c *Client) run(ctx context.Context, op Op, seq uint64) (Result, error) {
	body, err := json.Marshal(kvRequest{Op: op.Kind, Key: op.Key, Value: op.Value, ClientID: c.id, Seq: seq})
	if err != nil {
		return Result{}, fmt.Errorf("client: %w", err)
	}
	if len(c.addrs) == 0 {
		return Result{}, errors.New("client: no node addresses")
	}
	backoff := 10 * time.Millisecond
	misses := 0 // attempts since the last one that reached a leader
	var last error
	for {
		if err := ctx.Err(); err != nil {
			if last != nil {
				return Result{}, fmt.Errorf("client: %w (last attempt: %w)", err, last)
			}
			return Result{}, fmt.Errorf("client: %w", err)
		}
		to := c.leader
		var code int
		var ans kvAnswer
		if c.bin != nil {
			code, ans, err = c.attemptBinary(ctx, c.addrs[to], op, seq)
		} else {
			code, ans, err = c.attempt(ctx, c.addrs[to], body)
		}
		switch {
		case err != nil:
			last = err
			c.leader = (to + 1) % len(c.addrs)
		case code == http.StatusOK:
			return Result{Found: ans.Status != "no-key", Value: ans.Value}, nil
		case code == http.StatusMisdirectedRequest:
			last = fmt.Errorf("node %s: not leader", c.addrs[to])
			c.leader = c.follow(to, ans)
		case code == http.StatusServiceUnavailable:
			last = fmt.Errorf("node %s: %s", c.addrs[to], ans.Error)
			c.leader = (to + 1) % len(c.addrs)
		default:
			return Result{}, &Error{Code: code, Msg: ans.Error}
		}
		// Going round every node without finding a leader (an election
		// is running, or the leader is cut off): wait before the next
		// round, longer each time.
		if misses++; misses >= len(c.addrs) {
			misses = 0
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 500*time.Millisecond)
		}
	}
}

// follow picks the next node after a 421 from node from: the hinted
// leader if the hint names another node, else the next node.
func (c *Client) follow(from int, ans kvAnswer) int {
	if ans.LeaderAddr != "" {
		for i, a := range c.addrs {
			if a == strings.TrimPrefix(ans.LeaderAddr, "http://") && i != from {
				return i
			}
		}
	}
	if ans.Leader != nil && *ans.Leader >= 0 && *ans.Leader < len(c.addrs) && *ans.Leader != from {
		return *ans.Leader
	}
	return (from + 1) % len(c.addrs)
}

func (c *Client) attempt(ctx context.Context, addr string, body []byte) (int, kvAnswer, error) {
	var ans kvAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/kv", bytes.NewReader(body))
	if err != nil {
		return 0, ans, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, ans, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 2<<20))
	if err != nil {
		return 0, ans, err
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return 0, ans, fmt.Errorf("node %s: HTTP %d with a body that is not JSON: %w", addr, resp.StatusCode, err)
	}
	return resp.StatusCode, ans, nil
}

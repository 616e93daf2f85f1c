package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// httpKV is a minimal client of the nodes' POST /kv, used until
// localnet/client is merged.
type httpKV struct {
	addrs  []string
	leader int
	id     uint64
	seq    uint64
	hc     *http.Client
}

func newKV(addrs []string) KV {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return &httpKV{addrs: addrs, id: binary.LittleEndian.Uint64(b[:]) >> 1, hc: &http.Client{Timeout: 3 * time.Second}}
}

func (c *httpKV) Put(ctx context.Context, key, value string) error {
	_, err := c.do(ctx, "put", key, value)
	return err
}

func (c *httpKV) Append(ctx context.Context, key, value string) error {
	_, err := c.do(ctx, "append", key, value)
	return err
}

func (c *httpKV) Get(ctx context.Context, key string) (string, error) {
	return c.do(ctx, "get", key, "")
}

func (c *httpKV) do(ctx context.Context, op, key, value string) (string, error) {
	c.seq++
	body, err := json.Marshal(map[string]any{"op": op, "key": key, "value": value, "client_id": c.id, "seq": c.seq})
	if err != nil {
		return "", fmt.Errorf("kv %s: %w", op, err)
	}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+c.addrs[c.leader]+"/kv", bytes.NewReader(body))
		if err != nil {
			return "", fmt.Errorf("kv %s: %w", op, err)
		}
		resp, err := c.hc.Do(req)
		if err == nil {
			var r struct {
				Status     string `json:"status"`
				Value      string `json:"value"`
				Leader     int    `json:"leader"`
				LeaderAddr string `json:"leader_addr"`
			}
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			_ = json.Unmarshal(b, &r)
			switch resp.StatusCode {
			case http.StatusOK:
				return r.Value, nil
			case http.StatusMisdirectedRequest:
				if r.Leader >= 0 && r.Leader < len(c.addrs) && r.Leader != c.leader && r.LeaderAddr != "" {
					c.leader = r.Leader
					continue
				}
			}
		}
		c.leader = (c.leader + 1) % len(c.addrs)
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("kv %s %q: %w", op, key, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

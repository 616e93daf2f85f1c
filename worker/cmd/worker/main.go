//go:build js && wasm

// Command worker is raftlab's serverless host on Cloudflare Workers: the
// API of package api over Workers KV (the binding RAFTLAB_KV), with the
// courses' keys from the secrets COURSE_KEY_<COURSE> and the limits from
// the variables RATE_LIMIT_PER_MINUTE, RUN_NODE_SECONDS, TRACE_MAX_BYTES.
// Only this file touches syumai/workers and syscall/js; scripts/test-worker.sh
// builds it and wrangler.jsonc runs it.
package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"syscall/js"
	"time"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/worker/api"
)

func main() {
	limits := api.DefaultLimits()
	if n, ok := envInt("RATE_LIMIT_PER_MINUTE"); ok {
		limits.RatePerMinute = n
	}
	if n, ok := envInt("RUN_NODE_SECONDS"); ok {
		limits.RunNodeSeconds = float64(n)
	}
	if n, ok := envInt("TRACE_MAX_BYTES"); ok {
		limits.TraceBytes = int64(n)
	}
	workers.Serve(api.New(api.Env{
		Store: kvStore{ns: cloudflare.GetBinding("RAFTLAB_KV")},
		Now:   time.Now,
		CourseKey: func(course string) ([]byte, bool) {
			v := cloudflare.GetBinding(api.CourseKeyName(course))
			if v.Type() != js.TypeString || v.String() == "" {
				return nil, false
			}
			return []byte(v.String()), true
		},
		CheckTrace: checkTrace,
		Reference: func(preVote, checkQuorum bool) raftapi.Factory {
			return raft.NewFactory(raft.Options{PreVote: preVote, CheckQuorum: checkQuorum})
		},
		Limits: limits,
	}))
}

// checkTrace runs the trace schema's validator that entry.mjs installs
// (ajv standalone code generated from docs/trace.schema.json).
func checkTrace(body []byte) error {
	f := js.Global().Get("raftlabCheckTrace")
	if f.Type() != js.TypeFunction {
		return errors.New("the trace schema's validator is missing (the Worker's entry must be entry.mjs)")
	}
	if msg := f.Invoke(string(body)).String(); msg != "" {
		return errors.New(msg)
	}
	return nil
}

func envInt(name string) (int, bool) {
	v := cloudflare.GetBinding(name)
	if v.Type() != js.TypeString {
		return 0, false
	}
	n, err := strconv.Atoi(v.String())
	return n, err == nil
}

// kvStore is api.Store over a Workers KV namespace. It calls KV itself
// rather than through syumai's kv package, whose GetString cannot tell a
// missing key (null) from the text "<null>".
type kvStore struct{ ns js.Value }

var errNoKV = errors.New("the KV namespace RAFTLAB_KV is not bound (wrangler.jsonc kv_namespaces)")

func (s kvStore) Get(_ context.Context, key string) (string, bool, error) {
	if s.ns.Type() != js.TypeObject {
		return "", false, errNoKV
	}
	v, err := await(s.ns.Call("get", key, "text"))
	if err != nil {
		return "", false, fmt.Errorf("KV get %s: %w", key, err)
	}
	if v.IsNull() || v.IsUndefined() {
		return "", false, nil
	}
	return v.String(), true, nil
}

func (s kvStore) Put(_ context.Context, key, value string, ttl time.Duration) error {
	if s.ns.Type() != js.TypeObject {
		return errNoKV
	}
	opts := js.Global().Get("Object").New()
	if ttl > 0 {
		opts.Set("expirationTtl", int(max(ttl, time.Minute).Seconds()))
	}
	if _, err := await(s.ns.Call("put", key, value, opts)); err != nil {
		return fmt.Errorf("KV put %s: %w", key, err)
	}
	return nil
}

// await waits for a JavaScript promise.
func await(p js.Value) (js.Value, error) {
	type outcome struct {
		v   js.Value
		err error
	}
	ch := make(chan outcome, 1)
	var then, catch js.Func
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- outcome{v: args[0]}
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- outcome{err: errors.New(args[0].Call("toString").String())}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	o := <-ch
	return o.v, o.err
}

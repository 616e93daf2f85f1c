//go:build unix

package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
)

// Controller starts and stops node processes: a [*Cluster] in the same
// process, or a [RemoteControl] that asks the supervisor of `localnet up`
// over its control endpoint.
type Controller interface {
	Kill(i int) error
	Restart(i int) error
	Pause(i int) error
	Resume(i int) error
}

// ServeControl serves the cluster's control endpoint on a free loopback
// port, so that `localnet kill|restart|pause|resume N` run from another
// terminal reach the supervisor that owns the processes (only it can
// restart a node it will later stop). It records the address in the state
// file and serves until ctx ends.
func ServeControl(ctx context.Context, c *Cluster) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("control endpoint: %w", err)
	}
	mux := http.NewServeMux()
	for name, f := range map[string]func(int) error{
		"kill": c.Kill, "restart": c.Restart, "pause": c.Pause, "resume": c.Resume,
	} {
		mux.HandleFunc("POST /"+name, func(w http.ResponseWriter, r *http.Request) {
			i, err := strconv.Atoi(r.URL.Query().Get("node"))
			if err == nil {
				err = f(i)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			_, _ = w.Write([]byte("{}")) // best effort: the client may have gone
		})
	}
	srv := &http.Server{Handler: mux}
	go func() {
		<-ctx.Done()
		_ = srv.Close() // best effort: shutting down
	}()
	c.SetControlAddr(l.Addr().String())
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("control endpoint: %w", err)
	}
	return nil
}

// RemoteControl is the [Controller] of a cluster that `localnet up` runs,
// reached through the control address in its state file.
type RemoteControl struct{ Addr string }

func (r RemoteControl) do(action string, i int) error {
	return call(context.Background(), http.MethodPost, r.Addr, "/"+action+"?node="+strconv.Itoa(i), nil, nil)
}

// Kill sends SIGKILL to node i.
func (r RemoteControl) Kill(i int) error { return r.do("kill", i) }

// Restart starts node i again.
func (r RemoteControl) Restart(i int) error { return r.do("restart", i) }

// Pause sends SIGSTOP to node i.
func (r RemoteControl) Pause(i int) error { return r.do("pause", i) }

// Resume sends SIGCONT to node i.
func (r RemoteControl) Resume(i int) error { return r.do("resume", i) }

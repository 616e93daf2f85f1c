package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/raftlab/raftlab/localnet/kv"
)

// maxBody bounds a request body: a command's key and value travel in the
// log and in every snapshot, so a megabyte is already generous.
const maxBody = 1 << 20

// KVRequest is the body of POST /kv.
type KVRequest struct {
	Op       string `json:"op"` // "put", "append" or "get"
	Key      string `json:"key"`
	Value    string `json:"value,omitempty"`
	ClientID uint64 `json:"client_id"`
	Seq      uint64 `json:"seq"`
}

// kvReply is a 200's body.
type kvReply struct {
	Status string `json:"status"` // "ok" or "no-key"
	Value  string `json:"value"`
}

type errorBody struct {
	Error string `json:"error"`
}

type notLeaderBody struct {
	Error      string `json:"error"`
	Leader     int    `json:"leader"`
	LeaderAddr string `json:"leader_addr"`
}

// Status is the body of GET /status.
type Status struct {
	ID            int    `json:"id"`
	Term          int    `json:"term"`
	Role          string `json:"role"`
	Leader        int    `json:"leader"`
	Commit        int    `json:"commit"`
	Applied       int    `json:"applied"`
	LastIndex     int    `json:"last_index"`
	SnapshotIndex int    `json:"snapshot_index"`
	Incarnation   uint64 `json:"incarnation"`
	Saves         int64  `json:"saves"`
	Fsyncs        int64  `json:"fsyncs"`
	Blocked       []int  `json:"blocked"`
}

var ops = map[string]kv.Op{"put": kv.OpPut, "append": kv.OpAppend, "get": kv.OpGet}

func (n *node) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /kv", n.handleKV)
	mux.HandleFunc("GET /status", n.handleStatus)
	mux.HandleFunc("POST /admin/partition", n.handlePartition)
	mux.HandleFunc("POST /admin/slow-disk", n.handleSlowDisk)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeJSON(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf(format, args...)})
}

// decode reads a JSON body of at most maxBody bytes into v, refusing
// unknown fields and trailing data; false after answering 400.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			badRequest(w, "body larger than %d bytes", tooBig.Limit)
		} else {
			badRequest(w, "bad JSON: %v", err)
		}
		return false
	}
	return true
}

func (n *node) handleKV(w http.ResponseWriter, r *http.Request) {
	var kr KVRequest
	if !decode(w, r, &kr) {
		return
	}
	op, ok := ops[kr.Op]
	switch {
	case !ok:
		badRequest(w, "unknown op %q: want put, append or get", kr.Op)
		return
	case kr.Seq == 0:
		badRequest(w, "seq must be at least 1")
		return
	case op == kv.OpGet && kr.Value != "":
		badRequest(w, "a get has no value")
		return
	}
	cmd := kv.Command{Op: op, ClientID: kr.ClientID, Seq: kr.Seq, Key: kr.Key, Value: kr.Value}
	req := &request{cmd: cmd, enc: kv.AppendCommand(nil, cmd), deadline: time.Now().Add(n.cfg.RequestTimeout),
		reply: make(chan response, 1)}
	timer := time.NewTimer(n.cfg.RequestTimeout)
	defer timer.Stop()
	select {
	case n.reqs <- req:
	case <-timer.C:
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "timeout"})
		return
	case <-r.Context().Done():
		return
	case <-n.done:
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: errStopped.Error()})
		return
	}
	select {
	case resp := <-req.reply:
		writeJSON(w, resp.code, resp.body)
	case <-timer.C:
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: "timeout"})
	case <-r.Context().Done():
	case <-n.done:
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: errStopped.Error()})
	}
}

func (n *node) handleStatus(w http.ResponseWriter, r *http.Request) {
	var st Status
	var qerr error
	err := n.query(r.Context(), func() {
		s, err := n.host.Inspect()
		if err != nil {
			qerr = err
			return
		}
		leader, _, _ := n.leader()
		st = Status{ID: n.cfg.ID, Term: s.Term, Role: s.Role.String(), Leader: leader, Commit: s.CommitIndex,
			Applied: n.svc.LastApplied(), LastIndex: s.LastIndex, SnapshotIndex: s.SnapshotIndex,
			Incarnation: n.inc, Saves: n.statSaves.Load(), Fsyncs: n.statSyncs.Load(), Blocked: n.tr.Blocked()}
	})
	if err == nil {
		err = qerr
	}
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// PartitionRequest is the body of POST /admin/partition.
type PartitionRequest struct {
	Blocked []int `json:"blocked"`
}

func (n *node) handlePartition(w http.ResponseWriter, r *http.Request) {
	var pr PartitionRequest
	if !decode(w, r, &pr) {
		return
	}
	if err := n.tr.SetBlocked(pr.Blocked); err != nil {
		badRequest(w, "%v", err)
		return
	}
	n.logf("node %d: partition: blocked %v", n.cfg.ID, n.tr.Blocked())
	writeJSON(w, http.StatusOK, PartitionRequest{Blocked: n.tr.Blocked()})
}

// SlowDiskRequest is the body of POST /admin/slow-disk.
type SlowDiskRequest struct {
	DelayMS int `json:"delay_ms"`
}

func (n *node) handleSlowDisk(w http.ResponseWriter, r *http.Request) {
	var sr SlowDiskRequest
	if !decode(w, r, &sr) {
		return
	}
	if sr.DelayMS < 0 || sr.DelayMS > 60_000 {
		badRequest(w, "delay_ms %d out of range 0..60000", sr.DelayMS)
		return
	}
	n.syncDelay.Store(int64(time.Duration(sr.DelayMS) * time.Millisecond))
	n.logf("node %d: slow disk: %d ms before every save", n.cfg.ID, sr.DelayMS)
	writeJSON(w, http.StatusOK, sr)
}

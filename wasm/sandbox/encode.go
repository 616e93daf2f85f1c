package sandbox

import (
	"encoding/json"
	"strconv"
)

// The state is read once a frame: its JSON is written by hand, because
// encoding/json's reflection, and its re-compacting of every Marshaler's
// output (each of the 200 recent events), cost tens of milliseconds a
// call under js/wasm (BenchmarkSandboxState). The output is the same JSON
// that encoding/json writes for State (TestStateJSONMatchesEncodingJSON).

// appender is a result that writes its own JSON (see API.Call).
type appender interface {
	appendJSON(b []byte) ([]byte, error)
}

func (st *State) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"now_us":`...)
	b = strconv.AppendInt(b, st.NowUs, 10)
	b = append(b, `,"events":`...)
	b = strconv.AppendInt(b, st.Events, 10)
	b = append(b, `,"nodes":[`...)
	for i := range st.Nodes {
		if i > 0 {
			b = append(b, ',')
		}
		b = st.Nodes[i].appendJSON(b)
	}
	b = append(b, `],"in_flight":[`...)
	for i := range st.InFlight {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = st.InFlight[i].appendJSON(b); err != nil {
			return nil, err
		}
	}
	b = append(b, `],"recent":[`...)
	for i := range st.Recent {
		if i > 0 {
			b = append(b, ',')
		}
		e, err := st.Recent[i].MarshalJSON()
		if err != nil {
			return nil, err
		}
		b = append(b, e...)
	}
	b = append(b, `],"failure":`...)
	var err error
	if b, err = appendValue(b, st.Failure); err != nil {
		return nil, err
	}
	b = append(b, `,"hash":`...)
	b = strconv.AppendQuote(b, st.Hash)
	b = append(b, `,"actions":`...)
	if b, err = appendValue(b, st.Actions); err != nil {
		return nil, err
	}
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, st.Truncated)
	b = append(b, `,"stopped":`...)
	b = strconv.AppendBool(b, st.Stopped)
	b = append(b, `,"implementation":`...)
	if b, err = appendValue(b, st.Implementation); err != nil {
		return nil, err
	}
	b = append(b, `,"config":`...)
	if b, err = appendValue(b, st.Config); err != nil {
		return nil, err
	}
	if st.Outcome != nil {
		b = append(b, `,"outcome":`...)
		if b, err = appendValue(b, st.Outcome); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendValue appends v's JSON as encoding/json writes it: for the small
// parts, where its cost does not matter.
func appendValue(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	return append(b, j...), err
}

func (v *NodeView) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(v.ID), 10)
	b = append(b, `,"up":`...)
	b = strconv.AppendBool(b, v.Up)
	b = append(b, `,"paused":`...)
	b = strconv.AppendBool(b, v.Paused)
	b = append(b, `,"role":`...)
	b = strconv.AppendQuote(b, v.Role)
	b = appendInt(b, "term", v.Term)
	b = appendInt(b, "voted_for", v.VotedFor)
	b = append(b, `,"log":[`...)
	for i, e := range v.Log {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(e[0]), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(e[1]), 10)
		b = append(b, ']')
	}
	b = append(b, ']')
	b = appendInt(b, "log_from", v.LogFrom)
	b = appendInt(b, "last_index", v.LastIndex)
	b = appendInt(b, "last_term", v.LastTerm)
	b = appendInt(b, "commit", v.Commit)
	b = appendInt(b, "applied", v.Applied)
	b = appendInt(b, "snapshot_index", v.SnapshotIndex)
	b = appendInt(b, "snapshot_term", v.SnapshotTerm)
	if len(v.Next) > 0 {
		b = appendInts(b, "next", v.Next)
	}
	if len(v.Match) > 0 {
		b = appendInts(b, "match", v.Match)
	}
	return append(b, '}')
}

func (f *Flight) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"kind":`...)
	b = strconv.AppendQuote(b, f.Kind)
	b = appendInt(b, "from", f.From)
	b = appendInt(b, "to", f.To)
	b = append(b, `,"sent_us":`...)
	b = strconv.AppendInt(b, f.SentUs, 10)
	b = append(b, `,"arrive_us":`...)
	b = strconv.AppendInt(b, f.ArriveUs, 10)
	b = append(b, `,"summary":`...)
	b = strconv.AppendQuote(b, f.Summary)
	b = append(b, `,"msg":`...)
	if f.Msg == nil {
		b = append(b, "null"...)
	} else {
		m, err := f.Msg.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b = append(b, m...)
	}
	return append(b, '}'), nil
}

func appendInt(b []byte, key string, v int) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, int64(v), 10)
}

func appendInts(b []byte, key string, vs []int) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, `":[`...)
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return append(b, ']')
}

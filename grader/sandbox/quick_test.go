package sandbox

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/raftlab/raftlab/labs"
)

func TestQuick(t *testing.T) {
	spec := os.Getenv("QUICK_SPEC")
	if spec == "" {
		t.Skip()
	}
	start := time.Now()
	out, err := Grade(context.Background(), spec, Options{Stages: []labs.Stage{labs.Election}, Seeds: 1, TraceDir: t.TempDir(), StageTimeout: 2 * time.Minute, HangBound: time.Second, RuleTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(out, "", " ")
	if len(b) > 6000 {
		b = b[:6000]
	}
	t.Logf("%s\n%s", b, time.Since(start))
}

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/rpcerr"
)

// TestCallLogLine: the line finish writes for a call carries, as typed JSON
// values, the method, code, duration, request id and caller; a refusal adds
// the fields it blames and never its message; an internal failure is logged
// at error level with its cause. Nothing else.
func TestCallLogLine(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	ctx := authn.WithCaller(context.Background(), authn.Caller{Subject: "cw@shelter-a"})
	line := func(ctx context.Context, err error) map[string]any {
		t.Helper()
		out.Reset()
		_ = finish(ctx, log, "/casebridge.v1.CaseService/GetCase", "req-1", time.Now().Add(-1500*time.Microsecond), err)
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("%q: %v", out.String(), err)
		}
		if d, ok := m["duration_ms"].(float64); !ok || d < 1.5 || d > 60_000 {
			t.Errorf("duration_ms %v", m["duration_ms"])
		}
		delete(m, "duration_ms")
		delete(m, "time")
		return m
	}
	base := func(level, msg, code string) map[string]any {
		return map[string]any{"level": level, "msg": msg, "method": "/casebridge.v1.CaseService/GetCase", "code": code, "request_id": "req-1", "caller": "cw@shelter-a"}
	}
	if got, want := line(ctx, nil), base("INFO", "call", "OK"); !reflect.DeepEqual(got, want) {
		t.Errorf("OK call: %v, want %v", got, want)
	}
	want := base("INFO", "call", "InvalidArgument")
	want["fields"] = []any{"case.coded.country"}
	if got := line(ctx, rpcerr.InvalidArgument("case.coded.country", "%q is no country", "TypedName")); !reflect.DeepEqual(got, want) {
		t.Errorf("refused call: %v, want %v", got, want)
	}
	want = base("ERROR", "call failed", "Internal")
	want["error"] = "load case c1: broken"
	if got := line(ctx, errors.New("load case c1: broken")); !reflect.DeepEqual(got, want) {
		t.Errorf("internal failure: %v, want %v", got, want)
	}
	want = base("INFO", "call", "OK")
	delete(want, "caller")
	if got := line(context.Background(), nil); !reflect.DeepEqual(got, want) {
		t.Errorf("call without a caller: %v, want %v", got, want)
	}
}

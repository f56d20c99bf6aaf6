package audit

import (
	"context"
	"encoding/hex"
	"slices"
	"testing"
	"time"
)

// An event without details hashes exactly as before details existed (the
// value below was computed by the hash of that time), so chains linked then
// still verify; details, once present, are covered by the hash.
func TestChainHashOfDetails(t *testing.T) {
	e := Event{ID: "01a23520-37bb-7661-9fe2-22c5fd7efb28", Time: time.UnixMicro(1764651633595422).UTC(), Subject: "admin@shelter-a",
		OrgID: "shelter-a", Roles: []string{"org_admin"}, Method: "/casebridge.v1.OrganizationService/ListKeys", Code: "OK", RequestID: "rid-1"}
	const before = "1042afb0d9d3a9a4a48c50d1592d44e3878a2dae17e1b7ec700abf6dfc0d8ee8"
	if got := hex.EncodeToString(ChainHash([]byte("prev"), 7, e)); got != before {
		t.Fatalf("an event without details hashes to %s, want %s", got, before)
	}
	e.Details = []string{"organization=shelter-a"}
	with := ChainHash([]byte("prev"), 7, e)
	e.Details = []string{"organization=cso-c"}
	if hex.EncodeToString(with) == before || slices.Equal(with, ChainHash([]byte("prev"), 7, e)) {
		t.Fatal("details are not covered by the hash")
	}
}

func TestDetailAddsToTheCallsEvent(t *testing.T) {
	Detail(context.Background(), DetailMember, "x") // outside a call: nothing, no panic
	ctx := StartCall(context.Background(), "/casebridge.v1.OrganizationService/AddMember")
	Detail(ctx, DetailMember, "alice@x")
	Detail(ctx, DetailGranted, "caseworker", "", "lawyer")
	c := callFrom(ctx)
	c.mu.Lock()
	ev := c.event(NewRecorder(nil, nil, Options{}), "", "", nil, "OK")
	c.mu.Unlock()
	want := []string{"member=alice@x", "granted=caseworker", "granted=lawyer"}
	if !slices.Equal(ev.Details, want) {
		t.Fatalf("details %q, want %q", ev.Details, want)
	}
}

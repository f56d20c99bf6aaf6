package cases_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestStatusReasonsKeptSealed: the reasons given for a suspension, closure,
// reopening and erasure (once silently dropped) are kept in the case
// history, sealed under the case key with the coded reason beside them; the
// audit event of each call carries the code, never the text.
func TestStatusReasonsKeptSealed(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	cw := env.As(t, caseworker)
	id := env.NewMarkedCase(t)
	const text = "Marker-Reason-6620 she moved to her sister in Novi Sad"
	if _, err := cs.StartAssistance(cw, &casebridgev1.StartAssistanceRequest{Id: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.SuspendCase(servertest.WithRequestID(cw, "suspend-6620"), &casebridgev1.SuspendCaseRequest{Id: id, Reason: text,
		ReasonCode: casebridgev1.CaseChangeReason_CASE_CHANGE_REASON_SAFETY}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CloseCase(servertest.WithRequestID(env.As(t, supervisor), "close-6620"), &casebridgev1.CloseCaseRequest{Id: id, Reason: "moved away",
		ReasonCode: casebridgev1.CaseChangeReason_CASE_CHANGE_REASON_TRANSFERRED}); err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	type entry struct {
		id, status string
		code       int16
		reason     []byte
	}
	rows, err := env.Pool.Query(ctx, `SELECT id::text, status::text, reason_code, reason FROM case_history WHERE case_id = $1 ORDER BY event_time`, id)
	if err != nil {
		t.Fatal(err)
	}
	var hist []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.status, &e.code, &e.reason); err != nil {
			t.Fatal(err)
		}
		hist = append(hist, e)
	}
	rows.Close()
	// start assistance (no reason), suspend, close
	if len(hist) != 3 || hist[1].code != int16(casebridgev1.CaseChangeReason_CASE_CHANGE_REASON_SAFETY) ||
		hist[2].code != int16(casebridgev1.CaseChangeReason_CASE_CHANGE_REASON_TRANSFERRED) || hist[0].reason != nil {
		t.Fatalf("case history: %+v", hist)
	}
	if strings.Contains(string(hist[1].reason), "Marker-Reason") {
		t.Fatal("the reason is stored in plain text")
	}
	kr, err := vault.LoadKeyring(filepath.Join(env.DataDir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	km := keys.NewManager(env.Pool, kr, nil, nil)
	defer km.Close()
	key, err := km.CaseKey(ctx, env.Pool, id)
	if err != nil {
		t.Fatal(err)
	}
	defer key.Wipe()
	plain, err := vault.CaseHistoryReasons.Open(key, id, hist[1].id, dataclass.Legal, hist[1].reason)
	if err != nil || string(plain) != text {
		t.Fatalf("the sealed reason opens to %q, %v", plain, err)
	}

	if _, err := cs.EraseCase(servertest.WithRequestID(env.As(t, supervisor), "erase-6620"), &casebridgev1.EraseCaseRequest{Id: id, Reason: text,
		ReasonCode: casebridgev1.CaseChangeReason_CASE_CHANGE_REASON_PERSON_REQUEST}); err != nil {
		t.Fatal(err)
	}
	var erasures int
	if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM case_history WHERE case_id = $1 AND erased AND reason_code = $2`,
		id, int16(casebridgev1.CaseChangeReason_CASE_CHANGE_REASON_PERSON_REQUEST)).Scan(&erasures); err != nil || erasures != 1 {
		t.Fatalf("%d erasures in the case history (%v)", erasures, err)
	}

	tr := env.AuditTrail(t, id)
	for rid, want := range map[string]string{"suspend-6620": "reason=safety", "close-6620": "reason=transferred", "erase-6620": "reason=person_request"} {
		evs := tr[rid]
		if len(evs) != 1 || !slices.Contains(evs[0].GetDetails(), want) {
			t.Errorf("audit of %s: %v, want detail %s", rid, evs, want)
		}
		for _, ev := range evs {
			if strings.Contains(ev.String(), "Marker-Reason") || strings.Contains(ev.String(), "moved away") {
				t.Errorf("audit event of %s carries the reason's text: %v", rid, ev)
			}
		}
	}
}

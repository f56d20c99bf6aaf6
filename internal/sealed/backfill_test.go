package sealed_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/servertest"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// legacyMarker is the plain text a row of an older version held.
func legacyMarker(table, column string) string { return "Legacy-" + table + "-" + column + "-4417" }

// TestBackfillSealsLegacyPlainText: rows as older versions wrote them (free
// text in plain columns, no sealed texts) are sealed by the backfill, in
// batches, and their plain columns cleared; an erased case's plain text is
// dropped rather than sealed. The API then reads the sealed values.
func TestBackfillSealsLegacyPlainText(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	sc := env.SealedCase(t)
	erased := env.SealedCase(t)
	if _, err := env.Cases().EraseCase(env.As(t, "supervisor@shelter-a"), &casebridgev1.EraseCaseRequest{Id: erased.CaseID, Reason: "asked"}); err != nil {
		t.Fatal(err)
	}

	// Turn both cases' rows into legacy rows: plain text, no texts.
	if _, err := env.Pool.Exec(ctx, `ALTER TABLE claim_payments DISABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	for _, c := range vault.Columns() {
		cols := sealed.LegacyColumns(c)
		if cols == nil {
			continue
		}
		var set []string
		for _, col := range cols {
			if col == "strategic_goal" {
				set = append(set, "strategic = true") // a goal needs the flag
			}
			if col == "charges" {
				set = append(set, col+" = ARRAY['"+legacyMarker(c.Table(), col)+"']")
			} else {
				set = append(set, col+" = '"+legacyMarker(c.Table(), col)+"'")
			}
		}
		sql := `UPDATE ` + c.Table() + ` SET texts = NULL, ` + strings.Join(set, ", ") + ` WHERE case_id = ANY($1::uuid[])`
		tag, err := env.Pool.Exec(ctx, sql, []string{sc.CaseID, erased.CaseID})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if tag.RowsAffected() < 2 {
			t.Fatalf("%s: only %d legacy rows", c.Table(), tag.RowsAffected())
		}
	}
	if _, err := env.Pool.Exec(ctx, `ALTER TABLE claim_payments ENABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}

	kr, err := vault.LoadKeyring(filepath.Join(env.DataDir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	km := keys.NewManager(env.Pool, kr, nil, nil)
	defer km.Close()
	n, err := sealed.Backfill(ctx, env.Pool, km, 2) // small batches: several per table
	if err != nil {
		t.Fatal(err)
	}
	if n < 14 {
		t.Fatalf("backfill handled %d rows, want at least 14", n)
	}
	if again, err := sealed.Backfill(ctx, env.Pool, km, 2); err != nil || again != 0 {
		t.Fatalf("a second run found %d rows (%v): the first did not finish", again, err)
	}

	dump := string(pgDump(t, env.DBURL))
	if strings.Contains(dump, "Legacy-") {
		t.Error("pg_dump still holds legacy plain text after the backfill")
	}
	for _, c := range vault.Columns() {
		if sealed.LegacyColumns(c) == nil {
			continue
		}
		var sealedRows, erasedSealed int
		if err := env.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE case_id = $1 AND texts IS NOT NULL),
				count(*) FILTER (WHERE case_id = $2 AND texts IS NOT NULL) FROM `+c.Table(), sc.CaseID, erased.CaseID).
			Scan(&sealedRows, &erasedSealed); err != nil {
			t.Fatal(err)
		}
		if sealedRows == 0 || erasedSealed != 0 {
			t.Errorf("%s: %d rows of the case sealed (want some), %d of the erased case (want none)", c.Table(), sealedRows, erasedSealed)
		}
	}

	// What the API reads now is what the legacy rows held.
	lw := env.As(t, "lawyer@legal-b")
	p, err := casebridgev1.NewProceedingServiceClient(env.Conn).GetProceeding(lw, &casebridgev1.GetProceedingRequest{Id: sc.Proceeding})
	if err != nil || p.GetProceeding().GetCourt() != legacyMarker("proceedings", "court") ||
		len(p.GetProceeding().GetCharges()) != 1 || p.GetProceeding().GetCharges()[0] != legacyMarker("proceedings", "charges") {
		t.Fatalf("proceeding after the backfill: %v %v", p.GetProceeding(), err)
	}
	r, err := casebridgev1.NewReferralServiceClient(env.Conn).GetReferral(env.As(t, "caseworker@shelter-a"), &casebridgev1.GetReferralRequest{Id: sc.Declined})
	if err != nil || r.GetReferral().GetMessage() != legacyMarker("referrals", "message") ||
		r.GetReferral().GetDeclineReason() != legacyMarker("referrals", "decline_reason") {
		t.Fatalf("referral after the backfill: %v %v", r.GetReferral(), err)
	}
	pay, err := casebridgev1.NewCompensationServiceClient(env.Conn).ListPayments(lw, &casebridgev1.ListPaymentsRequest{ClaimId: sc.Claim})
	if err != nil || len(pay.GetPayments()) != 1 || pay.GetPayments()[0].GetPayer().GetName() != legacyMarker("claim_payments", "payer_name") {
		t.Fatalf("payments after the backfill: %v %v", pay.GetPayments(), err)
	}
}

// TestBackfillSealsPlainTextLeftBesideSealedTexts: a row that already has
// sealed texts can still gain plain text (an older replica updating it
// during a rolling upgrade). The backfill seals that too, merged into the
// row's sealed texts (the later plain value wins its field), and clears
// the plain column; the other sealed fields are kept.
func TestBackfillSealsPlainTextLeftBesideSealedTexts(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	sc := env.SealedCase(t)
	cw := env.As(t, "caseworker@shelter-a")
	refs := casebridgev1.NewReferralServiceClient(env.Conn)
	before, err := refs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: sc.Declined})
	if err != nil || before.GetReferral().GetDeclineReason() == "" {
		t.Fatalf("referral before: %v %v", before.GetReferral(), err)
	}
	lw := env.As(t, "lawyer@legal-b")
	procs := casebridgev1.NewProceedingServiceClient(env.Conn)
	pBefore, err := procs.GetProceeding(lw, &casebridgev1.GetProceedingRequest{Id: sc.Proceeding})
	if err != nil || pBefore.GetProceeding().GetDocketNumber() == "" {
		t.Fatalf("proceeding before: %v %v", pBefore.GetProceeding(), err)
	}

	late := legacyMarker("referrals", "message")
	court := legacyMarker("proceedings", "court")
	if _, err := env.Pool.Exec(ctx, `UPDATE referrals SET message = $2 WHERE id = $1 AND texts IS NOT NULL`, sc.Declined, late); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Pool.Exec(ctx, `UPDATE proceedings SET court = $2 WHERE id = $1 AND texts IS NOT NULL`, sc.Proceeding, court); err != nil {
		t.Fatal(err)
	}

	kr, err := vault.LoadKeyring(filepath.Join(env.DataDir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	km := keys.NewManager(env.Pool, kr, nil, nil)
	defer km.Close()
	n, err := sealed.Backfill(ctx, env.Pool, km, 10)
	if err != nil || n != 2 {
		t.Fatalf("Backfill = %d, %v; want the 2 rows with plain text left", n, err)
	}
	if dump := string(pgDump(t, env.DBURL)); strings.Contains(dump, "Legacy-") {
		t.Error("pg_dump still holds the plain text left beside sealed texts")
	}
	after, err := refs.GetReferral(cw, &casebridgev1.GetReferralRequest{Id: sc.Declined})
	if err != nil || after.GetReferral().GetMessage() != late || after.GetReferral().GetDeclineReason() != before.GetReferral().GetDeclineReason() {
		t.Fatalf("referral after the backfill: %v %v; want the decline reason kept and message %q", after.GetReferral(), err, late)
	}
	pAfter, err := procs.GetProceeding(lw, &casebridgev1.GetProceedingRequest{Id: sc.Proceeding})
	if err != nil || pAfter.GetProceeding().GetCourt() != court || pAfter.GetProceeding().GetDocketNumber() != pBefore.GetProceeding().GetDocketNumber() {
		t.Fatalf("proceeding after the backfill: %v %v; want docket kept and court %q", pAfter.GetProceeding(), err, court)
	}
}

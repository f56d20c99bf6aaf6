package faults

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/referral"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Result is what the checker found of the acknowledged writes.
type Result struct {
	Acked, Found int
}

// Lost is the number of acknowledged writes that are not there.
func (r Result) Lost() int { return r.Acked - r.Found }

// Check proves, after a fault, over the real API and the database at
// dbURL: every acknowledged write is present exactly once and decrypts;
// nothing unacknowledged is half-applied (a case without its key or a
// secret that does not open, a row without the audit event of its
// transaction, an accepted referral without the receiver's key grant); and
// the audit chain verifies. It reports every problem on t and returns the
// counts.
func Check(t testing.TB, srv *Server, dbURL string, l *Ledger) Result {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("checker: connect: %v", err)
	}
	defer db.Close(context.Background())
	c := &checker{t: t, srv: srv, db: db, ctx: ctx}
	var r Result

	cases := casebridgev1.NewCaseServiceClient(srv.Conn)
	byCase := map[string]*CaseRec{}
	for _, rec := range l.Cases {
		r.Acked++
		byCase[rec.ID] = rec
		if c.count(`SELECT count(*) FROM cases WHERE organization_id = $1 AND request_id = $2`, ownerOrg, rec.RequestID) != 1 {
			t.Errorf("case %s (request %s) is not there exactly once", rec.ID, rec.RequestID)
			continue
		}
		got := c.getCase(cases, Caseworker, rec.ID)
		if got == nil {
			continue
		}
		phones := append([]string{rec.Phone}, rec.Maybe...)
		switch {
		case got.GetIdentity().GetGivenNames() != rec.GivenNames:
			t.Errorf("case %s: identity %q, want %q", rec.ID, got.GetIdentity().GetGivenNames(), rec.GivenNames)
		case !slices.Contains(phones, got.GetContact().GetPhone()):
			t.Errorf("case %s: phone %q, want one of %q", rec.ID, got.GetContact().GetPhone(), phones)
		default:
			r.Found++
		}
	}

	// Every case in the database, acknowledged or not, opens whole: a
	// half-created case (no key, a secret that does not open) fails here.
	rows, _ := db.Query(ctx, `SELECT id::text FROM cases WHERE organization_id = $1`, ownerOrg)
	all, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("checker: list cases: %v", err)
	}
	for _, id := range all {
		if byCase[id] == nil {
			c.getCase(cases, Caseworker, id)
		}
	}
	// (Imported cases hold coded attributes only: no key, nothing sealed.)
	if n := c.count(`SELECT count(*) FROM cases k WHERE k.import_line IS NULL
		AND NOT EXISTS (SELECT 1 FROM case_keys ck WHERE ck.case_id = k.id)`); n != 0 {
		t.Errorf("%d cases without a case key", n)
	}

	notes := map[string]map[string]int{} // case -> note id -> times listed
	texts := map[string]string{}
	for _, n := range l.Notes {
		r.Acked++
		if notes[n.CaseID] == nil {
			notes[n.CaseID] = map[string]int{}
			for _, got := range c.listNotes(cases, n.CaseID) {
				notes[n.CaseID][got.GetId()]++
				texts[got.GetId()] = got.GetText()
			}
		}
		switch {
		case notes[n.CaseID][n.ID] != 1:
			t.Errorf("note %s of case %s listed %d times", n.ID, n.CaseID, notes[n.CaseID][n.ID])
		case texts[n.ID] != n.Text:
			t.Errorf("note %s: text %q, want %q", n.ID, texts[n.ID], n.Text)
		case c.count(`SELECT count(*) FROM case_notes WHERE case_id = $1 AND request_id = $2`, n.CaseID, n.RequestID) != 1:
			t.Errorf("note %s: request %s not stored exactly once", n.ID, n.RequestID)
		default:
			r.Found++
		}
	}

	consents := map[string]map[string]int{}
	for _, cr := range l.Consents {
		r.Acked++
		if consents[cr.CaseID] == nil {
			consents[cr.CaseID] = map[string]int{}
			var resp *casebridgev1.ListConsentsResponse
			c.retry("ListConsents", func(ctx context.Context) (err error) {
				resp, err = cases.ListConsents(srv.As(ctx, Caseworker), &casebridgev1.ListConsentsRequest{CaseId: cr.CaseID, PageSize: 500})
				return err
			})
			for _, got := range resp.GetConsents() {
				consents[cr.CaseID][got.GetId()]++
			}
		}
		if consents[cr.CaseID][cr.ID] != 1 {
			t.Errorf("consent %s of case %s listed %d times", cr.ID, cr.CaseID, consents[cr.CaseID][cr.ID])
			continue
		}
		r.Found++
	}

	refs := casebridgev1.NewReferralServiceClient(srv.Conn)
	for _, ref := range l.Referrals {
		r.Acked++
		var resp *casebridgev1.GetReferralResponse
		if !c.retry("GetReferral", func(ctx context.Context) (err error) {
			resp, err = refs.GetReferral(srv.As(ctx, Caseworker), &casebridgev1.GetReferralRequest{Id: ref.ID})
			return err
		}) {
			continue
		}
		if resp.GetReferral().GetStatus() != casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED {
			t.Errorf("referral %s: status %s after an acknowledged acceptance", ref.ID, resp.GetReferral().GetStatus())
			continue
		}
		// The receiver's key grant: legal-b's lawyer opens the identity.
		got := c.getCase(cases, Lawyer, ref.CaseID)
		if got.GetIdentity().GetGivenNames() != ref.GivenNames {
			t.Errorf("referral %s: the receiver reads identity %q, want %q", ref.ID, got.GetIdentity().GetGivenNames(), ref.GivenNames)
			continue
		}
		r.Found++
	}
	if n := c.count(`SELECT count(*) FROM referrals r WHERE ` + referral.AcceptedSQL("r") + ` AND NOT EXISTS (
		SELECT 1 FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
		WHERE ck.case_id = r.case_id AND ok.organization_id = r.to_organization)`); n != 0 {
		t.Errorf("%d accepted referrals without the receiver's key grant", n)
	}

	procs := casebridgev1.NewProceedingServiceClient(srv.Conn)
	hearings := map[string]int{}
	for pid := range l.Proceedings {
		var resp *casebridgev1.ListHearingsResponse
		c.retry("ListHearings", func(ctx context.Context) (err error) {
			resp, err = procs.ListHearings(srv.As(ctx, Lawyer), &casebridgev1.ListHearingsRequest{ProceedingId: pid, PageSize: 500})
			return err
		})
		for _, h := range resp.GetHearings() {
			hearings[h.GetId()]++
		}
		if resp.GetNextPageToken() != "" {
			t.Errorf("proceeding %s: more than 500 hearings, the checker reads one page", pid)
		}
	}
	for _, h := range l.Hearings {
		r.Acked++
		if hearings[h.ID] != 1 {
			t.Errorf("hearing %s listed %d times", h.ID, hearings[h.ID])
			continue
		}
		r.Found++
	}

	comp := casebridgev1.NewCompensationServiceClient(srv.Conn)
	payments := map[string]int64{}
	listed := map[string]int{}
	for cid := range l.Claims {
		var sum int64
		token := ""
		for {
			var resp *casebridgev1.ListPaymentsResponse
			if !c.retry("ListPayments", func(ctx context.Context) (err error) {
				resp, err = comp.ListPayments(srv.As(ctx, Lawyer), &casebridgev1.ListPaymentsRequest{ClaimId: cid, PageSize: 500, PageToken: token})
				return err
			}) {
				break
			}
			for _, p := range resp.GetPayments() {
				listed[p.GetId()]++
				payments[p.GetId()] = p.GetAmount().GetAmountMinor()
				sum += p.GetAmount().GetAmountMinor()
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		var claim *casebridgev1.GetClaimResponse
		if c.retry("GetClaim", func(ctx context.Context) (err error) {
			claim, err = comp.GetClaim(srv.As(ctx, Lawyer), &casebridgev1.GetClaimRequest{Id: cid})
			return err
		}) && claim.GetClaim().GetAmountPaid().GetAmountMinor() != sum {
			t.Errorf("claim %s: amount paid %d, its ledger sums to %d", cid, claim.GetClaim().GetAmountPaid().GetAmountMinor(), sum)
		}
	}
	for _, p := range l.Payments {
		r.Acked++
		if listed[p.ID] != 1 || payments[p.ID] != p.Minor {
			t.Errorf("payment %s listed %d times, amount %d (want once, %d)", p.ID, listed[p.ID], payments[p.ID], p.Minor)
			continue
		}
		r.Found++
	}

	// Nothing half-applied: every row a mutation wrote carries the audit
	// event of the transaction that wrote it last (a change and its event
	// commit together or not at all).
	for _, table := range []string{"cases", "case_notes", "consents", "referrals", "proceedings", "hearings", "claims", "claim_payments"} {
		// Except an imported case: the import (coded attributes only) is
		// audited once per call, not in each batch's transaction.
		// And a revoked referral rewritten by the re-key that follows its
		// revocation (in a savepoint: the row carries the savepoint's
		// transaction id), which rekeyed proves to be exactly that.
		except := ""
		switch table {
		case "referrals":
			except = fmt.Sprintf(" AND NOT (t.status = %d AND t.id::text = ANY($1))", referral.Stored(referral.Revoked))
		case "cases":
			except = " AND t.import_line IS NULL"
		}
		var args []any
		if table == "referrals" {
			args = append(args, c.rekeyed(l.Revocations))
		}
		rows, _ := db.Query(ctx, `SELECT row_to_json(t)::text FROM `+table+` t WHERE NOT EXISTS (
			SELECT 1 FROM audit_events a WHERE a.xid % 4294967296 = t.xmin::text::bigint)`+except, args...)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("checker: %s: %v", table, err)
		}
		if len(ids) != 0 {
			t.Errorf("%d rows of %s without an audit event in their transaction: %v", len(ids), table, ids[:min(len(ids), 3)])
		}
	}

	c.verifyChain()
	return r
}

// rekeyed returns the revoked referrals whose last rewrite, which has no
// audit event in its transaction, is proved to be exactly the re-key after
// their acknowledged revocation: the same transaction wrote the case's new
// wrapped keys (and none for the receiver, who lost access); the
// revocation's audit event (OK) is in the log, in a transaction begun
// before (a savepoint's transaction id is above its parent's); and the
// referral's texts decrypt, under the new key, to what they were (the
// reason given). Any other rewrite without an audit event is reported by
// the caller.
func (c *checker) rekeyed(revs []RevokeRec) []string {
	c.t.Helper()
	refs := casebridgev1.NewReferralServiceClient(c.srv.Conn)
	var ok []string
	for _, rev := range revs {
		var xmin int64
		var to string
		if err := c.db.QueryRow(c.ctx, `SELECT t.xmin::text::bigint, t.to_organization FROM referrals t
			WHERE t.id = $1 AND t.status = $2 AND NOT EXISTS (
			SELECT 1 FROM audit_events a WHERE a.xid % 4294967296 = t.xmin::text::bigint)`,
			rev.ID, referral.Stored(referral.Revoked)).Scan(&xmin, &to); err != nil {
			if err != pgx.ErrNoRows {
				c.t.Fatalf("checker: revoked referral %s: %v", rev.ID, err)
			}
			continue // not rewritten after its audited revocation: checked as any row
		}
		switch {
		case c.count(`SELECT count(*) FROM case_keys WHERE case_id = $1 AND xmin::text::bigint = $2`, rev.CaseID, xmin) == 0:
			c.t.Errorf("revoked referral %s rewritten without an audit event by a transaction that did not re-key case %s", rev.ID, rev.CaseID)
			continue
		case c.count(`SELECT count(*) FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
			WHERE ck.case_id = $1 AND ok.organization_id = $2`, rev.CaseID, to) != 0:
			c.t.Errorf("revoked referral %s: the re-key of case %s left a wrapped key to %s", rev.ID, rev.CaseID, to)
			continue
		case c.count(`SELECT count(*) FROM audit_events WHERE case_id = $1 AND method LIKE '%/RevokeSharing' AND code = 'OK'
			AND xid % 4294967296 < $2`, rev.CaseID, xmin) == 0:
			c.t.Errorf("revoked referral %s re-keyed with no revocation of case %s in the audit log", rev.ID, rev.CaseID)
			continue
		}
		var resp *casebridgev1.GetReferralResponse
		if !c.retry("GetReferral "+rev.ID, func(ctx context.Context) (err error) {
			resp, err = refs.GetReferral(c.srv.As(ctx, Caseworker), &casebridgev1.GetReferralRequest{Id: rev.ID})
			return err
		}) {
			continue
		}
		if got := resp.GetReferral().GetEndReason(); got != rev.Reason {
			c.t.Errorf("revoked referral %s: after its re-key the reason reads %q, want %q", rev.ID, got, rev.Reason)
			continue
		}
		ok = append(ok, rev.ID)
	}
	return ok
}

type checker struct {
	t   testing.TB
	srv *Server
	db  *pgx.Conn
	ctx context.Context
}

func (c *checker) count(sql string, args ...any) int {
	c.t.Helper()
	var n int
	if err := c.db.QueryRow(c.ctx, sql, args...).Scan(&n); err != nil {
		c.t.Fatalf("checker: %s: %v", sql, err)
	}
	return n
}

// retry calls f until it succeeds (the server may still be recovering) or
// a minute passed; it reports the failure and returns false then.
func (c *checker) retry(what string, f func(ctx context.Context) error) bool {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := f(ctx)
		cancel()
		if err == nil {
			return true
		}
		code := status.Code(err)
		if (code != codes.Unavailable && code != codes.DeadlineExceeded && code != codes.ResourceExhausted) || time.Now().After(deadline) {
			c.t.Errorf("checker: %s: %v", what, err)
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// getCase reads a case with every class the caller may read: each one the
// case holds must open.
func (c *checker) getCase(cases casebridgev1.CaseServiceClient, sub, id string) *casebridgev1.Case {
	c.t.Helper()
	var resp *casebridgev1.GetCaseResponse
	if !c.retry("GetCase "+id, func(ctx context.Context) (err error) {
		resp, err = cases.GetCase(c.srv.As(ctx, sub), &casebridgev1.GetCaseRequest{Id: id, View: casebridgev1.CaseView_CASE_VIEW_FULL})
		return err
	}) {
		return nil
	}
	if sub == Caseworker && len(resp.GetCase().GetRedactedClasses()) != 0 {
		c.t.Errorf("case %s: its own caseworker is refused classes %v", id, resp.GetCase().GetRedactedClasses())
	}
	return resp.GetCase()
}

func (c *checker) listNotes(cases casebridgev1.CaseServiceClient, caseID string) []*casebridgev1.Note {
	c.t.Helper()
	var out []*casebridgev1.Note
	token := ""
	for {
		var resp *casebridgev1.ListNotesResponse
		if !c.retry("ListNotes", func(ctx context.Context) (err error) {
			resp, err = cases.ListNotes(c.srv.As(ctx, Caseworker), &casebridgev1.ListNotesRequest{CaseId: caseID, PageSize: 500, PageToken: token})
			return err
		}) {
			return out
		}
		out = append(out, resp.GetNotes()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// verifyChain has the network's auditor verify the whole audit chain.
func (c *checker) verifyChain() {
	c.t.Helper()
	audit := casebridgev1.NewAuditServiceClient(c.srv.Conn)
	from, checked := int64(0), int64(0)
	for {
		var resp *casebridgev1.VerifyChainResponse
		if !c.retry("VerifyChain", func(ctx context.Context) (err error) {
			resp, err = audit.VerifyChain(c.srv.As(ctx, Auditor), &casebridgev1.VerifyChainRequest{FromSequence: from})
			return err
		}) {
			return
		}
		if !resp.GetIntact() {
			c.t.Errorf("audit chain broken at %d: %s", resp.GetFirstBrokenSequence(), resp.GetReason())
			return
		}
		checked += resp.GetEventsChecked()
		if resp.GetNextFromSequence() == 0 || resp.GetNextFromSequence() <= from {
			break
		}
		from = resp.GetNextFromSequence()
	}
	if checked == 0 {
		c.t.Error("audit chain: no event verified")
	}
}

// String summarises a result for the log and the README's table.
func (r Result) String() string {
	return fmt.Sprintf("acknowledged %d, found %d, lost %d", r.Acked, r.Found, r.Lost())
}

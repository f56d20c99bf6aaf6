package referral

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// world is a database with organisations owner, b and c, each with a key.
type world struct {
	t    *testing.T
	ctx  context.Context
	pool *pgxpool.Pool
	km   *keys.Manager
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, ctx: t.Context(), pool: testdb.New(t)}
	kr, err := vault.LoadKeyring(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	w.km = keys.NewManager(w.pool, kr, nil, nil)
	t.Cleanup(w.km.Close)
	for _, org := range []string{"owner", "b", "c"} {
		if _, err := w.pool.Exec(w.ctx, `INSERT INTO organizations (id, display_name, kind) VALUES ($1, $1, 1)`, org); err != nil {
			t.Fatal(err)
		}
		if _, err := w.km.EnsureOrgKey(w.ctx, w.pool, org); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// newCase inserts a case of owner; with data, it gets a key, one sealed
// class and one sealed note.
func (w *world) newCase(data bool) (caseID, noteID string) {
	w.t.Helper()
	caseID, noteID = uuid.NewString(), uuid.NewString()
	w.tx(func(tx pgx.Tx) error {
		if _, err := tx.Exec(w.ctx, `INSERT INTO cases (id, organization_id, reference, status) VALUES ($1, 'owner', $2, 1)`, caseID, "ref-"+caseID); err != nil {
			return err
		}
		if !data {
			return nil
		}
		key, err := w.km.CreateCaseKey(w.ctx, tx, caseID, "owner")
		if err != nil {
			return err
		}
		defer key.Wipe()
		ct, err := vault.CaseSecrets.Seal(key, caseID, "", dataclass.Contact, []byte("where she lives"))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(w.ctx, `INSERT INTO case_secrets (case_id, class, ciphertext) VALUES ($1, 2, $2)`, caseID, ct); err != nil {
			return err
		}
		ct, err = vault.CaseNotes.Seal(key, caseID, noteID, dataclass.Care, []byte("a care note"))
		if err != nil {
			return err
		}
		_, err = tx.Exec(w.ctx, `INSERT INTO case_notes (id, case_id, class, ciphertext, author) VALUES ($1, $2, 3, $3, 'x')`, noteID, caseID, ct)
		return err
	})
	return caseID, noteID
}

func (w *world) tx(fn func(pgx.Tx) error) {
	w.t.Helper()
	if err := pgx.BeginFunc(w.ctx, w.pool, fn); err != nil {
		w.t.Fatal(err)
	}
}

// share inserts a referral of the case to org in status and, if accepted,
// grants org the key.
func (w *world) share(caseID, org string, status casebridgev1.ReferralStatus) string {
	w.t.Helper()
	id := uuid.NewString()
	w.tx(func(tx pgx.Tx) error {
		if _, err := tx.Exec(w.ctx, `INSERT INTO referrals (id, case_id, from_organization, to_organization, service, status, purpose, created_by)
			VALUES ($1, $2, 'owner', $3, 2, $4, 2, 'x')`, id, caseID, org, int16(status)); err != nil {
			return err
		}
		if status == casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED {
			return Granted(w.ctx, tx, w.km, caseID, org)
		}
		return nil
	})
	return id
}

func (w *world) end(referralID string) {
	w.t.Helper()
	if _, err := w.pool.Exec(w.ctx, `UPDATE referrals SET status = $2 WHERE id = $1`, referralID, Stored(Revoked)); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) keyOrgs(caseID string) map[string]bool {
	w.t.Helper()
	rows, err := w.pool.Query(w.ctx, `SELECT ok.organization_id FROM case_keys ck
		JOIN organization_keys ok ON ok.key_id = ck.key_id WHERE ck.case_id = $1`, caseID)
	if err != nil {
		w.t.Fatal(err)
	}
	orgs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, o := range orgs {
		out[o] = true
	}
	return out
}

func (w *world) sealed(caseID, noteID string) (secret, note []byte) {
	w.t.Helper()
	if err := w.pool.QueryRow(w.ctx, `SELECT ciphertext FROM case_secrets WHERE case_id = $1`, caseID).Scan(&secret); err != nil {
		w.t.Fatal(err)
	}
	if err := w.pool.QueryRow(w.ctx, `SELECT ciphertext FROM case_notes WHERE id = $1`, noteID).Scan(&note); err != nil {
		w.t.Fatal(err)
	}
	return secret, note
}

func (w *world) caseKey(caseID string) *vault.CaseKey {
	w.t.Helper()
	key, err := w.km.CaseKey(w.ctx, w.pool, caseID)
	if err != nil {
		w.t.Fatal(err)
	}
	return key
}

// TestRevokeRekeys: the revoked organisation loses its wrapped key, the
// case gets a new key wrapped to those who keep access, and every
// ciphertext opens under the new key and no longer under the old one.
func TestRevokeRekeys(t *testing.T) {
	w := newWorld(t)
	caseID, noteID := w.newCase(true)
	refB := w.share(caseID, "b", casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED)
	w.share(caseID, "c", casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED)
	if got := w.keyOrgs(caseID); !got["owner"] || !got["b"] || !got["c"] {
		t.Fatalf("key holders after grants: %v", got)
	}
	oldKey := w.caseKey(caseID)
	defer oldKey.Wipe()
	oldSecret, oldNote := w.sealed(caseID, noteID)

	w.end(refB)
	w.tx(func(tx pgx.Tx) error { return Ended(w.ctx, tx, w.km, caseID, "b") })

	if got := w.keyOrgs(caseID); !got["owner"] || got["b"] || !got["c"] || len(got) != 2 {
		t.Fatalf("key holders after revoking b: %v", got)
	}
	newKey := w.caseKey(caseID)
	defer newKey.Wipe()
	secret, note := w.sealed(caseID, noteID)
	if bytes.Equal(secret, oldSecret) || bytes.Equal(note, oldNote) {
		t.Fatal("ciphertexts were not re-encrypted")
	}
	if p, err := vault.CaseSecrets.Open(newKey, caseID, "", dataclass.Contact, secret); err != nil || string(p) != "where she lives" {
		t.Fatalf("class under the new key: %q, %v", p, err)
	}
	if p, err := vault.CaseNotes.Open(newKey, caseID, noteID, dataclass.Care, note); err != nil || string(p) != "a care note" {
		t.Fatalf("note under the new key: %q, %v", p, err)
	}
	if _, err := vault.CaseSecrets.Open(oldKey, caseID, "", dataclass.Contact, secret); err == nil {
		t.Fatal("the old key still opens the re-encrypted class")
	}
}

// TestRevokeKeepsOtherAccess: nothing changes while the organisation still
// has another accepted referral on the case, nor for a referral that never
// granted access.
func TestRevokeKeepsOtherAccess(t *testing.T) {
	w := newWorld(t)
	caseID, noteID := w.newCase(true)
	first := w.share(caseID, "b", casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED)
	w.share(caseID, "b", casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED)
	pendingC := w.share(caseID, "c", casebridgev1.ReferralStatus_REFERRAL_STATUS_PENDING)
	secret, _ := w.sealed(caseID, noteID)
	w.end(first)
	w.end(pendingC)
	w.tx(func(tx pgx.Tx) error { return Ended(w.ctx, tx, w.km, caseID, "b", "c", "owner") })
	if got := w.keyOrgs(caseID); !got["b"] || !got["owner"] {
		t.Fatalf("key holders: %v", got)
	}
	if after, _ := w.sealed(caseID, noteID); !bytes.Equal(after, secret) {
		t.Fatal("re-keyed although nobody lost access")
	}
}

// TestGrantKeylessCase: a case without a key gets one, wrapped to both.
func TestGrantKeylessCase(t *testing.T) {
	w := newWorld(t)
	caseID, _ := w.newCase(false)
	w.share(caseID, "b", casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED)
	if got := w.keyOrgs(caseID); !got["owner"] || !got["b"] || len(got) != 2 {
		t.Fatalf("key holders: %v", got)
	}
}

// TestOutboxCommitOrder: a second writer of events waits for the first to
// commit, so seq order is commit order and a reader resuming after a seq
// can never skip one committed later.
func TestOutboxCommitOrder(t *testing.T) {
	w := newWorld(t)
	caseID, _ := w.newCase(false)
	ref := w.share(caseID, "b", casebridgev1.ReferralStatus_REFERRAL_STATUS_PENDING)
	created := casebridgev1.ReferralEventType_REFERRAL_EVENT_TYPE_CREATED

	first, err := w.pool.Begin(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(w.ctx)
	var o Outbox
	if err := o.Referrals(w.ctx, first, created, ref); err != nil {
		t.Fatal(err)
	}
	if err := o.Flush(w.ctx, first); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- pgx.BeginFunc(w.ctx, w.pool, func(tx pgx.Tx) error {
			var o Outbox
			if err := o.Referrals(w.ctx, tx, created, ref); err != nil {
				return err
			}
			return o.Flush(w.ctx, tx)
		})
	}()
	select {
	case err := <-done:
		t.Fatalf("second writer did not wait for the first: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := first.Commit(w.ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rows, err := w.pool.Query(w.ctx, `SELECT organization_id, xmin::text::bigint FROM referral_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		org string
		xid int64
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.org, &x.xid)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0].org != "owner" || got[1].org != "b" || got[0].xid != got[1].xid || got[2].xid == got[1].xid {
		t.Fatalf("events: %v", got)
	}
}

// TestEndConsentOnlyItsReferrals: withdrawing a consent revokes the
// referrals relying on it, no others.
func TestEndConsentOnlyItsReferrals(t *testing.T) {
	w := newWorld(t)
	caseID, _ := w.newCase(true)
	consents := map[string]string{}
	for _, org := range []string{"b", "c"} {
		id := uuid.NewString()
		if _, err := w.pool.Exec(w.ctx, `INSERT INTO consents (id, case_id, purpose, decision, organization_id, state, given_time, recorded_by)
			VALUES ($1, $2, 2, 1, $3, 1, now(), 'x')`, id, caseID, org); err != nil {
			t.Fatal(err)
		}
		consents[org] = id
		ref := w.share(caseID, org, casebridgev1.ReferralStatus_REFERRAL_STATUS_ACCEPTED)
		if _, err := w.pool.Exec(w.ctx, `UPDATE referrals SET consent_id = $2 WHERE id = $1`, ref, id); err != nil {
			t.Fatal(err)
		}
	}
	w.tx(func(tx pgx.Tx) error { return EndConsent(w.ctx, tx, w.km, caseID, consents["b"], "consent withdrawn") })
	if got := w.keyOrgs(caseID); got["b"] || !got["c"] || !got["owner"] {
		t.Fatalf("key holders: %v", got)
	}
	rows, err := w.pool.Query(w.ctx, `SELECT status FROM referrals WHERE case_id = $1 ORDER BY to_organization`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	statuses, err := pgx.CollectRows(rows, pgx.RowTo[int16])
	if err != nil || len(statuses) != 2 || statuses[0] != Stored(Revoked) || statuses[1] != Stored(Accepted) {
		t.Fatalf("statuses (b, c): %v, %v", statuses, err)
	}
	var events int
	if err := w.pool.QueryRow(w.ctx, `SELECT count(*) FROM referral_events WHERE event_type = $1`, int16(End.Event)).Scan(&events); err != nil || events != 2 {
		t.Fatalf("%d revoked events, want 2 (both sides): %v", events, err)
	}
}

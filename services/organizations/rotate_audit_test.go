package organizations_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestRotateKeyIsAuditedWithTheRotation: RotateKey's audit event is
// written by the transaction that records the rotation, so a rotation
// never exists without its record: with the audit log refusing the event,
// the call fails and no rotation was started.
func TestRotateKeyIsAuditedWithTheRotation(t *testing.T) {
	env := servertest.Start(t)
	orgs := env.Organizations()
	ctx := context.Background()

	rid := "rotate-audit-1"
	r, err := orgs.RotateKey(servertest.WithRequestID(env.As(t, "admin@shelter-a"), rid),
		&casebridgev1.RotateKeyRequest{OrganizationId: "shelter-a"})
	if err != nil {
		t.Fatal(err)
	}
	evs := eventsOf(t, env, "admin@shelter-a", rid)
	if len(evs) != 1 {
		t.Fatalf("%d events for RotateKey, want 1", len(evs))
	}
	want := []string{"organization=shelter-a", "rotation=" + r.GetRotation().GetId(),
		"old_key=" + r.GetRotation().GetOldKeyId(), "new_key=" + r.GetRotation().GetNewKeyId()}
	if !slices.Equal(evs[0].GetDetails(), want) || evs[0].GetResultCode() != "OK" {
		t.Fatalf("RotateKey event %s %q, want OK %q", evs[0].GetResultCode(), evs[0].GetDetails(), want)
	}
	waitRotationDone(t, env, "shelter-a", r.GetRotation().GetId())

	// The audit log now refuses RotateKey's event.
	if _, err := env.Pool.Exec(ctx, `
		CREATE FUNCTION refuse_rotate_event() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.method LIKE '%/RotateKey' THEN RAISE EXCEPTION 'audit log unavailable'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_rotate_event BEFORE INSERT ON audit_events
			FOR EACH ROW EXECUTE FUNCTION refuse_rotate_event()`); err != nil {
		t.Fatal(err)
	}
	var keysBefore, rotationsBefore int
	if err := env.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM organization_keys WHERE organization_id = 'shelter-a'),
		(SELECT count(*) FROM key_rotations WHERE organization_id = 'shelter-a')`).Scan(&keysBefore, &rotationsBefore); err != nil {
		t.Fatal(err)
	}
	active := r.GetRotation().GetNewKeyId()
	_, err = orgs.RotateKey(env.As(t, "admin@shelter-a"), &casebridgev1.RotateKeyRequest{OrganizationId: "shelter-a"})
	if err == nil {
		t.Fatal("RotateKey succeeded although its audit event could not be written")
	}
	var keysAfter, rotationsAfter int
	var activeAfter string
	if err := env.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM organization_keys WHERE organization_id = 'shelter-a'),
		(SELECT count(*) FROM key_rotations WHERE organization_id = 'shelter-a'),
		(SELECT key_id FROM organization_keys WHERE organization_id = 'shelter-a' AND state = 1)`).
		Scan(&keysAfter, &rotationsAfter, &activeAfter); err != nil {
		t.Fatal(err)
	}
	if keysAfter != keysBefore || rotationsAfter != rotationsBefore || activeAfter != active {
		t.Fatalf("an unaudited RotateKey changed the keys: %d→%d keys, %d→%d rotations, active %s→%s",
			keysBefore, keysAfter, rotationsBefore, rotationsAfter, active, activeAfter)
	}
}

// waitRotationDone polls GetKeyRotation until the rotation is done.
func waitRotationDone(t *testing.T, env *servertest.Env, org, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := env.Organizations().GetKeyRotation(env.As(t, "admin@"+org),
			&casebridgev1.GetKeyRotationRequest{OrganizationId: org, Id: id})
		if err != nil {
			t.Fatal(err)
		}
		if r.GetRotation().GetState() == casebridgev1.RotationState_ROTATION_STATE_DONE {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotation not done after 30 s: %v", r.GetRotation())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

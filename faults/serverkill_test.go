package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/ctdc"
	"github.com/casebridge/casebridge/internal/ctdc/synth"
	"github.com/casebridge/casebridge/internal/keys"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// importRows is the CTDC-layout file the import sends, as rows.
func importRows(t *testing.T, n int) []*casebridgev1.ImportRow {
	t.Helper()
	var file bytes.Buffer
	if err := synth.Write(&file, n, 19); err != nil {
		t.Fatal(err)
	}
	r, err := ctdc.NewReader(&file)
	if err != nil {
		t.Fatal(err)
	}
	var rows []*casebridgev1.ImportRow
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

// runImport streams rows as source; after sends rows it calls midway
// (once) and keeps sending until the stream fails. It returns the answer.
func runImport(srv *Server, source string, rows []*casebridgev1.ImportRow, after int, midway func()) (*casebridgev1.ImportCasesResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stream, err := casebridgev1.NewCaseServiceClient(srv.Conn).ImportCases(srv.As(ctx, Caseworker))
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Header{Header: &casebridgev1.ImportHeader{
		Source: source, OrganizationId: ownerOrg,
	}}}); err != nil {
		return nil, err
	}
	for i, row := range rows {
		if i == after && midway != nil {
			midway()
		}
		if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Row{Row: row}}); err != nil {
			break // the server is gone: CloseAndRecv says how
		}
	}
	return stream.CloseAndRecv()
}

// The server kill's values of the rotation's fault-injection knobs
// (internal/keys): batches of 5 case keys, a second apart.
const (
	rotationPause = time.Second
	rotationBatch = 5
)

// TestServerKilled kills the server with kill -9 under load in the middle
// of an import, of a key rotation and right after a revocation (whose
// re-key runs on): after a restart the import retried imports nothing
// twice, the rotation resumes to its end, the revoked receiver is refused,
// and every case stays readable.
func TestServerKilled(t *testing.T) {
	cl := StartCluster(t)
	url := cl.Database(t, "casebridge")
	// Rotations re-wrap rotationBatch case keys at a time and pause
	// rotationPause after each batch (fault-injection knobs of
	// internal/keys), so the kill lands between two batches.
	srv := StartServerEnv(t, serverBin, url, []string{
		keys.FaultRotationPauseEnv + "=" + rotationPause.String(), keys.FaultRotationBatchEnv + "=" + fmt.Sprint(rotationBatch)})
	w := NewWorkload(t, srv, Options{})
	w.Start()
	loadFor(t, w, 40)
	ctx := context.Background()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)

	var recovery time.Duration
	restart := func() {
		t.Helper()
		srv.Kill9()
		start := time.Now()
		srv.Start()
		recovery = max(recovery, srv.WaitServing(90*time.Second))
		_ = firstAck(t, w, start)
	}

	t.Run("import", func(t *testing.T) {
		rows := importRows(t, 1500)
		const source = "ctdc-fault-suite.csv"
		imported := func() (n int) {
			if err := db.QueryRow(ctx, `SELECT count(*) FROM cases WHERE import_line IS NOT NULL`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// The server commits an import a transaction of rows at a time
		// (1000, services/cases importBatch). The stream sends 1200 rows,
		// waits until the first transaction has committed, and kills the
		// server while it holds the rest uncommitted and the last 300 are
		// unsent: the kill lands mid-import in every run, not before the
		// first commit.
		killAt := len(rows) * 4 / 5
		_, err := runImport(srv, source, rows, killAt, func() {
			for deadline := time.Now().Add(90 * time.Second); imported() == 0; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("no imported row committed after %d rows were sent", killAt)
				}
			}
			restart()
		})
		if err == nil {
			t.Fatal("the import finished although the server was killed in its middle")
		}
		before := imported()
		t.Logf("killed mid-import: %d of %d rows committed", before, len(rows))
		if before == 0 || before >= killAt {
			t.Fatalf("%d of %d rows committed when the server was killed after %d had been sent, want some but not all", before, len(rows), killAt)
		}
		resp, err := runImport(srv, source, rows, -1, nil)
		for i := 0; err != nil && status.Code(err) == codes.ResourceExhausted && i < 30; i++ {
			time.Sleep(time.Second)
			resp, err = runImport(srv, source, rows, -1, nil)
		}
		if err != nil {
			t.Fatalf("import again: %v", err)
		}
		if resp.GetReceived() != int64(len(rows)) || resp.GetImported()+resp.GetAlreadyImported()+resp.GetRejected() != int64(len(rows)) {
			t.Errorf("import again: %v", resp)
		}
		var n, distinct int64
		if err := db.QueryRow(ctx, `SELECT count(*), count(DISTINCT import_line) FROM cases WHERE import_line IS NOT NULL`).Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		if n != distinct || n != resp.GetImported()+resp.GetAlreadyImported() {
			t.Errorf("%d imported cases for %d lines, want %d", n, distinct, resp.GetImported()+resp.GetAlreadyImported())
		}
		// Each line exactly once: the rows committed before the kill are
		// found imported, the others imported now.
		if resp.GetAlreadyImported() != int64(before) || n != int64(len(rows))-resp.GetRejected() {
			t.Errorf("import again: %d already imported (want the %d committed before the kill), %d cases for %d rows less %d rejected",
				resp.GetAlreadyImported(), before, n, len(rows), resp.GetRejected())
		}
	})

	t.Run("rotation", func(t *testing.T) {
		// Enough keyed cases for several batches.
		keyed := func() (n int) {
			if err := db.QueryRow(ctx, `SELECT count(*) FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
				WHERE ok.organization_id = $1`, ownerOrg).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for keyed() < 4*rotationBatch {
			loadFor(t, w, 10)
		}
		orgs := casebridgev1.NewOrganizationServiceClient(srv.Conn)
		actx, cancel := context.WithTimeout(ctx, 20*time.Second)
		rot, err := orgs.RotateKey(srv.As(actx, "admin@shelter-a"), &casebridgev1.RotateKeyRequest{OrganizationId: ownerOrg})
		cancel()
		if err != nil {
			t.Fatalf("rotate key: %v", err)
		}
		id := rot.GetRotation().GetId()
		// Kill it once the first batch is committed: the next one waits
		// rotationPause, so the kill lands between two batches.
		var at *casebridgev1.GetKeyRotationResponse
		for start := time.Now(); at.GetRotation().GetDone() == 0; time.Sleep(20 * time.Millisecond) {
			actx, cancel = context.WithTimeout(ctx, 5*time.Second)
			at, _ = orgs.GetKeyRotation(srv.As(actx, "admin@shelter-a"), &casebridgev1.GetKeyRotationRequest{OrganizationId: ownerOrg, Id: id})
			cancel()
			if time.Since(start) > 30*time.Second {
				t.Fatalf("the rotation's first batch not done in 30 s: %v", at.GetRotation())
			}
		}
		srv.Kill9()
		var moved, left int
		if err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE key_id = $2), count(*) FILTER (WHERE key_id = $1) FROM case_keys
			WHERE key_id IN ($1, $2)`, rot.GetRotation().GetOldKeyId(), rot.GetRotation().GetNewKeyId()).Scan(&moved, &left); err != nil {
			t.Fatal(err)
		}
		if moved == 0 || left == 0 {
			t.Fatalf("the kill did not land mid-rotation: %d case keys re-wrapped, %d left", moved, left)
		}
		t.Logf("killed mid-rotation: %d case keys re-wrapped, %d left", moved, left)
		start := time.Now()
		srv.Start()
		recovery = max(recovery, srv.WaitServing(90*time.Second))
		_ = firstAck(t, w, start)
		for start := time.Now(); ; time.Sleep(200 * time.Millisecond) {
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			got, err := orgs.GetKeyRotation(srv.As(actx, "admin@shelter-a"), &casebridgev1.GetKeyRotationRequest{OrganizationId: ownerOrg, Id: id})
			cancel()
			if err == nil && got.GetRotation().GetState() == casebridgev1.RotationState_ROTATION_STATE_DONE {
				t.Logf("rotation done %s after the restart: %d of %d", time.Since(start).Round(10*time.Millisecond), got.GetRotation().GetDone(), got.GetRotation().GetTotal())
				break
			}
			if err == nil && got.GetRotation().GetState() == casebridgev1.RotationState_ROTATION_STATE_FAILED {
				t.Fatalf("rotation failed after the restart: %v", got.GetRotation())
			}
			if time.Since(start) > 2*time.Minute {
				t.Fatalf("rotation not done 2 minutes after the restart: %v %v", got.GetRotation(), err)
			}
		}
		if err := db.QueryRow(ctx, `SELECT count(*) FROM case_keys WHERE key_id = $1`, rot.GetRotation().GetOldKeyId()).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d case keys still wrapped to the retired key", left)
		}
	})

	t.Run("re-key", func(t *testing.T) {
		caseID, refID := shareCase(t, srv, true)
		actx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := admitted(actx, func() error {
			_, err := casebridgev1.NewReferralServiceClient(srv.Conn).RevokeSharing(srv.As(actx, Caseworker), &casebridgev1.RevokeSharingRequest{Id: refID, Reason: "fault suite"})
			return err
		})
		cancel()
		if err != nil {
			t.Fatalf("revoke: %v", err)
		}
		w.Ledger.Revoked(RevokeRec{CaseID: caseID, ID: refID, Reason: "fault suite"})
		restart()
		cases := casebridgev1.NewCaseServiceClient(srv.Conn)
		for start := time.Now(); ; time.Sleep(200 * time.Millisecond) {
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			resp, err := cases.GetCase(srv.As(actx, Lawyer), &casebridgev1.GetCaseRequest{Id: caseID})
			cancel()
			if c := status.Code(err); c == codes.NotFound || c == codes.PermissionDenied || (err == nil && resp.GetCase().GetIdentity() == nil) {
				break
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("the revoked receiver still reads the case: %v", err)
			}
		}
		actx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		resp, err := cases.GetCase(srv.As(actx, Caseworker), &casebridgev1.GetCaseRequest{Id: caseID})
		if err != nil || resp.GetCase().GetIdentity().GetGivenNames() != "Probe" {
			t.Fatalf("the owner reads the re-keyed case: %v %v", resp.GetCase().GetIdentity(), err)
		}
		var keys int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM case_keys ck JOIN organization_keys ok ON ok.key_id = ck.key_id
			WHERE ck.case_id = $1 AND ok.organization_id = $2`, caseID, legalOrg).Scan(&keys); err != nil {
			t.Fatal(err)
		}
		if keys != 0 {
			t.Errorf("the revoked receiver still holds %d wrapped keys of the case", keys)
		}
	})

	loadFor(t, w, 40)
	w.Stop()
	clean(t, w)
	report(t, "server killed (kill -9) mid-import, mid-rotation, after a revocation", Check(t, srv, url, w.Ledger), recovery)
}

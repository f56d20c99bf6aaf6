package server_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestThreeReplicas runs three servers on one PostgreSQL database and one
// keyring directory, as a Deployment with a shared volume does, and shows
// that no replica acts on a stale copy of what another changed: a member
// removed through A is refused on B and C, a key rotation started on A
// completes while B and C read and write, a watch on C sees a referral
// made on B, and a case erased on A is gone on B.
func TestThreeReplicas(t *testing.T) {
	a := servertest.Start(t)
	b := servertest.StartOn(t, a.DBURL, a.DataDir)
	c := servertest.StartOn(t, a.DBURL, a.DataDir)
	replicas := map[string]*servertest.Env{"B": b, "C": c}

	t.Run("member removed on A is refused on B and C", func(t *testing.T) {
		admin := a.As(t, "admin@shelter-a")
		if _, err := a.Organizations().AddMember(admin, &casebridgev1.AddMemberRequest{OrganizationId: "shelter-a",
			Subject: "leaving@shelter-a", Roles: []casebridgev1.Role{casebridgev1.Role_ROLE_CASEWORKER}}); err != nil {
			t.Fatal(err)
		}
		created, err := a.Cases().CreateCase(a.As(t, "leaving@shelter-a"), &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{}})
		if err != nil {
			t.Fatal(err)
		}
		id := created.GetCase().GetId()
		// B and C serve the member first, so that whatever they cache of
		// the membership is warm when it ends.
		for name, r := range replicas {
			if _, err := r.Cases().GetCase(r.As(t, "leaving@shelter-a"), &casebridgev1.GetCaseRequest{Id: id}); err != nil {
				t.Fatalf("%s before the removal: %v", name, err)
			}
		}
		if _, err := a.Organizations().RemoveMember(admin, &casebridgev1.RemoveMemberRequest{OrganizationId: "shelter-a", Subject: "leaving@shelter-a"}); err != nil {
			t.Fatal(err)
		}
		removed := time.Now()
		for name, r := range replicas {
			ctx := r.As(t, "leaving@shelter-a")
			for {
				_, err := r.Cases().GetCase(ctx, &casebridgev1.GetCaseRequest{Id: id})
				if status.Code(err) == codes.PermissionDenied {
					t.Logf("%s refuses the removed member %v after the removal", name, time.Since(removed).Round(time.Millisecond))
					break
				}
				if time.Since(removed) > 5*time.Second {
					t.Fatalf("%s still serves the removed member 5 s after the removal (last: %v)", name, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	})

	t.Run("rotation on A while B and C read and write", func(t *testing.T) {
		cw := a.As(t, "caseworker@shelter-a")
		var ids []string
		for range 60 {
			created, err := a.Cases().CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
				Contact: &casebridgev1.ContactData{Address: "Safe house"}}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, created.GetCase().GetId())
		}
		admin := a.As(t, "admin@shelter-a")
		var calls atomic.Int64
		var mu sync.Mutex
		var createdDuring []string
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for name, r := range replicas {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := r.As(t, "caseworker@shelter-a")
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if t.Failed() {
						return
					}
					calls.Add(1)
					got, err := r.Cases().GetCase(ctx, &casebridgev1.GetCaseRequest{Id: ids[i%len(ids)]})
					if err != nil || got.GetCase().GetContact().GetAddress() != "Safe house" {
						t.Errorf("%s read around the rotation: %v", name, err)
						return
					}
					if i%4 == 0 {
						created, err := r.Cases().CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
							Contact: &casebridgev1.ContactData{Address: "New during rotation"}}})
						if err != nil {
							t.Errorf("%s write around the rotation: %v", name, err)
							return
						}
						mu.Lock()
						createdDuring = append(createdDuring, created.GetCase().GetId())
						mu.Unlock()
					}
				}
			}()
		}
		// B and C are busy before the rotation starts, so that it runs
		// among their calls however quickly it finishes.
		waitCalls := func(n int64) {
			deadline := time.Now().Add(30 * time.Second)
			for calls.Load() < n {
				if t.Failed() || time.Now().After(deadline) {
					close(stop)
					wg.Wait()
					t.Fatalf("B and C stopped calling after %d calls", calls.Load())
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		waitCalls(8)
		rot, err := a.Organizations().RotateKey(admin, &casebridgev1.RotateKeyRequest{OrganizationId: "shelter-a"})
		if err != nil {
			t.Fatal(err)
		}
		before := calls.Load()
		deadline := time.Now().Add(60 * time.Second)
		for {
			r, err := a.Organizations().GetKeyRotation(admin, &casebridgev1.GetKeyRotationRequest{OrganizationId: "shelter-a", Id: rot.GetRotation().GetId()})
			if err != nil {
				t.Fatal(err)
			}
			if r.GetRotation().GetState() == casebridgev1.RotationState_ROTATION_STATE_DONE {
				if r.GetRotation().GetDone() != r.GetRotation().GetTotal() {
					t.Fatalf("rotation done at %d/%d", r.GetRotation().GetDone(), r.GetRotation().GetTotal())
				}
				break
			}
			if time.Now().After(deadline) || t.Failed() {
				close(stop)
				wg.Wait()
				t.Fatalf("rotation not done (after %s): %v", time.Since(deadline.Add(-60*time.Second)).Round(time.Second), r.GetRotation())
			}
			time.Sleep(20 * time.Millisecond)
		}
		during := calls.Load() - before
		// A few more calls after it, while B and C may still hold the old key.
		waitCalls(calls.Load() + 8)
		close(stop)
		wg.Wait()
		t.Logf("%d calls on B and C between RotateKey and its end, %d in all, %d writes", during, calls.Load(), len(createdDuring))
		if len(createdDuring) == 0 {
			t.Fatal("no write ran")
		}
		// After it, every replica reads what every other wrote, under the new key.
		for name, r := range map[string]*servertest.Env{"A": a, "B": b, "C": c} {
			ctx := r.As(t, "caseworker@shelter-a")
			for _, id := range []string{ids[0], createdDuring[0], createdDuring[len(createdDuring)-1]} {
				got, err := r.Cases().GetCase(ctx, &casebridgev1.GetCaseRequest{Id: id})
				if err != nil || got.GetCase().GetContact().GetAddress() == "" {
					t.Fatalf("%s after the rotation, case %s: %v", name, id, err)
				}
			}
		}
	})

	t.Run("watch on C receives a referral made on B", func(t *testing.T) {
		caseID := b.NewMarkedCase(t)
		ctx, cancel := context.WithTimeout(c.As(t, "lawyer@legal-b"), 30*time.Second)
		defer cancel()
		watch, err := casebridgev1.NewReferralServiceClient(c.Conn).WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := watch.Header(); err != nil {
			t.Fatal(err)
		}
		seen := make(chan string, 64)
		go func() {
			defer close(seen)
			for {
				resp, err := watch.Recv()
				if err != nil {
					return
				}
				seen <- resp.GetEvent().GetReferral().GetId()
			}
		}()
		ref := b.Refer(t, caseID, casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.DataClass_DATA_CLASS_LEGAL)
		made := time.Now()
		for {
			select {
			case id, ok := <-seen:
				if !ok {
					t.Fatal("the watch on C ended before it saw the referral made on B")
				}
				if id == ref.GetId() {
					t.Logf("C's watch saw B's referral %v after it was accepted", time.Since(made).Round(time.Millisecond))
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the watch on C did not see the referral made on B within 10 s")
			}
		}
	})

	t.Run("case erased on A is gone on B", func(t *testing.T) {
		caseID := b.NewMarkedCase(t)
		cw := b.As(t, "caseworker@shelter-a")
		// B reads it first, so that its case-key cache holds the key.
		got, err := b.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: caseID})
		if err != nil || got.GetCase().GetIdentity().GetGivenNames() != "Marker-Given-5150" {
			t.Fatalf("B before the erasure: %v, %v", got.GetCase().GetIdentity(), err)
		}
		if _, err := a.Cases().EraseCase(a.As(t, "supervisor@shelter-a"), &casebridgev1.EraseCaseRequest{Id: caseID, Reason: "the person asked"}); err != nil {
			t.Fatal(err)
		}
		got, err = b.Cases().GetCase(cw, &casebridgev1.GetCaseRequest{Id: caseID})
		if err != nil {
			t.Fatal(err)
		}
		if !got.GetCase().GetErased() || got.GetCase().GetIdentity() != nil || got.GetCase().GetLegal() != nil {
			t.Fatalf("B serves the case erased on A: %v", got.GetCase())
		}
	})
}

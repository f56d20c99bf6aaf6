package organizations_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestRotateKeyWhileServing rotates shelter-a's key over gRPC while
// caseworkers keep reading and creating cases: no call fails, every case
// stays readable, and the old key ends retired.
func TestRotateKeyWhileServing(t *testing.T) {
	env := servertest.Start(t)
	cw := env.As(t, "caseworker@shelter-a")
	admin := env.As(t, "admin@shelter-a")
	cs, orgs := env.Cases(), env.Organizations()
	var ids []string
	for range 60 {
		c, err := cs.CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
			Contact: &casebridgev1.ContactData{Address: "Safe house"}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.GetCase().GetId())
	}
	before, err := orgs.ListKeys(admin, &casebridgev1.ListKeysRequest{OrganizationId: "shelter-a"})
	if err != nil {
		t.Fatal(err)
	}
	rot, err := orgs.RotateKey(admin, &casebridgev1.RotateKeyRequest{OrganizationId: "shelter-a"})
	if err != nil {
		t.Fatal(err)
	}
	var failures, calls atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				calls.Add(1)
				if w == 0 {
					if _, err := cs.CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
						Contact: &casebridgev1.ContactData{Address: "New"}}}); err != nil {
						failures.Add(1)
						t.Errorf("create during rotation: %v", err)
					}
					continue
				}
				got, err := cs.GetCase(cw, &casebridgev1.GetCaseRequest{Id: ids[(i*7+w)%len(ids)]})
				if err != nil || got.GetCase().GetContact().GetAddress() != "Safe house" {
					failures.Add(1)
					t.Errorf("read during rotation: %v", err)
				}
			}
		}(w)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := orgs.GetKeyRotation(admin, &casebridgev1.GetKeyRotationRequest{OrganizationId: "shelter-a", Id: rot.GetRotation().GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if r.GetRotation().GetState() == casebridgev1.RotationState_ROTATION_STATE_DONE {
			if r.GetRotation().GetDone() != r.GetRotation().GetTotal() || r.GetRotation().GetTotal() < 60 {
				t.Fatalf("rotation progress %d/%d", r.GetRotation().GetDone(), r.GetRotation().GetTotal())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotation not done after 30 s: %v", r.GetRotation())
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d calls during rotation, %d failures", calls.Load(), failures.Load())
	after, err := orgs.ListKeys(admin, &casebridgev1.ListKeysRequest{OrganizationId: "shelter-a"})
	if err != nil {
		t.Fatal(err)
	}
	oldID := before.GetKeys()[0].GetKeyId()
	for _, k := range after.GetKeys() {
		if k.GetKeyId() == oldID && k.GetState() != casebridgev1.KeyState_KEY_STATE_RETIRED {
			t.Fatalf("old key state %v, want retired", k.GetState())
		}
	}
	for _, id := range ids {
		got, err := cs.GetCase(cw, &casebridgev1.GetCaseRequest{Id: id})
		if err != nil || got.GetCase().GetContact().GetAddress() != "Safe house" {
			t.Fatalf("case %s unreadable after rotation: %v", id, err)
		}
	}
}

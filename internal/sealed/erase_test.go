package sealed_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// pgDump runs the real pg_dump against the test database.
func pgDump(t *testing.T, url string) []byte {
	t.Helper()
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
		if len(matches) == 0 {
			t.Fatal("pg_dump not found: install the PostgreSQL client or server binaries")
		}
		bin = matches[len(matches)-1]
	}
	out, err := exec.Command(bin, "--no-owner", url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !bytes.Contains(out, []byte("CREATE TABLE public.referrals")) {
		t.Fatal("pg_dump output does not look like the database")
	}
	return out
}

func noMarkers(t *testing.T, what string, b []byte) {
	t.Helper()
	for _, m := range servertest.Markers {
		if bytes.Contains(b, []byte(m)) {
			t.Errorf("%s contains the plaintext %q", what, m)
		}
	}
}

// TestFreeTextIsSealedAndErased: every free-text value the API takes about
// the person (referral message and decline reason, court, docket number,
// charges, hearing outcome, deadline description, respondent and payer
// names, consent method, the reason for a suspension) is absent from a
// pg_dump; after the case is erased it is absent from the dump still, and
// the receiving organisation can no longer read the referral's text.
func TestFreeTextIsSealedAndErased(t *testing.T) {
	env := servertest.Start(t)
	rs := casebridgev1.NewReferralServiceClient(env.Conn)
	cso := env.As(t, "caseworker@cso-c")
	sc := env.SealedCase(t)

	// Before erasure the receiver reads what it was asked, and the dump
	// holds none of it.
	before, err := rs.GetReferral(cso, &casebridgev1.GetReferralRequest{Id: sc.Accepted})
	if err != nil || before.GetReferral().GetMessage() != servertest.MarkMessage {
		t.Fatalf("the receiver reads the referral message before erasure: %v %v", before.GetReferral(), err)
	}
	noMarkers(t, "pg_dump", pgDump(t, env.DBURL))

	if _, err := env.Cases().EraseCase(env.As(t, "supervisor@shelter-a"), &casebridgev1.EraseCaseRequest{Id: sc.CaseID, Reason: "Marker-Suspend-8812 asked"}); err != nil {
		t.Fatalf("erase: %v", err)
	}
	for _, id := range []string{sc.Accepted, sc.Declined} {
		got, err := rs.GetReferral(cso, &casebridgev1.GetReferralRequest{Id: id})
		if err != nil {
			t.Fatalf("the receiver's referral after erasure: %v", err)
		}
		noMarkers(t, "the receiver's referral after erasure", []byte(got.String()))
	}
	list, err := rs.ListReferrals(cso, &casebridgev1.ListReferralsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetReferrals()) < 2 {
		t.Fatalf("the receiver lists %d referrals, want both", len(list.GetReferrals()))
	}
	noMarkers(t, "the receiver's referral list after erasure", []byte(list.String()))
	dump := pgDump(t, env.DBURL)
	noMarkers(t, "pg_dump after erasure", dump)
	if !strings.Contains(string(dump), "case_history") {
		t.Error("pg_dump has no case history")
	}
}

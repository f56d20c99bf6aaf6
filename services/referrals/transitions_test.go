package referrals

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestTransitions is the whole status table: every transition from every
// state, allowed or FailedPrecondition naming both states.
func TestTransitions(t *testing.T) {
	all := []casebridgev1.ReferralStatus{pending, accepted, declined, completed, withdrawn, revoked}
	allowed := map[string][]casebridgev1.ReferralStatus{
		"accept":   {pending},
		"decline":  {pending},
		"complete": {accepted},
		"withdraw": {pending, accepted},
		"revoke":   {accepted},
	}
	sides := map[string]side{"accept": receiver, "decline": receiver, "complete": receiver, "withdraw": sender, "revoke": sender}
	for _, tr := range []transition{accept, decline, complete, withdraw, revoke} {
		if tr.by != sides[tr.verb] {
			t.Errorf("%s is made by the wrong side", tr.verb)
		}
		for _, from := range all {
			err := tr.check(from)
			want := false
			for _, a := range allowed[tr.verb] {
				want = want || a == from
			}
			if want && err != nil {
				t.Errorf("%s from %v: unexpected %v", tr.verb, from, err)
			}
			if !want {
				st, _ := status.FromError(err)
				if st.Code() != codes.FailedPrecondition {
					t.Errorf("%s from %v: want FailedPrecondition, got %v", tr.verb, from, err)
					continue
				}
				if msg := st.Message(); !strings.Contains(msg, statusWord(from)+" → "+statusWord(tr.to)) {
					t.Errorf("%s from %v: message %q does not name both states", tr.verb, from, msg)
				}
			}
			// Only leaving accepted takes access away.
			if got := tr.endsAccess(from); got != (from == accepted && tr.to != accepted) {
				t.Errorf("%s from %v: endsAccess %v", tr.verb, from, got)
			}
		}
	}
}

// TestPurpose: legal work needs consent to legal representation, every
// other service consent to assistance.
func TestPurpose(t *testing.T) {
	for v := range casebridgev1.ServiceKind_name {
		svc := casebridgev1.ServiceKind(v)
		if svc == casebridgev1.ServiceKind_SERVICE_KIND_UNSPECIFIED {
			continue
		}
		want := casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE
		if svc == casebridgev1.ServiceKind_SERVICE_KIND_LEGAL {
			want = casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION
		}
		if got := purposeOf(svc); got != want {
			t.Errorf("%v: purpose %v, want %v", svc, got, want)
		}
	}
}

package referral

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var allStatuses = []Status{Pending, Accepted, Declined, Completed, Withdrawn, Revoked}

// TestTransitionTable is the whole lifecycle as a table: for every
// transition, who makes it, what it leads to, its event, and — from every
// status — whether it is allowed (else FailedPrecondition naming both
// statuses) and whether it takes the receiver's access away.
func TestTransitionTable(t *testing.T) {
	ev := func(s string) EventType {
		return EventType(casebridgev1.ReferralEventType_value["REFERRAL_EVENT_TYPE_"+s])
	}
	table := []struct {
		tr    Transition
		by    Side
		act   string
		from  []Status
		to    Status
		event EventType
	}{
		{Accept, Receiver, "respond", []Status{Pending}, Accepted, ev("ACCEPTED")},
		{Decline, Receiver, "respond", []Status{Pending}, Declined, ev("DECLINED")},
		{Complete, Receiver, "complete", []Status{Accepted}, Completed, ev("COMPLETED")},
		{Withdraw, Sender, "withdraw", []Status{Pending, Accepted}, Withdrawn, ev("WITHDRAWN")},
		{Revoke, Sender, "revoke", []Status{Accepted}, Revoked, ev("REVOKED")},
		{End, Server, "", []Status{Pending, Accepted}, Revoked, ev("REVOKED")},
	}
	if len(table) != len(Transitions()) {
		t.Fatalf("the table has %d rows, Transitions %d", len(table), len(Transitions()))
	}
	for i, row := range table {
		tr := row.tr
		if Transitions()[i].Verb != tr.Verb {
			t.Errorf("row %d: Transitions() lists %s", i, Transitions()[i].Verb)
		}
		if tr.By != row.by || tr.Act != row.act || tr.To != row.to || tr.Event != row.event {
			t.Errorf("%s: by %v act %q to %v event %v", tr.Verb, tr.By, tr.Act, tr.To, tr.Event)
		}
		for _, from := range allStatuses {
			allowed := false
			for _, a := range row.from {
				allowed = allowed || a == from
			}
			err := tr.Check(from)
			switch {
			case allowed && err != nil:
				t.Errorf("%s from %s: unexpected %v", tr.Verb, Word(from), err)
			case !allowed:
				st, _ := status.FromError(err)
				if st.Code() != codes.FailedPrecondition {
					t.Errorf("%s from %s: want FailedPrecondition, got %v", tr.Verb, Word(from), err)
				} else if !strings.Contains(st.Message(), Word(from)+" → "+Word(tr.To)) {
					t.Errorf("%s from %s: message %q does not name both statuses", tr.Verb, Word(from), st.Message())
				}
			}
			if got, want := tr.EndsAccess(from), from == Accepted && tr.To != Accepted; got != want {
				t.Errorf("%s from %s: EndsAccess %v, want %v", tr.Verb, Word(from), got, want)
			}
		}
	}
}

// TestServerEndIsOpen: what the server ends (End.From) is exactly what
// OpenSQL selects and IsOpen says.
func TestServerEndIsOpen(t *testing.T) {
	for _, s := range allStatuses {
		inFrom := End.Check(s) == nil
		if inFrom != IsOpen(s) {
			t.Errorf("%s: End may start from it %v, IsOpen %v", Word(s), inFrom, IsOpen(s))
		}
		if IsOpen(s) != strings.Contains(OpenSQL("r"), fmtStored(s)) {
			t.Errorf("%s: OpenSQL %q disagrees with IsOpen", Word(s), OpenSQL("r"))
		}
	}
}

func fmtStored(s Status) string { return string(rune('0' + Stored(s))) }

// TestActingOrg: the receiver makes the receiver's transitions, the sender
// the sender's, nobody the server's.
func TestActingOrg(t *testing.T) {
	for _, tr := range Transitions() {
		want := map[Side]string{Receiver: "to", Sender: "from", Server: ""}[tr.By]
		if got := tr.ActingOrg("from", "to"); got != want {
			t.Errorf("%s: made by %q, want %q", tr.Verb, got, want)
		}
	}
}

// TestPurposeFor: legal work needs consent to legal representation, every
// other service consent to assistance.
func TestPurposeFor(t *testing.T) {
	for v := range casebridgev1.ServiceKind_name {
		svc := casebridgev1.ServiceKind(v)
		if svc == casebridgev1.ServiceKind_SERVICE_KIND_UNSPECIFIED {
			continue
		}
		want := casebridgev1.ConsentPurpose_CONSENT_PURPOSE_ASSISTANCE
		if svc == casebridgev1.ServiceKind_SERVICE_KIND_LEGAL {
			want = casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION
		}
		if got := PurposeFor(svc); got != want {
			t.Errorf("%v: purpose %v, want %v", svc, got, want)
		}
	}
}

package caseaccess

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/policies"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// TestPageDeciderIsDecide: over pages that mix owners, erasures, statuses
// and every kind of share (a referral for legal work or not, a follower),
// in every order, the page decider answers each row exactly as
// Gate.Decide does — the same access or the same refusal — for callers of
// every role, member of the owner, of a receiver, of both or of neither,
// on a case object and on court data, reading and writing.
func TestPageDeciderIsDecide(t *testing.T) {
	engine, err := authz.NewEngine(policies.Files(), authz.EngineOptions{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	g := NewGate(engine)
	principals := []authz.Principal{
		{Subject: "cw", Memberships: map[string][]string{"a": {"caseworker"}}},
		{Subject: "sup", Memberships: map[string][]string{"a": {"supervisor"}}},
		{Subject: "law", Memberships: map[string][]string{"b": {"lawyer"}}},
		{Subject: "both", Memberships: map[string][]string{"a": {"lawyer"}, "b": {"caseworker"}}},
		{Subject: "admin", Memberships: map[string][]string{"b": {"org_admin"}, "c": {"caseworker", "lawyer"}}},
		{Subject: "none", Memberships: map[string][]string{}},
	}
	legal, medical := casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.ServiceKind_SERVICE_KIND_MEDICAL
	shares := [][]Share{
		nil,
		{{Org: "b", Classes: []dataclass.Class{dataclass.Care}, Service: medical}},
		{{Org: "b", Classes: []dataclass.Class{dataclass.Legal, dataclass.Identity}, Service: legal}},
		{{Org: "c", Classes: dataclass.All, Service: legal}, {Org: "b", Classes: []dataclass.Class{dataclass.Contact}, Service: medical}},
		{{Org: "a", Follows: true}},
	}
	var rows []Facts
	for _, owner := range []string{"a", "b", "c"} {
		for _, erased := range []bool{false, true} {
			for _, st := range []casebridgev1.CaseStatus{StatusOpen, StatusClosed} {
				for i, sh := range shares {
					rows = append(rows, Facts{ID: fmt.Sprintf("%s-%v-%d-%d", owner, erased, st, i), Owner: owner, Erased: erased, Status: st, Shares: sh})
				}
			}
		}
	}
	// The same rows in another order, then each thrice in a row: a remembered
	// answer must be the one its facts get, whichever row asked first.
	var page []Facts
	page = append(page, rows...)
	for i := len(rows) - 1; i >= 0; i-- {
		page = append(page, rows[i])
	}
	for _, f := range rows {
		// Runs of rows with the same facts, as a page mostly has.
		page = append(page, f, f, f)
	}
	checked := 0
	for _, p := range principals {
		for _, oa := range [][2]string{{"case", authz.ActRead}, {"case", authz.ActWrite}, {ObjHearing, authz.ActRead}, {ObjClaim, authz.ActWrite}} {
			d := g.ForPage(p, oa[0], oa[1])
			for _, f := range page {
				wantAcc, wantErr := g.Decide(p, f, oa[0], oa[1])
				gotAcc, gotErr := d.Decide(f)
				if !reflect.DeepEqual(gotAcc, wantAcc) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
					t.Fatalf("%s %s %s on %+v: page decider %+v, %v; Decide %+v, %v", p.Subject, oa[1], oa[0], f, gotAcc, gotErr, wantAcc, wantErr)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("nothing checked")
	}
}

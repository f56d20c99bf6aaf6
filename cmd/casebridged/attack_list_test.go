package main_test

import (
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/casebridge/casebridge/internal/limits"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Listing maximal cases in the full view returns pages that stop at the
// byte budget, and six such lists in parallel keep the server's memory
// bounded (the old server built each 30 MB page whole).
func TestListCasesFullViewIsByteBounded(t *testing.T) {
	const pageBytes = 1 << 20
	// The cases are created quickly, by one caseworker: no caller limits.
	p := startServer(t, append(limits.Defaults().WithoutCallerLimits().Flags(), "--max-page-bytes=1048576")...)
	cases := casebridgev1.NewCaseServiceClient(p.conn)
	ctx := p.as("caseworker@shelter-a")
	// Every legal text at its byte bound, in two-byte characters.
	text := strings.Repeat("ж", 100_000)
	care := strings.Repeat("ж", 20_000)
	const n = 60
	for i := range n {
		_, err := cases.CreateCase(ctx, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{
			Care:  &casebridgev1.CareData{HealthNotes: care, PsychosocialNotes: care, NeedsAssessment: care},
			Legal: &casebridgev1.LegalData{ExploitationAccount: text, Statements: text},
		}})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
	list := func() (pages, total int) {
		token := ""
		for {
			// The client would take pages of any size: the server must stop.
			resp, err := cases.ListCases(ctx, &casebridgev1.ListCasesRequest{
				PageSize: 500, PageToken: token, View: casebridgev1.CaseView_CASE_VIEW_FULL}, grpc.MaxCallRecvMsgSize(64<<20))
			if err != nil {
				t.Errorf("list: %v", err)
				return
			}
			if size := proto.Size(resp); size > pageBytes+pageBytes/2 {
				t.Errorf("a page of %d bytes, over the budget of %d", size, pageBytes)
			}
			pages++
			total += len(resp.GetCases())
			if token = resp.GetNextPageToken(); token == "" {
				return
			}
		}
	}
	growth := p.peakGrowth(func() {
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				if pages, total := list(); total != n || pages < 2 {
					t.Errorf("%d cases in %d pages, want all %d in several", total, pages, n)
				}
			})
		}
		wg.Wait()
	})
	if growth > 96*mb {
		t.Fatalf("six lists of %d maximal cases grew the server's resident set by %d MB", n, growth/mb)
	}
	t.Logf("resident set grew by %.1f MB", float64(growth)/mb)
}

package casectl

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/casectl/explain"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// isID reports whether s is a server-assigned id (a UUID in its canonical
// form) rather than a case reference such as SHA-2026-0001.
func isID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// notFound is the error for something the lookup did not find: the same
// NotFound the server gives, so it reads "not found (or you may not see it)".
func notFound(what string) error {
	return status.Error(codes.NotFound, what+" not found")
}

// caseID turns REF — a case reference or a case id — into the case id. A
// reference is looked up with ListCases' reference filter, which covers the
// caller's own cases and those shared with their organisation by referral.
func caseID(ctx context.Context, c *clients, ref string) (string, error) {
	if isID(ref) {
		return ref, nil
	}
	ref = strings.ToUpper(strings.TrimSpace(ref))
	resp, err := c.cases.ListCases(ctx, &casebridgev1.ListCasesRequest{
		Reference: ref, PageSize: 2, View: casebridgev1.CaseView_CASE_VIEW_BASIC,
	})
	if err != nil {
		return "", explain.Wrap(err, "look up case %s", ref)
	}
	switch len(resp.GetCases()) {
	case 0:
		return "", explain.Wrap(notFound("case "+ref), "case %s", ref)
	case 1:
		return resp.GetCases()[0].GetId(), nil
	default:
		// References are unique per organisation; two organisations that
		// share cases with the caller may both use one.
		return "", fmt.Errorf("case reference %s is used by more than one organisation you work with: give the case id instead", ref)
	}
}

// proceedingID turns an argument into a proceeding id: a proceeding id as
// it is, or a case reference whose case has exactly one proceeding.
func proceedingID(ctx context.Context, c *clients, arg string) (string, error) {
	if isID(arg) {
		return arg, nil
	}
	cid, err := caseID(ctx, c, arg)
	if err != nil {
		return "", err
	}
	resp, err := c.proceedings.ListProceedings(ctx, &casebridgev1.ListProceedingsRequest{CaseId: cid, PageSize: 2})
	if err != nil {
		return "", explain.Wrap(err, "list proceedings of %s", arg)
	}
	switch len(resp.GetProceedings()) {
	case 0:
		return "", explain.Wrap(notFound("proceeding"), "case %s has no proceeding", arg)
	case 1:
		return resp.GetProceedings()[0].GetId(), nil
	default:
		return "", fmt.Errorf("case %s has several proceedings: give the proceeding id (see 'casectl proceedings list %s')", arg, arg)
	}
}

// claimID turns an argument into a claim id: a claim id as it is, or a
// case reference whose case has exactly one claim.
func claimID(ctx context.Context, c *clients, arg string) (string, error) {
	if isID(arg) {
		return arg, nil
	}
	cid, err := caseID(ctx, c, arg)
	if err != nil {
		return "", err
	}
	resp, err := c.compensation.ListClaims(ctx, &casebridgev1.ListClaimsRequest{CaseId: cid, PageSize: 2})
	if err != nil {
		return "", explain.Wrap(err, "list claims of %s", arg)
	}
	switch len(resp.GetClaims()) {
	case 0:
		return "", explain.Wrap(notFound("claim"), "case %s has no claim", arg)
	case 1:
		return resp.GetClaims()[0].GetId(), nil
	default:
		return "", fmt.Errorf("case %s has several claims: give the claim id (see 'casectl claims list %s')", arg, arg)
	}
}

package compensation

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// claimRow is one row of the claims table plus the sum of its ledger.
type claimRow struct {
	ID             string
	CaseID         string
	CaseReference  string // the owner's reference of the case (read only)
	ProceedingID   string // "" when none
	Type           casebridgev1.ClaimType
	RespondentKind casebridgev1.ClaimPartyKind
	RespondentName string
	Currency       string // "" until an amount is known
	Claimed        *int64
	Awarded        *int64
	Paid           int64 // sum of the ledger, corrections included
	Status         casebridgev1.ClaimStatus
	FiledDate      string
	DecisionDate   string
	StatusReason   string
	Texts          []byte // the sealed respondent name and status reason
	CreatedBy      string
	Version        int64
	CreateTime     time.Time
	UpdateTime     time.Time
}

func (c *claimRow) etag() string { return strconv.FormatInt(c.Version, 10) }

// outstanding is what is awarded and not yet paid, never below zero.
func (c *claimRow) outstanding() int64 {
	if c.Awarded == nil || c.Paid >= *c.Awarded {
		return 0
	}
	return *c.Awarded - c.Paid
}

func (c *claimRow) toProto() *casebridgev1.Claim {
	out := &casebridgev1.Claim{
		Id:            c.ID,
		CaseId:        c.CaseID,
		CaseReference: c.CaseReference,
		ProceedingId:  c.ProceedingID,
		Type:          c.Type,
		AmountClaimed: moneyPtr(c.Currency, c.Claimed),
		AmountAwarded: moneyPtr(c.Currency, c.Awarded),
		Status:        c.Status,
		FiledDate:     c.FiledDate,
		DecisionDate:  c.DecisionDate,
		StatusReason:  c.StatusReason,
		Etag:          c.etag(),
		CreatedBy:     c.CreatedBy,
		CreateTime:    timestamppb.New(c.CreateTime),
		UpdateTime:    timestamppb.New(c.UpdateTime),
	}
	if c.RespondentKind != casebridgev1.ClaimPartyKind_CLAIM_PARTY_KIND_UNSPECIFIED || c.RespondentName != "" {
		out.Respondent = &casebridgev1.ClaimParty{Kind: c.RespondentKind, Name: c.RespondentName}
	}
	if c.Currency != "" {
		out.AmountPaid = money(c.Currency, c.Paid)
	}
	return out
}

// checkEtag compares the client's etag with the claim's version. An empty
// etag skips the check where the API makes it optional.
func checkEtag(c *claimRow, etag string, required bool) error {
	if etag == "" && !required {
		return nil
	}
	if etag != c.etag() {
		return rpcerr.Aborted("claim %s was changed by someone else since you read it (stale etag): read it again and retry", c.ID)
	}
	return nil
}

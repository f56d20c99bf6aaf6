package referrals

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/dataclass"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// referralRow is one referral with what the API shows of its case: the
// reference, status and coded attributes, never a sensitive class.
type referralRow struct {
	ID            string
	Seq           int64
	CaseID        string
	CaseReference string
	CaseOwner     string // the case's owner now; after a transfer no longer From
	From          string
	To            string
	Service       casebridgev1.ServiceKind
	Purpose       casebridgev1.ConsentPurpose
	Classes       []int16
	Texts         []byte // the sealed message and decline reason
	Message       string // opened from Texts by openTexts, for callers who may read it
	Status        casebridgev1.ReferralStatus
	DeclineReason string // opened from Texts, like Message
	EndReason     string
	ConsentID     *string
	CreatedBy     string
	Version       int64
	times         referralTimes
	CaseStatus    casebridgev1.CaseStatus
	CaseErased    bool
	Coded         *casebridgev1.CodedAttributes
}

// referralTimes are the moments of a referral's life.
type referralTimes struct {
	Create, Update                              time.Time
	Accept, Decline, Complete, Withdraw, Revoke *time.Time
}

func (r *referralRow) etag() string { return strconv.FormatInt(r.Version, 10) }

func ts(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

// toProto renders the referral for its sending or receiving organisation.
func (r *referralRow) toProto() *casebridgev1.Referral {
	out := &casebridgev1.Referral{
		Id:                 r.ID,
		CaseId:             r.CaseID,
		CaseReference:      r.CaseReference,
		FromOrganizationId: r.From,
		ToOrganizationId:   r.To,
		Service:            r.Service,
		Purpose:            r.Purpose,
		Message:            r.Message,
		Status:             r.Status,
		DeclineReason:      r.DeclineReason,
		EndReason:          r.EndReason,
		Coded:              r.Coded,
		Etag:               r.etag(),
		CreatedBy:          r.CreatedBy,
		CreateTime:         timestamppb.New(r.times.Create),
		UpdateTime:         timestamppb.New(r.times.Update),
		AcceptTime:         ts(r.times.Accept),
		DeclineTime:        ts(r.times.Decline),
		CompleteTime:       ts(r.times.Complete),
		WithdrawTime:       ts(r.times.Withdraw),
		RevokeTime:         ts(r.times.Revoke),
	}
	if r.ConsentID != nil {
		out.ConsentId = *r.ConsentID
	}
	out.GrantedClasses = dataclass.Protos(dataclass.FromStoredList(r.Classes))
	return out
}

// summary renders the referral for every organisation working on the case:
// who, which service, where it stands — no message, classes or attributes.
func (r *referralRow) summary() *casebridgev1.ReferralSummary {
	return summaryOf(r.ID, r.CaseID, r.From, r.To, r.Service, r.Status, r.times)
}

func summaryOf(id, caseID, from, to string, svc casebridgev1.ServiceKind, st casebridgev1.ReferralStatus, t referralTimes) *casebridgev1.ReferralSummary {
	return &casebridgev1.ReferralSummary{
		Id:                 id,
		CaseId:             caseID,
		FromOrganizationId: from,
		ToOrganizationId:   to,
		Service:            svc,
		Status:             st,
		CreateTime:         timestamppb.New(t.Create),
		UpdateTime:         timestamppb.New(t.Update),
		AcceptTime:         ts(t.Accept),
		DeclineTime:        ts(t.Decline),
		CompleteTime:       ts(t.Complete),
		WithdrawTime:       ts(t.Withdraw),
		RevokeTime:         ts(t.Revoke),
	}
}

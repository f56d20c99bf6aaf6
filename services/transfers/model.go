package transfers

import (
	"slices"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// transferRow is one transfer with what the API shows of its case: the
// coded attributes, never a sensitive class.
type transferRow struct {
	ID, CaseID, From, To   string
	Seq                    int64
	Status                 casebridgev1.TransferStatus
	ConsentID              string
	FromRef, ToRef         string
	ProposedBy, AnsweredBy string
	Version                int64
	SenderFollows          bool
	Create, Update         time.Time
	Accept, Decline        *time.Time
	Cancel                 *time.Time
	Coded                  *casebridgev1.CodedAttributes
}

func (t *transferRow) etag() string { return strconv.FormatInt(t.Version, 10) }

func ts(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

// protoFor renders the transfer for a reader in orgs. The receiver's
// reference of the case is what the case became once it moved: the sender
// reads it only while it is the receiver too (a transfer back), as a
// referral of a transferred case shows the sender only the reference it
// had (caseaccess.SenderHolds).
func (t *transferRow) protoFor(orgs []string) *casebridgev1.Transfer {
	out := t.toProto()
	if !slices.Contains(orgs, t.To) {
		out.ToReference = ""
	}
	return out
}

func (t *transferRow) toProto() *casebridgev1.Transfer {
	return &casebridgev1.Transfer{
		Id:                 t.ID,
		CaseId:             t.CaseID,
		FromReference:      t.FromRef,
		ToReference:        t.ToRef,
		FromOrganizationId: t.From,
		ToOrganizationId:   t.To,
		Status:             t.Status,
		ConsentId:          t.ConsentID,
		Coded:              t.Coded,
		SenderFollows:      t.SenderFollows,
		Etag:               t.etag(),
		ProposedBy:         t.ProposedBy,
		AnsweredBy:         t.AnsweredBy,
		CreateTime:         timestamppb.New(t.Create),
		UpdateTime:         timestamppb.New(t.Update),
		AcceptTime:         ts(t.Accept),
		DeclineTime:        ts(t.Decline),
		CancelTime:         ts(t.Cancel),
	}
}

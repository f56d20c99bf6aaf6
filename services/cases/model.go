package cases

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// caseRow is one row of the cases table: everything about a case that is
// stored in plain text.
type caseRow struct {
	ID             string
	Seq            int64
	OrgID          string
	Reference      string
	Status         casebridgev1.CaseStatus
	Assigned       string
	Coded          *casebridgev1.CodedAttributes
	ClassesPresent int16
	Version        int64
	CreateTime     time.Time
	UpdateTime     time.Time
	CloseTime      *time.Time
	EraseTime      *time.Time

	// secrets, when loaded with the row (getCaseSealed), are the class
	// ciphertexts: a full read then needs no second query.
	secrets map[dataclass.Class][]byte
	// shares, loaded by getCaseSealed, are its accepted referrals.
	shares []caseaccess.Share
}

func (r *caseRow) etag() string { return strconv.FormatInt(r.Version, 10) }

func (r *caseRow) has(c dataclass.Class) bool { return r.ClassesPresent&c.Bit() != 0 }

// toProto renders the plain part of the case; sensitive classes are added
// by the caller after decryption.
func (r *caseRow) toProto() *casebridgev1.Case {
	// The two times every case has are allocated together (a list renders
	// fifty cases); each is what timestamppb.New makes.
	times := new([2]timestamppb.Timestamp)
	times[0].Seconds, times[0].Nanos = r.CreateTime.Unix(), int32(r.CreateTime.Nanosecond())
	times[1].Seconds, times[1].Nanos = r.UpdateTime.Unix(), int32(r.UpdateTime.Nanosecond())
	c := &casebridgev1.Case{
		Id:                 r.ID,
		Reference:          r.Reference,
		OrganizationId:     r.OrgID,
		Status:             r.Status,
		AssignedCaseworker: r.Assigned,
		Coded:              r.Coded,
		Etag:               r.etag(),
		CreateTime:         &times[0],
		UpdateTime:         &times[1],
		Erased:             r.EraseTime != nil,
	}
	if r.CloseTime != nil {
		c.CloseTime = timestamppb.New(*r.CloseTime)
	}
	if r.EraseTime != nil {
		c.EraseTime = timestamppb.New(*r.EraseTime)
	}
	return c
}

// checkEtag compares the client's etag with the row's version. An empty etag
// skips the check where the API makes it optional.
func checkEtag(r *caseRow, etag string, required bool) error {
	if etag == "" && !required {
		return nil
	}
	if etag != r.etag() {
		return errStaleEtag(r.ID)
	}
	return nil
}

// facts are the access facts of a row loaded with its shares.
func (r *caseRow) facts() caseaccess.Facts {
	return caseaccess.Facts{ID: r.ID, Owner: r.OrgID, Erased: r.EraseTime != nil, Status: r.Status, Shares: r.shares}
}

package casework

import (
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Bounds of one plan, so that GetSupportPlan answers a bounded message.
const (
	maxObjectives = 30
	maxActions    = 30 // per objective
)

type planRow struct {
	ID, CaseID   string
	Status       casebridgev1.SupportPlanStatus
	ReviewDate   *time.Time
	Texts        []byte
	Summary      string
	CreatedBy    string
	Version      int64
	CreateTime   time.Time
	UpdateTime   time.Time
	ActivateTime *time.Time
	Objectives   []*objectiveRow
}

type objectiveRow struct {
	ID, PlanID, CaseID string
	Status             casebridgev1.ObjectiveStatus
	TargetDate         *time.Time
	Texts              []byte
	Description        string
	Version            int64
	CreateTime         time.Time
	UpdateTime         time.Time
	Actions            []*actionRow
}

type actionRow struct {
	ID, ObjectiveID, PlanID, CaseID string
	Status                          casebridgev1.ActionStatus
	PlannedDate, ActualDate         *time.Time
	Texts                           []byte
	Description                     string
	Version                         int64
	CreateTime                      time.Time
	UpdateTime                      time.Time
}

type serviceRow struct {
	ID, CaseID                 string
	Kind                       casebridgev1.ServiceKind
	Status                     casebridgev1.ServiceStatus
	Provider                   casebridgev1.ServiceProvider
	ReferralID                 *string
	PlannedDate, DeliveredDate *time.Time
	Texts                      []byte
	Description, Outcome       string
	CreatedBy                  string
	Seq                        int64
	Version                    int64
	CreateTime                 time.Time
	UpdateTime                 time.Time
}

type approvalRow struct {
	ID, CaseID, OrgID               string
	Subject                         casebridgev1.ApprovalSubject
	PlanID                          *string
	Status                          casebridgev1.ApprovalStatus
	RequestedBy, DecidedBy          string
	Texts                           []byte
	RequestComment, DecisionComment string
	Seq                             int64
	Version                         int64
	RequestTime                     time.Time
	DecideTime, UseTime             *time.Time
}

func etag(v int64) string { return strconv.FormatInt(v, 10) }

// checkEtag refuses a change made on a stale read: Aborted.
func checkEtag(what, id, sent string, version int64) error {
	if sent != etag(version) {
		return rpcerr.Aborted("%s %s was changed since you read it (stale etag)", what, id)
	}
	return nil
}

// parseDate reads an optional YYYY-MM-DD (its shape is checked by the
// declared rules) as a calendar day: "" is none, 2026-02-30 is
// InvalidArgument naming field.
func parseDate(field, s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, rpcerr.InvalidArgument(field, "%q is not a calendar date (YYYY-MM-DD)", s)
	}
	return &d, nil
}

// checkPast refuses a date of something that happened when it lies in
// the future; a day of slack allows for time zones ahead of UTC.
func checkPast(field string, d *time.Time, now time.Time) error {
	if d != nil && d.After(now.UTC().AddDate(0, 0, 1)) {
		return rpcerr.InvalidArgument(field, "%s is in the future", d.Format(time.DateOnly))
	}
	return nil
}

func formatDate(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}

func tsPtr(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func (p *planRow) toProto() *casebridgev1.SupportPlan {
	out := &casebridgev1.SupportPlan{
		Id: p.ID, CaseId: p.CaseID, Status: p.Status, Summary: p.Summary, ReviewDate: formatDate(p.ReviewDate),
		CreatedBy: p.CreatedBy, CreateTime: timestamppb.New(p.CreateTime), UpdateTime: timestamppb.New(p.UpdateTime),
		ActivateTime: tsPtr(p.ActivateTime), Etag: etag(p.Version),
	}
	for _, o := range p.Objectives {
		out.Objectives = append(out.Objectives, o.toProto())
	}
	return out
}

func (o *objectiveRow) toProto() *casebridgev1.Objective {
	out := &casebridgev1.Objective{
		Id: o.ID, PlanId: o.PlanID, Description: o.Description, Status: o.Status, TargetDate: formatDate(o.TargetDate),
		Etag: etag(o.Version), CreateTime: timestamppb.New(o.CreateTime), UpdateTime: timestamppb.New(o.UpdateTime),
	}
	for _, a := range o.Actions {
		out.Actions = append(out.Actions, a.toProto())
	}
	return out
}

func (a *actionRow) toProto() *casebridgev1.Action {
	return &casebridgev1.Action{
		Id: a.ID, ObjectiveId: a.ObjectiveID, Description: a.Description, Status: a.Status,
		PlannedDate: formatDate(a.PlannedDate), ActualDate: formatDate(a.ActualDate),
		Etag: etag(a.Version), CreateTime: timestamppb.New(a.CreateTime), UpdateTime: timestamppb.New(a.UpdateTime),
	}
}

func (v *serviceRow) toProto() *casebridgev1.SupportService {
	out := &casebridgev1.SupportService{
		Id: v.ID, CaseId: v.CaseID, Kind: v.Kind, Status: v.Status, Provider: v.Provider,
		PlannedDate: formatDate(v.PlannedDate), DeliveredDate: formatDate(v.DeliveredDate),
		Description: v.Description, Outcome: v.Outcome, CreatedBy: v.CreatedBy, Etag: etag(v.Version),
		CreateTime: timestamppb.New(v.CreateTime), UpdateTime: timestamppb.New(v.UpdateTime),
	}
	if v.ReferralID != nil {
		out.ReferralId = *v.ReferralID
	}
	return out
}

func (a *approvalRow) toProto() *casebridgev1.Approval {
	out := &casebridgev1.Approval{
		Id: a.ID, CaseId: a.CaseID, Subject: a.Subject, Status: a.Status,
		RequestedBy: a.RequestedBy, RequestComment: a.RequestComment, RequestTime: timestamppb.New(a.RequestTime),
		DecidedBy: a.DecidedBy, DecisionComment: a.DecisionComment, DecideTime: tsPtr(a.DecideTime),
		UseTime: tsPtr(a.UseTime), Etag: etag(a.Version),
	}
	if a.PlanID != nil {
		out.PlanId = *a.PlanID
	}
	return out
}

// planCarries reports whether p holds care text in clear.
func planCarries(p *casebridgev1.SupportPlan) bool {
	if p.GetSummary() != "" {
		return true
	}
	for _, o := range p.GetObjectives() {
		if objectiveCarries(o) {
			return true
		}
	}
	return false
}

func objectiveCarries(o *casebridgev1.Objective) bool {
	if o.GetDescription() != "" {
		return true
	}
	for _, a := range o.GetActions() {
		if a.GetDescription() != "" {
			return true
		}
	}
	return false
}

func serviceCarries(v *casebridgev1.SupportService) bool {
	return v.GetDescription() != "" || v.GetOutcome() != ""
}

func approvalCarries(a *casebridgev1.Approval) bool {
	return a.GetRequestComment() != "" || a.GetDecisionComment() != ""
}

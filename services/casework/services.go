package casework

import (
	"context"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/supportplan"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

const byReferral = casebridgev1.ServiceProvider_SERVICE_PROVIDER_REFERRAL

// checkProvider checks who provides service v: a referral of the case
// for the same kind of service exactly when the provider is a referral,
// and — once the service is delivered — a referral whose receiver took
// the case on (referral.WorkedOn).
func checkProvider(ctx context.Context, q db.Querier, v *serviceRow) error {
	if v.Provider == 0 {
		return rpcerr.InvalidArgument("service.provider", "is required: in-house or by referral")
	}
	if v.Provider != byReferral {
		if v.ReferralID != nil {
			return rpcerr.InvalidArgument("service.referral_id", "only a service provided by referral names a referral")
		}
		return nil
	}
	if v.ReferralID == nil {
		return rpcerr.InvalidArgument("service.referral_id", "is required for a service provided by referral")
	}
	kind, status, found, err := referralOf(ctx, q, v.CaseID, *v.ReferralID)
	if err != nil {
		return err
	}
	if !found {
		return rpcerr.InvalidArgument("service.referral_id", "%s is not a referral of case %s", *v.ReferralID, v.CaseID)
	}
	if kind != v.Kind {
		return rpcerr.InvalidArgument("service.referral_id", "referral %s is for another kind of service", *v.ReferralID)
	}
	if supportplan.Delivered(v.Status) && !referral.WorkedOn(status) {
		return rpcerr.FailedPrecondition("referral %s is %s: a service is delivered by referral only once the referral was accepted",
			*v.ReferralID, referral.Word(status))
	}
	return nil
}

// AddService records a service planned for, or delivered to, the person.
func (s *Service) AddService(ctx context.Context, req *casebridgev1.AddServiceRequest) (*casebridgev1.AddServiceResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in, caseID := req.GetService(), req.GetCaseId()
	if in.GetKind() == 0 {
		return nil, rpcerr.InvalidArgument("service.kind", "is required")
	}
	status := in.GetStatus()
	if status == 0 {
		status = supportplan.ServicePlanned
	}
	if err := supportplan.NewServiceStatus(status); err != nil {
		return nil, err
	}
	row := &serviceRow{ID: uuid.NewString(), CaseID: caseID, Kind: in.GetKind(), Status: status, Provider: in.GetProvider(),
		ReferralID: nullUUID(in.GetReferralId()), Description: in.GetDescription(), Outcome: in.GetOutcome(), CreatedBy: p.Subject}
	if err := s.serviceDates(row, in, nil); err != nil {
		return nil, err
	}
	once := requestid.Create{RequestID: req.GetRequestId(), CaseID: caseID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return serviceByRequest(ctx, q, caseID, rid)
		}}
	id, org, written := row.ID, "", false
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, f, err := s.access(ctx, tx, p, caseID, objService, actCreate, true, namedCase, caseNotFound(caseID))
		if err != nil {
			return err
		}
		org = acc.Org
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		if err := f.CheckWorkable(); err != nil {
			return err
		}
		if err := checkProvider(ctx, tx, row); err != nil {
			return err
		}
		if err := s.sealService(ctx, tx, row); err != nil {
			return err
		}
		inserted, err := insertService(ctx, tx, row, req.GetRequestId())
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		written = row.Texts != nil
		return s.recordChange(ctx, tx, org, caseID, written)
	})
	if err != nil {
		written = false
	}
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	out, err := s.answerService(ctx, org, caseID, id, written)
	return &casebridgev1.AddServiceResponse{Service: out}, err
}

// serviceDates sets the dates of v from in (all of them, or those the
// mask names) and checks them against v's status.
func (s *Service) serviceDates(v *serviceRow, in *casebridgev1.SupportService, has func(string) bool) error {
	if has == nil || has("planned_date") {
		d, err := parseDate("service.planned_date", in.GetPlannedDate())
		if err != nil {
			return err
		}
		v.PlannedDate = d
	}
	if has == nil || has("delivered_date") {
		d, err := parseDate("service.delivered_date", in.GetDeliveredDate())
		if err != nil {
			return err
		}
		if err := checkPast("service.delivered_date", d, s.now()); err != nil {
			return err
		}
		v.DeliveredDate = d
	}
	return supportplan.CheckServiceDates(v.Status, formatDate(v.DeliveredDate))
}

func (s *Service) answerService(ctx context.Context, org, caseID, id string, written bool) (*casebridgev1.SupportService, error) {
	row, err := getService(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	if err := s.openService(ctx, s.pool, row); err != nil {
		return nil, err
	}
	out := row.toProto()
	return out, s.recordReturned(ctx, org, caseID, written, serviceCarries(out))
}

// UpdateService changes the fields of a service the mask names.
func (s *Service) UpdateService(ctx context.Context, req *casebridgev1.UpdateServiceRequest) (*casebridgev1.UpdateServiceResponse, error) {
	in := req.GetService()
	has, maskErr := updateMask("service", req.GetUpdateMask().GetPaths(), int32(in.GetStatus()))
	done, err := updateRow(ctx, s, rowUpdate[*serviceRow]{
		what: "service", table: tableServices, object: objService, id: in.GetId(), etag: req.GetEtag(),
		notFound: serviceNotFound(in.GetId()),
		check:    func() error { return maskErr },
		get:      getService, etagOf: func(v *serviceRow) int64 { return v.Version },
		apply: func(ctx context.Context, tx pgx.Tx, row *serviceRow) (bool, error) {
			if err := moveStatus(has, supportplan.Service, &row.Status, in.GetStatus()); err != nil {
				return false, err
			}
			if has("provider") {
				row.Provider = in.GetProvider()
			}
			if has("referral_id") {
				row.ReferralID = nullUUID(in.GetReferralId())
			}
			if err := s.serviceDates(row, in, has); err != nil {
				return false, err
			}
			if err := checkProvider(ctx, tx, row); err != nil {
				return false, err
			}
			if !has("description") && !has("outcome") {
				return false, nil
			}
			// The two texts are sealed together: open the other one first.
			if err := s.openService(ctx, tx, row); err != nil {
				return false, err
			}
			if has("description") {
				row.Description = in.GetDescription()
			}
			if has("outcome") {
				row.Outcome = in.GetOutcome()
			}
			if err := s.sealService(ctx, tx, row); err != nil {
				return false, err
			}
			return row.Texts != nil, nil
		},
		save: saveService,
	})
	if err != nil {
		return nil, err
	}
	out, err := s.answerService(ctx, done.org, done.caseID, in.GetId(), done.written)
	return &casebridgev1.UpdateServiceResponse{Service: out}, err
}

// ListServices lists a case's services, oldest first; an audited read of
// the care class when a page carries text.
func (s *Service) ListServices(ctx context.Context, req *casebridgev1.ListServicesRequest) (*casebridgev1.ListServicesResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	caseID := req.GetCaseId()
	fp := pagetoken.Fingerprint("services", caseID)
	var after int64
	if keys, err := pagetoken.Decode(req.GetPageToken(), fp, 1); err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	} else if keys != nil {
		if after, err = strconv.ParseInt(keys[0], 10, 64); err != nil {
			return nil, rpcerr.InvalidArgument("page_token", "malformed")
		}
	}
	acc, _, err := s.access(ctx, s.pool, p, caseID, objService, actRead, false, namedCase, caseNotFound(caseID))
	if err != nil {
		return nil, err
	}
	limit := pagetoken.Size(req.GetPageSize(), 100, 500)
	rows, err := listServices(ctx, s.pool, caseID, after, limit+1)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListServicesResponse{}
	if len(rows) > limit {
		rows = rows[:limit]
		resp.NextPageToken = pagetoken.Encode(fp, strconv.FormatInt(rows[limit-1].Seq, 10))
	}
	care := false
	for _, r := range rows {
		if err := s.openService(ctx, s.pool, r); err != nil {
			return nil, err
		}
		out := r.toProto()
		care = care || serviceCarries(out)
		resp.Services = append(resp.Services, out)
	}
	if err := s.recordRead(ctx, acc.Org, caseID, care); err != nil {
		return nil, err
	}
	return resp, nil
}

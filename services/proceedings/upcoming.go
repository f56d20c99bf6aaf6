package proceedings

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// ListUpcoming is the lawyer's calendar: scheduled hearings starting in the
// next `days` days and open deadlines due before then, earliest first, so
// that open deadlines already past due come first.
//
// Whose calendar: the proceedings of every case the caller can see — owned
// by one of their organisations or received by it through an accepted
// referral — with the policy applied to each case (a hearing needs hearing
// read there, a deadline deadline read). Being named responsible lawyer
// grants nothing by itself: a lawyer whose referral ended must stop seeing
// where and when the person has to appear, even if a proceeding still
// names them. responsible_lawyer narrows the calendar to one lawyer's
// proceedings; a lawyer passes their own subject for "mine only".
//
// Times are instants (UTC) with the court's zone beside them, so a client
// shows 09:00 Europe/Belgrade whatever its own zone or daylight saving.
func (s *Service) ListUpcoming(ctx context.Context, req *casebridgev1.ListUpcomingRequest) (*casebridgev1.ListUpcomingResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	days := req.GetDays()
	if days == 0 {
		days = 30
	}
	fp := pagetoken.Fingerprint(p.Subject, days, req.GetResponsibleLawyer())
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 3)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	now := s.now().UTC()
	f := upcomingFilter{
		from: now, until: now.Add(time.Duration(days) * 24 * time.Hour), lawyer: req.GetResponsibleLawyer(),
		limit: pagetoken.Size(req.GetPageSize(), 50, 500),
	}
	if keys != nil {
		if f.after, err = decodePosition(keys); err != nil {
			return nil, err
		}
	}
	var items []upcoming
	if orgs := s.authz.OrgsAllowed(p, objHearing, authz.ActRead); len(orgs) > 0 {
		f.orgs = orgs
		hs, err := s.upcomingHearings(ctx, s.pool, f)
		if err != nil {
			return nil, err
		}
		items = append(items, hs...)
	}
	if orgs := s.authz.OrgsAllowed(p, objDeadline, authz.ActRead); len(orgs) > 0 {
		f.orgs = orgs
		ds, err := s.upcomingDeadlines(ctx, s.pool, f)
		if err != nil {
			return nil, err
		}
		items = append(items, ds...)
	}
	slices.SortFunc(items, func(a, b upcoming) int { return a.pos.compare(b.pos) })
	more := len(items) > f.limit
	if more {
		items = items[:f.limit]
	}
	var hearingCases, deadlineCases []string
	for _, it := range items {
		if it.item.GetDeadline() != nil {
			deadlineCases = append(deadlineCases, it.caseID)
		} else {
			hearingCases = append(hearingCases, it.caseID)
		}
	}
	hearingsReadable, err := s.gate.Readable(ctx, s.pool, p, hearingCases, objHearing, authz.ActRead)
	if err != nil {
		return nil, err
	}
	deadlinesReadable, err := s.gate.Readable(ctx, s.pool, p, deadlineCases, objDeadline, authz.ActRead)
	if err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListUpcomingResponse{}
	var reads audit.ReadSet
	for _, it := range items {
		readable := hearingsReadable
		if it.item.GetDeadline() != nil {
			readable = deadlinesReadable
		}
		if acc, ok := readable[it.caseID]; ok {
			resp.Items = append(resp.Items, it.item)
			reads.Add(acc.Org, it.caseID, legalNames(itemLegal(it.item)))
		}
	}
	if err := s.recordReads(ctx, &reads); err != nil {
		return nil, err
	}
	if more && len(items) > 0 {
		resp.NextPageToken = pagetoken.Encode(fp, items[len(items)-1].pos.encode()...)
	}
	return resp, nil
}

// position orders the calendar: by time, deadlines before hearings at the
// same instant, then by id.
type position struct {
	at   time.Time
	rank int // 0 deadline, 1 hearing
	id   string
}

func (a position) compare(b position) int {
	if c := a.at.Compare(b.at); c != 0 {
		return c
	}
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

func (a position) encode() []string {
	return []string{a.at.Format(time.RFC3339Nano), strconv.Itoa(a.rank), a.id}
}

func decodePosition(keys []string) (*position, error) {
	t, err := time.Parse(time.RFC3339Nano, keys[0])
	rank, rerr := strconv.Atoi(keys[1])
	if err != nil || rerr != nil || (rank != 0 && rank != 1) || len(keys[2]) != 36 {
		return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
	}
	return &position{at: t, rank: rank, id: keys[2]}, nil
}

// upcoming is one calendar entry with what is needed to order and check it.
type upcoming struct {
	pos    position
	caseID string
	item   *casebridgev1.UpcomingItem
}

// upcomingHearings returns up to f.limit+1 scheduled hearings in [from,
// until), opened as the calendar shows them.
func (s *Service) upcomingHearings(ctx context.Context, q db.Querier, f upcomingFilter) ([]upcoming, error) {
	all, err := hearingsDue(ctx, q, f)
	if err != nil {
		return nil, err
	}
	out := make([]upcoming, 0, len(all))
	for i := range all {
		h := &all[i].h
		if err := s.openHearing(ctx, q, h); err != nil {
			return nil, err
		}
		it := &casebridgev1.UpcomingItem{CaseReference: all[i].reference}
		if err := s.courtOf(ctx, q, h.CaseID, h.ProceedingID, all[i].procTexts, it); err != nil {
			return nil, err
		}
		m := h.toProto() // the BASIC view: notes are never opened for the calendar
		if h.Notes != nil {
			m.RedactedClasses = []casebridgev1.DataClass{dataclass.Legal.Proto()}
		}
		it.Item = &casebridgev1.UpcomingItem_Hearing{Hearing: m}
		out = append(out, upcoming{pos: position{at: h.Start, rank: 1, id: h.ID}, caseID: h.CaseID, item: it})
	}
	return out, nil
}

// upcomingDeadlines returns up to f.limit+1 open deadlines due before
// until, past due ones included.
func (s *Service) upcomingDeadlines(ctx context.Context, q db.Querier, f upcomingFilter) ([]upcoming, error) {
	all, err := deadlinesDue(ctx, q, f)
	if err != nil {
		return nil, err
	}
	out := make([]upcoming, 0, len(all))
	for i := range all {
		d := &all[i].d
		if err := s.openDeadline(ctx, q, d); err != nil {
			return nil, err
		}
		it := &casebridgev1.UpcomingItem{CaseReference: all[i].reference}
		if err := s.courtOf(ctx, q, d.CaseID, d.ProceedingID, all[i].procTexts, it); err != nil {
			return nil, err
		}
		it.Item = &casebridgev1.UpcomingItem_Deadline{Deadline: d.toProto()}
		out = append(out, upcoming{pos: position{at: d.Due, rank: 0, id: d.ID}, caseID: d.CaseID, item: it})
	}
	return out, nil
}

// courtOf fills in the court and docket number of a calendar item from its
// proceeding's sealed texts.
func (s *Service) courtOf(ctx context.Context, q db.Querier, caseID, proceedingID string, texts []byte, it *casebridgev1.UpcomingItem) error {
	var t proceedingTexts
	if err := s.openTexts(ctx, q, vault.ProceedingTexts, caseID, proceedingID, texts, &t); err != nil {
		return err
	}
	it.Court, it.DocketNumber = t.Court, t.DocketNumber
	return nil
}

// stored is an enum value as a SQL literal: statuses are named, never
// written as numbers, in the calendar's queries.
func stored[E ~int32](v E) string { return strconv.Itoa(int(v)) }

package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"google.golang.org/grpc/codes"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func (s *Server) routesReferrals(mux *http.ServeMux) {
	a := Access{Roles: referralRoles}
	mux.Handle("GET /referrals", s.Signed(a, s.handleInbox))
	// The live parts: the rows of the inbox, and the stream that says when
	// to fetch them again. Neither is the user's activity.
	passive := Access{Roles: referralRoles, Passive: true}
	mux.Handle("GET /referrals/rows", s.Signed(passive, s.handleInboxRows))
	mux.Handle("GET /referrals/events", s.Signed(passive, s.handleReferralEvents))
	mux.Handle("POST /referrals/{id}/{verb}", s.Signed(a, s.handleAnswerReferral))
}

// inboxData is the referral inbox: the referrals the user's organisation
// received, newest change first, and those it sent.
type inboxData struct {
	Incoming []*casebridgev1.Referral
	Outgoing []*casebridgev1.Referral
	orgName  map[string]string
	Refusal  string
}

// OrgName is an organisation's display name (its id when unknown).
func (d *inboxData) OrgName(id string) string {
	if n, ok := d.orgName[id]; ok {
		return n
	}
	return id
}

func (s *Server) loadInbox(q *Request) (*inboxData, error) {
	d := &inboxData{orgName: map[string]string{}}
	in, err := s.api.referrals.ListReferrals(q.Ctx, &casebridgev1.ListReferralsRequest{PageSize: 100, OrganizationId: q.S.Org,
		Direction: casebridgev1.ReferralDirection_REFERRAL_DIRECTION_INCOMING})
	if err != nil {
		return nil, err
	}
	d.Incoming = in.GetReferrals()
	if out, err := s.api.referrals.ListReferrals(q.Ctx, &casebridgev1.ListReferralsRequest{PageSize: 100, OrganizationId: q.S.Org,
		Direction: casebridgev1.ReferralDirection_REFERRAL_DIRECTION_OUTGOING}); err == nil {
		d.Outgoing = out.GetReferrals()
	}
	if orgs, err := s.api.orgs.ListOrganizations(q.Ctx, &casebridgev1.ListOrganizationsRequest{PageSize: 1000}); err == nil {
		for _, o := range orgs.GetOrganizations() {
			d.orgName[o.GetId()] = o.GetDisplayName()
		}
	}
	return d, nil
}

func (s *Server) handleInbox(w http.ResponseWriter, q *Request) {
	d, err := s.loadInbox(q)
	if err != nil {
		e := explain(err, nil)
		s.fail(w, q, e.Status, e.Key)
		return
	}
	s.render(w, q, http.StatusOK, "referrals", "title.referrals", d)
}

// handleInboxRows is the inbox's table bodies alone, which the page's
// script swaps in when the event stream says something changed.
func (s *Server) handleInboxRows(w http.ResponseWriter, q *Request) {
	d, err := s.loadInbox(q)
	if err != nil {
		w.WriteHeader(explain(err, nil).Status)
		return
	}
	s.fragment(w, q, "referrals", "inbox-rows", d)
}

// handleAnswerReferral is the receiver's accept, decline or complete, and
// the sender's withdraw.
func (s *Server) handleAnswerReferral(w http.ResponseWriter, q *Request) {
	id, etag := q.PathValue("id"), q.PostFormValue("etag")
	var err error
	switch q.PathValue("verb") {
	case "accept":
		_, err = s.api.referrals.AcceptReferral(q.Ctx, &casebridgev1.AcceptReferralRequest{Id: id, Etag: etag})
	case "decline":
		_, err = s.api.referrals.DeclineReferral(q.Ctx, &casebridgev1.DeclineReferralRequest{Id: id, Etag: etag, Reason: q.PostFormValue("reason")})
	case "complete":
		_, err = s.api.referrals.CompleteReferral(q.Ctx, &casebridgev1.CompleteReferralRequest{Id: id, Etag: etag})
	case "withdraw":
		_, err = s.api.referrals.WithdrawReferral(q.Ctx, &casebridgev1.WithdrawReferralRequest{Id: id, Etag: etag, Reason: q.PostFormValue("reason")})
	default:
		s.fail(w, q, http.StatusNotFound, "error.not_found")
		return
	}
	if err != nil {
		e := explain(err, protoField)
		if e.Key == "error.invalid" {
			e.Key = "referrals.reason_needed"
		}
		d, lerr := s.loadInbox(q)
		if lerr != nil || e.Status == http.StatusNotFound {
			s.fail(w, q, e.Status, e.Key)
			return
		}
		p := s.page(q, "title.referrals", d)
		p.Error = q.L.T(e.Key)
		s.renderPage(w, e.Status, "referrals", p)
		return
	}
	redirect(w, q.Request, "/referrals", "flash.referral_"+q.PathValue("verb"))
}

// handleReferralEvents relays WatchReferrals as server-sent events. Each
// event says only that something changed (the page then fetches its rows,
// rendered here like the rest of the page); its id is the watch cursor, so
// a reconnecting browser (Last-Event-ID) misses nothing. The stream ends
// when the session's idle time is up: a page left open does not keep it
// alive.
func (s *Server) handleReferralEvents(w http.ResponseWriter, q *Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ctx, cancel := context.WithDeadline(q.Ctx, s.sessions.IdleDeadline(q.S))
	defer cancel()
	stream, err := s.api.referrals.WatchReferrals(ctx, &casebridgev1.WatchReferralsRequest{OrganizationId: q.S.Org,
		AfterCursor: q.Header.Get("Last-Event-ID")})
	if err != nil {
		w.WriteHeader(explain(err, nil).Status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Tell the page it is connected (and to refresh what it has, since
	// events may have been missed before the stream began).
	fmt.Fprint(w, "retry: 3000\nevent: ready\ndata: {}\n\n")
	fl.Flush()
	events := make(chan *casebridgev1.ReferralEvent)
	errs := make(chan error, 1)
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				errs <- err
				return
			}
			select {
			case events <- m.GetEvent():
			case <-ctx.Done():
				return
			}
		}
	}()
	keepAlive := time.NewTicker(25 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case ev := <-events:
			// No case data in the stream: the cursor, and the event's kind.
			fmt.Fprintf(w, "id: %s\nevent: referral\ndata: {\"type\":%q}\n\n", ev.GetCursor(), ev.GetType().String())
			fl.Flush()
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			fl.Flush()
		case err := <-errs:
			if isCode(err, codes.FailedPrecondition) {
				// The cursor is too old: start afresh (the page reloads its rows on ready).
				fmt.Fprint(w, "event: reset\ndata: {}\n\n")
				fl.Flush()
			}
			return
		case <-ctx.Done():
			return
		}
	}
}

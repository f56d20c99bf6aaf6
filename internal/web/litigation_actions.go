package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The court page's changes to what is already recorded: a hearing moved,
// held, postponed or cancelled; a deadline met, missed or cancelled; a
// proceeding's outcome; a claim rejected, appealed or found unenforceable;
// a ledger entry corrected. Each form carries the record's etag, so that a
// change made meanwhile by someone else is refused (Aborted) rather than
// overwritten.
//
// A page lists many hearings, deadlines and claims, each with its forms:
// a refusal beside a field is keyed by the field's name and the record's
// id (fieldKey), so that it shows beside the form that was sent only.

// fieldKey names field name of the form of record id in apiError.Fields.
func fieldKey(name, id string) string { return name + "-" + id }

// fieldOnly maps every server field to one form field.
func fieldOnly(key string) func(string) string { return func(string) string { return key } }

// invalidField re-renders the court page with one field of one form
// marked, with message id msg, before any call.
func (s *Server) invalidField(w http.ResponseWriter, q *Request, key, msg string) {
	s.caseCourt(w, q, http.StatusUnprocessableEntity, &apiError{Key: "error.invalid", Fields: map[string]string{key: msg}})
}

// courtPrecondition names, in the user's words, why the court or
// compensation service refused a change; other reasons fall back to the
// general ones. The server's messages are English for operators.
func courtPrecondition(msg string) string {
	switch {
	case strings.HasPrefix(msg, "cannot move a proceeding"):
		return "court.error.stage_move"
	case strings.Contains(msg, "cannot have been decided at"):
		return "court.error.decided_later"
	case strings.Contains(msg, "is cancelled: add a new"):
		return "court.error.cancelled"
	case strings.HasPrefix(msg, "cannot cancel a hearing"):
		return "court.error.hearing_not_cancellable"
	case strings.HasPrefix(msg, "cannot cancel a deadline"):
		return "court.error.deadline_not_cancellable"
	case strings.Contains(msg, "has no award to pay against"):
		return "claims.error.no_award"
	case strings.Contains(msg, "below zero"):
		return "claims.error.below_zero"
	case strings.Contains(msg, "above the award"):
		return "claims.error.above_award"
	case strings.HasPrefix(msg, "cannot ") && strings.Contains(msg, "a claim that is"):
		return "claims.error.transition"
	}
	return preconditionKey(msg)
}

// handleUpdateHearing changes a hearing's date and time (typed in its
// court's zone), type, status (held, postponed) and public outcome. The
// form sends the new values and, as the page showed them, the old ones,
// so that only what the lawyer changed is sent: an unchanged time already
// past would be refused, since a hearing may not be scheduled in the past.
func (s *Server) handleUpdateHearing(w http.ResponseWriter, q *Request) {
	hid := q.PathValue("hearing")
	date := fieldKey("date", hid)
	zone := q.PostFormValue("zone")
	start, ok := courtTime(q.PostFormValue("date"), q.PostFormValue("time"), zone)
	if !ok {
		s.invalidField(w, q, date, "court.error.time")
		return
	}
	h := &casebridgev1.Hearing{Id: hid}
	var paths []string
	if was, err := time.Parse(time.RFC3339, q.PostFormValue("was_start")); err != nil || !was.Equal(start) {
		h.StartTime = timestamp(start)
		paths = append(paths, "start_time")
	}
	if t := q.PostFormValue("type"); t != q.PostFormValue("was_type") {
		h.Type = formEnum[casebridgev1.HearingType](q, "type", casebridgev1.HearingType_value)
		paths = append(paths, "type")
	}
	if st := q.PostFormValue("status"); st != q.PostFormValue("was_status") {
		h.Status = formEnum[casebridgev1.HearingStatus](q, "status", casebridgev1.HearingStatus_value)
		paths = append(paths, "status")
	}
	if o := strings.TrimSpace(q.PostFormValue("outcome")); o != q.PostFormValue("was_outcome") {
		h.Outcome = o
		paths = append(paths, "outcome")
	}
	if len(paths) == 0 {
		s.courtDone(w, q, "")
		return
	}
	_, err := s.proceedings().UpdateHearing(q.Ctx, &casebridgev1.UpdateHearingRequest{Hearing: h, Etag: q.PostFormValue("etag"),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
	if err != nil {
		s.courtFormFailed(w, q, err, func(f string) string {
			switch f {
			case "hearing.outcome":
				return fieldKey("outcome", hid)
			case "hearing.status":
				return fieldKey("status", hid)
			}
			return date
		})
		return
	}
	s.courtDone(w, q, "flash.hearing_updated")
}

func (s *Server) handleCancelHearing(w http.ResponseWriter, q *Request) {
	hid := q.PathValue("hearing")
	reason := strings.TrimSpace(q.PostFormValue("reason"))
	if reason == "" {
		s.invalidField(w, q, fieldKey("cancel_reason", hid), "court.error.reason_required")
		return
	}
	if _, err := s.proceedings().CancelHearing(q.Ctx, &casebridgev1.CancelHearingRequest{Id: hid, Etag: q.PostFormValue("etag"), Reason: reason}); err != nil {
		s.courtFormFailed(w, q, err, fieldOnly(fieldKey("cancel_reason", hid)))
		return
	}
	s.courtDone(w, q, "flash.hearing_cancelled")
}

// handleMarkDeadline marks an open deadline met or missed (or opens it
// again, when it was marked by mistake).
func (s *Server) handleMarkDeadline(w http.ResponseWriter, q *Request) {
	st := formEnum[casebridgev1.DeadlineStatus](q, "status", casebridgev1.DeadlineStatus_value)
	if st == casebridgev1.DeadlineStatus_DEADLINE_STATUS_UNSPECIFIED || st == casebridgev1.DeadlineStatus_DEADLINE_STATUS_CANCELLED {
		s.fail(w, q, http.StatusUnprocessableEntity, "error.invalid")
		return
	}
	did := q.PathValue("deadline")
	_, err := s.proceedings().UpdateDeadline(q.Ctx, &casebridgev1.UpdateDeadlineRequest{Deadline: &casebridgev1.Deadline{Id: did, Status: st},
		Etag: q.PostFormValue("etag"), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}})
	if err != nil {
		s.courtFormFailed(w, q, err, nil)
		return
	}
	flash := "flash.deadline_met"
	switch st {
	case casebridgev1.DeadlineStatus_DEADLINE_STATUS_MISSED:
		flash = "flash.deadline_missed"
	case casebridgev1.DeadlineStatus_DEADLINE_STATUS_OPEN:
		flash = "flash.deadline_reopened"
	}
	s.courtDone(w, q, flash)
}

func (s *Server) handleCancelDeadline(w http.ResponseWriter, q *Request) {
	did := q.PathValue("deadline")
	if _, err := s.proceedings().CancelDeadline(q.Ctx, &casebridgev1.CancelDeadlineRequest{Id: did, Etag: q.PostFormValue("etag"),
		Reason: strings.TrimSpace(q.PostFormValue("reason"))}); err != nil {
		s.courtFormFailed(w, q, err, fieldOnly(fieldKey("deadline_reason", did)))
		return
	}
	s.courtDone(w, q, "flash.deadline_cancelled")
}

// handleRecordOutcome records or corrects the decision in a proceeding.
func (s *Server) handleRecordOutcome(w http.ResponseWriter, q *Request) {
	pid := q.PostFormValue("proceeding")
	o := &casebridgev1.ProceedingOutcome{
		Kind:         formEnum[casebridgev1.OutcomeKind](q, "kind", casebridgev1.OutcomeKind_value),
		DecidedAt:    formEnum[casebridgev1.ProceedingStage](q, "decided_at", casebridgev1.ProceedingStage_value),
		Sentence:     strings.TrimSpace(q.PostFormValue("sentence")),
		DecisionDate: q.PostFormValue("decision_date"),
		FinalDate:    q.PostFormValue("final_date"),
	}
	switch {
	case o.Kind == casebridgev1.OutcomeKind_OUTCOME_KIND_UNSPECIFIED:
		s.invalidField(w, q, fieldKey("outcome_kind", pid), "court.error.outcome_kind")
		return
	case !isDate(o.DecisionDate):
		s.invalidField(w, q, fieldKey("decision_date", pid), "court.error.date")
		return
	case o.FinalDate != "" && !isDate(o.FinalDate):
		s.invalidField(w, q, fieldKey("final_date", pid), "court.error.date")
		return
	case o.FinalDate != "" && o.FinalDate < o.DecisionDate:
		s.invalidField(w, q, fieldKey("final_date", pid), "court.error.final_before_decision")
		return
	}
	_, err := s.proceedings().RecordOutcome(q.Ctx, &casebridgev1.RecordOutcomeRequest{Id: pid, Etag: q.PostFormValue("etag"), Outcome: o})
	if err != nil {
		s.courtFormFailed(w, q, err, func(f string) string {
			switch lastSegment(f) {
			case "final_date":
				return fieldKey("final_date", pid)
			case "sentence":
				return fieldKey("sentence", pid)
			case "kind":
				return fieldKey("outcome_kind", pid)
			}
			return fieldKey("decision_date", pid)
		})
		return
	}
	s.courtDone(w, q, "flash.outcome_recorded")
}

// isDate says whether s is an ISO 8601 calendar date.
func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func (s *Server) handleRejectClaim(w http.ResponseWriter, q *Request) {
	cid := q.PathValue("claim")
	date := q.PostFormValue("date")
	if !isDate(date) {
		s.invalidField(w, q, fieldKey("reject_date", cid), "court.error.date")
		return
	}
	if _, err := s.compensation().RejectClaim(q.Ctx, &casebridgev1.RejectClaimRequest{Id: cid, Etag: q.PostFormValue("etag"), DecisionDate: date,
		Reason: strings.TrimSpace(q.PostFormValue("reason"))}); err != nil {
		s.courtFormFailed(w, q, err, func(f string) string {
			if f == "reason" {
				return fieldKey("reject_reason", cid)
			}
			return fieldKey("reject_date", cid)
		})
		return
	}
	s.courtDone(w, q, "flash.claim_rejected")
}

func (s *Server) handleAppealClaim(w http.ResponseWriter, q *Request) {
	cid := q.PathValue("claim")
	if _, err := s.compensation().AppealClaim(q.Ctx, &casebridgev1.AppealClaimRequest{Id: cid, Etag: q.PostFormValue("etag"),
		Reason: strings.TrimSpace(q.PostFormValue("reason"))}); err != nil {
		s.courtFormFailed(w, q, err, fieldOnly(fieldKey("appeal_reason", cid)))
		return
	}
	s.courtDone(w, q, "flash.claim_appealed")
}

func (s *Server) handleMarkUnenforceable(w http.ResponseWriter, q *Request) {
	cid := q.PathValue("claim")
	reason := strings.TrimSpace(q.PostFormValue("reason"))
	if reason == "" {
		s.invalidField(w, q, fieldKey("unenforceable_reason", cid), "court.error.reason_required")
		return
	}
	if _, err := s.compensation().MarkUnenforceable(q.Ctx, &casebridgev1.MarkUnenforceableRequest{Id: cid, Etag: q.PostFormValue("etag"), Reason: reason}); err != nil {
		s.courtFormFailed(w, q, err, fieldOnly(fieldKey("unenforceable_reason", cid)))
		return
	}
	s.courtDone(w, q, "flash.claim_unenforceable")
}

// handleCorrectPayment appends a correction to a claim's ledger, the
// ledger's only way to fix a mistake: entries are never changed or
// deleted. Reversing an entry takes its amount off again exactly, as the
// server has it; the ledger's correction form sends the typed amount,
// which may be negative, naming the entry it fixes if the lawyer chose one.
func (s *Server) handleCorrectPayment(w http.ResponseWriter, q *Request) {
	cid := q.PathValue("claim")
	corrects := q.PostFormValue("corrects")
	if corrects != "" && uuid.Validate(corrects) != nil {
		s.fail(w, q, http.StatusUnprocessableEntity, "error.invalid")
		return
	}
	// An entry's own reversal form, or the ledger's correction form.
	reverse := corrects != "" && q.PostFormValue("reverse") == "1"
	reason := strings.TrimSpace(q.PostFormValue("reason"))
	reasonKey := fieldKey("correction_reason", cid)
	amountKey := fieldKey("correction_amount", cid)
	if reverse {
		reasonKey = fieldKey("reversal_reason", corrects)
		amountKey = reasonKey
	}
	if reason == "" {
		s.invalidField(w, q, reasonKey, "court.error.reason_required")
		return
	}
	date := q.PostFormValue("date")
	if date == "" {
		date = time.Now().In(s.loc).Format(time.DateOnly)
	}
	req := &casebridgev1.RecordPaymentRequest{ClaimId: cid, Etag: q.PostFormValue("etag"), Correction: true, Reason: reason,
		PaidDate: date, RequestId: q.PostFormValue("request_id")}
	if reverse {
		entry, err := s.ledgerEntry(q, cid, corrects)
		if err != nil {
			s.courtFormFailed(w, q, err, nil)
			return
		}
		if entry == nil {
			s.invalidField(w, q, reasonKey, "claims.error.no_entry")
			return
		}
		req.Amount = &casebridgev1.Money{CurrencyCode: entry.GetAmount().GetCurrencyCode(), AmountMinor: -entry.GetAmount().GetAmountMinor()}
	} else {
		amount, ok := parseMoney(q.PostFormValue("amount"), q.PostFormValue("currency"))
		if !ok || amount.GetAmountMinor() == 0 {
			s.invalidField(w, q, amountKey, "error.field_invalid")
			return
		}
		req.Amount = amount
	}
	req.CorrectsPaymentId = corrects
	if _, err := s.compensation().RecordPayment(q.Ctx, req); err != nil {
		s.courtFormFailed(w, q, err, func(f string) string {
			if f == "reason" {
				return reasonKey
			}
			return amountKey
		})
		return
	}
	s.courtDone(w, q, "flash.payment_corrected")
}

// ledgerEntry finds entry id in claim's ledger; nil when it is not there.
func (s *Server) ledgerEntry(q *Request, claim, id string) (*casebridgev1.Payment, error) {
	token := ""
	for {
		resp, err := s.compensation().ListPayments(q.Ctx, &casebridgev1.ListPaymentsRequest{ClaimId: claim, PageSize: 500, PageToken: token})
		if err != nil {
			return nil, err
		}
		for _, p := range resp.GetPayments() {
			if p.GetId() == id {
				return p, nil
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return nil, nil
		}
	}
}

// courtErrorKey is the message id of a refused court form: a precondition
// in the court's words, a stale etag as a change by someone else (the
// page shown with it is the current one).
func courtErrorKey(err error, e apiError) string {
	st, _ := status.FromError(err)
	switch st.Code() {
	case codes.FailedPrecondition:
		return courtPrecondition(st.Message())
	case codes.Aborted:
		return "court.error.changed"
	}
	return e.Key
}

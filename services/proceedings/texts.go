package proceedings

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/vault"
)

// The free text of proceedings, hearings and deadlines is about the person
// (a court and docket number lead to them through public court records),
// so each row keeps it in one sealed column (vault.ProceedingTexts,
// HearingTexts, DeadlineTexts), in the legal class. The JSON names are
// those of the plain columns older versions used (sealed.Backfill moves
// them). The stores seal on write and open on read: whoever may read the
// row reads its texts, and once the case is erased they read empty.

type proceedingTexts struct {
	Court           string   `json:"court,omitempty"`
	DocketNumber    string   `json:"docket_number,omitempty"`
	Charges         []string `json:"charges,omitempty"`
	StrategicGoal   string   `json:"strategic_goal,omitempty"`
	OutcomeSentence string   `json:"outcome_sentence,omitempty"`
}

func (r *proceedingRow) texts() proceedingTexts {
	return proceedingTexts{Court: r.Court, DocketNumber: r.Docket, Charges: r.Charges, StrategicGoal: r.Goal, OutcomeSentence: r.Outcome.Sentence}
}

func (t proceedingTexts) empty() bool {
	return t.Court == "" && t.DocketNumber == "" && len(t.Charges) == 0 && t.StrategicGoal == "" && t.OutcomeSentence == ""
}

func (t proceedingTexts) equal(u proceedingTexts) bool {
	return t.Court == u.Court && t.DocketNumber == u.DocketNumber && slices.Equal(t.Charges, u.Charges) &&
		t.StrategicGoal == u.StrategicGoal && t.OutcomeSentence == u.OutcomeSentence
}

func (r *proceedingRow) setTexts(t proceedingTexts) {
	r.Court, r.Docket, r.Charges, r.Goal, r.Outcome.Sentence = t.Court, t.DocketNumber, t.Charges, t.StrategicGoal, t.OutcomeSentence
}

type hearingTexts struct {
	Outcome      string `json:"outcome,omitempty"`
	CancelReason string `json:"cancel_reason,omitempty"`
}

func (h *hearingRow) texts() hearingTexts {
	return hearingTexts{Outcome: h.Outcome, CancelReason: h.CancelReason}
}

type deadlineTexts struct {
	Description  string `json:"description,omitempty"`
	CancelReason string `json:"cancel_reason,omitempty"`
}

func (d *deadlineRow) texts() deadlineTexts {
	return deadlineTexts{Description: d.Description, CancelReason: d.CancelReason}
}

// sealTexts seals t (a row's texts; empty: nil) for row id of the case in
// column c, in tx. An erased case takes nothing new.
func (s *Service) sealTexts(ctx context.Context, tx pgx.Tx, c *vault.Column, caseID, id string, t any, empty bool) ([]byte, error) {
	if empty {
		return nil, nil
	}
	key, err := s.sealKey(ctx, tx, caseID)
	if err != nil {
		return nil, err
	}
	defer key.Wipe()
	ct, err := sealed.SealTexts(c, key, caseID, id, t)
	if err != nil {
		return nil, fmt.Errorf("seal %s of row %s: %w", c, id, err)
	}
	return ct, nil
}

// openTexts opens ct into t; without a usable case key (an erased case) t
// stays empty.
func (s *Service) openTexts(ctx context.Context, q db.Querier, c *vault.Column, caseID, id string, ct []byte, t any) error {
	return sealed.OpenRow(ctx, s.keys, q, c, caseID, id, ct, t)
}

func (s *Service) openProceeding(ctx context.Context, q db.Querier, r *proceedingRow) error {
	var t proceedingTexts
	if err := s.openTexts(ctx, q, vault.ProceedingTexts, r.CaseID, r.ID, r.Texts, &t); err != nil {
		return err
	}
	r.setTexts(t)
	return nil
}

func (s *Service) openHearing(ctx context.Context, q db.Querier, h *hearingRow) error {
	var t hearingTexts
	if err := s.openTexts(ctx, q, vault.HearingTexts, h.CaseID, h.ID, h.Texts, &t); err != nil {
		return err
	}
	h.Outcome, h.CancelReason = t.Outcome, t.CancelReason
	return nil
}

func (s *Service) openDeadline(ctx context.Context, q db.Querier, d *deadlineRow) error {
	var t deadlineTexts
	if err := s.openTexts(ctx, q, vault.DeadlineTexts, d.CaseID, d.ID, d.Texts, &t); err != nil {
		return err
	}
	d.Description, d.CancelReason = t.Description, t.CancelReason
	return nil
}

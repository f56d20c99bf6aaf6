package casework

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/vault"
)

// The free text of each row is sealed in its table's texts column (the
// registry's SupportPlanTexts, ObjectiveTexts, ActionTexts, ServiceTexts,
// ApprovalTexts), care class, bound to the case and the row: the stores
// seal on write and open on read; once the case is erased they read empty.

type planTexts struct {
	Summary string `json:"summary,omitempty"`
}

type itemTexts struct {
	Description string `json:"description,omitempty"`
}

type serviceTexts struct {
	Description string `json:"description,omitempty"`
	Outcome     string `json:"outcome,omitempty"`
}

type approvalTexts struct {
	RequestComment  string `json:"request_comment,omitempty"`
	DecisionComment string `json:"decision_comment,omitempty"`
}

// seal seals t for row id of case caseID in column c, in tx; an empty t
// is no ciphertext. An erased case takes nothing new (FailedPrecondition).
func (s *Service) seal(ctx context.Context, tx pgx.Tx, c *vault.Column, caseID, id string, t any, empty bool) ([]byte, error) {
	return sealed.SealRow(ctx, s.keys, tx, c, caseID, id, t, empty)
}

// open opens ct into t; without a usable case key t stays empty.
func (s *Service) open(ctx context.Context, q db.Querier, c *vault.Column, caseID, id string, ct []byte, t any) error {
	return sealed.OpenRow(ctx, s.keys, q, c, caseID, id, ct, t)
}

func (s *Service) openPlan(ctx context.Context, q db.Querier, p *planRow) error {
	var t planTexts
	if err := s.open(ctx, q, vault.SupportPlanTexts, p.CaseID, p.ID, p.Texts, &t); err != nil {
		return err
	}
	p.Summary = t.Summary
	for _, o := range p.Objectives {
		if err := s.openObjective(ctx, q, o); err != nil {
			return err
		}
		for _, a := range o.Actions {
			if err := s.openAction(ctx, q, a); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) openObjective(ctx context.Context, q db.Querier, o *objectiveRow) error {
	var t itemTexts
	if err := s.open(ctx, q, vault.ObjectiveTexts, o.CaseID, o.ID, o.Texts, &t); err != nil {
		return err
	}
	o.Description = t.Description
	return nil
}

func (s *Service) openAction(ctx context.Context, q db.Querier, a *actionRow) error {
	var t itemTexts
	if err := s.open(ctx, q, vault.ActionTexts, a.CaseID, a.ID, a.Texts, &t); err != nil {
		return err
	}
	a.Description = t.Description
	return nil
}

func (s *Service) openService(ctx context.Context, q db.Querier, v *serviceRow) error {
	var t serviceTexts
	if err := s.open(ctx, q, vault.ServiceTexts, v.CaseID, v.ID, v.Texts, &t); err != nil {
		return err
	}
	v.Description, v.Outcome = t.Description, t.Outcome
	return nil
}

func (s *Service) openApproval(ctx context.Context, q db.Querier, a *approvalRow) error {
	var t approvalTexts
	if err := s.open(ctx, q, vault.ApprovalTexts, a.CaseID, a.ID, a.Texts, &t); err != nil {
		return err
	}
	a.RequestComment, a.DecisionComment = t.RequestComment, t.DecisionComment
	return nil
}

func (s *Service) sealPlan(ctx context.Context, tx pgx.Tx, p *planRow) (err error) {
	t := planTexts{Summary: p.Summary}
	p.Texts, err = s.seal(ctx, tx, vault.SupportPlanTexts, p.CaseID, p.ID, t, t == planTexts{})
	return err
}

func (s *Service) sealObjective(ctx context.Context, tx pgx.Tx, o *objectiveRow) (err error) {
	t := itemTexts{Description: o.Description}
	o.Texts, err = s.seal(ctx, tx, vault.ObjectiveTexts, o.CaseID, o.ID, t, t == itemTexts{})
	return err
}

func (s *Service) sealAction(ctx context.Context, tx pgx.Tx, a *actionRow) (err error) {
	t := itemTexts{Description: a.Description}
	a.Texts, err = s.seal(ctx, tx, vault.ActionTexts, a.CaseID, a.ID, t, t == itemTexts{})
	return err
}

func (s *Service) sealService(ctx context.Context, tx pgx.Tx, v *serviceRow) (err error) {
	t := serviceTexts{Description: v.Description, Outcome: v.Outcome}
	v.Texts, err = s.seal(ctx, tx, vault.ServiceTexts, v.CaseID, v.ID, t, t == serviceTexts{})
	return err
}

func (s *Service) sealApproval(ctx context.Context, tx pgx.Tx, a *approvalRow) (err error) {
	t := approvalTexts{RequestComment: a.RequestComment, DecisionComment: a.DecisionComment}
	a.Texts, err = s.seal(ctx, tx, vault.ApprovalTexts, a.CaseID, a.ID, t, t == approvalTexts{})
	return err
}

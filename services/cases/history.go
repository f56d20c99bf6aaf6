package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/audit"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// addHistory keeps a change of the case's status (or its erasure) in the
// case history, in tx: the new status, the coded reason, who and when in
// plain columns, the reason given sealed under the case key
// (vault.CaseHistoryReasons), since it is free text about the person.
func (s *Service) addHistory(ctx context.Context, tx pgx.Tx, caseID string, status casebridgev1.CaseStatus, erased bool, reason string, code casebridgev1.CaseChangeReason, actor string) error {
	id := uuid.NewString()
	var ct []byte
	if reason != "" {
		key, err := sealed.WriteKey(ctx, s.keys, tx, caseID)
		if err != nil && !errors.Is(err, sealed.ErrErased) {
			return fmt.Errorf("key of case %s: %w", caseID, err)
		}
		if key != nil {
			ct, err = vault.CaseHistoryReasons.Seal(key, caseID, id, vault.CaseHistoryReasons.Class(), []byte(reason))
			key.Wipe()
			if err != nil {
				return fmt.Errorf("seal reason of case %s: %w", caseID, err)
			}
		}
	}
	return insertHistory(ctx, tx, historyRow{id: id, caseID: caseID, status: status, erased: erased, code: code, reason: ct, actor: actor})
}

// historyClasses is what the audit event of a status change names: the
// class of the reason, when one was given (never the reason itself).
func historyClasses(reason string) []dataclass.Class {
	if reason == "" {
		return nil
	}
	return []dataclass.Class{vault.CaseHistoryReasons.Class()}
}

// auditReason puts the coded reason of a status change or an erasure on
// the call's audit event: the code, "unspecified" when the caller gave
// none, or nothing when no reason was given at all. Never the text.
func auditReason(ctx context.Context, code casebridgev1.CaseChangeReason, text string) {
	if code == casebridgev1.CaseChangeReason_CASE_CHANGE_REASON_UNSPECIFIED && text == "" {
		return
	}
	audit.Detail(ctx, audit.DetailReason, strings.ToLower(strings.TrimPrefix(code.String(), "CASE_CHANGE_REASON_")))
}

package cases

import (
	"context"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// consentTexts is the free text of a consent, sealed under the case key
// (vault.ConsentTexts); the JSON name is the plain column it replaces.
type consentTexts struct {
	Method string `json:"method,omitempty"`
}

func (s *Service) sealConsentTexts(ctx context.Context, tx db.Querier, caseID, id string, t consentTexts) ([]byte, error) {
	return sealed.SealRow(ctx, s.keys, tx, vault.ConsentTexts, caseID, id, t, t == consentTexts{})
}

// openConsentTexts fills in c's method when acc may read its class: a
// partner whose referral does not grant that class sees the consent with
// its method left empty (redacted). After erasure it stays empty. It
// reports whether it opened anything, so that the caller records the read.
func (s *Service) openConsentTexts(ctx context.Context, q db.Querier, acc authz.Access, c *casebridgev1.Consent, texts []byte) (bool, error) {
	if texts == nil || !acc.CanRead(vault.ConsentTexts.Class()) {
		return false, nil
	}
	var t consentTexts
	if err := sealed.OpenRow(ctx, s.keys, q, vault.ConsentTexts, c.GetCaseId(), c.GetId(), texts, &t); err != nil {
		return false, err
	}
	c.Method = t.Method
	return c.Method != "", nil
}

// consentClasses is what an audit event of a consent change names: the
// class of its sealed texts when it has any.
func consentClasses(method string) []dataclass.Class {
	if method == "" {
		return nil
	}
	return []dataclass.Class{vault.ConsentTexts.Class()}
}

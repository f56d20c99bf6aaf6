package cases

import (
	"context"

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

// openConsentTexts fills in c's method for whoever may read the consent
// (the owning organisation); after erasure it stays empty.
func (s *Service) openConsentTexts(ctx context.Context, q db.Querier, c *casebridgev1.Consent, texts []byte) error {
	if texts == nil {
		return nil
	}
	var t consentTexts
	if err := sealed.OpenRow(ctx, s.keys, q, vault.ConsentTexts, c.GetCaseId(), c.GetId(), texts, &t); err != nil {
		return err
	}
	c.Method = t.Method
	return nil
}

// consentClasses is what an audit event of a consent change names: the
// class of its sealed texts when it has any.
func consentClasses(method string) []dataclass.Class {
	if method == "" {
		return nil
	}
	return []dataclass.Class{vault.ConsentTexts.Class()}
}

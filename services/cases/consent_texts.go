package cases

import (
	"context"
	"errors"
	"fmt"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/rpcerr"
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
	if t == (consentTexts{}) {
		return nil, nil
	}
	key, err := sealed.WriteKey(ctx, s.keys, tx, caseID)
	if errors.Is(err, sealed.ErrErased) {
		return nil, rpcerr.FailedPrecondition("case %s is erased", caseID)
	}
	if err != nil {
		return nil, fmt.Errorf("key of case %s: %w", caseID, err)
	}
	defer key.Wipe()
	return sealed.SealTexts(vault.ConsentTexts, key, caseID, id, t)
}

// openConsentTexts fills in c's method for whoever may read the consent
// (the owning organisation); after erasure it stays empty.
func (s *Service) openConsentTexts(ctx context.Context, q db.Querier, c *casebridgev1.Consent, texts []byte) error {
	if texts == nil {
		return nil
	}
	key, err := sealed.ReadKey(ctx, s.keys, q, c.GetCaseId())
	if err != nil || key == nil {
		return err
	}
	defer key.Wipe()
	var t consentTexts
	if err := sealed.OpenTexts(vault.ConsentTexts, key, c.GetCaseId(), c.GetId(), texts, &t); err != nil {
		return fmt.Errorf("open texts of consent %s: %w", c.GetId(), err)
	}
	c.Method = t.Method
	return nil
}

// consentClasses is what an audit event of a consent change names: the
// class of its sealed texts when it has any.
func consentClasses(method string) []casebridgev1.DataClass {
	if method == "" {
		return nil
	}
	return []casebridgev1.DataClass{dataclass.FromName(string(vault.ConsentTexts.Class()))}
}

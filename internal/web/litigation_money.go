package web

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/casectl/money"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// parseMoney reads an amount typed with a decimal dot in currency code, as
// casectl does: a comma is refused, not guessed at (1.234,50 and 1,234.50
// are both written in the region).
func parseMoney(amount, code string) (*casebridgev1.Money, bool) {
	amount, code = strings.TrimSpace(amount), strings.TrimSpace(code)
	if amount == "" || code == "" {
		return nil, false
	}
	m, err := money.Parse(amount + " " + code)
	return m, err == nil
}

func timestamp(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

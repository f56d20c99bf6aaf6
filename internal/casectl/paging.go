package casectl

import (
	"context"

	"github.com/spf13/pflag"
)

// defaultLimit is how many items a list shows unless --limit says otherwise:
// enough for a caseload, bounded so that a mistyped filter does not pull
// the whole database through the terminal.
const defaultLimit = 100

// limitFlag declares --limit.
func limitFlag(fs *pflag.FlagSet, limit *int) {
	fs.IntVar(limit, "limit", defaultLimit, "show at most this many")
}

// collect pages through a list call until it has limit items or the list
// ends; more reports that there were more.
func collect[T any](ctx context.Context, limit int, page func(ctx context.Context, token string, size int32) ([]T, string, error)) (items []T, more bool, err error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	token := ""
	for {
		size := int32(min(limit-len(items), 500))
		got, next, err := page(ctx, token, size)
		if err != nil {
			return nil, false, err
		}
		items = append(items, got...)
		if next == "" {
			return items, false, nil
		}
		if len(items) >= limit {
			return items[:limit], true, nil
		}
		token = next
	}
}

// noteMore tells the user that a list was cut at --limit.
func (a *app) noteMore(more bool, limit int) {
	if more {
		a.say("(showing the first %d; there are more: raise --limit)", limit)
	}
}

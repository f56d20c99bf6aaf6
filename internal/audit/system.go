package audit

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/casebridge/casebridge/internal/db"
)

// SystemSubject is the subject of the events the server records on its own
// account, outside any call: the last step of a key rotation.
const SystemSubject = "casebridged"

// MethodDestroyKey is the method of the event recording that an
// organisation key was destroyed (at the end of a rotation, which an
// erasure also starts).
const MethodDestroyKey = "casebridged/DestroyOrganizationKey"

// DetailDestroyedKey is the id of an organisation key that was destroyed.
const DetailDestroyedKey DetailName = "destroyed_key"

// System records, in q's transaction, an event of the server acting on its
// own account for organisation org, with details built from pairs of a
// detail name and its value. It commits or rolls back with q.
func System(ctx context.Context, q db.Querier, method, org string, details ...Pair) error {
	ev := Event{
		ID:      newID(),
		Time:    time.Now().UTC().Truncate(time.Microsecond),
		Subject: SystemSubject,
		OrgID:   org,
		Method:  method,
		Code:    CodeName(codes.OK),
	}
	for _, d := range details {
		if d.Value != "" {
			ev.Details = append(ev.Details, string(d.Name)+"="+d.Value)
		}
	}
	return insertEvents(ctx, q, []Event{ev})
}

// Pair is one detail of a System event.
type Pair struct {
	Name  DetailName
	Value string
}

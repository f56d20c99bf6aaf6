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

// The methods of the events recorded by casebridged's commands that run
// without a server, against a database directly.
const (
	// MethodRestore records that a backup was restored into the database
	// (details: the backup's creation time and the chain head it held).
	MethodRestore = "casebridged/RestoreBackup"
	// MethodRecoverExport records that one case's decrypted data was
	// exported from the database without the server, for a court order
	// or a subject-access request (the coded reason in the details).
	MethodRecoverExport = "casebridged/RecoverExportCase"
)

// The details of those events.
const (
	// DetailBackup is the creation time (RFC 3339) of a restored backup.
	DetailBackup DetailName = "backup"
	// DetailChainHead is the audit chain's last position in a restored
	// backup, as "position:hash".
	DetailChainHead DetailName = "chain_head"
	// DetailOperator is who ran a command without the server, as they
	// named themselves on its command line.
	DetailOperator DetailName = "operator"
)

// Command records, in q's transaction, an event of one of casebridged's
// commands that run without a server: ev's subject, organisation, case,
// classes and details as given; its id, time and result code (OK) are
// set here. It commits or rolls back with q.
func Command(ctx context.Context, q db.Querier, ev Event, details ...Pair) error {
	ev.ID = newID()
	ev.Time = time.Now().UTC().Truncate(time.Microsecond)
	ev.Code = CodeName(codes.OK)
	for _, d := range details {
		if d.Value != "" {
			ev.Details = append(ev.Details, string(d.Name)+"="+d.Value)
		}
	}
	return insertEvents(ctx, q, []Event{ev})
}

package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The Case message has one field per sensitive class, named like the class
// ("identity", "contact", "care", "legal"): each is stored as one
// ciphertext, sealed under the case key and bound to the case id and class.
var caseDesc = (&casebridgev1.Case{}).ProtoReflect().Descriptor()

func classField(c dataclass.Class) protoreflect.FieldDescriptor {
	return caseDesc.Fields().ByName(protoreflect.Name(c))
}

// getClass returns the class's message in c, or nil when it is absent or empty.
func getClass(c *casebridgev1.Case, cl dataclass.Class) proto.Message {
	m := c.ProtoReflect()
	fd := classField(cl)
	if !m.Has(fd) {
		return nil
	}
	msg := m.Get(fd).Message().Interface()
	if proto.Size(msg) == 0 {
		return nil
	}
	return msg
}

func setClass(c *casebridgev1.Case, cl dataclass.Class, msg proto.Message) {
	m := c.ProtoReflect()
	if msg == nil {
		m.Clear(classField(cl))
		return
	}
	m.Set(classField(cl), protoreflect.ValueOfMessage(msg.ProtoReflect()))
}

func newClass(cl dataclass.Class) proto.Message {
	return (&casebridgev1.Case{}).ProtoReflect().NewField(classField(cl)).Message().Interface()
}

func sealClass(key *vault.CaseKey, caseID string, cl dataclass.Class, msg proto.Message) ([]byte, error) {
	plain, err := proto.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encode %s of case %s: %w", cl, caseID, err)
	}
	ct, err := vault.CaseSecrets.Seal(key, caseID, "", cl, plain)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("encrypt %s of case %s: %w", cl, caseID, err)
	}
	return ct, nil
}

// classOpens counts the class values decrypted, for the test that holds
// UpdateCase to at most one decryption per class.
var classOpens atomic.Int64

func openClass(key *vault.CaseKey, caseID string, cl dataclass.Class, ct []byte) (proto.Message, error) {
	classOpens.Add(1)
	plain, err := vault.CaseSecrets.Open(key, caseID, "", cl, ct)
	if errors.Is(err, vault.ErrWrongBinding) || errors.Is(err, vault.ErrCorrupt) {
		return nil, rpcerr.DataLoss("the stored %s data of case %s failed its integrity check", cl, caseID)
	}
	if err != nil {
		return nil, fmt.Errorf("decrypt %s of case %s: %w", cl, caseID, err)
	}
	msg := newClass(cl)
	err = proto.Unmarshal(plain, msg)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("decode %s of case %s: %w", cl, caseID, err)
	}
	return msg, nil
}

// decryptInto adds to out every class of r listed in want, decrypted, and
// returns the classes it added. A class in known is taken from there
// instead (its current value, already in clear: nil when it has none).
func (s *Service) decryptInto(ctx context.Context, q db.Querier, r *caseRow, want []dataclass.Class, out *casebridgev1.Case, known ...map[dataclass.Class]proto.Message) ([]dataclass.Class, error) {
	var stored []int16
	var added []dataclass.Class
	for _, c := range want {
		if len(known) > 0 {
			if msg, ok := known[0][c]; ok {
				if msg != nil {
					setClass(out, c, msg)
					added = append(added, c)
				}
				continue
			}
		}
		if r.has(c) {
			stored = append(stored, c.Stored())
		}
	}
	if len(stored) == 0 {
		return added, nil
	}
	cts := r.secrets
	if cts == nil {
		var err error
		if cts, err = loadSecrets(ctx, q, r.ID, stored); err != nil {
			return nil, err
		}
	}
	key, err := s.keys.CaseKey(ctx, q, r.ID)
	if err != nil {
		return nil, fmt.Errorf("key of case %s: %w", r.ID, err)
	}
	defer key.Wipe()
	for _, c := range want {
		if !slices.Contains(stored, c.Stored()) {
			continue
		}
		ct, ok := cts[c]
		if !ok {
			continue
		}
		msg, err := openClass(key, r.ID, c, ct)
		if err != nil {
			return nil, err
		}
		setClass(out, c, msg)
		added = append(added, c)
	}
	return added, nil
}

// writeKey returns the key to seal new data of case r under. A case imported
// without sensitive data has no key yet: it gets one now, wrapped to its owner.
func (s *Service) writeKey(ctx context.Context, tx pgx.Tx, r *caseRow) (*vault.CaseKey, error) {
	key, err := s.keys.CaseKey(ctx, tx, r.ID)
	if errors.Is(err, keys.ErrNoCaseKey) && r.EraseTime == nil {
		return s.keys.CreateCaseKey(ctx, tx, r.ID, r.OrgID)
	}
	if err != nil {
		return nil, fmt.Errorf("key of case %s: %w", r.ID, err)
	}
	return key, nil
}

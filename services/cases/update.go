package cases

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// maskPath is one validated entry of an update mask: a part of the case
// ("coded" or a class) and optionally one field inside it.
type maskPath struct {
	class dataclass.Class // unspecified for "coded"
	part  protoreflect.FieldDescriptor
	field protoreflect.FieldDescriptor // nil: the whole part
}

// parseMask accepts "coded", "coded.<field>", "<class>" and "<class>.<field>".
func parseMask(paths []string) ([]maskPath, error) {
	if len(paths) == 0 {
		return nil, rpcerr.InvalidArgument("update_mask", "must name at least one field")
	}
	var out []maskPath
	for _, path := range paths {
		head, tail, _ := strings.Cut(path, ".")
		part := caseDesc.Fields().ByName(protoreflect.Name(head))
		mp := maskPath{part: part}
		switch {
		case head == "coded":
		case dataclass.Class(head).Valid():
			mp.class = dataclass.Class(head)
		default:
			return nil, rpcerr.InvalidArgument("update_mask", "unknown or read-only field %q (allowed: coded, identity, contact, care, legal and their fields)", path)
		}
		if tail != "" {
			mp.field = part.Message().Fields().ByName(protoreflect.Name(tail))
			if mp.field == nil {
				return nil, rpcerr.InvalidArgument("update_mask", "unknown field %q", path)
			}
		}
		out = append(out, mp)
	}
	return out, nil
}

// UpdateCase changes the masked fields if the etag is current, in one
// transaction: a stale etag is Aborted and nothing changes.
func (s *Service) UpdateCase(ctx context.Context, req *casebridgev1.UpdateCaseRequest) (*casebridgev1.UpdateCaseResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	id := req.GetCase().GetId()
	if err := uuidField("case.id", id); err != nil {
		return nil, err
	}
	mask, err := parseMask(req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	if err := validateCoded(req.GetCase().GetCoded(), "case.coded"); err != nil {
		return nil, err
	}
	var out *caseRow
	var acc authz.Access
	var changed map[dataclass.Class]proto.Message
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, err = s.access(ctx, tx, p, id, "case", "update", true)
		if err != nil {
			return err
		}
		r, err := getCase(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if err := editable(r); err != nil {
			return err
		}
		if err := checkEtag(r, req.GetEtag(), true); err != nil {
			return err
		}
		if changed, err = s.applyMask(ctx, tx, p, acc, r, req.GetCase(), mask); err != nil {
			return err
		}
		out = r
		if err := s.audit.InTx(ctx, tx, acc.Org, r.ID, maskClasses(mask)); err != nil {
			return err
		}
		return saveCase(ctx, tx, r, s.now())
	})
	if err != nil {
		return nil, err
	}
	// The classes just written are answered from their new values in
	// clear, so that no class is decrypted twice.
	c, err := s.render(ctx, s.pool, acc, out, casebridgev1.CaseView_CASE_VIEW_FULL, changed)
	if err != nil {
		return nil, err
	}
	// The change's event names what was written; the answer carries the
	// whole case decrypted, which is a read of every class it returns.
	if err := s.recordReturned(ctx, acc.Org, c); err != nil {
		return nil, err
	}
	return &casebridgev1.UpdateCaseResponse{Case: c}, nil
}

// applyMask copies the masked parts of in onto r, re-sealing every class it
// touches, and returns the touched classes' new values (nil for a class
// left empty, hence deleted).
func (s *Service) applyMask(ctx context.Context, tx pgx.Tx, p authz.Principal, acc authz.Access, r *caseRow, in *casebridgev1.Case, mask []maskPath) (map[dataclass.Class]proto.Message, error) {
	var classes []dataclass.Class
	for _, mp := range mask {
		if mp.class == "" {
			copyPart(r.Coded, in.GetCoded(), mp.field)
			continue
		}
		name := string(mp.class)
		if !s.authz.Allowed(p, acc.Org, name, authz.ActWrite) {
			return nil, rpcerr.PermissionDenied("your role may not change %s data", name)
		}
		if !slices.Contains(classes, mp.class) {
			classes = append(classes, mp.class)
		}
	}
	if len(classes) == 0 {
		return nil, nil
	}
	// Current values of the touched classes, so that a field-level mask keeps the other fields.
	current := &casebridgev1.Case{}
	if _, err := s.decryptInto(ctx, tx, r, classes, current); err != nil {
		return nil, err
	}
	key, err := s.writeKey(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	defer key.Wipe()
	sealed := map[dataclass.Class][]byte{}
	changed := make(map[dataclass.Class]proto.Message, len(classes))
	for _, c := range classes {
		msg := getClass(current, c)
		if msg == nil {
			msg = newClass(c)
		}
		for _, mp := range mask {
			if mp.class == c {
				copyPart(msg, getClassRaw(in, c), mp.field)
			}
		}
		if proto.Size(msg) == 0 {
			r.ClassesPresent &^= c.Bit()
			changed[c] = nil
			if err := deleteSecret(ctx, tx, r.ID, c); err != nil {
				return nil, err
			}
			continue
		}
		if sealed[c], err = sealClass(key, r.ID, c, msg); err != nil {
			return nil, err
		}
		changed[c] = msg
		r.ClassesPresent |= c.Bit()
	}
	if err := putSecrets(ctx, tx, r.ID, sealed); err != nil {
		return nil, err
	}
	return changed, nil
}

// maskClasses lists the sensitive classes a mask touches.
func maskClasses(mask []maskPath) []dataclass.Class {
	var out []dataclass.Class
	for _, mp := range mask {
		if mp.class != "" && !slices.Contains(out, mp.class) {
			out = append(out, mp.class)
		}
	}
	return out
}

// copyPart copies field fd (or every field, when fd is nil) from src to dst;
// a field absent from src is cleared in dst.
func copyPart(dst, src proto.Message, fd protoreflect.FieldDescriptor) {
	d := dst.ProtoReflect()
	if fd == nil {
		proto.Reset(dst)
		if src != nil && src.ProtoReflect().IsValid() {
			proto.Merge(dst, src)
		}
		return
	}
	if src == nil || !src.ProtoReflect().IsValid() || !src.ProtoReflect().Has(fd) {
		d.Clear(fd)
		return
	}
	d.Set(fd, src.ProtoReflect().Get(fd))
}

// getClassRaw returns the class's message in c even when empty (nil if unset).
func getClassRaw(c *casebridgev1.Case, cl dataclass.Class) proto.Message {
	m := c.ProtoReflect()
	fd := classField(cl)
	if !m.Has(fd) {
		return nil
	}
	return m.Get(fd).Message().Interface()
}

// editable refuses changes to a case that is erased or closed.
func editable(r *caseRow) error {
	if r.EraseTime != nil {
		return rpcerr.FailedPrecondition("case %s is erased and can no longer be changed", r.ID)
	}
	if r.Status == closed {
		return rpcerr.FailedPrecondition("case %s is closed: a supervisor must reopen it before it can be changed", r.ID)
	}
	return nil
}

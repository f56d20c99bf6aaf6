package cases

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// AddNote seals a note under the case key, in the class the caller names.
func (s *Service) AddNote(ctx context.Context, req *casebridgev1.AddNoteRequest) (*casebridgev1.AddNoteResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	class := dataclass.FromProto(req.GetDataClass())
	note := &casebridgev1.Note{CaseId: req.GetCaseId(), DataClass: class.Proto(), Text: req.GetText(), Author: p.Subject}
	var requestID *string
	if req.GetRequestId() != "" {
		requestID = &req.RequestId
	}
	// The request id is the case's: the unique index is (case_id, request_id).
	once := requestid.Create{RequestID: req.GetRequestId(), CaseID: req.GetCaseId(),
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return noteByRequest(ctx, q, req.GetCaseId(), rid)
		}}
	note.Id = uuid.NewString()
	id := note.Id
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		acc, err := s.access(ctx, tx, p, req.GetCaseId(), "note", "create", false)
		if err != nil {
			return err
		}
		if !s.authz.Allowed(p, acc.Org, string(class), authz.ActWrite) {
			return rpcerr.PermissionDenied("your role may not write %s notes", class)
		}
		r, err := getCase(ctx, tx, req.GetCaseId(), true)
		if err != nil {
			return err
		}
		if r.EraseTime != nil {
			return rpcerr.FailedPrecondition("case %s is erased", r.ID)
		}
		// A retry finds the first attempt's note and writes nothing (the
		// case row is locked: attempts of one request id are serialised).
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		if err := s.limits().checkNoteQuota(ctx, tx, r.ID); err != nil {
			return err
		}
		key, err := s.writeKey(ctx, tx, r)
		if err != nil {
			return err
		}
		defer key.Wipe()
		ct, err := vault.CaseNotes.Seal(key, r.ID, note.Id, class, []byte(req.GetText()))
		if err != nil {
			return fmt.Errorf("encrypt note of case %s: %w", r.ID, err)
		}
		created, inserted, err := insertNote(ctx, tx, note.Id, r.ID, class, ct, p.Subject, requestID)
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		note.CreateTime = timestamppb.New(created)
		return s.audit.InTx(ctx, tx, acc.Org, r.ID, []dataclass.Class{class})
	})
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		return nil, err
	}
	if id != note.Id { // a retried add: return the stored note, as a read
		return s.noteByID(ctx, p, req.GetCaseId(), id)
	}
	return &casebridgev1.AddNoteResponse{Note: note}, nil
}

func (s *Service) noteByID(ctx context.Context, p authz.Principal, caseID, noteID string) (*casebridgev1.AddNoteResponse, error) {
	acc, err := s.access(ctx, s.pool, p, caseID, "note", authz.ActRead, false)
	if err != nil {
		return nil, err
	}
	notes, _, err := s.loadNotes(ctx, acc, caseID, noteFilter{id: noteID, limit: 1})
	if err != nil {
		return nil, err
	}
	if len(notes) == 0 {
		return nil, rpcerr.NotFound("note %s not found", noteID)
	}
	// The stored note goes back in clear: a read of its class, as in ListNotes.
	if err := s.audit.Read(ctx, acc.Org, caseID, noteClasses(notes)); err != nil {
		return nil, err
	}
	return &casebridgev1.AddNoteResponse{Note: notes[0]}, nil
}

// ListNotes lists the notes of the classes the caller may read, newest
// first; the classes left out are reported as redacted.
func (s *Service) ListNotes(ctx context.Context, req *casebridgev1.ListNotesRequest) (*casebridgev1.ListNotesResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	acc, err := s.access(ctx, s.pool, p, req.GetCaseId(), "note", authz.ActRead, false)
	if err != nil {
		return nil, err
	}
	fp := pagetoken.Fingerprint(p.Subject, req.GetCaseId(), req.GetDataClass())
	keys, err := pagetoken.Decode(req.GetPageToken(), fp, 2)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	f := noteFilter{class: dataclass.FromProto(req.GetDataClass()), limit: pagetoken.Size(req.GetPageSize(), 50, 500), maxBytes: s.limits().PageBytes}
	if keys != nil {
		t, err := time.Parse(time.RFC3339Nano, keys[0])
		if err != nil {
			return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
		}
		f.afterTime, f.afterID = &t, keys[1]
	}
	notes, more, err := s.loadNotes(ctx, acc, req.GetCaseId(), f)
	if err != nil {
		return nil, err
	}
	if err := s.audit.Read(ctx, acc.Org, req.GetCaseId(), noteClasses(notes)); err != nil {
		return nil, err
	}
	resp := &casebridgev1.ListNotesResponse{Notes: notes}
	if more && len(notes) > 0 {
		last := notes[len(notes)-1]
		resp.NextPageToken = pagetoken.Encode(fp, last.GetCreateTime().AsTime().Format(time.RFC3339Nano), last.GetId())
	}
	redacted, err := redactedNoteClasses(ctx, s.pool, req.GetCaseId(), acc)
	if err != nil {
		return nil, err
	}
	resp.RedactedClasses = dataclass.Protos(redacted)
	return resp, nil
}

// loadNotes returns the page f of the notes of case caseID in the classes
// acc may read, opened, and whether more follow.
func (s *Service) loadNotes(ctx context.Context, acc authz.Access, caseID string, f noteFilter) ([]*casebridgev1.Note, bool, error) {
	var readable []int16
	for _, c := range dataclass.All {
		if acc.CanRead(c) && (f.class == "" || f.class == c) {
			readable = append(readable, c.Stored())
		}
	}
	maxBytes := f.maxBytes
	if maxBytes <= 0 {
		maxBytes = math.MaxInt32
	}
	found, err := notePage(ctx, s.pool, caseID, readable, f, maxBytes)
	if err != nil {
		return nil, false, err
	}
	more := len(found) > f.limit
	if more {
		found = found[:f.limit]
	}
	for i, st := range found {
		if st.ct == nil { // past the byte budget
			found, more = found[:i], true
			break
		}
	}
	if len(found) == 0 {
		return nil, false, nil
	}
	key, err := s.keys.CaseKey(ctx, s.pool, caseID)
	if err != nil {
		return nil, false, err
	}
	defer key.Wipe()
	notes := make([]*casebridgev1.Note, 0, len(found))
	for _, st := range found {
		plain, err := vault.CaseNotes.Open(key, caseID, st.note.Id, dataclass.FromProto(st.note.DataClass), st.ct)
		if errors.Is(err, vault.ErrWrongBinding) || errors.Is(err, vault.ErrCorrupt) {
			return nil, false, rpcerr.DataLoss("note %s of case %s failed its integrity check", st.note.Id, caseID)
		}
		if err != nil {
			return nil, false, fmt.Errorf("decrypt note %s of case %s: %w", st.note.Id, caseID, err)
		}
		st.note.Text = string(plain)
		notes = append(notes, st.note)
	}
	return notes, more, nil
}

// redactedNoteClasses lists the classes of the case's notes that acc may
// not read, for ListNotes to report.
func redactedNoteClasses(ctx context.Context, q db.Querier, caseID string, acc authz.Access) ([]dataclass.Class, error) {
	classes, err := noteClassesOf(ctx, q, caseID)
	if err != nil {
		return nil, err
	}
	var out []dataclass.Class
	for _, c := range classes {
		if !acc.CanRead(c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// noteClasses lists the classes of the notes returned.
func noteClasses(notes []*casebridgev1.Note) []dataclass.Class {
	var out []dataclass.Class
	for _, n := range notes {
		if c := dataclass.FromProto(n.GetDataClass()); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

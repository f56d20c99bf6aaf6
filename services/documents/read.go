package documents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/blobstore"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/pagetoken"
	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// downloadChunk is the content carried by one message of a download, well
// under the clients' 4 MiB default message limit.
const downloadChunk = 256 << 10

// GetDocument returns a document's metadata: an audited read of its class.
func (s *Service) GetDocument(ctx context.Context, req *casebridgev1.GetDocumentRequest) (*casebridgev1.GetDocumentResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := s.get(ctx, p, req.GetId())
	if err != nil {
		return nil, err
	}
	return &casebridgev1.GetDocumentResponse{Document: doc}, nil
}

// get opens document id for p and records the read.
func (s *Service) get(ctx context.Context, p authz.Principal, id string) (*casebridgev1.Document, error) {
	d, acc, f, err := s.reach(ctx, s.pool, p, id, authz.ActRead, false)
	if err != nil {
		return nil, err
	}
	env, err := s.openEnvelope(ctx, d)
	if err != nil {
		return nil, err
	}
	if err := s.audit.Read(ctx, acc.Org, d.CaseID, []dataclass.Class{d.Class}); err != nil {
		return nil, err
	}
	return s.shown(p, f, d.proto(env)), nil
}

func (s *Service) openEnvelope(ctx context.Context, d *row) (envelope, error) {
	key, err := s.keys.CaseKey(ctx, s.pool, d.CaseID)
	if err != nil {
		return envelope{}, fmt.Errorf("key of case %s: %w", d.CaseID, err)
	}
	defer key.Wipe()
	return open(key, d)
}

// ListDocuments lists the documents of a case the caller may read, newest
// first: each returned class is an audited read of the case.
func (s *Service) ListDocuments(ctx context.Context, req *casebridgev1.ListDocumentsRequest) (*casebridgev1.ListDocumentsResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	acc, f, err := s.gate.Check(ctx, s.pool, p, req.GetCaseId(), object, authz.ActRead, false, caseNotFound(req.GetCaseId()))
	if err != nil {
		return nil, err
	}
	fp := pagetoken.Fingerprint(p.Subject, req.GetCaseId(), req.GetDataClass(), req.GetConsentId(), req.GetHearingId(), req.GetClaimId())
	after, err := pagetoken.Decode(req.GetPageToken(), fp, 2)
	if err != nil {
		return nil, rpcerr.InvalidArgument("page_token", "%v", err)
	}
	lf := listFilter{caseID: f.ID, court: caseaccess.SightOf(acc, f).Court(), consentID: req.GetConsentId(), hearingID: req.GetHearingId(),
		claimID: req.GetClaimId(), limit: pagetoken.Size(req.GetPageSize(), 50, 500)}
	want := dataclass.FromProto(req.GetDataClass())
	for _, c := range dataclass.All {
		if acc.CanRead(c) && (want == "" || want == c) {
			lf.classes = append(lf.classes, c)
		}
	}
	if after != nil {
		t, err := time.Parse(time.RFC3339Nano, after[0])
		if err != nil {
			return nil, rpcerr.InvalidArgument("page_token", "%v", pagetoken.ErrInvalid)
		}
		lf.afterTime, lf.afterID = &t, after[1]
	}
	rows, err := listRows(ctx, s.pool, lf)
	if err != nil {
		return nil, err
	}
	more := len(rows) > lf.limit
	if more {
		rows = rows[:lf.limit]
	}
	resp := &casebridgev1.ListDocumentsResponse{}
	if len(rows) == 0 {
		return resp, nil
	}
	key, err := s.keys.CaseKey(ctx, s.pool, f.ID)
	if err != nil {
		return nil, fmt.Errorf("key of case %s: %w", f.ID, err)
	}
	defer key.Wipe()
	for _, d := range rows {
		env, err := open(key, d)
		if err != nil {
			return nil, err
		}
		resp.Documents = append(resp.Documents, s.shown(p, f, d.proto(env)))
	}
	if err := s.audit.Read(ctx, acc.Org, f.ID, classesOf(resp.Documents)); err != nil {
		return nil, err
	}
	if more {
		last := rows[len(rows)-1]
		resp.NextPageToken = pagetoken.Encode(fp, last.CreateTime.Format(time.RFC3339Nano), last.ID)
	}
	return resp, nil
}

// DownloadDocument sends a document's metadata, then its content,
// decrypted chunk by chunk. The read is recorded before anything leaves.
// Content that fails its integrity check (a truncated, altered or swapped
// object) ends the stream with DataLoss; what was sent before must be
// discarded, as casectl does.
func (s *Service) DownloadDocument(req *casebridgev1.DownloadDocumentRequest, stream grpc.ServerStreamingServer[casebridgev1.DownloadDocumentResponse]) error {
	ctx := stream.Context()
	p, err := authz.Caller(ctx)
	if err != nil {
		return err
	}
	d, acc, f, err := s.reach(ctx, s.pool, p, req.GetId(), authz.ActRead, false)
	if err != nil {
		return err
	}
	env, err := s.openEnvelope(ctx, d)
	if err != nil {
		return err
	}
	identity, err := env.identity(d.ID)
	if err != nil {
		return err
	}
	if err := s.audit.Read(ctx, acc.Org, d.CaseID, []dataclass.Class{d.Class}); err != nil {
		return err
	}
	if err := stream.Send(&casebridgev1.DownloadDocumentResponse{Item: &casebridgev1.DownloadDocumentResponse_Document{Document: s.shown(p, f, d.proto(env))}}); err != nil {
		return err
	}
	obj, err := s.blobs.Open(ctx, d.ObjectID)
	if errors.Is(err, blobstore.ErrNotFound) {
		return rpcerr.DataLoss("the content of document %s is missing", d.ID)
	}
	if err != nil {
		return fmt.Errorf("open content of document %s: %w", d.ID, err)
	}
	defer obj.Close()
	src := &storeReader{r: obj}
	plain, err := age.Decrypt(src, identity)
	if err != nil {
		return s.contentError(ctx, d, src, err)
	}
	buf := make([]byte, downloadChunk)
	var sent int64
	for {
		n, err := io.ReadFull(plain, buf)
		if n > 0 {
			sent += int64(n)
			if err := stream.Send(&casebridgev1.DownloadDocumentResponse{Item: &casebridgev1.DownloadDocumentResponse_Chunk{Chunk: buf[:n]}}); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return s.contentError(ctx, d, src, err)
		}
	}
	if sent != d.Size {
		return rpcerr.DataLoss("document %s holds %d bytes, %d were stored", d.ID, sent, d.Size)
	}
	return nil
}

// contentError tells a failure of the store (PostgreSQL down, the call's
// end) from content that does not decrypt, which is DataLoss.
func (s *Service) contentError(ctx context.Context, d *row, src *storeReader, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if src.err != nil && !errors.Is(src.err, io.EOF) && !errors.Is(src.err, blobstore.ErrCorrupt) {
		return fmt.Errorf("read content of document %s: %w", d.ID, src.err)
	}
	return rpcerr.DataLoss("the content of document %s failed its integrity check", d.ID)
}

// storeReader keeps the store's own read error, so that it is not taken
// for corrupt content.
type storeReader struct {
	r   io.Reader
	err error
}

func (s *storeReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

// DeleteDocument deletes a document of the caller's own organisation in one
// transaction with its audit event; the trigger on documents queues its
// object, which the sweeper deletes once the deletion committed.
func (s *Service) DeleteDocument(ctx context.Context, req *casebridgev1.DeleteDocumentRequest) (*casebridgev1.DeleteDocumentResponse, error) {
	p, err := authz.Caller(ctx)
	if err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		d, acc, _, err := s.reach(ctx, tx, p, req.GetId(), "delete", true)
		if err != nil {
			return err
		}
		if acc.Shared {
			return rpcerr.PermissionDenied("only the organisation that owns case %s deletes its documents", d.CaseID)
		}
		if !s.authz.Allowed(p, acc.Org, string(d.Class), authz.ActWrite) {
			return rpcerr.PermissionDenied("your role may not delete %s documents", d.Class)
		}
		if err := deleteRow(ctx, tx, d.ID); err != nil {
			return err
		}
		return s.audit.InTx(ctx, tx, acc.Org, d.CaseID, []dataclass.Class{d.Class})
	})
	if err != nil {
		return nil, err
	}
	s.deleted()
	return &casebridgev1.DeleteDocumentResponse{}, nil
}

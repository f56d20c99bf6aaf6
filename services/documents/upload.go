package documents

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"
	"github.com/docker/go-units"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/caseaccess"
	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/db"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/requestid"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// orphanGrace is how long an object being uploaded may stay without its
// document before the sweeper deletes it: far longer than any upload of a
// document within the size limit takes.
const orphanGrace = time.Hour

// UploadDocument stores a document: metadata first, then the content,
// sniffed, encrypted under a fresh document key and streamed into the blob
// store as it arrives; then, in one transaction, the document's row with
// its sealed envelope and the audit event. Concurrent uploads under one
// request id store one document: the others' objects are deleted.
func (s *Service) UploadDocument(stream grpc.ClientStreamingServer[casebridgev1.UploadDocumentRequest, casebridgev1.UploadDocumentResponse]) error {
	ctx := stream.Context()
	p, err := authz.Caller(ctx)
	if err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	md := first.GetMetadata()
	if md == nil {
		return rpcerr.InvalidArgument("metadata", "the first message of an upload carries the document's metadata")
	}
	class := dataclass.FromProto(md.GetDataClass())
	f, err := s.checkUpload(ctx, s.pool, p, md, class, false)
	if err != nil {
		return err
	}
	once := requestid.Create{RequestID: md.GetRequestId(), CaseID: f.ID,
		Find: func(ctx context.Context, q db.Querier, rid string) (string, string, error) {
			return byRequest(ctx, q, f.ID, rid)
		}}
	if prior, err := once.Prior(ctx, s.pool); err != nil || prior != "" {
		if err != nil {
			return err
		}
		return s.answerPrior(ctx, stream, p, prior)
	}

	d := &row{ID: uuid.NewString(), CaseID: f.ID, Class: class, ObjectID: uuid.NewString(), UploadedBy: p.Subject,
		ConsentID: optional(md.GetConsentId()), HearingID: optional(md.GetHearingId()), ClaimID: optional(md.GetClaimId())}
	docKey, err := age.GenerateX25519Identity()
	if err != nil {
		return fmt.Errorf("document key: %w", err)
	}
	// Queued before the first byte is written: if this upload dies before
	// its row commits, the sweeper deletes whatever reached the store.
	if err := queueDeletion(ctx, s.pool, d.ObjectID, orphanGrace); err != nil {
		return err
	}
	if d.Size, d.ContentType, err = s.receive(ctx, stream, d.ObjectID, docKey.Recipient()); err != nil {
		s.discard(d.ObjectID)
		return err
	}
	env := envelope{Key: docKey.String(), Title: md.GetTitle(), Kind: md.GetKind(), Date: md.GetDocumentDate(), FileName: md.GetFileName()}
	var acc authz.Access
	id := d.ID
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Decided again under the case's lock: a referral revoked or a case
		// erased while the content streamed in wins.
		f, err := s.checkUpload(ctx, tx, p, md, class, true)
		if err != nil {
			return err
		}
		if acc, _, err = s.gate.Check(ctx, tx, p, f.ID, object, "create", false, caseNotFound(f.ID)); err != nil {
			return err
		}
		if prior, err := once.Prior(ctx, tx); err != nil || prior != "" {
			id = prior
			return err
		}
		key, err := s.writeKey(ctx, tx, f)
		if err != nil {
			return err
		}
		defer key.Wipe()
		if d.Envelope, err = seal(key, d, env); err != nil {
			return fmt.Errorf("seal document of case %s: %w", f.ID, err)
		}
		inserted, err := insertRow(ctx, tx, d, md.GetRequestId())
		if err != nil {
			return err
		}
		if !inserted {
			return requestid.ErrRetried
		}
		if err := unqueueDeletion(ctx, tx, d.ObjectID); err != nil {
			return err
		}
		return s.audit.InTx(ctx, tx, acc.Org, f.ID, []dataclass.Class{class})
	})
	if id, err = once.Settle(ctx, s.pool, id, err); err != nil {
		s.discard(d.ObjectID)
		return err
	}
	if id != d.ID { // an earlier upload with this request id stored the document
		s.discard(d.ObjectID)
		return s.answerPrior(ctx, stream, p, id)
	}
	return stream.SendAndClose(&casebridgev1.UploadDocumentResponse{Document: d.proto(env)})
}

// checkUpload decides whether p may upload a document of class with md:
// the case within reach, not erased, the class writable by p's role and
// readable where p reaches the case (a receiver files only in the classes
// its referral grants), and what md points to within reach too.
func (s *Service) checkUpload(ctx context.Context, q db.Querier, p authz.Principal, md *casebridgev1.DocumentMetadata, class dataclass.Class, lock bool) (caseaccess.Facts, error) {
	acc, f, err := s.gate.Check(ctx, q, p, md.GetCaseId(), object, "create", lock, caseNotFound(md.GetCaseId()))
	if err != nil {
		return f, err
	}
	if f.Erased {
		return f, rpcerr.FailedPrecondition("case %s is erased", f.ID)
	}
	if !s.authz.Allowed(p, acc.Org, string(class), authz.ActWrite) || !acc.CanRead(class) {
		return f, rpcerr.PermissionDenied("you may not file %s documents on case %s", class, f.ID)
	}
	return f, s.checkLinks(ctx, q, p, f, md)
}

// writeKey is the key new data of the case is sealed under; a case
// imported without sensitive data gets its first key now.
func (s *Service) writeKey(ctx context.Context, tx pgx.Tx, f caseaccess.Facts) (*vault.CaseKey, error) {
	key, err := s.keys.CaseKey(ctx, tx, f.ID)
	if errors.Is(err, keys.ErrNoCaseKey) {
		return s.keys.CreateCaseKey(ctx, tx, f.ID, f.Owner)
	}
	if err != nil {
		return nil, fmt.Errorf("key of case %s: %w", f.ID, err)
	}
	return key, nil
}

// answerPrior answers a retried upload with the document the first one
// stored, as a read of it (the answer carries its texts in clear).
func (s *Service) answerPrior(ctx context.Context, stream grpc.ClientStreamingServer[casebridgev1.UploadDocumentRequest, casebridgev1.UploadDocumentResponse], p authz.Principal, id string) error {
	doc, err := s.get(ctx, p, id)
	if err != nil {
		return err
	}
	return stream.SendAndClose(&casebridgev1.UploadDocumentResponse{Document: doc})
}

// discard queues object id for deletion at once: its upload failed or was
// a duplicate. The queue row written before the upload stays if this fails,
// so the object is deleted an hour later instead.
func (s *Service) discard(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := queueDeletion(ctx, s.pool, id, 0); err != nil {
		s.log.Warn("documents: could not queue a discarded upload's object for deletion; it is deleted later", "error", err.Error())
		return
	}
	s.deleted()
}

// errTooLarge ends the blob store's write of an upload beyond the limit.
var errTooLarge = errors.New("document larger than the limit")

// receive reads the content of an upload from stream, sniffs its type from
// its first bytes and streams it, encrypted to rcpt, into object id. It
// returns the content's size and type. Memory stays bounded: one gRPC
// message, age's 64 KiB chunk and the store's buffer.
func (s *Service) receive(ctx context.Context, stream grpc.ClientStreamingServer[casebridgev1.UploadDocumentRequest, casebridgev1.UploadDocumentResponse], id string, rcpt age.Recipient) (int64, string, error) {
	var size int64
	tooLarge := func() error {
		return rpcerr.InvalidArgument("chunk", "the document is larger than the limit of %s (%d bytes)", units.BytesSize(float64(s.maxBytes)), s.maxBytes)
	}
	next := func() ([]byte, bool, error) {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, true, nil
		}
		if err != nil {
			return nil, false, err
		}
		if msg.GetMetadata() != nil {
			return nil, false, rpcerr.InvalidArgument("metadata", "only the first message of an upload carries metadata")
		}
		size += int64(len(msg.GetChunk()))
		if size > s.maxBytes {
			return nil, false, tooLarge()
		}
		return msg.GetChunk(), false, nil
	}
	// The type is sniffed before anything is stored.
	head := make([]byte, 0, sniffBytes)
	eof := false
	for len(head) < sniffBytes && !eof {
		chunk, end, err := next()
		if err != nil {
			return 0, "", err
		}
		head, eof = append(head, chunk...), end
	}
	ctype, err := sniff(head)
	if err != nil {
		return 0, "", err
	}

	pr, pw := io.Pipe()
	var putErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, putErr = s.blobs.Put(ctx, id, pr)
		// A writer blocked on the pipe learns that the store gave up.
		pr.CloseWithError(errors.Join(putErr, io.ErrClosedPipe))
	}()
	// fail ends the store's write with err and returns, once the store has
	// returned, the store's own error if it failed first, else err.
	fail := func(err error, fromPipe bool) (int64, string, error) {
		pw.CloseWithError(err)
		<-done
		if fromPipe && putErr != nil {
			return 0, "", fmt.Errorf("store document content: %w", putErr)
		}
		return 0, "", err
	}
	w, err := age.Encrypt(pw, rcpt)
	if err != nil {
		return fail(fmt.Errorf("encrypt document: %w", err), true)
	}
	if _, err := w.Write(head); err != nil {
		return fail(err, true)
	}
	for !eof {
		chunk, end, err := next()
		if err != nil {
			return fail(err, false)
		}
		eof = end
		if _, err := w.Write(chunk); err != nil {
			return fail(err, true)
		}
	}
	if err := w.Close(); err != nil {
		return fail(err, true)
	}
	pw.Close()
	<-done
	if putErr != nil {
		return 0, "", fmt.Errorf("store document content: %w", putErr)
	}
	return size, ctype, nil
}

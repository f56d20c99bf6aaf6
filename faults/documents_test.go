package faults

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// upload is one document upload of the test: its content's digest, its
// request id and, when acknowledged, its document id.
type upload struct {
	requestID, docID string
	size             int
	sum              [32]byte
	code             codes.Code
}

// uploader uploads PDF-like documents of several chunks to one case, over
// and over, and keeps every outcome.
type uploader struct {
	srv    *Server
	caseID string

	mu       sync.Mutex
	acked    []upload
	unacked  []upload
	internal []string
}

func (u *uploader) run(ctx context.Context) {
	for ctx.Err() == nil {
		// 100 KiB to 1.2 MiB: one to five chunks of 256 KiB.
		content := make([]byte, 100<<10+mrand.IntN(1100<<10))
		_, _ = rand.Read(content)
		copy(content, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
		up := upload{requestID: uuid.NewString(), size: len(content), sum: sha256.Sum256(content)}
		id, err := u.send(up.requestID, content)
		up.docID, up.code = id, status.Code(err)
		u.mu.Lock()
		switch {
		case err == nil:
			u.acked = append(u.acked, up)
		default:
			u.unacked = append(u.unacked, up)
			if (up.code == codes.Internal || up.code == codes.Unknown) && len(u.internal) < 10 {
				u.internal = append(u.internal, err.Error())
			}
		}
		u.mu.Unlock()
		switch {
		case up.code == codes.ResourceExhausted:
			time.Sleep(500 * time.Millisecond) // at most 2 transfers a second
		case err != nil:
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// send uploads content in chunks of 256 KiB and returns the document id.
func (u *uploader) send(requestID string, content []byte) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stream, err := casebridgev1.NewDocumentServiceClient(u.srv.Conn).UploadDocument(u.srv.As(ctx, Caseworker))
	if err != nil {
		return "", err
	}
	if err := stream.Send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Metadata{Metadata: &casebridgev1.DocumentMetadata{
		CaseId: u.caseID, DataClass: casebridgev1.DataClass_DATA_CLASS_LEGAL, Title: "statement", FileName: "statement.pdf", RequestId: requestID,
	}}}); err != nil {
		_, err = stream.CloseAndRecv()
		return "", err
	}
	for rest := content; len(rest) > 0; {
		n := min(len(rest), 256<<10)
		if err := stream.Send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Chunk{Chunk: rest[:n]}}); err != nil {
			break // the server ended the call: CloseAndRecv says how
		}
		rest = rest[n:]
	}
	resp, err := stream.CloseAndRecv()
	return resp.GetDocument().GetId(), err
}

func (u *uploader) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.acked)
}

// download reads document id whole and returns its content's digest and
// size, again while the transfer limit refuses it.
func download(srv *Server, id string) (sum [32]byte, n int, err error) {
	for range 100 {
		if sum, n, err = downloadOnce(srv, id); status.Code(err) != codes.ResourceExhausted {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	return sum, n, err
}

func downloadOnce(srv *Server, id string) ([32]byte, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := casebridgev1.NewDocumentServiceClient(srv.Conn).DownloadDocument(srv.As(ctx, Caseworker), &casebridgev1.DownloadDocumentRequest{Id: id})
	if err != nil {
		return [32]byte{}, 0, err
	}
	h := sha256.New()
	n := 0
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			var sum [32]byte
			copy(sum[:], h.Sum(nil))
			return sum, n, nil
		}
		if err != nil {
			return [32]byte{}, n, err
		}
		h.Write(resp.GetChunk())
		n += len(resp.GetChunk())
	}
}

// TestDocumentsPostgresKilled uploads documents of several chunks while
// the mixed workload runs and PostgreSQL is killed (kill -9) and restarted:
// every acknowledged upload downloads byte-identical and is stored once;
// an upload that was not acknowledged left either nothing or, if its
// transaction committed after all, the whole document (never a part of
// one); and no object of the blob store is left that no document names
// and no deletion is queued for (orphan chunks).
func TestDocumentsPostgresKilled(t *testing.T) {
	cl := StartCluster(t)
	url := cl.Database(t, "casebridge")
	srv := StartServer(t, serverBin, url)
	w := NewWorkload(t, srv, Options{Writers: 2})
	w.Start()
	loadFor(t, w, 20)
	caseID, _ := shareCase(t, srv, false)

	u := &uploader{srv: srv, caseID: caseID}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); u.run(ctx) }()
	}
	for start := time.Now(); u.count() < 6; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > time.Minute {
			t.Fatalf("%d uploads acknowledged in a minute", u.count())
		}
	}
	cl.Kill9(t)
	time.Sleep(3 * time.Second)
	cl.Start(t)
	restarted := time.Now()
	n := u.count()
	for u.count() == n {
		if time.Since(restarted) > time.Minute {
			t.Fatal("no upload acknowledged a minute after PostgreSQL restarted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	recovery := time.Since(restarted)
	for want := u.count() + 6; u.count() < want; time.Sleep(20 * time.Millisecond) {
	}
	stop()
	wg.Wait()
	w.Stop()
	clean(t, w)
	for _, s := range u.internal {
		t.Errorf("an upload answered Internal: %s", s)
	}

	db, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	var docs Result
	for _, up := range u.acked {
		docs.Acked++
		sum, size, err := download(srv, up.docID)
		switch {
		case err != nil:
			t.Errorf("acknowledged document %s: download: %v", up.docID, err)
		case sum != up.sum || size != up.size:
			t.Errorf("acknowledged document %s: %d bytes downloaded that differ from the %d uploaded", up.docID, size, up.size)
		case count(`SELECT count(*) FROM documents WHERE case_id = $1 AND request_id = $2`, caseID, up.requestID) != 1:
			t.Errorf("acknowledged document %s (request %s) is not stored exactly once", up.docID, up.requestID)
		default:
			docs.Found++
		}
	}
	committed := 0
	for _, up := range u.unacked {
		var id string
		err := db.QueryRow(context.Background(), `SELECT id::text FROM documents WHERE case_id = $1 AND request_id = $2`, caseID, up.requestID).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		committed++
		if sum, size, err := download(srv, id); err != nil || sum != up.sum || size != up.size {
			t.Errorf("unacknowledged upload %s left document %s that is not whole: %d of %d bytes, %v", up.requestID, id, size, up.size, err)
		}
	}
	if n := count(`SELECT count(*) FROM documents d LEFT JOIN blob_objects o ON o.id = d.object_id
		LEFT JOIN LATERAL (SELECT count(*)::int AS n, coalesce(sum(length(c.data)), 0)::bigint AS size
			FROM blob_chunks c WHERE c.blob = o.blob) k ON true
		WHERE o.blob IS NULL OR o.chunks <> k.n OR o.size <> k.size`); n != 0 {
		t.Errorf("%d documents whose content is missing or not whole", n)
	}
	orphans := count(`SELECT count(*) FROM blob_objects o WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.object_id = o.id)
		AND NOT EXISTS (SELECT 1 FROM document_object_deletions q WHERE q.object_id = o.id)`)
	if orphans != 0 {
		t.Errorf("%d objects of the blob store that no document names and no deletion is queued for", orphans)
	}
	queued := count(`SELECT count(*) FROM blob_objects o WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.object_id = o.id)`)
	t.Logf("uploads: %d acknowledged, %d not (%d of those committed whole); %d objects of failed uploads queued for deletion; recovery %s",
		len(u.acked), len(u.unacked), committed, queued, recovery.Round(10*time.Millisecond))
	r := Check(t, srv, url, w.Ledger)
	r.Acked += docs.Acked
	r.Found += docs.Found
	report(t, "PostgreSQL killed (kill -9) during document uploads", r, recovery)
}

package documents

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/gabriel-vasile/mimetype"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/rpcerr"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// envelope is the sealed value of a document (vault.EncodingDocument): its
// own key and its texts.
type envelope struct {
	Key      string `json:"key"`
	Title    string `json:"title,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Date     string `json:"date,omitempty"`
	FileName string `json:"file_name,omitempty"`
}

// row is a stored document.
type row struct {
	ID          string
	CaseID      string
	Class       dataclass.Class
	Envelope    []byte
	ObjectID    string
	ContentType string
	Size        int64
	ConsentID   *string
	HearingID   *string
	ClaimID     *string
	UploadedBy  string
	CreateTime  time.Time
}

// court reports whether the document was filed with court data (a hearing
// or a claim): only the owner and organisations doing legal work on the
// case may then reach it, as they alone reach the hearing or claim.
func (r *row) court() bool { return r.HearingID != nil || r.ClaimID != nil }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// seal seals env for document r under key.
func seal(key *vault.CaseKey, r *row, env envelope) ([]byte, error) {
	plain, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return vault.DocumentEnvelopes.Seal(key, r.CaseID, r.ID, r.Class, plain)
}

// open opens r's envelope under key. A value that fails its integrity
// check (moved from another document, case or class, altered) is DataLoss.
func open(key *vault.CaseKey, r *row) (envelope, error) {
	plain, err := vault.DocumentEnvelopes.Open(key, r.CaseID, r.ID, r.Class, r.Envelope)
	if errors.Is(err, vault.ErrWrongBinding) || errors.Is(err, vault.ErrCorrupt) {
		return envelope{}, rpcerr.DataLoss("document %s of case %s failed its integrity check", r.ID, r.CaseID)
	}
	if err != nil {
		return envelope{}, fmt.Errorf("open document %s: %w", r.ID, err)
	}
	defer clear(plain)
	var env envelope
	if err := json.Unmarshal(plain, &env); err != nil {
		return envelope{}, rpcerr.DataLoss("document %s of case %s failed its integrity check", r.ID, r.CaseID)
	}
	return env, nil
}

// identity is the document key an envelope carries.
func (e envelope) identity(docID string) (*age.X25519Identity, error) {
	id, err := age.ParseX25519Identity(e.Key)
	if err != nil {
		return nil, rpcerr.DataLoss("document %s failed its integrity check", docID)
	}
	return id, nil
}

// proto renders r with its opened envelope.
func (r *row) proto(env envelope) *casebridgev1.Document {
	return &casebridgev1.Document{
		Id: r.ID, CaseId: r.CaseID, DataClass: r.Class.Proto(),
		Title: env.Title, Kind: env.Kind, DocumentDate: env.Date, FileName: env.FileName,
		ContentType: r.ContentType, SizeBytes: r.Size,
		ConsentId: str(r.ConsentID), HearingId: str(r.HearingID), ClaimId: str(r.ClaimID),
		UploadedBy: r.UploadedBy, CreateTime: timestamppb.New(r.CreateTime),
	}
}

// classesOf lists the classes of docs, once each.
func classesOf(docs []*casebridgev1.Document) []dataclass.Class {
	var out []dataclass.Class
	for _, d := range docs {
		c := dataclass.FromProto(d.GetDataClass())
		found := false
		for _, o := range out {
			found = found || o == c
		}
		if !found {
			out = append(out, c)
		}
	}
	return out
}

// sniffBytes is how much of the content the type is sniffed from: enough
// for the zip directory entries that tell an office document from a zip.
const sniffBytes = 64 << 10

func init() { mimetype.SetLimit(sniffBytes) }

// Allowed lists the content types an upload may have, as sniffed from its
// bytes (never from its name or a type the client claims): documents and
// photographs, nothing a browser or office suite would run.
var Allowed = []string{
	"application/pdf",
	"image/jpeg",
	"image/png",
	"image/tiff",
	"image/webp",
	"image/heic",
	"image/heif",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document", // .docx
	"application/vnd.oasis.opendocument.text",                                 // .odt
	"application/msword", // .doc
	"text/plain",
	"text/csv", // plain text with commas on every line reads as CSV
}

// sniff names the content type of content that begins with head, or
// refuses it. An empty document is text/plain.
func sniff(head []byte) (string, error) {
	// Only the most specific type counts: an office document is a zip, but
	// a zip is not an office document.
	base, _, _ := strings.Cut(mimetype.Detect(head).String(), ";")
	for _, a := range Allowed {
		if base == a {
			return a, nil
		}
	}
	return "", rpcerr.InvalidArgument("chunk", "content of type %s is not accepted: the content must be one of %s (the type is read from the bytes, not the file name)",
		base, strings.Join(Allowed, ", "))
}

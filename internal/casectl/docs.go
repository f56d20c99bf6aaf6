package casectl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/uuid"
	"github.com/spf13/pflag"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/datetime"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	"github.com/casebridge/casebridge/internal/casectl/progress"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// uploadChunk is the content sent per message, well under the server's
// 1 MiB message limit.
const uploadChunk = 256 << 10

func (a *app) docsCommand() *cli.Command {
	return &cli.Command{
		Name:    "docs",
		Summary: "upload, list and download the documents of a case",
		Help: `Documents are files kept with a case — identity papers, medical certificates,
evidence, court papers, a signed consent form — each in one data class and
encrypted under a key of its own: whoever may not read the class does not
see the document. The server reads the type from the content (PDF, JPEG,
PNG, TIFF, WebP, HEIC, Word, OpenDocument text, plain text), never from the
file name.`,
		Examples: []string{
			"casectl docs upload SHA-2026-0001 passport.pdf --class identity --title 'Passport'",
			"casectl docs list SHA-2026-0001",
			"casectl docs download 5b1f0c9e-... --out passport.pdf",
		},
		Sub: []*cli.Command{a.docsUploadCommand(), a.docsListCommand(), a.docsDownloadCommand()},
	}
}

type docCol = output.Column[*casebridgev1.Document]

var docColumns = []docCol{
	output.Col("uploaded", func(d *casebridgev1.Document) string { return datetime.Local(d.GetCreateTime()) }),
	output.Col("class", func(d *casebridgev1.Document) string { return enumName(d.GetDataClass()) }),
	output.Col("title", (*casebridgev1.Document).GetTitle),
	output.Col("kind", (*casebridgev1.Document).GetKind),
	output.Col("date", (*casebridgev1.Document).GetDocumentDate),
	output.Col("file", (*casebridgev1.Document).GetFileName),
	output.Col("type", (*casebridgev1.Document).GetContentType),
	output.Col("bytes", func(d *casebridgev1.Document) string { return fmt.Sprint(d.GetSizeBytes()) }),
	output.ScriptCol("id", (*casebridgev1.Document).GetId),
}

func (a *app) docsUploadCommand() *cli.Command {
	var md casebridgev1.DocumentMetadata
	var class string
	return &cli.Command{
		Name:    "upload",
		Args:    "REF FILE",
		MinArgs: 2, MaxArgs: 2,
		Summary: "upload a file as a document of a case",
		Help: `Upload FILE as a document of case REF, in one data class. The file name is
kept (encrypted, like the title, kind and date). A retried upload after a
lost connection stores the document once.`,
		Examples: []string{
			"casectl docs upload SHA-2026-0001 certificate.pdf --class care --title 'Medical certificate' --kind certificate --date 2025-03-14",
			"casectl docs upload SHA-2026-0001 form.pdf --class legal --title 'Signed consent' --consent 2f0c...",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&class, "class", "", "data `class` of the document: "+choices[casebridgev1.DataClass]()+" (required)")
			fs.StringVar(&md.Title, "title", "", "the document's title (default: the file's name)")
			fs.StringVar(&md.Kind, "kind", "", "what the document is: passport, certificate, judgment, ...")
			fs.StringVar(&md.DocumentDate, "date", "", "the `date` the document bears, YYYY-MM-DD")
			fs.StringVar(&md.ConsentId, "consent", "", "the consent (`id`) this document proves")
			fs.StringVar(&md.HearingId, "hearing", "", "the hearing (`id`) this document is filed with")
			fs.StringVar(&md.ClaimId, "claim", "", "the claim (`id`) this document is filed with")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			if class == "" {
				return cli.Usagef("--class is required: %s", choices[casebridgev1.DataClass]())
			}
			dc, err := parseEnum[casebridgev1.DataClass]("--class", class)
			if err != nil {
				return err
			}
			f, err := a.format()
			if err != nil {
				return err
			}
			file, err := os.Open(args[1])
			if err != nil {
				return fmt.Errorf("open %s: %w", args[1], err)
			}
			defer file.Close()
			info, err := file.Stat()
			if err != nil {
				return fmt.Errorf("open %s: %w", args[1], err)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if md.CaseId, err = caseID(ctx, c, args[0]); err != nil {
				return err
			}
			md.DataClass, md.FileName, md.RequestId = dc, filepath.Base(args[1]), uuid.NewString()
			if md.Title == "" {
				md.Title = md.FileName
			}
			bar := progress.NewBytes(a.env.Stderr, a.env.StderrTerminal, "uploading", info.Size())
			doc, err := uploadDocument(ctx, c, &md, file, func(n int64) { bar.Update(n, 0) })
			if err != nil {
				return explain.WithFlags(explain.Wrap(err, "upload %s", args[1]), map[string]string{
					"metadata.data_class": "--class", "metadata.title": "--title", "metadata.kind": "--kind",
					"metadata.document_date": "--date", "metadata.consent_id": "--consent",
					"metadata.hearing_id": "--hearing", "metadata.claim_id": "--claim",
				})
			}
			bar.Finish(0)
			a.say("Document uploaded to %s.", args[0])
			return output.One(a.stdout(), f, doc, docColumns)
		},
	}
}

// uploadDocument sends md, then content in chunks; sent is told the bytes
// sent so far.
func uploadDocument(ctx context.Context, c *clients, md *casebridgev1.DocumentMetadata, content io.Reader, sent func(int64)) (*casebridgev1.Document, error) {
	stream, err := c.documents.UploadDocument(ctx)
	if err != nil {
		return nil, err
	}
	send := func(req *casebridgev1.UploadDocumentRequest) error {
		if err := stream.Send(req); err != nil {
			// The server ended the upload; its reason comes with CloseAndRecv.
			if _, rerr := stream.CloseAndRecv(); rerr != nil {
				return rerr
			}
			return err
		}
		return nil
	}
	if err := send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Metadata{Metadata: md}}); err != nil {
		return nil, err
	}
	buf := make([]byte, uploadChunk)
	var n int64
	for {
		k, rerr := io.ReadFull(content, buf)
		if k > 0 {
			if err := send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Chunk{Chunk: buf[:k]}}); err != nil {
				return nil, err
			}
			n += int64(k)
			sent(n)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("read the file: %w", rerr)
		}
	}
	resp, err := stream.CloseAndRecv()
	return resp.GetDocument(), err
}

func (a *app) docsListCommand() *cli.Command {
	var class string
	var limit int
	return &cli.Command{
		Name:    "list",
		Args:    "REF",
		MinArgs: 1, MaxArgs: 1,
		Summary: "list the documents you may read, newest first",
		Examples: []string{
			"casectl docs list SHA-2026-0001",
			"casectl docs list SHA-2026-0001 --class legal --output json",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&class, "class", "", "only documents of this data `class`")
			limitFlag(fs, &limit)
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			f, err := a.format()
			if err != nil {
				return err
			}
			req := &casebridgev1.ListDocumentsRequest{}
			if class != "" {
				if req.DataClass, err = parseEnum[casebridgev1.DataClass]("--class", class); err != nil {
					return err
				}
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			if req.CaseId, err = caseID(ctx, c, args[0]); err != nil {
				return err
			}
			list, more, err := collect(ctx, limit, func(ctx context.Context, token string, size int32) ([]*casebridgev1.Document, string, error) {
				req.PageToken, req.PageSize = token, size
				resp, err := c.documents.ListDocuments(ctx, req)
				return resp.GetDocuments(), resp.GetNextPageToken(), err
			})
			if err != nil {
				return explain.Wrap(err, "documents of %s", args[0])
			}
			if more {
				a.say("(more documents: raise --limit to see them)")
			}
			return output.List(a.stdout(), f, list, docColumns)
		},
	}
}

func (a *app) docsDownloadCommand() *cli.Command {
	var out string
	return &cli.Command{
		Name:    "download",
		Args:    "ID",
		MinArgs: 1, MaxArgs: 1,
		Summary: "download a document into a file",
		Help: `Download document ID into --out (default: its file name, in the current
directory). The file appears only once the whole document arrived and
passed its integrity check; an existing file is not overwritten.`,
		Examples: []string{
			"casectl docs download 5b1f0c9e-0d1e-4d6b-9a57-0f4c6a8e1c2d --out certificate.pdf",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&out, "out", "", "the `file` to write (default: the document's file name)")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			stream, err := c.documents.DownloadDocument(ctx, &casebridgev1.DownloadDocumentRequest{Id: args[0]})
			if err != nil {
				return explain.Wrap(err, "download %s", args[0])
			}
			first, err := stream.Recv()
			if err != nil {
				return explain.Wrap(err, "download %s", args[0])
			}
			doc := first.GetDocument()
			if out == "" {
				out = filepath.Base(doc.GetFileName())
				if out == "." || out == "/" || out == "" {
					out = doc.GetId()
				}
			}
			// Written beside the target and renamed at the end: a download
			// cut short or failing its integrity check leaves no file.
			tmp, err := os.CreateTemp(filepath.Dir(out), ".casectl-download-*")
			if err != nil {
				return fmt.Errorf("download %s: %w", args[0], err)
			}
			defer os.Remove(tmp.Name())
			defer tmp.Close()
			bar := progress.NewBytes(a.env.Stderr, a.env.StderrTerminal, "downloading", doc.GetSizeBytes())
			var n int64
			for {
				msg, err := stream.Recv()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return explain.Wrap(err, "download %s (nothing was written)", args[0])
				}
				if _, err := tmp.Write(msg.GetChunk()); err != nil {
					return fmt.Errorf("write %s: %w", out, err)
				}
				n += int64(len(msg.GetChunk()))
				bar.Update(n, 0)
			}
			if err := tmp.Close(); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			if _, err := os.Lstat(out); err == nil {
				return fmt.Errorf("%s exists: choose another --out", out)
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			bar.Finish(0)
			a.say("Downloaded %s (%d bytes) into %s.", doc.GetTitle(), n, out)
			return nil
		},
	}
}

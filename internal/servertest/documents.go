package servertest

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// UploadChunk is the content a test upload sends per message.
const UploadChunk = 256 << 10

// Upload stores content as a document described by md, over conn.
func Upload(ctx context.Context, conn grpc.ClientConnInterface, md *casebridgev1.DocumentMetadata, content io.Reader) (*casebridgev1.Document, error) {
	stream, err := casebridgev1.NewDocumentServiceClient(conn).UploadDocument(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Metadata{Metadata: md}}); err != nil {
		_, err = stream.CloseAndRecv()
		return nil, err
	}
	buf := make([]byte, UploadChunk)
	for {
		n, rerr := io.ReadFull(content, buf)
		if n > 0 {
			if err := stream.Send(&casebridgev1.UploadDocumentRequest{Item: &casebridgev1.UploadDocumentRequest_Chunk{Chunk: buf[:n]}}); err != nil {
				// The server answered early (a refusal): its status says why.
				_, err = stream.CloseAndRecv()
				return nil, err
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return nil, rerr
		}
	}
	resp, err := stream.CloseAndRecv()
	return resp.GetDocument(), err
}

// Download reads document id whole over conn: its metadata and content.
func Download(ctx context.Context, conn grpc.ClientConnInterface, id string) (*casebridgev1.Document, []byte, error) {
	stream, err := casebridgev1.NewDocumentServiceClient(conn).DownloadDocument(ctx, &casebridgev1.DownloadDocumentRequest{Id: id})
	if err != nil {
		return nil, nil, err
	}
	var doc *casebridgev1.Document
	var content []byte
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return doc, content, nil
		}
		if err != nil {
			return doc, content, err
		}
		if d := msg.GetDocument(); d != nil {
			doc = d
		}
		content = append(content, msg.GetChunk()...)
	}
}

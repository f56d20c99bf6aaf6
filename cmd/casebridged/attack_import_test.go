package main_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// An import whose rows carry huge parse errors does not have them echoed:
// the response stays small, and so does the server's memory (the old
// server held every parse_error in its response, 60 MB here).
func TestImportDoesNotEchoParseErrors(t *testing.T) {
	p := startServer(t)
	const rows, errBytes = 60, 900 << 10
	huge := strings.Repeat("€", errBytes/3)
	var resp *casebridgev1.ImportCasesResponse
	growth := p.peakGrowth(func() {
		stream, err := casebridgev1.NewCaseServiceClient(p.conn).ImportCases(p.as("caseworker@shelter-a"))
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Header{
			Header: &casebridgev1.ImportHeader{Source: "echo-attack.csv"}}}); err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			if err := stream.Send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Row{
				Row: &casebridgev1.ImportRow{Line: int64(i + 1), ParseError: huge}}}); err != nil {
				t.Fatalf("row %d: %v", i+1, err)
			}
		}
		if resp, err = stream.CloseAndRecv(); err != nil {
			t.Fatalf("import: %v", err)
		}
	})
	if resp.GetRejected() != rows || resp.GetImported() != 0 {
		t.Fatalf("rejected %d, imported %d; want %d rejected", resp.GetRejected(), resp.GetImported(), rows)
	}
	if size := proto.Size(resp); size > 64<<10 {
		t.Fatalf("the response is %d bytes: the parse errors were echoed", size)
	}
	for _, r := range resp.GetRejections() {
		if len(r.GetReason()) > 200 || !strings.HasPrefix(r.GetReason(), "€€€") {
			t.Fatalf("rejection of line %d: %d bytes, want the reason cut to 200", r.GetLine(), len(r.GetReason()))
		}
	}
	if growth > 48*mb {
		t.Fatalf("the server's resident set grew by %d MB for %d rows of %d KB", growth/mb, rows, errBytes>>10)
	}
	t.Logf("resident set grew by %.1f MB; response %d bytes", float64(growth)/mb, proto.Size(resp))
}

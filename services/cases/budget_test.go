package cases_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/casebridge/casebridge/internal/limits"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// budget is a server whose cases hold at most notes notes and whose pages
// weigh at most pageBytes.
func budget(notes, pageBytes int) servertest.Option {
	return func(c *server.Config) {
		c.Limits = limits.Defaults().WithoutCallerLimits()
		c.Limits.NotesPerCase, c.Limits.PageBytes = notes, pageBytes
	}
}

// A case holds at most its cap of notes: the notes beyond it are refused
// with ResourceExhausted and none is stored; the listing of maximal notes
// comes in pages within the byte budget, and following the tokens returns
// every note once.
func TestNotesCapAndByteBoundedPages(t *testing.T) {
	const limit, attack, pageBytes = 50, 60, 256 << 10
	env := servertest.Start(t, budget(limit, pageBytes))
	cs := env.Cases()
	cw := env.As(t, caseworker)
	c, err := cs.CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{}})
	if err != nil {
		t.Fatal(err)
	}
	id := c.GetCase().GetId()
	text := strings.Repeat("ж", 20_000) // the longest note, 40,000 bytes
	refused := 0
	for i := range attack {
		_, err := cs.AddNote(cw, &casebridgev1.AddNoteRequest{CaseId: id, DataClass: casebridgev1.DataClass_DATA_CLASS_CARE, Text: text})
		if i < limit && err != nil {
			t.Fatalf("note %d: %v", i+1, err)
		}
		if i >= limit {
			servertest.WantCode(t, err, codes.ResourceExhausted)
			refused++
		}
	}
	seen, pages, token := map[string]bool{}, 0, ""
	for {
		resp, err := cs.ListNotes(cw, &casebridgev1.ListNotesRequest{CaseId: id, PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if size := proto.Size(resp); size > pageBytes+64<<10 {
			t.Fatalf("a page of %d bytes, over the budget of %d", size, pageBytes)
		}
		for _, n := range resp.GetNotes() {
			if seen[n.GetId()] {
				t.Fatalf("note %s listed twice", n.GetId())
			}
			seen[n.GetId()] = true
		}
		pages++
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(seen) != limit || pages < 2 {
		t.Fatalf("%d notes in %d pages, want the %d stored in several pages", len(seen), pages, limit)
	}
}

// A 20,000-character note of four-byte characters is refused: strings are
// bounded in bytes as well as characters.
func TestStringsBoundedInBytes(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	cw := env.As(t, caseworker)
	c, err := cs.CreateCase(cw, &casebridgev1.CreateCaseRequest{Case: &casebridgev1.Case{}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.AddNote(cw, &casebridgev1.AddNoteRequest{CaseId: c.GetCase().GetId(),
		DataClass: casebridgev1.DataClass_DATA_CLASS_CARE, Text: strings.Repeat("😀", 20_000)})
	servertest.WantField(t, err, "text")
}

package cases_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/ctdc"
	"github.com/casebridge/casebridge/internal/ctdc/synth"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// generatedCTDC is a generated CTDC-layout file (internal/ctdc/synth).
func generatedCTDC(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := synth.Write(&b, synth.DefaultRows, synth.DefaultSeed); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// longAs is env.As with a longer deadline, for the whole-file import under -race.
func longAs(t *testing.T, env *servertest.Env, subject string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+env.Token(t, subject))
}

func headerMsg(h *casebridgev1.ImportHeader) *casebridgev1.ImportCasesRequest {
	return &casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Header{Header: h}}
}

func rowMsg(r *casebridgev1.ImportRow) *casebridgev1.ImportCasesRequest {
	return &casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Row{Row: r}}
}

// importStream sends msgs on one ImportCases stream and returns the server's
// answer. A Send that fails because the server already answered is not an
// error here: the answer (or its status) comes from CloseAndRecv.
func importStream(ctx context.Context, cs casebridgev1.CaseServiceClient, next func() (*casebridgev1.ImportCasesRequest, bool)) (*casebridgev1.ImportCasesResponse, error) {
	stream, err := cs.ImportCases(ctx)
	if err != nil {
		return nil, err
	}
	for {
		msg, ok := next()
		if !ok {
			break
		}
		if err := stream.Send(msg); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
	}
	return stream.CloseAndRecv()
}

// messages returns a next function over a fixed list.
func messages(msgs ...*casebridgev1.ImportCasesRequest) func() (*casebridgev1.ImportCasesRequest, bool) {
	return func() (*casebridgev1.ImportCasesRequest, bool) {
		if len(msgs) == 0 {
			return nil, false
		}
		m := msgs[0]
		msgs = msgs[1:]
		return m, true
	}
}

// importCSV streams a header and every row a ctdc.Reader reads from in.
func importCSV(t *testing.T, ctx context.Context, cs casebridgev1.CaseServiceClient, h *casebridgev1.ImportHeader, in io.Reader, extra ...*casebridgev1.ImportRow) *casebridgev1.ImportCasesResponse {
	t.Helper()
	r, err := ctdc.NewReader(in)
	if err != nil {
		t.Fatalf("ctdc.NewReader: %v", err)
	}
	sentHeader := false
	var readErr error
	resp, err := importStream(ctx, cs, func() (*casebridgev1.ImportCasesRequest, bool) {
		if !sentHeader {
			sentHeader = true
			return headerMsg(h), true
		}
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			if len(extra) == 0 {
				return nil, false
			}
			row, extra = extra[0], extra[1:]
			return rowMsg(row), true
		}
		if err != nil {
			readErr = err
			return nil, false
		}
		return rowMsg(row), true
	})
	if readErr != nil {
		t.Fatalf("read: %v", readErr)
	}
	if err != nil {
		t.Fatalf("ImportCases: %v", err)
	}
	return resp
}

// fileCounts are aggregates of the shared CSV computed from its raw column
// values, without the ctdc package.
type fileCounts struct {
	rows, female, male, ua, us, unknownCitizenship, hotline, caseManagement int64
	forcedLabour, begging, sexual, children                                 int64
	perYear                                                                 map[int32]int64
}

func countFile(t *testing.T, data []byte) fileCounts {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("read the CTDC file: %v", err)
	}
	col := map[string]int{}
	for i, name := range recs[0] {
		col[name] = i
	}
	c := fileCounts{perYear: map[int32]int64{}}
	for _, rec := range recs[1:] {
		get := func(name string) string { return rec[col[name]] }
		c.rows++
		switch get("gender") {
		case "Female":
			c.female++
		case "Male":
			c.male++
		}
		switch get("citizenship") {
		case "UA":
			c.ua++
		case "US":
			c.us++
		case "0":
			c.unknownCitizenship++
		}
		switch get("Datasource") {
		case "Hotline":
			c.hotline++
		case "Case Management":
			c.caseManagement++
		}
		if get("isForcedLabour") == "1" || get("ExploitType") == "Forced Labor" {
			c.forcedLabour++
		}
		if get("Labor_Type") == "Begging" {
			c.begging++
		}
		if get("ExploitType") == "Sexual Exploitation" {
			c.sexual++
		}
		if a := get("ageCategories"); a == "Age 0-8" || a == "Age 9-17" {
			c.children++
		}
		y, err := strconv.Atoi(get("yearOfRegistration"))
		if err != nil {
			t.Fatalf("year %q: %v", get("yearOfRegistration"), err)
		}
		c.perYear[int32(y)]++
	}
	return c
}

// TestImportCTDCFile streams a whole generated CTDC-layout file through
// ImportCases, checks the database against counts taken from the file
// itself, and checks that a re-run imports nothing twice.
func TestImportCTDCFile(t *testing.T) {
	importWholeFile(t, generatedCTDC(t), synth.DefaultRows)
}

// TestImportCTDCPublishedFile does the same with the published CTDC-derived
// file named by CASEBRIDGE_CTDC_FILE (.ci/run sets it).
func TestImportCTDCPublishedFile(t *testing.T) {
	path := os.Getenv("CASEBRIDGE_CTDC_FILE")
	if path == "" {
		t.Log("NOT RUN: CASEBRIDGE_CTDC_FILE is not set, so the published CTDC file was not imported (the generated file was)")
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("CASEBRIDGE_CTDC_FILE: %v", err)
	}
	importWholeFile(t, data, 14299)
}

func importWholeFile(t *testing.T, data []byte, wantRows int64) {
	env := servertest.Start(t)
	cs := env.Cases()
	cw := longAs(t, env, caseworker)
	const source = "ctdc-derived-victims.csv"
	want := countFile(t, data)
	if want.rows != wantRows {
		t.Fatalf("the file has %d rows, want %d", want.rows, wantRows)
	}
	// No status: historic rows arrive closed, dated by their year.
	header := &casebridgev1.ImportHeader{Source: source}

	ctx := context.Background()
	var casesBefore int64
	if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&casesBefore); err != nil {
		t.Fatal(err)
	}

	open := func() io.Reader { return bytes.NewReader(data) }

	start := time.Now()
	resp := importCSV(t, cw, cs, header, open())
	t.Logf("imported %d CTDC rows in %v", resp.GetImported(), time.Since(start))
	if resp.GetReceived() != want.rows || resp.GetImported() != want.rows || resp.GetAlreadyImported() != 0 || len(resp.GetRejections()) != 0 {
		t.Fatalf("first run: received %d imported %d already %d, %d rejections (first: %v)",
			resp.GetReceived(), resp.GetImported(), resp.GetAlreadyImported(), len(resp.GetRejections()), firstRejection(resp))
	}

	var got fileCounts
	var datedByYear int64
	var closed, withCloseTime, withCountry, distinctRefs, distinctLines, minLine, maxLine int64
	err := env.Pool.QueryRow(ctx, `
		SELECT count(*),
			count(*) FILTER (WHERE sex = $3),
			count(*) FILTER (WHERE sex = $4),
			count(*) FILTER (WHERE nationality = 'UA'),
			count(*) FILTER (WHERE nationality = 'US'),
			count(*) FILTER (WHERE nationality = ''),
			count(*) FILTER (WHERE identification_status = $5),
			count(*) FILTER (WHERE identification_status = $6),
			count(*) FILTER (WHERE $7 = ANY (exploitation_forms)),
			count(*) FILTER (WHERE $8 = ANY (exploitation_forms)),
			count(*) FILTER (WHERE $9 = ANY (exploitation_forms)),
			count(*) FILTER (WHERE child = $10 AND age_band IN ($11, $12)),
			count(*) FILTER (WHERE status = $13),
			count(*) FILTER (WHERE close_time IS NOT NULL),
			count(*) FILTER (WHERE country <> ''),
			count(DISTINCT reference),
			count(DISTINCT import_line),
			min(import_line), max(import_line),
			count(*) FILTER (WHERE extract(year FROM create_time AT TIME ZONE 'UTC') = identification_year AND close_time = create_time)
		FROM cases WHERE organization_id = $1 AND import_source = $2`,
		"shelter-a", sealed.ImportSourceKey("shelter-a", source),
		int16(casebridgev1.Sex_SEX_FEMALE), int16(casebridgev1.Sex_SEX_MALE),
		int16(casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_PRESUMED),
		int16(casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED),
		int16(casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR),
		int16(casebridgev1.ExploitationForm_EXPLOITATION_FORM_BEGGING),
		int16(casebridgev1.ExploitationForm_EXPLOITATION_FORM_SEXUAL),
		int16(casebridgev1.ChildStatus_CHILD_STATUS_CHILD),
		int16(casebridgev1.AgeBand_AGE_BAND_0_8), int16(casebridgev1.AgeBand_AGE_BAND_9_17),
		int16(casebridgev1.CaseStatus_CASE_STATUS_CLOSED),
	).Scan(&got.rows, &got.female, &got.male, &got.ua, &got.us, &got.unknownCitizenship,
		&got.hotline, &got.caseManagement, &got.forcedLabour, &got.begging, &got.sexual, &got.children,
		&closed, &withCloseTime, &withCountry, &distinctRefs, &distinctLines, &minLine, &maxLine, &datedByYear)
	if err != nil {
		t.Fatalf("count imported cases: %v", err)
	}
	check := func(what string, got, want int64) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %d in the database, %d in the file", what, got, want)
		}
	}
	check("rows", got.rows, want.rows)
	check("female", got.female, want.female)
	check("male", got.male, want.male)
	check("nationality UA", got.ua, want.ua)
	check("nationality US", got.us, want.us)
	check("nationality unknown", got.unknownCitizenship, want.unknownCitizenship)
	check("presumed (Hotline)", got.hotline, want.hotline)
	check("identified (Case Management)", got.caseManagement, want.caseManagement)
	check("forced labour", got.forcedLabour, want.forcedLabour)
	check("begging", got.begging, want.begging)
	check("sexual exploitation", got.sexual, want.sexual)
	check("children", got.children, want.children)
	check("closed", closed, want.rows)
	check("with a close time", withCloseTime, want.rows)
	check("created and closed in their year of registration", datedByYear, want.rows)
	check("with a country", withCountry, 0)
	check("distinct references", distinctRefs, want.rows)
	check("distinct lines", distinctLines, want.rows)
	check("first line", minLine, 2)
	check("last line", maxLine, want.rows+1)

	rows, err := env.Pool.Query(ctx, `SELECT identification_year, count(*) FROM cases
		WHERE organization_id = $1 AND import_source = $2 GROUP BY 1`, "shelter-a", sealed.ImportSourceKey("shelter-a", source))
	if err != nil {
		t.Fatal(err)
	}
	perYear := map[int32]int64{}
	for rows.Next() {
		var y int32
		var n int64
		if err := rows.Scan(&y, &n); err != nil {
			t.Fatal(err)
		}
		perYear[y] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(perYear) != len(want.perYear) {
		t.Errorf("years in the database %v, in the file %v", perYear, want.perYear)
	}
	for y, n := range want.perYear {
		check("year "+strconv.Itoa(int(y)), perYear[y], n)
	}

	// The same source again: nothing is imported twice.
	start = time.Now()
	again := importCSV(t, cw, cs, header, open())
	t.Logf("re-ran the import of %d rows in %v", again.GetReceived(), time.Since(start))
	if again.GetReceived() != want.rows || again.GetImported() != 0 || again.GetAlreadyImported() != want.rows || len(again.GetRejections()) != 0 {
		t.Fatalf("second run: received %d imported %d already %d, %d rejections",
			again.GetReceived(), again.GetImported(), again.GetAlreadyImported(), len(again.GetRejections()))
	}
	var casesAfter int64
	if err := env.Pool.QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&casesAfter); err != nil {
		t.Fatal(err)
	}
	if casesAfter != casesBefore+want.rows {
		t.Fatalf("cases: %d before, %d after two runs, want %d", casesBefore, casesAfter, casesBefore+want.rows)
	}
}

func firstRejection(resp *casebridgev1.ImportCasesResponse) *casebridgev1.ImportRejection {
	if len(resp.GetRejections()) == 0 {
		return nil
	}
	return resp.GetRejections()[0]
}

// TestImportRejectsBadRowsKeepsGood sends good and bad rows in one stream:
// the good ones are imported, each bad one is rejected with its line and why.
func TestImportRejectsBadRowsKeepsGood(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	cw := env.As(t, caseworker)
	const source = "bad-rows.csv"
	future := strconv.Itoa(time.Now().Year() + 1)

	in := "yearOfRegistration,Datasource,gender,citizenship,isForcedLabour,ControlCategory,RecruiterCategory,ExploitType,Labor_Type,ageCategories\n" +
		"2016,Case Management,Female,UA,0,Threats,Other,Sexual Exploitation,Unknown,Age 18-20\n" + // 2: good
		"2016,Case Management,Female,UA,0,Threats\n" + // 3: cannot be parsed
		"2016,Case Management,Male,XX,1,Threats,Other,Forced Labor,Begging,Age 9-17\n" + // 4: no such country
		future + ",Hotline,Female,US,0,Other,Other,Sexual Exploitation,Unknown,Age 21-23\n" + // 5: year in the future
		"2017,Hotline,Male,US,1,Other,Other,Forced Labor,Construction,Age 30-38\n" // 6: good
	badEnum := &casebridgev1.ImportRow{Line: 7, Coded: &casebridgev1.CodedAttributes{
		Sex: casebridgev1.Sex(42), IdentificationYear: 2018, Nationality: "MK"}}
	badForm := &casebridgev1.ImportRow{Line: 8, Coded: &casebridgev1.CodedAttributes{
		ExploitationForms: []casebridgev1.ExploitationForm{casebridgev1.ExploitationForm(99)}}}
	good := &casebridgev1.ImportRow{Line: 9, Coded: &casebridgev1.CodedAttributes{
		Sex: casebridgev1.Sex_SEX_FEMALE, Country: "RS", IdentificationYear: 2024,
		ExploitationForms: []casebridgev1.ExploitationForm{casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_CRIMINALITY}}}

	resp := importCSV(t, cw, cs, &casebridgev1.ImportHeader{Source: source}, strings.NewReader(in), badEnum, badForm, good)
	if resp.GetReceived() != 8 || resp.GetImported() != 3 || resp.GetAlreadyImported() != 0 {
		t.Fatalf("received %d imported %d already %d, want 8, 3, 0; rejections %v",
			resp.GetReceived(), resp.GetImported(), resp.GetAlreadyImported(), resp.GetRejections())
	}
	want := map[int64][]string{
		3: {"has 6 fields, the header has 10"},
		4: {"nationality", `"XX"`, "ISO 3166-1"},
		5: {"identification_year", "current year"},
		7: {"sex"},
		8: {"exploitation_forms"},
	}
	if len(resp.GetRejections()) != len(want) {
		t.Fatalf("rejections %v, want lines 3, 4, 5, 7 and 8", resp.GetRejections())
	}
	for _, rej := range resp.GetRejections() {
		subs, ok := want[rej.GetLine()]
		if !ok {
			t.Errorf("line %d rejected (%s), it is good", rej.GetLine(), rej.GetReason())
			continue
		}
		for _, s := range subs {
			if !strings.Contains(rej.GetReason(), s) {
				t.Errorf("line %d: reason %q does not name %q", rej.GetLine(), rej.GetReason(), s)
			}
		}
		delete(want, rej.GetLine())
	}
	if len(want) > 0 {
		t.Errorf("lines not rejected: %v", want)
	}

	// The good rows are there, closed (the default status: historic
	// records), with their attributes.
	rows, err := env.Pool.Query(context.Background(), `SELECT import_line, status, sex, nationality, country, identification_year
		FROM cases WHERE organization_id = 'shelter-a' AND import_source = $1 ORDER BY import_line`, sealed.ImportSourceKey("shelter-a", source))
	if err != nil {
		t.Fatal(err)
	}
	type stored struct {
		line                 int64
		status, sex          int16
		nationality, country string
		year                 int32
	}
	var got []stored
	for rows.Next() {
		var s stored
		if err := rows.Scan(&s.line, &s.status, &s.sex, &s.nationality, &s.country, &s.year); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	closed := int16(casebridgev1.CaseStatus_CASE_STATUS_CLOSED)
	wantRows := []stored{
		{2, closed, int16(casebridgev1.Sex_SEX_FEMALE), "UA", "", 2016},
		{6, closed, int16(casebridgev1.Sex_SEX_MALE), "US", "", 2017},
		{9, closed, int16(casebridgev1.Sex_SEX_FEMALE), "", "RS", 2024},
	}
	if len(got) != len(wantRows) {
		t.Fatalf("stored rows %+v, want %+v", got, wantRows)
	}
	for i := range got {
		if got[i] != wantRows[i] {
			t.Errorf("stored row %+v, want %+v", got[i], wantRows[i])
		}
	}
}

// TestImportNeedsHeader checks the stream's contract and who may import.
func TestImportNeedsHeader(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	cw := env.As(t, caseworker)
	row := rowMsg(&casebridgev1.ImportRow{Line: 2, Coded: &casebridgev1.CodedAttributes{Sex: casebridgev1.Sex_SEX_FEMALE}})
	header := headerMsg(&casebridgev1.ImportHeader{Source: "needs-header.csv"})

	wantHeaderError := func(name string, msgs ...*casebridgev1.ImportCasesRequest) {
		t.Helper()
		_, err := importStream(cw, cs, messages(msgs...))
		st := wantCode(t, err, codes.InvalidArgument)
		if !strings.Contains(st.Message(), "header") {
			t.Errorf("%s: message %q does not name the header", name, st.Message())
		}
	}
	wantHeaderError("row first", row, header)
	wantHeaderError("empty stream")
	wantHeaderError("second header", header, row, header)
	_, err := importStream(cw, cs, messages(headerMsg(&casebridgev1.ImportHeader{}), row))
	if st := wantCode(t, err, codes.InvalidArgument); !strings.Contains(st.Message(), "source") {
		t.Errorf("header without source: message %q does not name the source", st.Message())
	}

	// A lawyer may not import cases; nor may a caseworker into another organisation.
	_, err = importStream(env.As(t, lawyer), cs, messages(header, row))
	wantCode(t, err, codes.PermissionDenied)
	_, err = importStream(cw, cs, messages(headerMsg(&casebridgev1.ImportHeader{Source: "x.csv", OrganizationId: "cso-c"}), row))
	wantCode(t, err, codes.PermissionDenied)

	var n int64
	if err := env.Pool.QueryRow(context.Background(), `SELECT count(*) FROM cases WHERE import_source IS NOT NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d cases imported by refused streams", n)
	}
}

// TestImportSourceNameIsNotStored: the source name of an import is free
// text (by default the file's name, which can name a person) and outlives
// erasure on every imported row, so only a digest of it is stored: a dump
// does not hold the name, and a re-run of the same source still imports
// nothing twice.
func TestImportSourceNameIsNotStored(t *testing.T) {
	env := servertest.Start(t)
	cs := env.Cases()
	ctx := longAs(t, env, "caseworker@shelter-a")
	source := "Ana-Petrova-7731-intake.csv"
	file := generatedCTDC(t)
	h := &casebridgev1.ImportHeader{Source: source}
	first := importCSV(t, ctx, cs, h, bytes.NewReader(file))
	if first.GetImported() == 0 {
		t.Fatalf("nothing imported: %v", first)
	}
	again := importCSV(t, ctx, cs, h, bytes.NewReader(file))
	if again.GetImported() != 0 || again.GetAlreadyImported() != first.GetImported() {
		t.Fatalf("re-run of the same source: %v, want every row already imported", again)
	}
	if dump := pgDump(t, env.DBURL); bytes.Contains(dump, []byte("Petrova")) {
		t.Fatal("a database dump holds the import's source name")
	}
}

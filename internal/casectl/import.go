package casectl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"

	"github.com/casebridge/casebridge/internal/casectl/cli"
	"github.com/casebridge/casebridge/internal/casectl/explain"
	"github.com/casebridge/casebridge/internal/casectl/output"
	"github.com/casebridge/casebridge/internal/casectl/progress"
	"github.com/casebridge/casebridge/internal/ctdc"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	"github.com/spf13/pflag"
)

func (a *app) importCommand() *cli.Command {
	return &cli.Command{
		Name:     "import",
		Summary:  "import cases in bulk from a file",
		Examples: []string{"casectl import cases ctdc-derived-victims.csv --status closed"},
		Sub:      []*cli.Command{a.importCasesCommand()},
	}
}

type importOptions struct {
	source, org, status string
	show                int
}

func (a *app) importCasesCommand() *cli.Command {
	var o importOptions
	return &cli.Command{
		Name:    "cases",
		Args:    "FILE.csv",
		MinArgs: 1, MaxArgs: 1,
		Summary: "import coded attributes from a CTDC-layout CSV file",
		Help: `Import cases from a CSV file in the column layout of the Counter Trafficking
Data Collaborative (CTDC): coded attributes only, no sensitive data. Each
line becomes one case owned by your organisation. A line that cannot be
read, or that the server refuses, is rejected with its line number and
reason while the good lines are kept; the summary lists the rejected lines.
Importing the same source again imports nothing twice (lines are keyed by
--source and line number). A progress bar is drawn on a terminal.`,
		Examples: []string{
			"casectl import cases ctdc-derived-victims.csv",
			"casectl import cases historic-2019.csv --status closed --source historic-2019",
			"casectl import cases intake.csv --output csv > rejected-lines.csv",
		},
		Flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&o.source, "source", "", "stable `name` of the source (default: the file name)")
			fs.StringVar(&o.org, "org", "", "organisation that will own the cases, when you belong to several")
			fs.StringVar(&o.status, "status", "", "status of the imported cases: closed (default: historic records, dated by their year) or open (a caseload taken on)")
			fs.IntVar(&o.show, "show-rejections", 20, "list at most this many rejected lines")
		},
		Run: func(ctx context.Context, _ *pflag.FlagSet, args []string) error {
			return a.importCases(ctx, args[0], o)
		},
	}
}

func (a *app) importCases(ctx context.Context, path string, o importOptions) error {
	f, err := a.format()
	if err != nil {
		return err
	}
	header := &casebridgev1.ImportHeader{Source: o.source, OrganizationId: o.org}
	if header.Source == "" {
		header.Source = filepath.Base(path)
	}
	if o.status != "" {
		if header.Status, err = parseEnum[casebridgev1.CaseStatus]("--status", o.status); err != nil {
			return err
		}
	}
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open import file: %w", err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return fmt.Errorf("open import file: %w", err)
	}
	counted := &countingReader{r: file}
	rows, err := ctdc.NewReader(counted)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	bar := progress.New(a.env.Stderr, a.env.StderrTerminal, "importing", info.Size())
	resp, err := streamImport(ctx, c, header, rows, func(n int64) { bar.Update(counted.n.Load(), n) })
	if err != nil {
		return explain.WithFlags(explain.Wrap(err, "import %s", path), map[string]string{
			"header.source": "--source", "header.organization_id": "--org", "header.status": "--status",
		})
	}
	bar.Finish(resp.GetReceived())
	if err := a.printImport(f, resp, o.show); err != nil {
		return err
	}
	if n := resp.GetRejected(); n > 0 {
		// A script must not take a partial import for a whole one.
		return fmt.Errorf("%d of %d lines were rejected (the other lines were imported; fix the rejected ones and import the file again: nothing is imported twice)", n, resp.GetReceived())
	}
	return nil
}

// streamImport sends the header and every row, and returns the server's
// summary. progress is called after each row with the rows sent so far.
func streamImport(ctx context.Context, c *clients, header *casebridgev1.ImportHeader, rows *ctdc.Reader, progress func(int64)) (*casebridgev1.ImportCasesResponse, error) {
	stream, err := c.cases.ImportCases(ctx)
	if err != nil {
		return nil, err
	}
	send := func(req *casebridgev1.ImportCasesRequest) error {
		err := stream.Send(req)
		if errors.Is(err, io.EOF) {
			// The server ended the stream; its reason comes with CloseAndRecv.
			if _, rerr := stream.CloseAndRecv(); rerr != nil {
				return rerr
			}
			return errors.New("the server ended the import early")
		}
		return err
	}
	if err := send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Header{Header: header}}); err != nil {
		return nil, err
	}
	var sent int64
	for {
		row, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read file: %w", err)
		}
		if err := send(&casebridgev1.ImportCasesRequest{Item: &casebridgev1.ImportCasesRequest_Row{Row: row}}); err != nil {
			return nil, err
		}
		sent++
		progress(sent)
	}
	return stream.CloseAndRecv()
}

// printImport shows the summary and the first rejected lines.
func (a *app) printImport(f output.Format, resp *casebridgev1.ImportCasesResponse, show int) error {
	switch f {
	case output.JSON:
		return output.JSONObject(a.stdout(), resp)
	case output.CSV:
		rows := make([][]string, 0, len(resp.GetRejections()))
		for _, r := range resp.GetRejections() {
			rows = append(rows, []string{strconv.FormatInt(r.GetLine(), 10), r.GetReason()})
		}
		a.say("Imported %d of %d rows; %d already imported, %d rejected.", resp.GetImported(), resp.GetReceived(), resp.GetAlreadyImported(), resp.GetRejected())
		return output.WriteCSV(a.stdout(), []string{"line", "reason"}, rows)
	}
	w := a.stdout()
	fmt.Fprintf(w, "Rows read:         %d\n", resp.GetReceived())
	fmt.Fprintf(w, "Imported:          %d\n", resp.GetImported())
	fmt.Fprintf(w, "Already imported:  %d\n", resp.GetAlreadyImported())
	fmt.Fprintf(w, "Rejected:          %d\n", resp.GetRejected())
	if resp.GetRejected() == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nRejected lines:")
	listed := resp.GetRejections()
	if show >= 0 && len(listed) > show {
		listed = listed[:show]
	}
	for _, r := range listed {
		fmt.Fprintf(w, "  line %d: %s\n", r.GetLine(), r.GetReason())
	}
	if rest := resp.GetRejected() - int64(len(listed)); rest > 0 {
		fmt.Fprintf(w, "  … and %d more (--show-rejections N lists more; --output csv lists the first %d)\n", rest, len(resp.GetRejections()))
	}
	return nil
}

// countingReader counts the bytes read, for the progress bar.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

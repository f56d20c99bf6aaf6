package web

import (
	"encoding/csv"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// The coordinator's area: anonymised counts by the dimensions chosen, the
// monitoring indicators, a chart and a CSV download. A withheld figure is
// never shown as a number: it says that it is withheld and why, as casectl
// stats does — only a primary cell is said to be small; one withheld to
// protect another may be of any size.
func (s *Server) routesStats(mux *http.ServeMux) {
	mux.Handle("GET /stats", s.Signed(Access{}, s.handleStats))
	mux.Handle("GET /stats.csv", s.Signed(Access{}, s.handleStatsCSV))
	mux.Handle("GET /stats/indicators", s.Signed(Access{}, s.handleIndicators))
}

func (s *Server) stats() casebridgev1.StatsServiceClient {
	return casebridgev1.NewStatsServiceClient(s.conn)
}

// statsCell is one figure as a page shows it.
type statsCell struct {
	Values []string // labels of the dimension values
	Count  int64
	// Withheld is the message id saying why the figure is not shown; empty
	// for a published one.
	Withheld string
}

// statsBar is one bar of the chart, laid out here so the template only
// writes attributes (no inline style: the CSP allows none).
type statsBar struct {
	Label       string
	Count       int64
	Withheld    bool
	X, Y, W, H  int
	LabelX      int
	ValueY      int
	WithheldKey string
}

// statsData is the counts page.
type statsData struct {
	All        []casebridgev1.Dimension
	By         []casebridgev1.Dimension
	Cells      []statsCell
	Totals     []statsCell
	K          int32
	Bars       []statsBar
	ChartW     int
	ChartH     int
	ChartTitle string
	Query      string
	// Refused is the message id saying why the server withheld the whole
	// table.
	Refused string
}

// statsRefusalKey names why a whole table was withheld; the server's
// message is English for operators.
func statsRefusalKey(msg string) string {
	switch {
	case strings.Contains(msg, "one organisation"):
		return "stats.refused_one_org"
	case strings.Contains(msg, "fewer than") && strings.Contains(msg, "widen the filter"):
		return "stats.refused_few"
	}
	return "stats.refused"
}

// statsDimensions are the dimensions a coordinator may count by.
func statsDimensions() []casebridgev1.Dimension {
	return enumRun(casebridgev1.Dimension_DIMENSION_YEAR, 9)
}

// maxStatsDimensions bounds a table to what a page can show.
const maxStatsDimensions = 3

func statsBy(q *Request) []casebridgev1.Dimension {
	var by []casebridgev1.Dimension
	seen := map[casebridgev1.Dimension]bool{}
	for _, v := range q.URL.Query()["by"] {
		if d, ok := casebridgev1.Dimension_value[v]; ok && d != 0 && !seen[casebridgev1.Dimension(d)] && len(by) < maxStatsDimensions {
			seen[casebridgev1.Dimension(d)] = true
			by = append(by, casebridgev1.Dimension(d))
		}
	}
	if len(by) == 0 {
		by = []casebridgev1.Dimension{casebridgev1.Dimension_DIMENSION_YEAR}
	}
	return by
}

// withheldKey is the message saying why a figure is withheld. Only
// PRIMARY says the figure is small; a reason this client does not know
// says no more than "withheld".
func withheldKey(r casebridgev1.WithheldReason) string {
	switch r {
	case casebridgev1.WithheldReason_WITHHELD_REASON_PRIMARY:
		return "stats.withheld_small"
	case casebridgev1.WithheldReason_WITHHELD_REASON_SECONDARY:
		return "stats.withheld_protects"
	case casebridgev1.WithheldReason_WITHHELD_REASON_CONTRIBUTOR:
		return "stats.withheld_contributor"
	case casebridgev1.WithheldReason_WITHHELD_REASON_DIFFERENCING:
		return "stats.withheld_differencing"
	case casebridgev1.WithheldReason_WITHHELD_REASON_UNVERIFIED:
		return "stats.withheld_unverified"
	case casebridgev1.WithheldReason_WITHHELD_REASON_SMALL_BASE:
		return "stats.withheld_small_base"
	}
	return "stats.withheld"
}

// dimensionValueLabel names a cell's value: an enum value's label, or the
// plain value (a year, a country code); "" is unknown.
func dimensionValueLabel(q *Request, v string) string {
	switch {
	case v == "":
		return q.L.T("stats.unknown")
	case strings.ContainsRune(v, '_') && q.L.Has("enum."+v):
		return q.L.Enum(v)
	}
	return v
}

func (s *Server) countCases(q *Request, by []casebridgev1.Dimension) (*casebridgev1.CountCasesResponse, error) {
	return s.stats().CountCases(q.Ctx, &casebridgev1.CountCasesRequest{Dimensions: by})
}

func toStatsCells(q *Request, cells []*casebridgev1.Cell) []statsCell {
	out := make([]statsCell, 0, len(cells))
	for _, c := range cells {
		sc := statsCell{Count: c.GetCount()}
		for _, v := range c.GetValues() {
			sc.Values = append(sc.Values, dimensionValueLabel(q, v.GetValue()))
		}
		if c.GetSuppressed() {
			sc.Withheld = withheldKey(c.GetWithheldReason())
		}
		out = append(out, sc)
	}
	return out
}

func (s *Server) handleStats(w http.ResponseWriter, q *Request) {
	by := statsBy(q)
	resp, err := s.countCases(q, by)
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == codes.FailedPrecondition {
			// The server withholds the whole table; say why in the user's words.
			d := statsData{All: statsDimensions(), By: by, Refused: statsRefusalKey(st.Message())}
			s.render(w, q, http.StatusOK, "stats", "title.stats", d)
			return
		}
		s.apiRefused(w, q, err)
		return
	}
	d := statsData{All: statsDimensions(), By: by, K: resp.GetK(), Cells: toStatsCells(q, resp.GetCells()), Totals: toStatsCells(q, resp.GetTotals())}
	vals := q.URL.Query()
	d.Query = "by=" + strings.Join(vals["by"], "&by=")
	if len(vals["by"]) == 0 {
		d.Query = "by=" + by[0].String()
	}
	// The chart shows the figures by the first dimension: the one-way
	// totals when the table has several, else the cells themselves.
	series := d.Cells
	if len(by) > 1 {
		series = firstDimension(resp, q)
	}
	d.ChartTitle = q.L.Enum(by[0].String())
	d.Bars, d.ChartW, d.ChartH = layoutBars(series)
	s.render(w, q, http.StatusOK, "stats", "title.stats", d)
}

// firstDimension is the totals over the first dimension alone.
func firstDimension(resp *casebridgev1.CountCasesResponse, q *Request) []statsCell {
	first := resp.GetDimensions()[0]
	var out []*casebridgev1.Cell
	for _, t := range resp.GetTotals() {
		if len(t.GetValues()) == 1 && t.GetValues()[0].GetDimension() == first {
			out = append(out, t)
		}
	}
	return toStatsCells(q, out)
}

// Chart geometry, in SVG user units.
const (
	chartBarW   = 44
	chartGap    = 16
	chartPlotH  = 200
	chartTop    = 24
	chartBottom = 48
	chartLeft   = 16
)

// layoutBars places a bar per figure, heights proportional to the largest
// published one; a withheld figure gets no bar (its height would say
// something), only a marked slot.
func layoutBars(cells []statsCell) ([]statsBar, int, int) {
	var max int64
	for _, c := range cells {
		if c.Withheld == "" && c.Count > max {
			max = c.Count
		}
	}
	bars := make([]statsBar, 0, len(cells))
	for i, c := range cells {
		b := statsBar{Label: strings.Join(c.Values, " · "), Count: c.Count, Withheld: c.Withheld != "", WithheldKey: c.Withheld,
			X: chartLeft + i*(chartBarW+chartGap), W: chartBarW}
		if !b.Withheld && max > 0 {
			b.H = int(float64(c.Count) / float64(max) * chartPlotH)
		}
		if b.Withheld {
			b.H = chartPlotH
		}
		b.Y = chartTop + chartPlotH - b.H
		b.LabelX = b.X + chartBarW/2
		b.ValueY = b.Y - 6
		bars = append(bars, b)
	}
	return bars, chartLeft*2 + len(cells)*(chartBarW+chartGap), chartTop + chartPlotH + chartBottom
}

// handleStatsCSV downloads the table: one column per dimension, the count,
// and the reason a withheld count is withheld (its count left empty).
func (s *Server) handleStatsCSV(w http.ResponseWriter, q *Request) {
	by := statsBy(q)
	resp, err := s.countCases(q, by)
	if err != nil {
		s.apiRefused(w, q, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="casebridge-counts-`+time.Now().Format("20060102")+`.csv"`)
	cw := csv.NewWriter(w)
	head := make([]string, 0, len(by)+2)
	for _, d := range by {
		head = append(head, q.L.Enum(d.String()))
	}
	_ = cw.Write(append(head, q.L.T("stats.count"), q.L.T("stats.note")))
	for _, c := range resp.GetCells() {
		row := make([]string, 0, len(by)+2)
		for _, v := range c.GetValues() {
			row = append(row, csvSafe(dimensionValueLabel(q, v.GetValue())))
		}
		if c.GetSuppressed() {
			row = append(row, "", q.L.T(withheldKey(c.GetWithheldReason()), "K", resp.GetK()))
		} else {
			row = append(row, strconv.FormatInt(c.GetCount(), 10), "")
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from reading a value as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// indicatorRow is one monitoring indicator as a page shows it.
type indicatorRow struct {
	Key      string // message id of its label
	Currency string
	Kind     string // a service kind's label, for services.delivered.<kind>
	// Fallback is the server's label of an indicator the catalogue lacks.
	Fallback string
	Value    string
	Withheld string
}

type indicatorsData struct {
	From, To int
	Rows     []indicatorRow
	K        int32
}

var indicatorCurrency = regexp.MustCompile(`^(.*)\.([A-Z]{3})$`)

func (s *Server) handleIndicators(w http.ResponseWriter, q *Request) {
	now := time.Now().In(s.loc).Year()
	from, err := strconv.Atoi(q.URL.Query().Get("from"))
	if err != nil || from < 1990 || from > now {
		from = now - 4
	}
	to, err := strconv.Atoi(q.URL.Query().Get("to"))
	if err != nil || to < from || to > now {
		to = now
	}
	resp, err := s.stats().GetIndicators(q.Ctx, &casebridgev1.GetIndicatorsRequest{
		Period: &casebridgev1.GetIndicatorsRequest_Years{Years: &casebridgev1.YearRange{StartYear: int32(from), EndYear: int32(to)}}})
	if err != nil {
		s.apiRefused(w, q, err)
		return
	}
	d := indicatorsData{From: from, To: to, K: resp.GetTable().GetK()}
	p := &Page{L: q.L}
	for _, ind := range resp.GetTable().GetIndicators() {
		r := indicatorRow{Key: "ind." + ind.GetId()}
		if m := indicatorCurrency.FindStringSubmatch(ind.GetId()); m != nil {
			r.Key, r.Currency = "ind."+m[1], m[2]
		}
		if kind, ok := strings.CutPrefix(ind.GetId(), "services.delivered."); ok {
			r.Key, r.Kind = "ind.services.delivered_kind", q.L.Enum("SERVICE_KIND_"+strings.ToUpper(kind))
		}
		if !q.L.Has(r.Key) {
			// An indicator newer than this client's catalogue: the
			// server's own (English) label, marked as such.
			r.Fallback = ind.GetLabel()
		}
		switch {
		case ind.GetSuppressed():
			r.Withheld = withheldKey(ind.GetWithheldReason())
		case ind.GetMoney() != nil:
			var parts []string
			for _, m := range ind.GetMoney().GetAmounts() {
				parts = append(parts, p.MoneyOf(m))
			}
			r.Value = strings.Join(parts, "; ")
		case ind.GetDuration() != nil:
			r.Value = q.L.T("stats.days", "N", ind.GetDuration().GetMedianDays())
		case ind.GetRatio() != nil:
			bp := ind.GetRatio().GetBasisPoints()
			r.Value = q.L.Form.Int(int64(bp/100)) + "," + strconv.Itoa(int(bp%100)/10) + " %"
			if q.L.Tag.String() == "en" {
				r.Value = strconv.Itoa(int(bp/100)) + "." + strconv.Itoa(int(bp%100)/10) + "%"
			}
		default:
			r.Value = q.L.Form.Int(ind.GetCount())
		}
		d.Rows = append(d.Rows, r)
	}
	s.render(w, q, http.StatusOK, "indicators", "title.indicators", d)
}

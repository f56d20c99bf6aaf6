package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/casebridge/casebridge/internal/casectl/ical"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// calendarItem is one hearing or deadline placed on a day of the calendar.
type calendarItem struct {
	// Day is the calendar day in the court's zone (YYYY-MM-DD).
	Day string
	// Start and Zone: shown in the court's zone.
	Start    time.Time
	Zone     string
	Hearing  bool
	What     string // enum value name: hearing type or deadline kind
	Court    string
	Docket   string
	CaseID   string
	CaseRef  string
	Duration time.Duration
	UID      string
}

// calendarDay is one cell of the grid.
type calendarDay struct {
	Date    string
	Number  int
	InRange bool // in the month shown (month view)
	Today   bool
	Items   []calendarItem
}

// calendarData is the calendar page.
type calendarData struct {
	View        string // "week" or "month"
	Title       string
	Weeks       [][]calendarDay
	Prev, Next  string
	Count       int
	PastOnly    bool
	WeekdayKeys []string
}

var weekdayKeys = []string{"cal.mon", "cal.tue", "cal.wed", "cal.thu", "cal.fri", "cal.sat", "cal.sun"}

// upcoming fetches the caller's hearings and open deadlines from now to
// until (the API looks forward only: a calendar of the past shows nothing).
func (s *Server) upcoming(q *Request, until time.Time) ([]calendarItem, error) {
	days := int32(time.Until(until).Hours()/24) + 1
	if days < 1 {
		return nil, nil
	}
	if days > 366 {
		days = 366
	}
	var out []calendarItem
	token := ""
	for page := 0; page < 10; page++ {
		resp, err := s.proceedings().ListUpcoming(q.Ctx, &casebridgev1.ListUpcomingRequest{Days: days, PageSize: 500, PageToken: token})
		if err != nil {
			return nil, err
		}
		for _, it := range resp.GetItems() {
			out = append(out, toCalendarItem(it))
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	return out, nil
}

func toCalendarItem(it *casebridgev1.UpcomingItem) calendarItem {
	c := calendarItem{Court: it.GetCourt(), Docket: it.GetDocketNumber(), CaseRef: it.GetCaseReference()}
	if h := it.GetHearing(); h != nil {
		c.Hearing, c.Start, c.Zone, c.What, c.CaseID, c.UID = true, h.GetStartTime().AsTime(), h.GetCourtTimeZone(), h.GetType().String(), h.GetCaseId(), h.GetId()
		c.Duration = h.GetExpectedDuration().AsDuration()
	} else if d := it.GetDeadline(); d != nil {
		c.Start, c.Zone, c.What, c.CaseID, c.UID = d.GetDueTime().AsTime(), d.GetCourtTimeZone(), d.GetKind().String(), d.GetCaseId(), d.GetId()
	}
	loc, err := time.LoadLocation(c.Zone)
	if err != nil {
		loc = time.UTC
	}
	c.Day = c.Start.In(loc).Format(time.DateOnly)
	return c
}

func (s *Server) handleCalendar(w http.ResponseWriter, q *Request) {
	v := q.URL.Query()
	view := v.Get("view")
	if view != "month" {
		view = "week"
	}
	now := time.Now().In(s.loc)
	at, err := time.ParseInLocation(time.DateOnly, v.Get("date"), s.loc)
	if err != nil {
		at = now
	}
	at = time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, s.loc)
	var from, to, prev, next time.Time
	d := calendarData{View: view, WeekdayKeys: weekdayKeys}
	if view == "week" {
		from = monday(at)
		to = from.AddDate(0, 0, 7)
		prev, next = from.AddDate(0, 0, -7), to
		d.Title = q.L.Form.Date(from) + " – " + q.L.Form.Date(to.AddDate(0, 0, -1))
	} else {
		first := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, s.loc)
		from = monday(first)
		last := first.AddDate(0, 1, -1)
		to = monday(last).AddDate(0, 0, 7)
		prev, next = first.AddDate(0, -1, 0), first.AddDate(0, 1, 0)
		d.Title = q.L.T("cal.month_"+strconv.Itoa(int(first.Month()))) + " " + strconv.Itoa(first.Year())
	}
	items, err := s.upcoming(q, to)
	if err != nil {
		s.apiRefused(w, q, err)
		return
	}
	byDay := map[string][]calendarItem{}
	for _, it := range items {
		byDay[it.Day] = append(byDay[it.Day], it)
	}
	d.PastOnly = !to.After(now)
	for day := from; day.Before(to); day = day.AddDate(0, 0, 7) {
		var week []calendarDay
		for i := 0; i < 7; i++ {
			dd := day.AddDate(0, 0, i)
			key := dd.Format(time.DateOnly)
			cell := calendarDay{Date: key, Number: dd.Day(), InRange: view == "week" || dd.Month() == at.Month(),
				Today: key == now.Format(time.DateOnly), Items: byDay[key]}
			if cell.InRange {
				d.Count += len(cell.Items)
			}
			week = append(week, cell)
		}
		d.Weeks = append(d.Weeks, week)
	}
	d.Prev = url.Values{"view": {view}, "date": {prev.Format(time.DateOnly)}}.Encode()
	d.Next = url.Values{"view": {view}, "date": {next.Format(time.DateOnly)}}.Encode()
	s.render(w, q, http.StatusOK, "calendar", "title.calendar", d)
}

func monday(t time.Time) time.Time {
	off := (int(t.Weekday()) + 6) % 7
	return t.AddDate(0, 0, -off)
}

// calendarDays is how far ahead the .ics download looks.
const calendarDays = 180

// handleCalendarICS downloads the coming hearings and deadlines as an
// iCalendar file. Calendars travel to phones and other services, so an
// entry names only the public court details (court, docket, kind), never a
// case reference or anything about the person, as casectl upcoming --ics.
func (s *Server) handleCalendarICS(w http.ResponseWriter, q *Request) {
	items, err := s.upcoming(q, time.Now().AddDate(0, 0, calendarDays))
	if err != nil {
		s.apiRefused(w, q, err)
		return
	}
	events := make([]ical.Event, 0, len(items))
	for _, it := range items {
		kind := "cal.deadline"
		if it.Hearing {
			kind = "cal.hearing"
		}
		summary := q.L.T(kind) + " (" + q.L.Enum(it.What) + ")"
		where := strings.Join(nonEmptyStrings(it.Court, it.Docket), ", ")
		if where != "" {
			summary += ": " + where
		}
		events = append(events, ical.Event{UID: it.UID + "@casebridge", Start: it.Start, Summary: summary, Location: it.Court, Duration: it.Duration})
	}
	var buf bytes.Buffer
	if err := ical.Write(&buf, time.Now(), events); err != nil {
		s.apiRefused(w, q, err)
		return
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="casebridge-hearings.ics"`)
	_, _ = w.Write(buf.Bytes())
}

func nonEmptyStrings(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

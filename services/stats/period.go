package stats

import (
	"time"

	"github.com/casebridge/casebridge/internal/rpcerr"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// period is an inclusive range of calendar years.
type period struct{ from, to int }

// periodOf reads the request's period. Indicators are released by whole
// calendar years: with days or months, "January to June" and "January to
// May" could be subtracted to single out what happened in June, and every
// finer atom of time is one more way to isolate a few cases. A date range
// is therefore accepted only when it runs from 1 January to 31 December.
func periodOf(req *casebridgev1.GetIndicatorsRequest) (period, error) {
	switch p := req.GetPeriod().(type) {
	case *casebridgev1.GetIndicatorsRequest_Years:
		return period{int(p.Years.GetStartYear()), int(p.Years.GetEndYear())}, nil
	case *casebridgev1.GetIndicatorsRequest_Dates:
		start, err := time.Parse(time.DateOnly, p.Dates.GetStartDate())
		if err != nil {
			return period{}, rpcerr.InvalidArgument("dates.start_date", "%q is not a calendar date", p.Dates.GetStartDate())
		}
		end, err := time.Parse(time.DateOnly, p.Dates.GetEndDate())
		if err != nil {
			return period{}, rpcerr.InvalidArgument("dates.end_date", "%q is not a calendar date", p.Dates.GetEndDate())
		}
		if start.Month() != time.January || start.Day() != 1 {
			return period{}, rpcerr.InvalidArgument("dates.start_date",
				"indicators cover whole calendar years, so that two periods cannot be subtracted to isolate a few cases: start on 1 January (or use years)")
		}
		if end.Month() != time.December || end.Day() != 31 {
			return period{}, rpcerr.InvalidArgument("dates.end_date",
				"indicators cover whole calendar years, so that two periods cannot be subtracted to isolate a few cases: end on 31 December (or use years)")
		}
		return period{start.Year(), end.Year()}, nil
	}
	return period{}, rpcerr.InvalidArgument("period", "a period (dates or years) is required")
}

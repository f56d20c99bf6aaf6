package stats_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/casebridge/casebridge/internal/servertest"
)

// TestStrategicLitigationCountsATrialOnce: eight strategic trials, each
// naming three co-victims (three cases, three proceedings sharing a trial
// id), and two strategic proceedings of one person each, count as ten
// strategic-litigation proceedings — not twenty-six; a proceeding not
// flagged strategic does not count, and neither does a trial whose every
// case refused statistical use.
func TestStrategicLitigationCountsATrialOnce(t *testing.T) {
	env := servertest.Start(t)
	st := client(env)
	l := litigation{t, env}
	strategic := func(caseID string, trial *string, flagged bool) {
		l.exec(`INSERT INTO proceedings (id, case_id, kind, court_time_zone, stage, created_by, start_date, strategic, trial_id)
			VALUES ($1, $2, 1, 'Europe/Belgrade', 3, 'test', '2018-03-01', $3, $4)`, uuid.NewString(), caseID, flagged, trial)
	}
	for range 8 {
		trial := uuid.NewString()
		for range 3 {
			strategic(l.newCase("RS", 2018, true, "2018-01-10"), &trial, true)
		}
	}
	for range 2 {
		strategic(l.newCase("RS", 2018, true, "2018-01-10"), nil, true)
	}
	strategic(l.newCase("RS", 2018, true, "2018-01-10"), nil, false)
	refusing := uuid.NewString()
	for range 2 {
		id := l.newCase("RS", 2018, true, "2018-01-10")
		l.exec(`INSERT INTO consents (id, case_id, purpose, decision, state, given_time, recorded_by)
			VALUES ($1, $2, 3, 2, 1, now(), 'test')`, uuid.NewString(), id)
		strategic(id, &refusing, true)
	}
	got := indicators(t, st, env.As(t, coordinator), years(2018, 2018, ""))
	wantCount(t, got, "proceedings.strategic", 10)
	wantCount(t, got, "proceedings.opened", 27)
}

package stats

import (
	"strconv"

	"github.com/casebridge/casebridge/internal/supportplan"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// events is a kind of countable event behind an indicator, as SQL giving one
// row per event with:
//
//	case_id  the case it belongs to (to count the persons behind a figure)
//	year     the calendar year it falls in (the atom of every period)
//	country  the case's country of identification
//	org      the organisation that owns the case (for the contributor rule)
//	d1, d2   up to two classifications (dims of them), as text
//	v        a number to sum or take the median of, or NULL
//
// Only usable cases count (see usable). The statements are constants: the
// period and country reach PostgreSQL as parameters of the queries that
// wrap them.
type events struct {
	sql  string
	dims int
}

// Persons officially identified (identification status IDENTIFIED), by the
// year of identification — the only date of identification recorded.
var identifiedEvents = events{sql: `
	SELECT c.id AS case_id, c.identification_year AS year, c.country, c.organization_id AS org, NULL::bigint AS v
	FROM cases c WHERE c.identification_status = ` + strconv.Itoa(int(casebridgev1.IdentificationStatus_IDENTIFICATION_STATUS_IDENTIFIED)) + ` AND ` + usable}

// Persons whose assistance began: a case is opened when an organisation
// takes the person on.
var assistedEvents = events{sql: `
	SELECT c.id AS case_id, extract(year FROM c.create_time AT TIME ZONE 'UTC')::int AS year, c.country, c.organization_id AS org, NULL::bigint AS v
	FROM cases c WHERE ` + usable}

// Referrals made, by whether they were ever accepted (d1 "yes"/"no"), with
// the whole days from referral to acceptance.
var referralEvents = events{dims: 1, sql: `
	SELECT r.case_id, extract(year FROM r.create_time AT TIME ZONE 'UTC')::int AS year, c.country, c.organization_id AS org,
		CASE WHEN r.accept_time IS NULL THEN 'no' ELSE 'yes' END AS d1,
		floor(extract(epoch FROM r.accept_time - r.create_time) / 86400)::bigint AS v
	FROM referrals r JOIN cases c ON c.id = r.case_id WHERE ` + usable}

// Proceedings opened, by kind (d1, the ProceedingKind number), dated by
// their start date or, without one, the day they were recorded.
var openedEvents = events{dims: 1, sql: `
	SELECT p.case_id, extract(year FROM coalesce(p.start_date, (p.create_time AT TIME ZONE 'UTC')::date))::int AS year,
		c.country, c.organization_id AS org, p.kind::text AS d1, NULL::bigint AS v
	FROM proceedings p JOIN cases c ON c.id = p.case_id WHERE ` + usable}

// Proceedings that reached a final decision, by the outcome (d1, the
// OutcomeKind number) and dated by the day it became final, with the days
// from the start of the proceeding.
var concludedEvents = events{dims: 1, sql: `
	SELECT p.case_id, extract(year FROM p.outcome_final_date)::int AS year, c.country, c.organization_id AS org, p.outcome_kind::text AS d1,
		(p.outcome_final_date - coalesce(p.start_date, (p.create_time AT TIME ZONE 'UTC')::date))::bigint AS v
	FROM proceedings p JOIN cases c ON c.id = p.case_id
	WHERE p.outcome_final_date IS NOT NULL AND ` + usable}

// Strategic-litigation proceedings opened, once per trial: co-victims of
// one trial each have a proceeding of their own case (LinkProceedings gives
// them one trial_id), and the trial is one piece of litigation however many
// injured parties it names. The earliest recorded proceeding of a trial, of
// a usable case, stands for it (its date, country and owner).
var strategicEvents = events{sql: `
	SELECT DISTINCT ON (coalesce(p.trial_id, p.id)) p.case_id,
		extract(year FROM coalesce(p.start_date, (p.create_time AT TIME ZONE 'UTC')::date))::int AS year,
		c.country, c.organization_id AS org, NULL::bigint AS v
	FROM proceedings p JOIN cases c ON c.id = p.case_id
	WHERE p.strategic AND ` + usable + `
	ORDER BY coalesce(p.trial_id, p.id), p.create_time, p.id`}

// paidPerClaim is the net total of each claim's ledger, corrections included.
const paidPerClaim = `LEFT JOIN LATERAL (SELECT sum(cp.amount_minor)::bigint AS total
		FROM claim_payments cp WHERE cp.claim_id = cl.id) pay ON true`

// filedClaims are the claims filed (a draft is not a claim yet), dated by
// filing: the cohort whose fate — award, payment — the indicators follow.
var filedClaims = `
	SELECT cl.case_id, extract(year FROM cl.filed_date)::int AS year, c.country, c.organization_id AS org, cl.currency,
		cl.amount_claimed, cl.amount_awarded, coalesce(pay.total, 0) AS paid
	FROM claims cl JOIN cases c ON c.id = cl.case_id ` + paidPerClaim + `
	WHERE cl.filed_date IS NOT NULL AND ` + usable

// Claims filed, by whether they were awarded (d1) and whether anything was
// paid on them (d2).
var claimEvents = events{dims: 2, sql: `
	SELECT case_id, year, country, org,
		CASE WHEN amount_awarded IS NULL THEN 'no' ELSE 'yes' END AS d1,
		CASE WHEN paid > 0 THEN 'yes' ELSE 'no' END AS d2, NULL::bigint AS v
	FROM (` + filedClaims + `) fc`}

// Amounts of the claims filed, by currency (d1): claimed, awarded (the
// latest award) and actually paid (the net ledger).
var (
	claimedEvents = events{dims: 1, sql: `SELECT case_id, year, country, org, currency AS d1, amount_claimed AS v
		FROM (` + filedClaims + `) fc WHERE amount_claimed IS NOT NULL`}
	awardedEvents = events{dims: 1, sql: `SELECT case_id, year, country, org, currency AS d1, amount_awarded AS v
		FROM (` + filedClaims + `) fc WHERE amount_awarded IS NOT NULL`}
	paidEvents = events{dims: 1, sql: `SELECT case_id, year, country, org, currency AS d1, paid AS v
		FROM (` + filedClaims + `) fc WHERE paid <> 0`}
)

// Victims who claimed compensation, dated by their first claim filed, by
// whether any of their claims has received a payment (d1).
var victimEvents = events{dims: 1, sql: `
	SELECT fc.case_id, extract(year FROM fc.first_filed)::int AS year, c.country, c.organization_id AS org,
		CASE WHEN fc.paid THEN 'yes' ELSE 'no' END AS d1, NULL::bigint AS v
	FROM (SELECT cl.case_id, min(cl.filed_date) AS first_filed, bool_or(coalesce(pay.total, 0) > 0) AS paid
		FROM claims cl ` + paidPerClaim + `
		WHERE cl.filed_date IS NOT NULL GROUP BY cl.case_id) fc
	JOIN cases c ON c.id = fc.case_id WHERE ` + usable}

// Services delivered to the person (case_services), by kind (d1, the
// ServiceKind number), dated by the day of delivery, with the whole days
// from the case's opening — the day the organisation took the person on,
// the only day of identification recorded besides its year — to it.
var serviceEvents = events{dims: 1, sql: `
	SELECT v.case_id, extract(year FROM v.delivered_date)::int AS year, c.country, c.organization_id AS org,
		v.kind::text AS d1, greatest(v.delivered_date - (c.create_time AT TIME ZONE 'UTC')::date, 0)::bigint AS v
	FROM case_services v JOIN cases c ON c.id = v.case_id
	WHERE ` + supportplan.DeliveredSQL("v") + ` AND ` + usable}

// Persons who received a first service, dated by its delivery, with the
// whole days from the case's opening to it: how soon after
// identification help arrived.
var firstServiceEvents = events{sql: `
	SELECT f.case_id, extract(year FROM f.first_delivered)::int AS year, c.country, c.organization_id AS org,
		greatest(f.first_delivered - (c.create_time AT TIME ZONE 'UTC')::date, 0)::bigint AS v
	FROM (SELECT v.case_id, min(v.delivered_date) AS first_delivered FROM case_services v
		WHERE ` + supportplan.DeliveredSQL("v") + ` GROUP BY v.case_id) f
	JOIN cases c ON c.id = f.case_id WHERE ` + usable}

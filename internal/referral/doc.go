// Package referral owns the referral lifecycle: the statuses a referral
// passes through, as the API names them and as PostgreSQL stores them, the
// SQL conditions over those statuses that every store uses, and which
// statuses share a case.
//
// Stores never write a status number: they build their WHERE clauses from
// the fragments here, so that "accepted" or "open" means the same thing in
// every query.
package referral

// Package referral owns the referral lifecycle, stated once: the statuses a
// referral passes through (as the API names them and as PostgreSQL stores
// them), the SQL conditions over them that every store uses, the
// transition table (who makes which change from which status, and the
// event it writes) including the server's own End when a referral loses
// its ground, "consent in force", and the outbox of referral events that
// WatchReferrals streams.
//
// Services never write a status number or restate a transition: they
// build their WHERE clauses from the fragments here, make transitions
// through the table, and call EndConsent, EndAll and EndExpired for the
// revocations the server makes itself. The case key that an accepted
// referral grants or an ended one takes away is handed over by
// internal/sharing, which this package calls (Granted, Ended).
package referral

// Package caseaccess decides who may reach a case, in one place, for every
// service that works on cases.
//
// It owns:
//   - the facts about a case an access decision needs (Facts: owner,
//     erasure, status, the accepted referrals with their classes and service),
//     loaded in one statement, or aggregated into a caller's own query with
//     SharesColumn;
//   - the visibility rule, as a SQL fragment (VisibleSQL) and a Go predicate
//     (Facts.VisibleTo) side by side;
//   - the legal-work rule (LegalSQL and Facts.LegalWorkBy): court data of a
//     shared case — proceedings, hearings, deadlines, claims, payments — is
//     reached, read or written, only through an accepted legal referral;
//   - the lawyer check (IsLawyer, CheckLawyer);
//   - the case statuses, the case lifecycle (Transitions: which status may
//     go to which, by which action) and the one decision whether a case may
//     make a transition (CheckTransition), with the rule on top of it that
//     a closure the owner requires a supervisor's approval of needs one
//     (Transit loads and uses it); the rule that a closed or erased case is
//     not referred (Facts.CheckReferrable) and takes no casework
//     (Facts.CheckWorkable);
//   - the mapping of a decision to what the client sees (Gate): NotFound
//     for a case the caller may not see, PermissionDenied for one they see
//     but may not do this on.
//
// authz stays the pure decision maker over the policy; this package gives
// it the facts and applies the rules the policy cannot know.
package caseaccess

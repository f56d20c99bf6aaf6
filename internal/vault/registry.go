package vault

import "github.com/casebridge/casebridge/internal/dataclass"

// The registry: every column that holds values sealed under a case key. The
// README's protected-data table lists the same entries (a test compares
// them), and a test over the migrated schema fails when a bytea column is
// neither here nor on its list of columns that hold no victim data.
//
// Every registered table has a case_id column naming the case whose key the
// value is sealed under.
var (
	// CaseSecrets holds one value per sensitive class of a case (the
	// class's message of the Case), bound to the case id alone.
	CaseSecrets = &Column{
		table: "case_secrets", id: "class", value: "ciphertext", classColumn: "class", wholeRow: true,
		encoding: EncodingClassMessage,
		bind:     func(caseID, _ string) string { return caseID },
		about:    "each sensitive class of the case record (identity, contact, care, legal)",
	}
	// CaseNotes holds a note of the case file, in the class its author chose.
	CaseNotes = &Column{
		table: "case_notes", id: "id", value: "ciphertext", classColumn: "class", wholeRow: true,
		encoding: EncodingText,
		bind:     func(caseID, id string) string { return caseID + "/notes/" + id },
		about:    "notes of the case file, in the class their author chose",
	}
	// HearingNotes holds a hearing's notes.
	HearingNotes = &Column{
		table: "hearings", id: "id", value: "notes", class: dataclass.Legal, encoding: EncodingText,
		bind:  func(caseID, id string) string { return caseID + "/hearings/" + id },
		about: "a hearing's notes",
	}
)

// Free text about the person outside the case record: one sealed column
// per table ("texts"), holding the row's free-text fields together. Only
// kinds, stages, outcomes, dates and amounts stay in plain columns.
var (
	// ReferralTexts holds a referral's message and decline reason,
	// readable by both organisations of the referral.
	ReferralTexts = texts("referrals", dataclass.Care, "a referral's message and decline reason")
	// ConsentTexts holds how a consent was given.
	ConsentTexts = texts("consents", dataclass.Legal, "how a consent was given (its method)")
	// ProceedingTexts holds a proceeding's court, docket number, charges,
	// strategic goal and sentence.
	ProceedingTexts = texts("proceedings", dataclass.Legal, "a proceeding's court, docket number, charges, strategic goal and sentence")
	// HearingTexts holds a hearing's outcome and cancellation reason.
	HearingTexts = texts("hearings", dataclass.Legal, "a hearing's outcome and cancellation reason")
	// DeadlineTexts holds a deadline's description and cancellation reason.
	DeadlineTexts = texts("deadlines", dataclass.Legal, "a deadline's description and cancellation reason")
	// ClaimTexts holds a claim's respondent name and status reason.
	ClaimTexts = texts("claims", dataclass.Legal, "a claim's respondent name and status reason")
	// PaymentTexts holds a payment's payer name and correction reason.
	PaymentTexts = texts("claim_payments", dataclass.Legal, "a payment's payer name and correction reason")
	// TaskTexts holds a follow-up task's title and notes.
	TaskTexts = texts("tasks", dataclass.Care, "a follow-up task's title and notes")
	// CaseHistoryReasons holds the reason given for a change of the case's
	// status (closure, suspension, reopening) or for its erasure.
	CaseHistoryReasons = &Column{
		table: "case_history", id: "id", value: "reason", class: dataclass.Legal, encoding: EncodingText,
		bind:  bindRow("case_history", "reason"),
		about: "the reason given for a closure, suspension, reopening or erasure",
	}
)

// Casework: the support plan, the services arranged and the approvals
// asked for are care data; their statuses and dates stay plain.
var (
	// SupportPlanTexts holds a support plan's summary.
	SupportPlanTexts = texts("support_plans", dataclass.Care, "a support plan's summary of needs and what was agreed")
	// ObjectiveTexts holds a support-plan objective's description.
	ObjectiveTexts = texts("support_plan_objectives", dataclass.Care, "a support-plan objective's description")
	// ActionTexts holds a support-plan action's description.
	ActionTexts = texts("support_plan_actions", dataclass.Care, "a support-plan action's description")
	// ServiceTexts holds a service's description and outcome.
	ServiceTexts = texts("case_services", dataclass.Care, "a service's description and outcome")
	// ApprovalTexts holds an approval's request and decision comments.
	ApprovalTexts = texts("approvals", dataclass.Care, "an approval's request and decision comments")
)

// DocumentEnvelopes holds a document's own key, which opens its content in
// the blob store, with its title, kind, date and file name: re-keying the
// case re-seals this small value only, never the file, and erasure deletes
// the row, so the content is unreadable even where a copy of it survives.
var DocumentEnvelopes = &Column{
	table: "documents", id: "id", value: "envelope", classColumn: "class", wholeRow: true,
	encoding: EncodingDocument,
	bind:     bindRow("documents", "envelope"),
	about:    "a document's own key and its title, kind, date and file name, in the class it is filed under",
}

func texts(table string, class dataclass.Class, about string) *Column {
	return &Column{table: table, id: "id", value: "texts", class: class, encoding: EncodingTexts, bind: bindRow(table, "texts"), about: about}
}

var registry = []*Column{
	CaseSecrets,
	CaseNotes,
	HearingNotes,
	ReferralTexts,
	ConsentTexts,
	ProceedingTexts,
	HearingTexts,
	DeadlineTexts,
	ClaimTexts,
	PaymentTexts,
	CaseHistoryReasons,
	SupportPlanTexts,
	ObjectiveTexts,
	ActionTexts,
	ServiceTexts,
	ApprovalTexts,

	DocumentEnvelopes,
	TaskTexts,
}

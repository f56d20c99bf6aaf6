package vault

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
		bind:  func(caseID, _ string) string { return caseID },
		about: "each sensitive class of the case record (identity, contact, care, legal)",
	}
	// CaseNotes holds a note of the case file, in the class its author chose.
	CaseNotes = &Column{
		table: "case_notes", id: "id", value: "ciphertext", classColumn: "class", wholeRow: true,
		bind:  func(caseID, id string) string { return caseID + "/notes/" + id },
		about: "notes of the case file, in the class their author chose",
	}
	// HearingNotes holds a hearing's notes.
	HearingNotes = &Column{
		table: "hearings", id: "id", value: "notes", class: ClassLegal,
		bind:  func(caseID, id string) string { return caseID + "/hearings/" + id },
		about: "a hearing's notes",
	}
)

var registry = []*Column{
	CaseSecrets,
	CaseNotes,
	HearingNotes,
}

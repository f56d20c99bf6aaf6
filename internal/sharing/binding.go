package sharing

// NoteBinding is the vault binding of a note's ciphertext: its case and its
// own id (the class is bound too, by the vault), so that one note cannot be
// swapped for another. Whoever seals, opens or re-keys a note must use it.
func NoteBinding(caseID, noteID string) string {
	return caseID + "/notes/" + noteID
}

// The sensitive classes of a case (case_secrets) are bound to the case id
// alone, plus their class: see vault.Seal.

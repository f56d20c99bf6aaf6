package vault

import "fmt"

// Class is a category of sensitive data. Each sealed field is bound to its
// class so that, for example, a legal-status ciphertext cannot be served back
// as a contact field; roles and audit are also expressed per class.
type Class string

// The data classes Casebridge encrypts.
const (
	// ClassIdentity covers who a person is: names, birth date, documents.
	ClassIdentity Class = "identity"
	// ClassContact covers where a person can be reached or found.
	ClassContact Class = "contact"
	// ClassCare covers health, counselling and shelter placement notes.
	ClassCare Class = "care"
	// ClassLegal covers immigration status, proceedings and testimony.
	ClassLegal Class = "legal"
)

// ParseClass turns external input (API fields, config) into a Class, so that
// unknown class names are rejected at the boundary instead of being bound
// into ciphertexts.
func ParseClass(s string) (Class, error) {
	c := Class(s)
	if !c.valid() {
		return "", fmt.Errorf("vault: parse class %q: %w", s, ErrInvalidClass)
	}
	return c, nil
}

func (c Class) valid() bool {
	switch c {
	case ClassIdentity, ClassContact, ClassCare, ClassLegal:
		return true
	}
	return false
}

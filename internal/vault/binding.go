package vault

import (
	"fmt"

	"github.com/casebridge/casebridge/internal/dataclass"
)

// maxCaseIDLen bounds the case id carried in every ciphertext header.
const maxCaseIDLen = 128

// checkCaseID enforces that a case id can be bound unambiguously: it is
// written as an age stanza argument (which admits only printable ASCII
// without spaces) and as a newline-terminated line in wrapped case keys.
func checkCaseID(caseID string) error {
	if len(caseID) == 0 || len(caseID) > maxCaseIDLen {
		return fmt.Errorf("%w: length must be 1 to %d bytes", ErrInvalidCaseID, maxCaseIDLen)
	}
	for i := 0; i < len(caseID); i++ {
		if c := caseID[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("%w: only printable ASCII without spaces is allowed", ErrInvalidCaseID)
		}
	}
	return nil
}

// checkBinding validates both halves of a field binding.
func checkBinding(caseID string, class dataclass.Class) error {
	if err := checkCaseID(caseID); err != nil {
		return err
	}
	if !class.Valid() {
		return fmt.Errorf("%w: %q", ErrInvalidClass, string(class))
	}
	return nil
}

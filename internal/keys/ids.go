package keys

import (
	"fmt"
	"regexp"
	"slices"
)

// checkUUID accepts only the canonical, lowercase spelling of a UUID.
// PostgreSQL accepts many spellings of one uuid, but a case id is also bound
// as a string into its wrapped key: a key wrapped under "ABC…" would fail to
// unwrap when the id is read back from the database as "abc…".
func checkUUID(what, id string) error {
	if len(id) != 36 {
		return fmt.Errorf("%w: %s must be a lowercase canonical UUID", ErrInvalidID, what)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return fmt.Errorf("%w: %s must be a lowercase canonical UUID", ErrInvalidID, what)
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return fmt.Errorf("%w: %s must be a lowercase canonical UUID", ErrInvalidID, what)
			}
		}
	}
	return nil
}

// orgIDPattern mirrors the CHECK constraint on organizations.id, so a bad id
// is reported as such rather than as "no active key".
var orgIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func checkOrgID(id string) error {
	if !orgIDPattern.MatchString(id) {
		return fmt.Errorf("%w: organisation id %q", ErrInvalidID, id)
	}
	return nil
}

// orgSet validates organisation ids and removes duplicates (keeping order),
// so a case is wrapped once per organisation key however it is asked.
func orgSet(orgIDs []string) ([]string, error) {
	if len(orgIDs) == 0 {
		return nil, fmt.Errorf("%w: no organisation given", ErrInvalidID)
	}
	out := make([]string, 0, len(orgIDs))
	for _, id := range orgIDs {
		if err := checkOrgID(id); err != nil {
			return nil, err
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

package vault

import (
	"fmt"
	"slices"

	"github.com/casebridge/casebridge/internal/dataclass"
)

// Column is one database column that holds values sealed under a case key.
// The registry of columns ([Columns]) is the only way to seal or open a
// value: a value can be sealed for a column only through that column's
// entry, so nothing can be written encrypted that re-keying, erasure and
// key rotation do not know about.
//
// A value is bound to its case, its column, its row and its data class, so
// that a ciphertext copied into another row, column or case fails to open.
type Column struct {
	table string
	id    string // the column naming the row within its case
	value string // the bytea column holding the ciphertext
	// class is the one data class of every value of the column; classColumn
	// names instead the column holding each row's class (as the API number)
	// when the column holds values of several classes.
	class       dataclass.Class
	classColumn string
	// wholeRow means the row exists only to hold the sealed value, so
	// erasure deletes the row rather than clearing the column.
	wholeRow bool
	// encoding is what the plaintext of a value is.
	encoding Encoding
	// bind returns the binding for a value of case caseID in row id.
	bind func(caseID, id string) string
	// about says what the column holds, for the documentation.
	about string
}

// Encoding says what the plaintext of a sealed value is. It is part of the
// stored format (docs/sealed-format.md): a reader that opens a value
// decodes it so.
type Encoding int

// The encodings of sealed plaintexts.
const (
	// EncodingClassMessage is the protobuf binary encoding of the
	// casebridge.v1.Case field named like the value's class (Identity,
	// Contact, Care or Legal message).
	EncodingClassMessage Encoding = iota + 1
	// EncodingText is UTF-8 text, as written.
	EncodingText
	// EncodingTexts is a JSON object of the row's free-text fields, each
	// named like the plain column it replaced, empty ones left out.
	EncodingTexts
	// EncodingDocument is a JSON object of a document's own key ("key", an
	// age X25519 identity opening its content) and its texts ("title",
	// "kind", "date", "file_name"; empty ones left out).
	EncodingDocument
)

// String names the encoding as the format specification does.
func (e Encoding) String() string {
	switch e {
	case EncodingClassMessage:
		return "class message"
	case EncodingText:
		return "text"
	case EncodingTexts:
		return "texts"
	case EncodingDocument:
		return "document"
	}
	return "unknown"
}

// Encoding is what the plaintext of the column's values is.
func (c *Column) Encoding() Encoding { return c.encoding }

// Table is the table holding the column.
func (c *Column) Table() string { return c.table }

// IDColumn is the column that identifies a row within its case (together
// with case_id, which every registered table carries).
func (c *Column) IDColumn() string { return c.id }

// Value is the bytea column holding the ciphertext.
func (c *Column) Value() string { return c.value }

// Class is the data class of every value of the column, or "" when each row
// names its own (see [Column.ClassColumn]).
func (c *Column) Class() dataclass.Class { return c.class }

// ClassColumn names the column holding each row's class as the API's
// DataClass number, or "" when the column has one class ([Column.Class]).
func (c *Column) ClassColumn() string { return c.classColumn }

// WholeRow reports whether the row exists only for its sealed value, so
// that erasure deletes the row instead of clearing the value.
func (c *Column) WholeRow() bool { return c.wholeRow }

// About says in a few words what the column holds.
func (c *Column) About() string { return c.about }

// String names the column as table.column.
func (c *Column) String() string { return c.table + "." + c.value }

// Binding is what a value of case caseID in row id is bound to, besides its
// class. It is part of the stored format: changing it makes existing
// ciphertexts unreadable.
func (c *Column) Binding(caseID, id string) string { return c.bind(caseID, id) }

// Seal encrypts plaintext for row id of case caseID in this column, in
// class, under key. class must be the column's own class when it has one.
// Sealing the same value twice yields different ciphertexts.
func (c *Column) Seal(key *CaseKey, caseID, id string, class dataclass.Class, plaintext []byte) ([]byte, error) {
	if err := c.check(caseID, class); err != nil {
		return nil, fmt.Errorf("vault: seal %s: %w", c, err)
	}
	ct, err := seal(key, c.bind(caseID, id), class, plaintext)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	return ct, nil
}

// Open decrypts a value that [Column.Seal] produced for the same column,
// case, row and class. It fails with [ErrWrongBinding] or [ErrCorrupt] for
// a value of another row, column, case or class, or one sealed under
// another key; no plaintext is returned unless the whole value
// authenticates.
func (c *Column) Open(key *CaseKey, caseID, id string, class dataclass.Class, ciphertext []byte) ([]byte, error) {
	if err := c.check(caseID, class); err != nil {
		return nil, fmt.Errorf("vault: open %s: %w", c, err)
	}
	pt, err := open(key, c.bind(caseID, id), class, ciphertext)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	return pt, nil
}

func (c *Column) check(caseID string, class dataclass.Class) error {
	if err := checkCaseID(caseID); err != nil {
		return err
	}
	if !class.Valid() || (c.class != "" && class != c.class) {
		return fmt.Errorf("%w: %q is not a class of this column", ErrInvalidClass, string(class))
	}
	return nil
}

// Columns lists every registered column, in a fixed order.
func Columns() []*Column { return slices.Clone(registry) }

// LookupColumn returns the registered column table.value, or nil.
func LookupColumn(table, value string) *Column {
	for _, c := range registry {
		if c.table == table && c.value == value {
			return c
		}
	}
	return nil
}

// bindRow is the binding of the columns registered since the registry
// exists: the case, then the column, then the row.
func bindRow(table, value string) func(caseID, id string) string {
	return func(caseID, id string) string { return caseID + "/" + table + "." + value + "/" + id }
}

// Package dataclass is the one spelling of a sensitive data class inside
// the server. A Class is the word the policy uses as its object, the vault
// binds into every ciphertext, and the audit log records ("identity",
// "contact", "care", "legal"). The other spellings exist only at the
// edges, and are converted here and nowhere else: the API enum
// (casebridgev1.DataClass, see FromProto and Proto) and the number
// PostgreSQL stores, which is the enum's value (FromStored and Stored).
package dataclass

import (
	"errors"
	"fmt"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Class is a category of sensitive data. Each sealed value is bound to its
// class so that, for example, a legal ciphertext cannot be served back as
// a contact field; roles and audit events are also expressed per class.
type Class string

// The sensitive data classes.
const (
	// Identity covers who a person is: names, birth date, documents.
	Identity Class = "identity"
	// Contact covers where a person can be reached or found.
	Contact Class = "contact"
	// Care covers health, counselling and shelter placement notes.
	Care Class = "care"
	// Legal covers immigration status, proceedings and testimony.
	Legal Class = "legal"
)

// All lists the classes in API order, the order in which lists of
// classes are returned and recorded.
var All = []Class{Identity, Contact, Care, Legal}

// ErrUnknown means a string or number is not one of the data classes.
var ErrUnknown = errors.New("unknown data class")

var toProto = map[Class]casebridgev1.DataClass{
	Identity: casebridgev1.DataClass_DATA_CLASS_IDENTITY,
	Contact:  casebridgev1.DataClass_DATA_CLASS_CONTACT,
	Care:     casebridgev1.DataClass_DATA_CLASS_CARE,
	Legal:    casebridgev1.DataClass_DATA_CLASS_LEGAL,
}

// Valid reports whether c is one of the data classes.
func (c Class) Valid() bool {
	_, ok := toProto[c]
	return ok
}

// Parse turns external input (an update mask path, a stored audit word)
// into a Class, so that unknown names are refused at the boundary instead
// of being bound into ciphertexts.
func Parse(s string) (Class, error) {
	if c := Class(s); c.Valid() {
		return c, nil
	}
	return "", fmt.Errorf("parse class %q: %w", s, ErrUnknown)
}

// FromProto is the class an API enum value names, "" for UNSPECIFIED or an
// unknown value.
func FromProto(p casebridgev1.DataClass) Class {
	for c, v := range toProto {
		if v == p {
			return c
		}
	}
	return ""
}

// Proto is c as the API enum (UNSPECIFIED for an invalid class).
func (c Class) Proto() casebridgev1.DataClass { return toProto[c] }

// FromProtos converts API enum values, skipping unspecified or unknown ones.
func FromProtos(ps []casebridgev1.DataClass) []Class {
	out := make([]Class, 0, len(ps))
	for _, p := range ps {
		if c := FromProto(p); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// Protos converts classes to the API enum, for a response.
func Protos(cs []Class) []casebridgev1.DataClass {
	if len(cs) == 0 {
		return nil
	}
	out := make([]casebridgev1.DataClass, len(cs))
	for i, c := range cs {
		out[i] = c.Proto()
	}
	return out
}

// FromStored is the class a stored number names ("" for an unknown one).
func FromStored(n int16) Class { return FromProto(casebridgev1.DataClass(n)) }

// Stored is c as PostgreSQL stores it (the API enum's value).
func (c Class) Stored() int16 { return int16(c.Proto()) }

// FromStoredList converts stored class numbers, skipping unknown ones.
func FromStoredList(ns []int16) []Class {
	out := make([]Class, 0, len(ns))
	for _, n := range ns {
		if c := FromStored(n); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// StoredList converts classes to their stored numbers.
func StoredList(cs []Class) []int16 {
	out := make([]int16, len(cs))
	for i, c := range cs {
		out[i] = c.Stored()
	}
	return out
}

// Bit is c's bit in a case's classes_present mask.
func (c Class) Bit() int16 { return 1 << (c.Stored() - 1) }

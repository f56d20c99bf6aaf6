// Package dataclass maps the sensitive data classes between their three
// spellings: the API enum, the number stored in PostgreSQL (the same value)
// and the name used by the policy and the vault ("identity", ...).
package dataclass

import (
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// All lists the classes in API order.
var All = []casebridgev1.DataClass{
	casebridgev1.DataClass_DATA_CLASS_IDENTITY,
	casebridgev1.DataClass_DATA_CLASS_CONTACT,
	casebridgev1.DataClass_DATA_CLASS_CARE,
	casebridgev1.DataClass_DATA_CLASS_LEGAL,
}

var names = map[casebridgev1.DataClass]vault.Class{
	casebridgev1.DataClass_DATA_CLASS_IDENTITY: vault.ClassIdentity,
	casebridgev1.DataClass_DATA_CLASS_CONTACT:  vault.ClassContact,
	casebridgev1.DataClass_DATA_CLASS_CARE:     vault.ClassCare,
	casebridgev1.DataClass_DATA_CLASS_LEGAL:    vault.ClassLegal,
}

// Name returns the policy/vault name of c ("" for an unknown class).
func Name(c casebridgev1.DataClass) vault.Class { return names[c] }

// FromName returns the API enum for a policy/vault name.
func FromName(name string) casebridgev1.DataClass {
	for c, n := range names {
		if string(n) == name {
			return c
		}
	}
	return casebridgev1.DataClass_DATA_CLASS_UNSPECIFIED
}

// Names converts stored class numbers to policy names, skipping unknown ones.
func Names(stored []int16) []string {
	out := make([]string, 0, len(stored))
	for _, s := range stored {
		if n, ok := names[casebridgev1.DataClass(s)]; ok {
			out = append(out, string(n))
		}
	}
	return out
}

// Bit is c's bit in a case's classes_present mask.
func Bit(c casebridgev1.DataClass) int16 { return 1 << (int16(c) - 1) }

// Package enumarg lets people type API enum values the short way —
// "female", "forced-labour", "in-assistance", "18-20" — instead of
// SEX_FEMALE, and shows them the same way in tables. The names come from
// the generated descriptors, so a value added to the API is usable at once.
package enumarg

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Enum is a generated protobuf enum type.
type Enum interface {
	~int32
	Descriptor() protoreflect.EnumDescriptor
}

// prefix is what every value name of d starts with: the name of its zero
// value without "UNSPECIFIED" ("SEX_" for SEX_UNSPECIFIED).
func prefix(d protoreflect.EnumDescriptor) string {
	zero := d.Values().ByNumber(0)
	if zero == nil {
		return ""
	}
	return strings.TrimSuffix(string(zero.Name()), "UNSPECIFIED")
}

// short is the typed form of a value name: without the prefix, lower case,
// words joined by hyphens ("EXPLOITATION_FORM_FORCED_LABOUR" → "forced-labour").
func short(d protoreflect.EnumDescriptor, name protoreflect.Name) string {
	s := strings.TrimPrefix(string(name), prefix(d))
	return strings.ReplaceAll(strings.ToLower(s), "_", "-")
}

// Name is the short name of v, or "" for the unspecified value and for
// numbers the descriptor does not know.
func Name[E Enum](v E) string {
	if v == 0 {
		return ""
	}
	d := v.Descriptor()
	ev := d.Values().ByNumber(protoreflect.EnumNumber(v))
	if ev == nil {
		return fmt.Sprint(int32(v))
	}
	return short(d, ev.Name())
}

// Names joins the short names of vs with commas.
func Names[E Enum](vs []E) string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, Name(v))
	}
	return strings.Join(out, ",")
}

// Choices lists the short names that can be typed for E, unspecified left out.
func Choices[E Enum]() []string {
	var zero E
	d := zero.Descriptor()
	var out []string
	for i := 0; i < d.Values().Len(); i++ {
		v := d.Values().Get(i)
		if v.Number() != 0 {
			out = append(out, short(d, v.Name()))
		}
	}
	return out
}

// normalize folds case, spaces and underscores so that "Forced Labour",
// "forced_labour" and "FORCED-LABOUR" are the same word.
func normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("_", "-", " ", "-").Replace(s)
}

// Parse reads one value of E: its short name, its full name, or an alias
// registered for E. The unspecified value cannot be typed.
func Parse[E Enum](s string) (E, error) {
	var zero E
	d := zero.Descriptor()
	want := normalize(s)
	if alias, ok := aliases[d.FullName()][want]; ok {
		want = alias
	}
	pre := normalize(prefix(d))
	for i := 0; i < d.Values().Len(); i++ {
		v := d.Values().Get(i)
		if v.Number() == 0 {
			continue
		}
		name := short(d, v.Name())
		if want == name || want == pre+name {
			return E(v.Number()), nil
		}
	}
	return zero, fmt.Errorf("unknown value %q (one of: %s)", s, strings.Join(Choices[E](), ", "))
}

// ParseList reads a comma-separated list of E; an empty string is no values.
func ParseList[E Enum](s string) ([]E, error) {
	var out []E
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		v, err := Parse[E](part)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

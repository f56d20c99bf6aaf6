package scheduler

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkIDsOnly refuses an argument type with a field that could carry
// victim data: only ids (strings whose JSON name ends in _id), counts,
// flags and times are allowed, and every field is named in JSON.
func checkIDsOnly(t reflect.Type) error {
	if t.Kind() != reflect.Struct {
		return fmt.Errorf("%s is not a struct", t)
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			return fmt.Errorf("%s.%s has no JSON name", t.Name(), f.Name)
		}
		switch {
		case f.Type == reflect.TypeOf(time.Time{}):
		case f.Type.Kind() == reflect.String && strings.HasSuffix(name, "_id"):
		case f.Type.Kind() == reflect.Int64, f.Type.Kind() == reflect.Int32, f.Type.Kind() == reflect.Bool:
		default:
			return fmt.Errorf("%s.%s (%s, %q) is neither an id, a count, a flag nor a time", t.Name(), f.Name, f.Type, name)
		}
	}
	return nil
}

// TestJobArgumentsCarryIDsOnly: river_job keeps arguments in plain JSON,
// in backups too, after the rows they name are erased; every declared
// argument type holds ids, counts, flags and times only.
func TestJobArgumentsCarryIDsOnly(t *testing.T) {
	kinds := map[string]bool{}
	for _, a := range Declared() {
		if err := checkIDsOnly(reflect.TypeOf(a)); err != nil {
			t.Error(err)
		}
		k := a.(interface{ Kind() string }).Kind()
		if kinds[k] {
			t.Errorf("kind %q declared twice", k)
		}
		kinds[k] = true
		if _, err := json.Marshal(a); err != nil {
			t.Errorf("%T: %v", a, err)
		}
	}
	if len(kinds) < 5 {
		t.Fatalf("only %d argument types declared", len(kinds))
	}
}

// TestTheArgumentCheckRefusesText: the check above fails on a type that
// carries free text, a name or an unnamed field.
func TestTheArgumentCheckRefusesText(t *testing.T) {
	for _, bad := range []any{
		struct {
			CaseID string `json:"case_id"`
			Title  string `json:"title"`
		}{},
		struct {
			Names []string `json:"names_id"`
		}{},
		struct{ CaseID string }{},
		struct {
			Payload map[string]any `json:"payload"`
		}{},
	} {
		if checkIDsOnly(reflect.TypeOf(bad)) == nil {
			t.Errorf("%T passed the ids-only check", bad)
		}
	}
}

// TestHandleRefusesUndeclaredArguments: a worker for an argument type not
// declared in jobs.go (so not seen by the test above) is refused.
func TestHandleRefusesUndeclaredArguments(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Handle accepted undeclared job arguments")
		}
	}()
	s := New(nil, nil, Options{})
	Handle(s, workFunc[undeclaredArgs]())
}

type undeclaredArgs struct {
	Note string `json:"note"`
}

func (undeclaredArgs) Kind() string { return "undeclared" }

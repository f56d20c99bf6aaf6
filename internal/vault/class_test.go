package vault

import (
	"errors"
	"testing"
)

func TestParseClass(t *testing.T) {
	tests := []struct {
		in      string
		want    Class
		wantErr bool
	}{
		{"identity", ClassIdentity, false},
		{"contact", ClassContact, false},
		{"care", ClassCare, false},
		{"legal", ClassLegal, false},
		{"", "", true},
		{"Identity", "", true},
		{"medical", "", true},
		{"care ", "", true},
	}
	for _, tt := range tests {
		got, err := ParseClass(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidClass) {
				t.Errorf("ParseClass(%q) error = %v, want ErrInvalidClass", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseClass(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
		}
	}
}

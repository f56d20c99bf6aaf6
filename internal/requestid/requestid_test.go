package requestid

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"
)

// TestFromIncoming: a client's id is kept exactly when it is 1 to 64 of
// letters, digits and ".", "_", ":", "-"; any other gets a fresh random id
// instead (24 hex digits), so that no client text reaches a log unchecked.
func TestFromIncoming(t *testing.T) {
	for _, c := range []struct {
		id   string
		kept bool
	}{
		{"abc-123", true}, {"A.b_c:d-E9", true}, {strings.Repeat("x", 64), true}, {"z", true},
		{"", false}, {strings.Repeat("x", 65), false}, {"a b", false}, {"a\nb", false}, {"a/b", false},
		{"é", false}, {"a\"b", false}, {"a;b", false}, {"\x00", false}, {"a{}", false},
	} {
		ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(MetadataKey, c.id))
		got := FromIncoming(ctx)
		if kept := got == c.id; kept != c.kept {
			t.Errorf("%q: got %q, kept %v, want kept %v", c.id, got, kept, c.kept)
		}
		if !c.kept && (len(got) != 24 || strings.Trim(got, "0123456789abcdef") != "") {
			t.Errorf("%q: fresh id %q is not 24 hex digits", c.id, got)
		}
	}
	if got := FromIncoming(context.Background()); len(got) != 24 {
		t.Errorf("no metadata: %q", got)
	}
}

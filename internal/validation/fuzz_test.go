package validation_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/casebridge/casebridge/internal/validation"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// requestTypes are every request message of the API.
func requestTypes() []protoreflect.MessageType {
	var out []protoreflect.MessageType
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		name := string(mt.Descriptor().FullName())
		if strings.HasPrefix(name, "casebridge.v1.") && strings.HasSuffix(name, "Request") {
			out = append(out, mt)
		}
		return true
	})
	return out
}

// FuzzCheck decodes hostile bytes as each request type of the API and
// validates them: the answer is nil or InvalidArgument naming fields — a
// rule that fails to evaluate (a bug of ours) or a panic fails the target.
func FuzzCheck(f *testing.F) {
	_ = casebridgev1.File_casebridge_v1_case_service_proto // the API's types are registered
	types := requestTypes()
	if len(types) < 50 {
		f.Fatalf("only %d request types registered", len(types))
	}
	v, err := validation.New()
	if err != nil {
		f.Fatal(err)
	}
	seeds := []proto.Message{
		&casebridgev1.CreateCaseRequest{RequestId: "not-a-uuid", Case: &casebridgev1.Case{Coded: &casebridgev1.CodedAttributes{Nationality: "UA"}}},
		&casebridgev1.RecordPaymentRequest{ClaimId: "0b9e7c44-6f55-4d8e-9d3c-1a2b3c4d5e6f", Amount: &casebridgev1.Money{CurrencyCode: "RSD", AmountMinor: -1}, PaidDate: "2026-13-01"},
		&casebridgev1.ListCasesRequest{PageSize: 501, PageToken: strings.Repeat("x", 600)},
		&casebridgev1.VerifyChainRequest{FromSequence: 9, ToSequence: 3},
	}
	for i, m := range seeds {
		b, _ := proto.Marshal(m)
		for j, mt := range types {
			if mt.Descriptor().FullName() == m.ProtoReflect().Descriptor().FullName() {
				f.Add(uint16(j), b)
			}
		}
		f.Add(uint16(i), b)
	}
	f.Fuzz(func(t *testing.T, which uint16, data []byte) {
		mt := types[int(which)%len(types)]
		m := mt.New().Interface()
		if err := proto.Unmarshal(data, m); err != nil {
			return
		}
		err := v.Check(m)
		if err == nil {
			return
		}
		if st, ok := status.FromError(err); !ok || st.Code() != codes.InvalidArgument {
			t.Fatalf("%s: %v, want nil or InvalidArgument", mt.Descriptor().FullName(), err)
		}
	})
}

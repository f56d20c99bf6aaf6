package stats

import (
	"context"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/casebridge/casebridge/internal/audit"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// auditQuery puts the shape of a statistics query on its audit event: the
// dimensions asked for and the fields filtered on — never the filter's
// values, nor any figure. That is enough for an auditor to see a caller
// working through many narrow queries, which is how one would try to
// single out a person by differencing.
func auditQuery(ctx context.Context, dims []casebridgev1.Dimension, filter proto.Message) {
	for _, d := range dims {
		audit.Detail(ctx, audit.DetailDimension, strings.ToLower(strings.TrimPrefix(d.String(), "DIMENSION_")))
	}
	if filter == nil || !filter.ProtoReflect().IsValid() {
		return
	}
	filter.ProtoReflect().Range(func(f protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		audit.Detail(ctx, audit.DetailFilter, string(f.Name()))
		return true
	})
}

// auditExport records an export's format and the shape of its table.
func auditExport(ctx context.Context, req *casebridgev1.ExportCasesRequest) {
	audit.Detail(ctx, audit.DetailFormat, strings.ToLower(strings.TrimPrefix(req.GetFormat().String(), "EXPORT_FORMAT_")))
	auditQuery(ctx, req.GetDimensions(), req.GetFilter())
}

// auditIndicators records whether the indicators were narrowed to a country.
func auditIndicators(ctx context.Context, req *casebridgev1.GetIndicatorsRequest) {
	if req.GetCountry() != "" {
		audit.Detail(ctx, audit.DetailFilter, "country")
	}
}

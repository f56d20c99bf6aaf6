package web

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// shownEnums are the API's enums that pages show: each value needs a label
// (message enum.<VALUE_NAME>) in every language, which a test checks. An
// area adds the enums its pages show.
var shownEnums = []protoreflect.EnumDescriptor{
	casebridgev1.CaseStatus(0).Descriptor(),
	casebridgev1.Sex(0).Descriptor(),
	casebridgev1.AgeBand(0).Descriptor(),
	casebridgev1.ChildStatus(0).Descriptor(),
	casebridgev1.ExploitationForm(0).Descriptor(),
	casebridgev1.IdentificationStatus(0).Descriptor(),
	casebridgev1.ConsentPurpose(0).Descriptor(),
	casebridgev1.ConsentDecision(0).Descriptor(),
	casebridgev1.ConsentState(0).Descriptor(),
	casebridgev1.DataClass(0).Descriptor(),
	casebridgev1.OrganizationKind(0).Descriptor(),
	casebridgev1.Role(0).Descriptor(),
	casebridgev1.ServiceKind(0).Descriptor(),
	casebridgev1.ReferralStatus(0).Descriptor(),
	casebridgev1.CaseChangeReason(0).Descriptor(),
}

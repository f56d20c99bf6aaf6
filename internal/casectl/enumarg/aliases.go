package enumarg

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// aliases are other words people use for a value, per enum (alias → short
// name), so that "--purpose legal" and "--by age" work as meant. American
// spellings are accepted beside the API's British ones.
var aliases = map[protoreflect.FullName]map[string]string{
	name[casebridgev1.ConsentPurpose](): {
		"legal": "legal-representation", "representation": "legal-representation",
		"stats": "statistics",
	},
	name[casebridgev1.OrganizationKind](): {
		"legal": "legal-aid", "coordinator": "coordinating-body", "network": "coordinating-body",
		"medical-service": "medical", "state": "state-body",
	},
	name[casebridgev1.ExploitationForm](): {
		"labour": "forced-labour", "labor": "forced-labour", "forced-labor": "forced-labour",
		"marriage": "forced-marriage", "criminality": "forced-criminality", "organs": "organ-removal",
	},
	name[casebridgev1.Dimension](): {
		"age": "age-band", "form": "exploitation-form", "forms": "exploitation-form",
		"exploitation": "exploitation-form", "identification": "identification-status",
		"org-kind": "organization-kind", "organisation-kind": "organization-kind",
		"citizenship": "nationality",
	},
	name[casebridgev1.AgeBand]():              {"48+": "48-plus"},
	name[casebridgev1.ChildStatus]():          {"yes": "child", "no": "adult", "minor": "child"},
	name[casebridgev1.IdentificationStatus](): {"not": "not-identified", "none": "not-identified"},
	name[casebridgev1.VictimRole]():           {"injured": "injured-party"},
	name[casebridgev1.ClaimType](): {
		"criminal": "criminal-proceedings", "civil": "civil-action", "fund": "state-fund",
		"labour": "labour-claim", "labor": "labour-claim",
	},
	name[casebridgev1.ClaimPartyKind](): {"fund": "state-fund", "state": "state-fund"},
	name[casebridgev1.ProtectiveMeasure](): {
		"video": "video-link-testimony", "closed": "closed-hearing", "identity": "identity-protection",
		"witness-protection": "witness-protection-programme",
	},
}

func name[E Enum]() protoreflect.FullName {
	var zero E
	return zero.Descriptor().FullName()
}

package audit

import "context"

// DetailName names one kind of fact an administrative call's event records.
// Only the names below exist, and each takes an id, a role or a code as
// its value: an event's details can never carry victim data.
type DetailName string

// The details of administrative calls.
const (
	// DetailOrganization is the organisation a call registered, changed or
	// read the members or keys of.
	DetailOrganization DetailName = "organization"
	// DetailKind is the kind given to an organisation (shelter, legal_aid, ...).
	DetailKind DetailName = "kind"
	// DetailAdmin is the subject named first org admin of a new organisation.
	DetailAdmin DetailName = "admin"
	// DetailField is a profile field a call changed (display_name, kind, ...).
	DetailField DetailName = "field"
	// DetailMember is the subject whose membership a call changed.
	DetailMember DetailName = "member"
	// DetailGranted is a role given; DetailRemoved a role taken away.
	DetailGranted DetailName = "granted"
	DetailRemoved DetailName = "removed"
	// DetailRotation is a key rotation's id; DetailOldKey and DetailNewKey
	// the key ids it moves case keys between.
	DetailRotation DetailName = "rotation"
	DetailOldKey   DetailName = "old_key"
	DetailNewKey   DetailName = "new_key"
	// DetailDimension is a dimension a statistics call broke figures down
	// by; DetailFilter a field it filtered on (the field, not the value).
	DetailDimension DetailName = "dimension"
	DetailFilter    DetailName = "filter"
	// DetailFormat is the file format of an export.
	DetailFormat DetailName = "format"
	// DetailReason is the coded reason of a case's suspension, closure,
	// reopening or erasure (person_request, safety, ...); the text given
	// with it is sealed with the case, never in the trail.
	DetailReason DetailName = "reason"
	// DetailPrivacy is what a noisy statistics call did with the privacy
	// budget: "spent", "repeated" (an answer released before, nothing
	// spent) or "refused" (the budget was spent); DetailEpsilon the ε it
	// spent, as a fraction; DetailNetwork the coordinating body that paid.
	DetailPrivacy DetailName = "privacy"
	DetailEpsilon DetailName = "epsilon"
	DetailNetwork DetailName = "network"
	// DetailApproval is what an approval call asked about (support_plan,
	// case_closure) or decided (approve, reject); its comments are sealed
	// with the case, never in the trail.
	DetailApproval DetailName = "approval"
	// DetailTransfer is the id of a case transfer a call proposed or
	// answered; DetailFrom and DetailTo the organisations it hands the case
	// from and to: the chain of custody of a case.
	DetailTransfer DetailName = "transfer"
	DetailFrom     DetailName = "from"
	DetailTo       DetailName = "to"
)

// Detail adds name=value to the event of the current call, once per value,
// whether the call then succeeds or is refused: a refused grant of a role
// is on record with the role. It does nothing outside an audited call or
// for an empty value.
func Detail(ctx context.Context, name DetailName, values ...string) {
	c := callFrom(ctx)
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range values {
		if v != "" {
			c.details = append(c.details, string(name)+"="+v)
		}
	}
}

package policies_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/dataclass"
)

var update = flag.Bool("update", false, "rewrite the permission table in README.md from the policy")

// scope says how a row's permission applies, and so how a cell reads.
type scope int

const (
	anywhere  scope = iota // not about one organisation's records: "yes"
	ownOrg                 // records of the organisation where the role is held: "own org"
	caseScope              // a case: "own org", and "if referred" where a referral can grant it
	allOrgs                // anonymised figures across organisations
)

type docRow struct {
	what  string
	scope scope
	perms []string // all needed
}

type docSection struct {
	title string
	rows  []docRow
}

// readmeTable is the permission table for readers of README.md, in plain
// words. Its cells are computed from the policy, so it cannot drift.
var readmeTable = []docSection{
	{"Every member", []docRow{
		{"See who they are and which roles they hold", anywhere, perms("self:read")},
		{"Browse the directory of organisations (to choose where to refer)", anywhere, perms("directory:read")},
	}},
	{"Cases", []docRow{
		{"Open a case at intake; import cases (coded attributes only)", caseScope, perms("case:create", "case:import")},
		{"See that a case exists: its coded attributes (sex, age band, nationality, forms of exploitation, ...) and status", caseScope, perms("case:read")},
		{"Read **identity** data: names, aliases, date of birth, identity documents ¹", caseScope, perms("case:read", "identity:read")},
		{"Read **contact** data: phone, address, current location ¹", caseScope, perms("case:read", "contact:read")},
		{"Read **care** data: health, psychosocial and needs-assessment notes ¹", caseScope, perms("case:read", "care:read")},
		{"Read **legal** data: account of the exploitation, statements, evidence ¹", caseScope, perms("case:read", "legal:read")},
		{"Change a case: coded attributes and sensitive data; start or suspend assistance ²", caseScope, perms("case:update")},
		{"Add notes (each note belongs to one data class) ²", caseScope, perms("note:create")},
		{"Read notes (only those in classes they may read)", caseScope, perms("note:read")},
		{"Record or withdraw the person's consent", caseScope, perms("consent:create", "consent:withdraw")},
		{"See the person's consents", caseScope, perms("consent:read")},
		{"Close a case", caseScope, perms("case:close")},
		{"Reopen a closed case", caseScope, perms("case:reopen")},
		{"Reassign a case to another caseworker", caseScope, perms("case:assign")},
		{"Erase the person's data (destroys the keys: irreversible)", caseScope, perms("case:erase")},
	}},
	{"Documents", []docRow{
		{"File documents with a case (each in one data class; only in classes they may write) ²", caseScope, perms("document:create")},
		{"Read and download documents (only those in classes they may read)", caseScope, perms("document:read")},
		{"Delete documents", caseScope, perms("document:delete")},
	}},
	{"Referrals", []docRow{
		{"Refer a case to another organisation (needs the person's consent)", ownOrg, perms("referral:create")},
		{"Withdraw a referral made; revoke the access an accepted referral gave", ownOrg, perms("referral:withdraw", "referral:revoke")},
		{"Accept or decline a referral received", ownOrg, perms("referral:respond")},
		{"Report a received referral's service as provided", ownOrg, perms("referral:complete")},
		{"See referrals sent and received, and who else works on a case", ownOrg, perms("referral:read")},
	}},
	{"Casework", []docRow{
		{"See the support plan and the services arranged (care data) ¹", caseScope, perms("support_plan:read", "support_service:read")},
		{"Make and change the support plan: objectives, actions, review date", caseScope, perms("support_plan:create", "support_plan:update")},
		{"Record services planned and delivered", caseScope, perms("support_service:create", "support_service:update")},
		{"Ask a supervisor's approval of a plan or a closure; see approvals", caseScope, perms("approval:request", "approval:read")},
		{"Approve or reject a request (not one's own)", caseScope, perms("approval:decide")},
	}},
	{"Tasks and reminders", []docRow{
		{"See, write down, complete and snooze the tasks of the organisation's cases", ownOrg, perms("task:read", "task:create", "task:update")},
	}},
	{"Transfers", []docRow{
		{"Hand a case to another organisation (needs the person's consent), or withdraw the offer", ownOrg, perms("transfer:propose", "transfer:cancel")},
		{"Take on or decline a case another organisation hands over", ownOrg, perms("transfer:respond")},
		{"See transfers sent and received", ownOrg, perms("transfer:read")},
	}},
	{"Court proceedings and compensation", []docRow{
		{"See proceedings: court, stage, charges, outcome", caseScope, perms("proceeding:read")},
		{"Record and update proceedings, stages and outcomes", caseScope, perms("proceeding:create", "proceeding:update")},
		{"See hearings (where and when the person must appear)", caseScope, perms("hearing:read")},
		{"Schedule, update and cancel hearings", caseScope, perms("hearing:create", "hearing:update")},
		{"See, add, update procedural deadlines", caseScope, perms("deadline:read", "deadline:create", "deadline:update")},
		{"See compensation claims and their totals (claimed, awarded, paid)", caseScope, perms("claim:read")},
		{"Record and update claims, awards, appeals", caseScope, perms("claim:create", "claim:update")},
		{"See and add to the ledger of payments received", caseScope, perms("payment:read", "payment:create")},
	}},
	{"Statistics", []docRow{
		{"Anonymised counts and monitoring indicators (small cells suppressed)", allOrgs, perms("stats:read")},
		{"Export anonymised counts as a file", allOrgs, perms("stats:export")},
	}},
	{"Organisation administration", []docRow{
		{"Register a new organisation, or change the kind of one (which consents to \"any organisation of a kind\" cover) ³", anywhere, perms("organization:create")},
		{"Change the organisation's profile", ownOrg, perms("organization:update")},
		{"See members and their roles", ownOrg, perms("member:read")},
		{"Add members, change their roles, remove them", ownOrg, perms("member:create", "member:update", "member:delete")},
		{"Give and take away the organisation roles (caseworker, supervisor, lawyer, org_admin)", ownOrg, perms("org_role:grant")},
		{"Give and take away the network roles (coordinator, auditor, network_admin), in a coordinating body only ³", ownOrg, perms("network_role:grant")},
		{"See and rotate the organisation's encryption keys", ownOrg, perms("key:read", "key:rotate")},
	}},
	{"Audit", []docRow{
		{"Read the audit log of every organisation: who read or changed which case", anywhere, perms("audit:read")},
		{"Verify that the audit log was not altered", anywhere, perms("audit:verify")},
	}},
}

func cell(e *authz.Engine, role string, r docRow) string {
	p := authz.Principal{Subject: "u", Memberships: map[string][]string{"home": {role}}}
	ownCase := authz.CaseInfo{OwnerOrg: "home"}
	// A case of another organisation shared with the role's organisation by
	// an accepted referral that grants every data class.
	sharedCase := authz.CaseInfo{OwnerOrg: "elsewhere", Shares: []authz.Share{{Org: "home", Classes: dataclass.All}}}
	own, referred := true, true
	for _, perm := range r.perms {
		obj, act, _ := strings.Cut(perm, ":")
		if r.scope != caseScope {
			own = own && e.Allowed(p, "home", obj, act)
			continue
		}
		own = own && caseAllows(e, p, ownCase, obj, act)
		referred = referred && caseAllows(e, p, sharedCase, obj, act)
	}
	switch r.scope {
	case anywhere:
		return yesNo(own)
	case ownOrg:
		if own {
			return "own org"
		}
	case allOrgs:
		if own {
			return "all orgs, anonymised"
		}
	case caseScope:
		switch {
		case own && referred:
			return "own org, if referred"
		case own:
			return "own org"
		case referred:
			return "if referred"
		}
	}
	return "no"
}

// caseAllows asks CaseAccess, the check handlers make: a data class is
// readable when it is among the classes returned for reading the case.
func caseAllows(e *authz.Engine, p authz.Principal, info authz.CaseInfo, obj, act string) bool {
	if c, err := dataclass.Parse(obj); err == nil && act == authz.ActRead {
		access, err := e.CaseAccess(p, info, "case", authz.ActRead)
		return err == nil && access.CanRead(c)
	}
	_, err := e.CaseAccess(p, info, obj, act)
	return err == nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func renderTable(e *authz.Engine) string {
	var b strings.Builder
	b.WriteString("| What | " + strings.Join(roles, " | ") + " |\n")
	b.WriteString("|---" + strings.Repeat("|---", len(roles)) + "|\n")
	for _, s := range readmeTable {
		b.WriteString("| **" + s.title + "** |" + strings.Repeat(" |", len(roles)) + "\n")
		for _, r := range s.rows {
			b.WriteString("| " + r.what + " |")
			for _, role := range roles {
				b.WriteString(" " + cell(e, role, r) + " |")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

const (
	tableStart = "<!-- permission-table:start (generated by `go test ./policies/ -update`) -->\n"
	tableEnd   = "<!-- permission-table:end -->\n"
)

// README.md's permission table is generated from the policy; this test
// fails when the policy changed and the table was not regenerated.
func TestReadmeTableMatchesPolicy(t *testing.T) {
	e := engine(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(readme, []byte(tableStart))
	end := bytes.Index(readme, []byte(tableEnd))
	if start < 0 || end < start {
		t.Fatalf("README.md lacks the table markers %q ... %q", tableStart, tableEnd)
	}
	table := renderTable(e)
	current := string(readme[start+len(tableStart) : end])
	if current == table {
		return
	}
	if *update {
		out := slicesConcat(readme[:start+len(tableStart)], []byte(table), readme[end:])
		if err := os.WriteFile("README.md", out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's permission table does not match the policy; run `go test ./policies/ -update` and review the diff.\nwant:\n%s", table)
}

func slicesConcat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

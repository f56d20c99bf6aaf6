package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

var orgCols = []Column[*casebridgev1.Organization]{
	Col("id", (*casebridgev1.Organization).GetId),
	Col("name", (*casebridgev1.Organization).GetDisplayName),
	ScriptCol("etag", (*casebridgev1.Organization).GetEtag),
}

var orgs = []*casebridgev1.Organization{
	{Id: "shelter-a", DisplayName: "Shelter A", Etag: "e1"},
	{Id: "legal-b", DisplayName: "Legal Aid, B", Etag: "e2"},
}

func TestListFormats(t *testing.T) {
	var table, csvOut, jsonOut bytes.Buffer
	if err := List(&table, Table, orgs, orgCols); err != nil {
		t.Fatal(err)
	}
	want := "ID         NAME\nshelter-a  Shelter A\nlegal-b    Legal Aid, B\n"
	if table.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", table.String(), want)
	}
	if err := List(&csvOut, CSV, orgs, orgCols); err != nil {
		t.Fatal(err)
	}
	if want := "id,name,etag\nshelter-a,Shelter A,e1\nlegal-b,\"Legal Aid, B\",e2\n"; csvOut.String() != want {
		t.Errorf("csv:\n%q\nwant\n%q", csvOut.String(), want)
	}
	if err := List(&jsonOut, JSON, orgs, orgCols); err != nil {
		t.Fatal(err)
	}
	var decoded []map[string]any
	if err := json.Unmarshal(jsonOut.Bytes(), &decoded); err != nil {
		t.Fatalf("json: %v\n%s", err, jsonOut.String())
	}
	if len(decoded) != 2 || decoded[1]["displayName"] != "Legal Aid, B" {
		t.Errorf("json: %v", decoded)
	}
}

func TestEmptyList(t *testing.T) {
	var table, jsonOut bytes.Buffer
	List(&table, Table, []*casebridgev1.Organization{}, orgCols)
	List(&jsonOut, JSON, []*casebridgev1.Organization{}, orgCols)
	if table.String() != "(none)\n" || strings.TrimSpace(jsonOut.String()) != "[]" {
		t.Errorf("empty: table %q json %q", table.String(), jsonOut.String())
	}
}

func TestOneLeavesOutEmptyAndScriptFields(t *testing.T) {
	var b bytes.Buffer
	org := &casebridgev1.Organization{Id: "network", Etag: "e3"}
	if err := One(&b, Table, org, orgCols); err != nil {
		t.Fatal(err)
	}
	if b.String() != "ID:  network\n" {
		t.Errorf("detail: %q", b.String())
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Table, "table": Table, "JSON": JSON, "csv": CSV} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil {
		t.Error("yaml should be refused")
	}
}

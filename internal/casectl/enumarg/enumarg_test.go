package enumarg

import (
	"slices"
	"strings"
	"testing"

	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

func TestParse(t *testing.T) {
	if v, err := Parse[casebridgev1.Sex]("Female"); err != nil || v != casebridgev1.Sex_SEX_FEMALE {
		t.Errorf("Female: %v %v", v, err)
	}
	if v, err := Parse[casebridgev1.Sex]("SEX_MALE"); err != nil || v != casebridgev1.Sex_SEX_MALE {
		t.Errorf("SEX_MALE: %v %v", v, err)
	}
	if v, err := Parse[casebridgev1.AgeBand]("18-20"); err != nil || v != casebridgev1.AgeBand_AGE_BAND_18_20 {
		t.Errorf("18-20: %v %v", v, err)
	}
	if v, err := Parse[casebridgev1.ConsentPurpose]("legal"); err != nil || v != casebridgev1.ConsentPurpose_CONSENT_PURPOSE_LEGAL_REPRESENTATION {
		t.Errorf("legal: %v %v", v, err)
	}
	if v, err := Parse[casebridgev1.CaseStatus]("in assistance"); err != nil || v != casebridgev1.CaseStatus_CASE_STATUS_IN_ASSISTANCE {
		t.Errorf("in assistance: %v %v", v, err)
	}
	if _, err := Parse[casebridgev1.Sex]("unspecified"); err == nil {
		t.Error("unspecified must not be typable")
	}
	_, err := Parse[casebridgev1.Sex]("fem")
	if err == nil || !strings.Contains(err.Error(), "female, male, other") {
		t.Errorf("unknown value error: %v", err)
	}
}

func TestParseList(t *testing.T) {
	got, err := ParseList[casebridgev1.DataClass]("identity, legal")
	if err != nil || !slices.Equal(got, []casebridgev1.DataClass{casebridgev1.DataClass_DATA_CLASS_IDENTITY, casebridgev1.DataClass_DATA_CLASS_LEGAL}) {
		t.Fatalf("ParseList = %v, %v", got, err)
	}
	if got, err := ParseList[casebridgev1.DataClass](""); err != nil || len(got) != 0 {
		t.Fatalf("empty list = %v, %v", got, err)
	}
}

func TestName(t *testing.T) {
	if got := Name(casebridgev1.ExploitationForm_EXPLOITATION_FORM_FORCED_LABOUR); got != "forced-labour" {
		t.Errorf("Name = %q", got)
	}
	if got := Name(casebridgev1.Sex_SEX_UNSPECIFIED); got != "" {
		t.Errorf("unspecified Name = %q", got)
	}
	if got := Names([]casebridgev1.DataClass{1, 4}); got != "identity,legal" {
		t.Errorf("Names = %q", got)
	}
}

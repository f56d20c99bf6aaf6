package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
)

// TestConnectJSONOverHTTP1 calls the API as curl would: a plain HTTP/1.1
// POST of JSON to the Connect listener. The same token check answers it
// (no token: 401, Connect's unauthenticated), a valid token is served, and
// another organisation's case is not found, as over gRPC.
func TestConnectJSONOverHTTP1(t *testing.T) {
	addr := freeAddr(t)
	env := servertest.Start(t, func(c *server.Config) { c.HTTPListen = addr })
	client := &http.Client{Timeout: 10 * time.Second}
	call := func(method, token, body string) (int, map[string]any) {
		t.Helper()
		var resp *http.Response
		var err error
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/casebridge.v1."+method, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Connect-Protocol-Version", "1")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err = client.Do(req)
			if err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.ProtoMajor != 1 {
			t.Fatalf("not HTTP/1.1: %s", resp.Proto)
		}
		raw, _ := io.ReadAll(resp.Body)
		out := map[string]any{}
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s: %s: %q", method, resp.Status, raw)
		}
		return resp.StatusCode, out
	}
	code, out := call("OrganizationService/GetCallerIdentity", "", "{}")
	if code != http.StatusUnauthorized || out["code"] != "unauthenticated" {
		t.Fatalf("no token: %d %v", code, out)
	}
	code, out = call("OrganizationService/GetCallerIdentity", env.Token(t, "caseworker@shelter-a"), "{}")
	if code != http.StatusOK || out["subject"] != "caseworker@shelter-a" {
		t.Fatalf("with a token: %d %v", code, out)
	}
	caseID := env.NewMarkedCase(t)
	code, out = call("CaseService/GetCase", env.Token(t, "caseworker@cso-c"), `{"id":"`+caseID+`"}`)
	if code != http.StatusNotFound {
		t.Fatalf("another organisation's case: %d %v", code, out)
	}
	code, out = call("CaseService/GetCase", env.Token(t, "caseworker@shelter-a"), `{"id":"not-a-uuid"}`)
	if code != http.StatusBadRequest || out["code"] != "invalid_argument" {
		t.Fatalf("invalid id: %d %v", code, out)
	}
	code, out = call("CaseService/GetCase", env.Token(t, "caseworker@shelter-a"), `{"id":"`+caseID+`"}`)
	if c, _ := out["case"].(map[string]any); code != http.StatusOK || c["id"] != caseID {
		t.Fatalf("own case: %d %v", code, out)
	}
}

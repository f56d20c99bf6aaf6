package main_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestLogoutEndsTheTokenOnEveryServer: 'casectl logout' ends the saved
// token at the server before forgetting it, so a copy of the token (here:
// read from the settings file before logout) is refused by every
// casebridged replica on the database, not only the one logout spoke to.
func TestLogoutEndsTheTokenOnEveryServer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	one := w.start(freeAddr(t))
	two := w.start(freeAddr(t))
	cw := w.user("caseworker@shelter-a", one)
	cw.login()
	data, err := os.ReadFile(cw.config)
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(data, &saved); err != nil || saved.Token == "" {
		t.Fatalf("no token in the settings file: %v", err)
	}
	copied := []string{"CASEBRIDGE_TOKEN=" + saved.Token}
	for _, srv := range []*server{one, two} {
		if res := cw.runWith("", copied, "whoami", "--server", srv.addr); res.code != 0 {
			t.Fatalf("the token before logout on %s: %s", srv.addr, res)
		}
	}

	res := cw.ok("logout")
	if !strings.Contains(res.stderr, "Logged out: the token is ended at the server") {
		t.Errorf("logout says:\n%s", res)
	}
	data, _ = os.ReadFile(cw.config)
	if strings.Contains(string(data), saved.Token) || !strings.Contains(string(data), one.addr) {
		t.Errorf("settings after logout (token gone, server kept):\n%s", data)
	}
	cw.fails(1, "not logged in", "whoami")
	for _, srv := range []*server{one, two} {
		res := cw.runWith("", copied, "whoami", "--server", srv.addr)
		if res.code != 1 || !strings.Contains(res.stderr, "not signed in: token has been revoked") {
			t.Errorf("the logged-out token on %s: %s", srv.addr, res)
		}
	}
	// Logging out again has nothing to end.
	if res := cw.ok("logout"); !strings.Contains(res.stderr, "Not logged in") {
		t.Errorf("second logout says:\n%s", res)
	}
}

// TestLogoutWithoutTheServerStillForgetsTheToken: when the server cannot
// be reached, logout removes the token all the same and says, with exit
// status 1, that the token lives on until it expires.
func TestLogoutWithoutTheServerStillForgetsTheToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := w.start(freeAddr(t))
	cw := w.user("caseworker@shelter-a", srv)
	cw.login()
	srv.stop()
	res := cw.fails(1, "stays valid until it expires", "logout", "--timeout", "3s")
	data, _ := os.ReadFile(cw.config)
	if strings.Contains(string(data), `"token"`) {
		t.Errorf("the token was kept after a failed logout:\n%s\n%s", data, res)
	}
}

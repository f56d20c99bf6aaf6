package main_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// storyBlocks returns the shell blocks of README.md between the story
// markers, in order.
func storyBlocks(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start, end := strings.Index(s, "<!-- story -->"), strings.Index(s, "<!-- /story -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no <!-- story --> … <!-- /story --> section")
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(s[start:end], -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) == 0 {
		t.Fatal("the README story has no sh block")
	}
	return blocks
}

// watchLine bounds a streaming step in time: it runs for two seconds and
// must still be running then (a watch that ends at once has failed).
var watchLine = regexp.MustCompile(`(?m)^(casectl referrals watch[^#\n]*)(#.*)?$`)

// TestReadmeStory runs the README's story word for word, as one shell
// script, against casebridged started as `make run` starts it (dev mode
// with the demo caseload) on a real PostgreSQL; each command must succeed.
// The outputs are checked for what the README promises.
func TestReadmeStory(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("the README story needs bash")
	}
	w := newWorld(t)
	srv := w.start(freeAddr(t), "--demo-caseload")
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(srv.log.String(), "seeded the demo caseload") {
		if strings.Contains(srv.log.String(), "seeding the demo caseload failed") || time.Now().After(deadline) {
			t.Fatalf("no demo caseload:\n%s", srv.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The story runs from a directory laid out like the repository root
	// after `make run`: .data/casebridged is the server's data directory.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(w.dataDir, filepath.Join(dir, ".data", "casebridged")); err != nil {
		t.Fatal(err)
	}
	script := "set -euo pipefail\nset -x\n" + strings.Join(storyBlocks(t), "\n")
	script = watchLine.ReplaceAllString(script, `timeout 2 $1 || test $$? = 124`)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Dir(casectlBin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+dir, "CASECTL_CONFIG="+filepath.Join(dir, "config.json"), "CASEBRIDGE_SERVER="+srv.addr,
		"CASEBRIDGE_TOKEN=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README story failed: %v\nstdout:\n%s\nstderr (commands and messages):\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	year := time.Now().Format("2006")

	for _, want := range []string{
		"SHA-" + year + "-0001",    // the case the story opens, by its reference
		"Higher Court in Belgrade", // the proceeding
		"year,country,sex",         // the statistics table's header
		"Intact:          yes",     // audit verify
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the story's output lacks %q:\n%s", want, out)
		}
	}
	// The calendar holds the hearing two weeks ahead and the demo hearings,
	// each with an end.
	ics, err := os.ReadFile(filepath.Join(dir, "hearings.ics"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(ics), "BEGIN:VEVENT"); n < 2 {
		t.Errorf("hearings.ics has %d events, want the story's hearing and the demo hearings:\n%s", n, ics)
	}
	// The story's hearing ends after the 90 minutes it was given, the demo
	// hearings (no length given) after the default 2 hours.
	if lengths := icsLengths(t, ics); !slices.Contains(lengths, 90*time.Minute) || !slices.Contains(lengths, 2*time.Hour) {
		t.Errorf("hearings.ics entries last %v, want 1h30m and the default 2h:\n%s", lengths, ics)
	}
	// Claims name their case by its reference.
	if !regexp.MustCompile(`(?m)^.*SHA-` + year + `-0001.*criminal-proceedings`).MatchString(out) {
		t.Errorf("claims list does not name the case by its reference:\n%s", out)
	}
	// No statistic is withheld wholesale: the coordinator's table has counts.
	if !regexp.MustCompile(`(?m)^` + year + `|^20[0-9]{2},RS,`).MatchString(out) {
		t.Errorf("the statistics show no row for Serbia:\n%s", out)
	}
}

// icsLengths is DTEND − DTSTART of every VEVENT of an iCalendar file.
func icsLengths(t *testing.T, ics []byte) []time.Duration {
	t.Helper()
	var out []time.Duration
	var start time.Time
	for _, line := range strings.Split(string(ics), "\r\n") {
		name, value, _ := strings.Cut(line, ":")
		if name != "DTSTART" && name != "DTEND" {
			continue
		}
		at, err := time.Parse("20060102T150405Z", value)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if name == "DTSTART" {
			start = at
		} else {
			out = append(out, at.Sub(start))
		}
	}
	return out
}

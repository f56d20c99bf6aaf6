package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The server's admin listener (subprocess only): its /metrics give the
// server's own allocation counters, its /debug/pprof/ the profiles.

// allocSnap is the server's cumulative heap allocation so far.
type allocSnap struct {
	bytes, objects uint64
	ok             bool
}

// scrapeAlloc reads go_memstats_alloc_bytes_total and
// go_memstats_mallocs_total from the server's /metrics.
func scrapeAlloc(ctx context.Context, admin string) allocSnap {
	if admin == "" {
		return allocSnap{}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/metrics", nil)
	if err != nil {
		return allocSnap{}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return allocSnap{}
	}
	defer resp.Body.Close()
	var s allocSnap
	var gotBytes, gotObjects bool
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch name {
		case "go_memstats_alloc_bytes_total":
			s.bytes, gotBytes = uint64(v), true
		case "go_memstats_mallocs_total":
			s.objects, gotObjects = uint64(v), true
		}
	}
	s.ok = gotBytes && gotObjects
	return s
}

// fetchProfile saves the server's /debug/pprof/<name> (with query) to path.
func fetchProfile(ctx context.Context, admin, name, query, path string) error {
	if admin == "" {
		return fmt.Errorf("the server has no admin listener (profiles need --server-bin)")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+admin+"/debug/pprof/"+name+query, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: %s", name, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// profileWindow collects the server's profiles of one workload's window:
// the allocation profile at its start, the CPU profile over dur, and the
// allocation profile at its end. It returns at once; the channel yields
// the first error (or nil) when done.
func profileWindow(ctx context.Context, admin, dir, prefix string, from time.Time, dur time.Duration) <-chan error {
	done := make(chan error, 1)
	go func() {
		time.Sleep(time.Until(from))
		err := fetchProfile(ctx, admin, "allocs", "", filepath.Join(dir, prefix+"-allocs-start.pprof"))
		secs := max(1, int(dur.Seconds()))
		if e := fetchProfile(ctx, admin, "profile", "?seconds="+strconv.Itoa(secs), filepath.Join(dir, prefix+"-cpu.pprof")); err == nil {
			err = e
		}
		if e := fetchProfile(ctx, admin, "allocs", "", filepath.Join(dir, prefix+"-allocs-end.pprof")); err == nil {
			err = e
		}
		done <- err
	}()
	return done
}

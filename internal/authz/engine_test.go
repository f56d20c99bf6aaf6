package authz

import (
	"bytes"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/casebridge/casebridge/internal/dataclass"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// serviceDescs are the generated descriptions of every Casebridge service.
// A new service must be added here; TestEveryProtoServiceIsChecked fails
// until it is.
var serviceDescs = []grpc.ServiceDesc{
	casebridgev1.CaseService_ServiceDesc,
	casebridgev1.OrganizationService_ServiceDesc,
	casebridgev1.ReferralService_ServiceDesc,
	casebridgev1.ProceedingService_ServiceDesc,
	casebridgev1.CompensationService_ServiceDesc,
	casebridgev1.StatsService_ServiceDesc,
	casebridgev1.AuditService_ServiceDesc,
	casebridgev1.DocumentService_ServiceDesc,
	casebridgev1.CaseworkService_ServiceDesc,
	casebridgev1.TaskService_ServiceDesc,
	casebridgev1.TransferService_ServiceDesc,
	casebridgev1.CaseworkService_ServiceDesc,
}

func registeredMethods() []string {
	var names []string
	for _, sd := range serviceDescs {
		for _, m := range sd.Methods {
			names = append(names, "/"+sd.ServiceName+"/"+m.MethodName)
		}
		for _, s := range sd.Streams {
			names = append(names, "/"+sd.ServiceName+"/"+s.StreamName)
		}
	}
	return names
}

func TestMethodsCoverEveryRPC(t *testing.T) {
	table := defaultEngine(t).Methods()
	registered := registeredMethods()
	for _, name := range registered {
		if _, ok := table[name]; !ok {
			t.Errorf("%s has no entry in methods.csv: it would be refused for everyone", name)
		}
	}
	for name := range table {
		if !slices.Contains(registered, name) {
			t.Errorf("methods.csv lists %s, which no service has (renamed or removed?)", name)
		}
	}
}

// The list above must name every service of the casebridge.v1 package, so
// that a service added later cannot slip past TestMethodsCoverEveryRPC.
func TestEveryProtoServiceIsChecked(t *testing.T) {
	listed := map[string]bool{}
	for _, sd := range serviceDescs {
		listed[sd.ServiceName] = true
	}
	protoregistry.GlobalFiles.RangeFilesByPackage("casebridge.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			name := string(fd.Services().Get(i).FullName())
			if !listed[name] {
				t.Errorf("service %s (%s) is not in serviceDescs", name, fd.Path())
			}
		}
		return true
	})
}

func TestUnknownMethodHasNoPermission(t *testing.T) {
	e := defaultEngine(t)
	if _, ok := e.Permission("/casebridge.v1.CaseService/NoSuchMethod"); ok {
		t.Error("an unknown method has a permission")
	}
	if p, ok := e.Permission(casebridgev1.CaseService_GetCase_FullMethodName); !ok || p != (Permission{"case", "read"}) {
		t.Errorf("GetCase: %v %v", p, ok)
	}
	m := e.Methods()
	delete(m, casebridgev1.CaseService_GetCase_FullMethodName)
	if _, ok := e.Permission(casebridgev1.CaseService_GetCase_FullMethodName); !ok {
		t.Error("Methods() returned the engine's own map")
	}
}

// logBuffer is a slog handler target safe for the poller goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestReloaderPicksUpPolicyChange(t *testing.T) {
	dir := policyDir(t)
	e, err := NewEngineFromDir(dir, EngineOptions{PollInterval: 20 * time.Millisecond, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(t.Context())
	t.Cleanup(e.Close)

	lawyer := Principal{Subject: "l", Memberships: map[string][]string{"legal-c": {"lawyer"}}}
	if e.Allowed(lawyer, "legal-c", "care", "read") {
		t.Fatal("lawyer reads care before the change")
	}
	old := e.Version()
	path := filepath.Join(dir, PolicyFile)
	writeFile(t, path, append(readFile(t, path), "p, lawyer, *, care, read\n"...))
	took := waitFor(t, 5*time.Second, "new rule in force", func() bool { return e.Allowed(lawyer, "legal-c", "care", "read") })
	t.Logf("reloaded after %v", took)
	if e.Version() == old {
		t.Error("version unchanged")
	}
	if !slices.Equal(e.ReadableClasses(lawyer, "legal-c"), dataclass.All) {
		t.Errorf("ReadableClasses = %v", e.ReadableClasses(lawyer, "legal-c"))
	}

	// Removing a method from methods.csv takes effect too (fail closed).
	mpath := filepath.Join(dir, MethodsFile)
	methods := readFile(t, mpath)
	var kept []string
	for _, line := range strings.Split(string(methods), "\n") {
		if !strings.HasPrefix(line, casebridgev1.CaseService_EraseCase_FullMethodName+",") {
			kept = append(kept, line)
		}
	}
	writeFile(t, mpath, []byte(strings.Join(kept, "\n")))
	waitFor(t, 5*time.Second, "removed method refused", func() bool {
		_, ok := e.Permission(casebridgev1.CaseService_EraseCase_FullMethodName)
		return !ok
	})
}

func TestBrokenPolicyKeepsTheOldOne(t *testing.T) {
	replace := func(file, old, new string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			path := filepath.Join(dir, file)
			b := readFile(t, path)
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("%s does not contain %q", file, old)
			}
			writeFile(t, path, bytes.Replace(b, []byte(old), []byte(new), 1))
		}
	}
	appendTo := func(file, text string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			path := filepath.Join(dir, file)
			writeFile(t, path, append(readFile(t, path), text...))
		}
	}
	breakages := []struct {
		name  string
		apply func(t *testing.T, dir string)
	}{
		{"model syntax", replace(ModelFile, "[matchers]", "[matchers")},
		{"model without role definition", replace(ModelFile, "g = _, _, _", "")},
		{"matcher names an unknown function", replace(ModelFile, "&& keyMatch(r.dom, p.dom) &&", "&& noSuchFunc(r.dom, p.dom) &&")},
		{"request with three fields", replace(ModelFile, "r = sub, dom, obj, act", "r = sub, obj, act")},
		{"policy row with too few fields", appendTo(PolicyFile, "p, lawyer, care, read\n")},
		{"policy row with an empty field", appendTo(PolicyFile, "p, lawyer, *, , read\n")},
		{"grouping row with too few fields", appendTo(PolicyFile, "g, lawyer, supervisor\n")},
		{"unknown rule type", appendTo(PolicyFile, "x, lawyer, *, care, read\n")},
		{"unbalanced quote", appendTo(PolicyFile, "p, \"lawyer, *, care, read\n")},
		{"policy file emptied", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, PolicyFile), []byte("# nothing\n")) }},
		{"method row with two fields", appendTo(MethodsFile, "/casebridge.v1.X/Y, case\n")},
		{"method name not a full name", appendTo(MethodsFile, "CaseService/GetCase, case, read\n")},
		{"method listed twice", appendTo(MethodsFile, casebridgev1.CaseService_GetCase_FullMethodName+", case, read\n")},
		{"method needs a permission nobody has", replace(MethodsFile, "/casebridge.v1.CaseService/GetCase,         case, read", "/casebridge.v1.CaseService/GetCase, case, raed")},
		{"methods file missing", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, MethodsFile)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	caseworker := Principal{Subject: "c", Memberships: map[string][]string{"shelter-a": {"caseworker"}}}
	for _, b := range breakages {
		t.Run(b.name, func(t *testing.T) {
			dir := policyDir(t)
			var logs logBuffer
			e, err := NewEngineFromDir(dir, EngineOptions{PollInterval: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			version, methods := e.Version(), e.Methods()
			b.apply(t, dir)

			if err := e.Reload(); err == nil {
				t.Fatal("Reload accepted the broken policy")
			} else {
				t.Logf("refused: %v", err)
			}
			// The poller refuses it too, and says so once.
			e.Start(t.Context())
			time.Sleep(100 * time.Millisecond)
			e.Close()
			if n := strings.Count(logs.String(), "keeping the current policy"); n != 1 {
				t.Errorf("refusal logged %d times, want once:\n%s", n, logs.String())
			}
			if e.Version() != version {
				t.Error("version changed")
			}
			if !maps.Equal(e.Methods(), methods) {
				t.Error("method table changed")
			}
			if !e.Allowed(caseworker, "shelter-a", "case", "read") || e.Allowed(caseworker, "shelter-a", "case", "erase") {
				t.Error("decisions changed")
			}
			if _, err := NewEngineFromDir(dir, EngineOptions{Logger: quietLog}); err == nil {
				t.Error("NewEngineFromDir accepted the broken policy")
			}
		})
	}
}

func TestBrokenPolicyThenFixed(t *testing.T) {
	dir := policyDir(t)
	e, err := NewEngineFromDir(dir, EngineOptions{PollInterval: 10 * time.Millisecond, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	e.Start(t.Context())
	t.Cleanup(e.Close)
	path := filepath.Join(dir, PolicyFile)
	good := readFile(t, path)
	writeFile(t, path, append(bytes.Clone(good), "p, auditor, *, stats\n"...))
	time.Sleep(50 * time.Millisecond)
	writeFile(t, path, append(bytes.Clone(good), "p, auditor, *, stats, read\n"...))
	auditor := Principal{Subject: "a", Memberships: map[string][]string{"org": {"auditor"}}}
	waitFor(t, 5*time.Second, "fixed policy in force", func() bool { return e.Allowed(auditor, "org", "stats", "read") })
}

func TestNewEngineRefusesMissingFiles(t *testing.T) {
	if _, err := NewEngine(fstest.MapFS{}, EngineOptions{}); err == nil {
		t.Error("empty fs accepted")
	}
	if _, err := NewEngineFromDir(filepath.Join(t.TempDir(), "nope"), EngineOptions{}); err == nil {
		t.Error("missing directory accepted")
	}
}

// A decision cache that fills up keeps answering correctly.
func TestDecisionCacheBound(t *testing.T) {
	e, err := NewEngine(os.DirFS(policyDir(t)), EngineOptions{PollInterval: -1, DecisionCacheSize: 1, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	s := e.cur.Load()
	for i := range 5000 {
		org := "org-" + strings.Repeat("x", i%50) + string(rune('a'+i%26))
		p := Principal{Subject: "c", Memberships: map[string][]string{org: {"caseworker"}}}
		if !e.Allowed(p, org, "case", "read") || e.Allowed(p, org, "case", "erase") {
			t.Fatalf("wrong decision for %s", org)
		}
	}
	if n, max := s.cache.len(), decisionShards*s.cache.perShard; n > max {
		t.Errorf("cache holds %d decisions, bound %d", n, max)
	}
}

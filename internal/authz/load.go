package authz

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/util"
)

// Names of the three policy files inside the policy directory or fs.FS.
const (
	ModelFile   = "model.conf"
	PolicyFile  = "policy.csv"
	MethodsFile = "methods.csv"
)

// Permission is the object and action a gRPC method needs.
type Permission struct {
	Object string
	Action string
}

func (p Permission) String() string { return p.Object + ":" + p.Action }

// policyFiles is one consistent read of the three files and the hash that
// identifies it, so that the reloader can tell whether anything changed
// without parsing.
type policyFiles struct {
	model, policy, methods []byte
	version                string
}

func readPolicyFiles(src fs.FS) (policyFiles, error) {
	var f policyFiles
	var err error
	if f.model, err = fs.ReadFile(src, ModelFile); err != nil {
		return f, fmt.Errorf("read %s: %w", ModelFile, err)
	}
	if f.policy, err = fs.ReadFile(src, PolicyFile); err != nil {
		return f, fmt.Errorf("read %s: %w", PolicyFile, err)
	}
	if f.methods, err = fs.ReadFile(src, MethodsFile); err != nil {
		return f, fmt.Errorf("read %s: %w", MethodsFile, err)
	}
	h := sha256.New()
	for _, b := range [][]byte{f.model, f.policy, f.methods} {
		fmt.Fprintf(h, "%d\n", len(b))
		h.Write(b)
	}
	f.version = hex.EncodeToString(h.Sum(nil))[:16]
	return f, nil
}

// compile turns the files into an immutable snapshot, or explains what is
// wrong with them. It is strict on purpose: Casbin's own CSV adapters skip
// lines they cannot parse, which would silently drop permissions (or, worse
// for reviewers, make a typo look like a working rule).
func compile(f policyFiles, cacheSize int) (*snapshot, error) {
	m, err := model.NewModelFromString(string(f.model))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ModelFile, err)
	}
	for _, need := range []struct{ sec, key string }{{"r", "r"}, {"p", "p"}, {"g", "g"}, {"e", "e"}, {"m", "m"}} {
		if _, err := m.GetAssertion(need.sec, need.key); err != nil {
			return nil, fmt.Errorf("%s: %w", ModelFile, err)
		}
	}
	rules, err := parsePolicy(f.policy, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", PolicyFile, err)
	}
	enf, err := casbin.NewSyncedEnforcer(m, &rulesAdapter{rules: rules})
	if err != nil {
		return nil, fmt.Errorf("build enforcer: %w", err)
	}
	// "*" in the domain of a g row (role inheritance valid in every
	// organisation) needs a domain matching function. Casbin registers it by
	// itself when the matcher contains keyMatch(r.dom, p.dom); registering it
	// here too keeps inheritance working if the matcher is rewritten.
	if len(m["g"]["g"].Tokens) == 3 {
		enf.AddNamedDomainMatchingFunc("g", "keyMatch", util.KeyMatch)
	}
	// A matcher or request definition that does not fit the four values the
	// engine passes only fails at Enforce time: find out now, not on the
	// first request.
	if _, err := enf.Enforce("authz-selftest", "authz-selftest", "authz-selftest", "authz-selftest"); err != nil {
		return nil, fmt.Errorf("%s: matcher does not evaluate (sub, dom, obj, act): %w", ModelFile, err)
	}
	methods, err := parseMethods(f.methods)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", MethodsFile, err)
	}
	granted, err := grantedPermissions(m, rules)
	if err != nil {
		return nil, err
	}
	for name, perm := range methods {
		if !granted[perm] {
			return nil, fmt.Errorf("%s: %s needs %s, which no rule in %s grants (a typo?)", MethodsFile, name, perm, PolicyFile)
		}
	}
	return newSnapshot(f.version, enf, methods, cacheSize), nil
}

// rule is one line of policy.csv: its ptype ("p", "g", ...) and fields.
type rule struct {
	ptype  string
	fields []string
	line   int
}

func parsePolicy(text []byte, m model.Model) ([]rule, error) {
	r := csv.NewReader(bytes.NewReader(text))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	var rules []rule
	seen := make(map[string]bool)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		ptype := rec[0]
		if ptype == "" {
			return nil, fmt.Errorf("line %d: missing rule type", line)
		}
		sec := ptype[:1]
		if sec != "p" && sec != "g" {
			return nil, fmt.Errorf("line %d: unknown rule type %q", line, ptype)
		}
		ast, err := m.GetAssertion(sec, ptype)
		if err != nil {
			return nil, fmt.Errorf("line %d: rule type %q is not defined in %s", line, ptype, ModelFile)
		}
		fields := rec[1:]
		if len(fields) != len(ast.Tokens) {
			return nil, fmt.Errorf("line %d: %s rule has %d fields, the model defines %d", line, ptype, len(fields), len(ast.Tokens))
		}
		for i, f := range fields {
			if f == "" {
				return nil, fmt.Errorf("line %d: field %d is empty", line, i+1)
			}
		}
		key := ptype + "\x00" + strings.Join(fields, "\x00")
		if seen[key] {
			continue // a repeated rule grants nothing more
		}
		seen[key] = true
		rules = append(rules, rule{ptype: ptype, fields: fields, line: line})
	}
	if len(rules) == 0 {
		return nil, errors.New("no rules")
	}
	return rules, nil
}

// grantedPermissions is every object/action pair some p rule grants, found
// through the model's own field names so that reordering p's fields in the
// model does not break the check.
func grantedPermissions(m model.Model, rules []rule) (map[Permission]bool, error) {
	objIdx, actIdx := -1, -1
	for i, tok := range m["p"]["p"].Tokens {
		switch tok {
		case "p_obj":
			objIdx = i
		case "p_act":
			actIdx = i
		}
	}
	if objIdx < 0 || actIdx < 0 {
		return nil, fmt.Errorf("%s: policy_definition p must name obj and act", ModelFile)
	}
	granted := make(map[Permission]bool)
	for _, r := range rules {
		if r.ptype == "p" {
			granted[Permission{r.fields[objIdx], r.fields[actIdx]}] = true
		}
	}
	return granted, nil
}

func parseMethods(text []byte) (map[string]Permission, error) {
	r := csv.NewReader(bytes.NewReader(text))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	methods := make(map[string]Permission)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		if len(rec) != 3 {
			return nil, fmt.Errorf("line %d: want method, object, action; got %d fields", line, len(rec))
		}
		name := strings.TrimSpace(rec[0])
		perm := Permission{strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])}
		if !validMethodName(name) {
			return nil, fmt.Errorf("line %d: %q is not a full gRPC method name (/package.Service/Method)", line, name)
		}
		if perm.Object == "" || perm.Action == "" {
			return nil, fmt.Errorf("line %d: empty object or action", line)
		}
		if _, dup := methods[name]; dup {
			return nil, fmt.Errorf("line %d: %s listed twice", line, name)
		}
		methods[name] = perm
	}
	if len(methods) == 0 {
		return nil, errors.New("no methods")
	}
	return methods, nil
}

func validMethodName(s string) bool {
	if !strings.HasPrefix(s, "/") {
		return false
	}
	svc, method, ok := strings.Cut(s[1:], "/")
	return ok && svc != "" && method != "" && !strings.ContainsAny(method, "/ ") && !strings.Contains(svc, " ")
}

// rulesAdapter hands already validated rules to Casbin. It is read-only:
// the policy is changed by editing the files, never through the enforcer.
type rulesAdapter struct{ rules []rule }

func (a *rulesAdapter) LoadPolicy(m model.Model) error {
	for _, r := range a.rules {
		if err := m.AddPolicy(r.ptype[:1], r.ptype, r.fields); err != nil {
			return fmt.Errorf("line %d: %w", r.line, err)
		}
	}
	return nil
}

var errReadOnly = errors.New("authz: the policy is read-only; edit the policy files instead")

func (a *rulesAdapter) SavePolicy(model.Model) error                { return errReadOnly }
func (a *rulesAdapter) AddPolicy(string, string, []string) error    { return errReadOnly }
func (a *rulesAdapter) RemovePolicy(string, string, []string) error { return errReadOnly }
func (a *rulesAdapter) RemoveFilteredPolicy(string, string, int, ...string) error {
	return errReadOnly
}

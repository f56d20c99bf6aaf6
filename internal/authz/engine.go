package authz

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
)

// DefaultPollInterval is how often [Engine.Start] looks for changed policy
// files when [EngineOptions.PollInterval] is zero.
const DefaultPollInterval = 2 * time.Second

// EngineOptions tune an [Engine]. The zero value is ready to use.
type EngineOptions struct {
	// PollInterval is how often Start re-reads the policy files; zero means
	// DefaultPollInterval and a negative value turns polling off (Reload
	// can still be called).
	PollInterval time.Duration
	// DecisionCacheSize bounds the number of remembered Casbin decisions
	// (role × organisation × object × action); zero means 1<<16.
	DecisionCacheSize int
	// Logger receives reload results; nil means slog.Default().
	Logger *slog.Logger
}

// Engine is the authorization policy in force: the Casbin enforcer built
// from model.conf and policy.csv, the method table from methods.csv and a
// cache of decisions. The three files are read from an fs.FS and re-read by
// Reload; each successful reload swaps in a whole new snapshot atomically,
// so a request never sees half of an old policy and half of a new one.
type Engine struct {
	src  fs.FS
	opts EngineOptions
	log  *slog.Logger

	cur atomic.Pointer[snapshot]

	reloadMu sync.Mutex
	rejected string // what was last refused (version or read error), to log it once

	startOnce sync.Once
	closeOnce sync.Once
	stop      context.CancelFunc
	done      chan struct{}
}

// NewEngine loads the policy from src, which must hold model.conf,
// policy.csv and methods.csv at its root (policies.Files() for the embedded
// defaults). It fails if the files are missing or invalid: a server must not
// start without a policy.
func NewEngine(src fs.FS, opts EngineOptions) (*Engine, error) {
	if opts.PollInterval == 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.DecisionCacheSize <= 0 {
		opts.DecisionCacheSize = 1 << 16
	}
	e := &Engine{src: src, opts: opts, log: opts.Logger, done: make(chan struct{})}
	if e.log == nil {
		e.log = slog.Default()
	}
	f, err := readPolicyFiles(src)
	if err != nil {
		return nil, fmt.Errorf("authz: load policy: %w", err)
	}
	s, err := compile(f, opts.DecisionCacheSize)
	if err != nil {
		return nil, fmt.Errorf("authz: load policy: %w", err)
	}
	e.cur.Store(s)
	return e, nil
}

// NewEngineFromDir is NewEngine reading the files from a directory, which
// is re-read on every reload (a server's --policy-dir).
func NewEngineFromDir(dir string, opts EngineOptions) (*Engine, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("authz: policy directory: %w", err)
	}
	return NewEngine(os.DirFS(dir), opts)
}

// Version identifies the policy in force: a hash of the three files.
func (e *Engine) Version() string { return e.cur.Load().version }

// Reload re-reads the policy files and, if their content changed, compiles
// and swaps in the new policy. If the new files are invalid the current
// policy stays in force and the error is logged and returned; the same
// broken content is not logged again.
func (e *Engine) Reload() error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	f, err := readPolicyFiles(e.src)
	if err != nil {
		if msg := err.Error(); msg != e.rejected {
			e.rejected = msg
			e.log.Error("authz: cannot read policy files; keeping the current policy",
				"version", e.Version(), "err", err)
		}
		return fmt.Errorf("authz: reload: %w", err)
	}
	cur := e.cur.Load()
	if f.version == cur.version {
		e.rejected = ""
		return nil
	}
	s, err := compile(f, e.opts.DecisionCacheSize)
	if err != nil {
		if f.version != e.rejected {
			e.rejected = f.version
			e.log.Error("authz: new policy refused; keeping the current policy",
				"version", cur.version, "refused", f.version, "err", err)
		}
		return fmt.Errorf("authz: reload: %w", err)
	}
	e.cur.Store(s)
	e.rejected = ""
	e.log.Info("authz: policy reloaded", "old", cur.version, "new", s.version, "methods", len(s.methods))
	return nil
}

// Start polls the policy files every PollInterval and reloads them when
// their content hash changes, until ctx ends or Close is called. Polling
// content (not modification times) also catches a ConfigMap's symlink swap
// and editors that preserve mtimes.
func (e *Engine) Start(ctx context.Context) {
	e.startOnce.Do(func() {
		if e.opts.PollInterval < 0 {
			close(e.done)
			return
		}
		ctx, e.stop = context.WithCancel(ctx)
		go func() {
			defer close(e.done)
			t := time.NewTicker(e.opts.PollInterval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					_ = e.Reload() // logged by Reload
				}
			}
		}()
	})
}

// Close stops the poller started by Start and waits for it.
func (e *Engine) Close() {
	e.closeOnce.Do(func() {
		started := true
		e.startOnce.Do(func() { started = false })
		if !started {
			return
		}
		if e.stop != nil {
			e.stop()
		}
		<-e.done
	})
}

// Methods returns a copy of the method table: full gRPC method name to the
// permission it needs. A test elsewhere uses it to prove that every
// registered method has an entry.
func (e *Engine) Methods() map[string]Permission {
	return maps.Clone(e.cur.Load().methods)
}

// Permission returns the permission a full gRPC method name needs, and
// false when the method is not in the table (such a method must be refused).
func (e *Engine) Permission(fullMethod string) (Permission, bool) {
	p, ok := e.cur.Load().methods[fullMethod]
	return p, ok
}

// snapshot is one compiled policy. It is never modified after compile.
type snapshot struct {
	version  string
	enforcer *casbin.SyncedEnforcer
	methods  map[string]Permission
	cache    *decisionCache
}

func newSnapshot(version string, enf *casbin.SyncedEnforcer, methods map[string]Permission, cacheSize int) *snapshot {
	return &snapshot{version: version, enforcer: enf, methods: methods, cache: newDecisionCache(cacheSize)}
}

// decide asks Casbin whether sub, acting in dom, may do act on obj, through
// the decision cache. An evaluation error (impossible for a policy that
// passed compile's self-test) denies.
func (s *snapshot) decide(sub, dom, obj, act string) bool {
	k := decisionKey{sub, dom, obj, act}
	if allowed, ok := s.cache.get(k); ok {
		return allowed
	}
	allowed, err := s.enforcer.Enforce(sub, dom, obj, act)
	if err != nil {
		return false
	}
	s.cache.put(k, allowed)
	return allowed
}

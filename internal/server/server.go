// Package server assembles Casebridge's gRPC server: it builds the shared
// machinery (database, keys, authentication, authorization, validation),
// registers every implemented service on one port and runs it until told to
// stop.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/casebridge/casebridge/internal/audit"
	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/blobstore"
	"github.com/casebridge/casebridge/internal/buildinfo"
	"github.com/casebridge/casebridge/internal/db"
	healthwatch "github.com/casebridge/casebridge/internal/health"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/metrics"
	"github.com/casebridge/casebridge/internal/revocation"
	"github.com/casebridge/casebridge/internal/scheduler"
	"github.com/casebridge/casebridge/internal/tracing"
	"github.com/casebridge/casebridge/internal/validation"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
	auditsvc "github.com/casebridge/casebridge/services/audit"
	"github.com/casebridge/casebridge/services/cases"
	"github.com/casebridge/casebridge/services/casework"
	"github.com/casebridge/casebridge/services/compensation"
	"github.com/casebridge/casebridge/services/organizations"
	"github.com/casebridge/casebridge/services/proceedings"
	"github.com/casebridge/casebridge/services/referrals"
	"github.com/casebridge/casebridge/services/stats"
	"github.com/casebridge/casebridge/services/tasks"
	"github.com/casebridge/casebridge/services/transfers"
)

// Server is a configured, not yet serving, Casebridge server.
type Server struct {
	cfg      Config
	log      *slog.Logger
	pool     *pgxpool.Pool
	grpc     *grpc.Server
	health   *health.Server
	services []string
	closers  []func()
	listener *db.Listener
	// revocations are the tokens ended before their expiry (sign-out).
	revocations *revocation.Revocations

	// background lives as long as the server: policy reloads, membership
	// notifications, key rotations.
	background context.Context
	stop       context.CancelFunc
	// streams ends long-lived streams (WatchReferrals) when shutdown begins,
	// so that they do not hold the graceful stop for its whole grace period.
	streams     context.Context
	stopStreams context.CancelFunc

	keys      *keys.Manager
	sched     *scheduler.Scheduler
	audit     *audit.Recorder
	metrics   *metrics.Metrics
	authz     *authz.Engine
	members   *authz.Members
	validator *validation.Validator
	// blobs keeps document ciphertext (--blob-store).
	blobs blobstore.Store
}

// New connects to PostgreSQL, applies migrations and builds every
// dependency. Nothing listens yet.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Dev {
		log.Warn("DEV MODE: local token issuer, generated keys, demo data and no TLS. Never use dev mode with real victim data.",
			"data_dir", cfg.DataDir)
	}
	s := &Server{cfg: cfg, log: log, metrics: metrics.New()}
	s.background, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	s.streams, s.stopStreams = context.WithCancel(s.background)
	s.closers = append(s.closers, s.stop)
	if err := s.build(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) build(ctx context.Context) error {
	tr, err := tracing.New(ctx, tracing.Options{Endpoint: s.cfg.OTLPEndpoint, Exporter: s.cfg.SpanExporter, Version: buildinfo.Version()})
	if err != nil {
		return err
	}
	var tracers []pgx.QueryTracer
	if s.cfg.QueryTracer != nil {
		tracers = append(tracers, s.cfg.QueryTracer)
	}
	if tr != nil {
		// Closed last: the spans of the shutdown's own statements still go out.
		s.closers = append(s.closers, tr.Shutdown)
		tracers = append(tracers, tr.QueryTracer())
	}
	var adjust []func(*pgxpool.Config)
	if len(tracers) > 0 {
		adjust = append(adjust, func(c *pgxpool.Config) { c.ConnConfig.Tracer = multitracer.New(tracers...) })
	}
	pool, err := db.Open(ctx, s.cfg.DatabaseURL, adjust...)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	s.pool = pool
	s.closers = append(s.closers, pool.Close)
	// One LISTEN connection for the process: key cache, memberships and
	// referral watchers subscribe their channels on it (closed after them).
	s.listener = db.NewListener(pool, db.ListenerOptions{Logger: s.log})
	s.listener.Start(s.background)
	s.closers = append(s.closers, s.listener.Close)
	if err := db.Migrate(ctx, pool); err != nil {
		return err
	}
	if s.blobs, err = s.openBlobStore(ctx); err != nil {
		return err
	}
	s.sched = scheduler.New(s.pool, s.log, s.cfg.Scheduler)
	if err := s.buildKeys(ctx); err != nil {
		return err
	}
	if err := s.buildAuthz(); err != nil {
		return err
	}
	verifier, err := s.buildVerifier(ctx)
	if err != nil {
		return err
	}
	creds, err := serverCredentials(s.cfg)
	if err != nil {
		return err
	}
	if s.validator, err = validation.New(); err != nil {
		return err
	}
	s.revocations = revocation.New(s.pool, s.listener)
	s.closers = append(s.closers, func() { s.revocations.Close() })
	go s.revocations.PruneLoop(s.background)
	auth := &authenticator{verifier: authn.NewCachingVerifier(verifier, tokenCacheSize, tokenCacheTTL), revocations: s.revocations}
	authzUnary, authzStream := authz.Interceptors(s.authz, s.members, subjectOf, publicMethods)
	// Audit sits before authorization so that refused calls are recorded too.
	s.audit = audit.NewRecorder(s.pool, s.log, audit.Options{OnGroupCommit: s.metrics.AuditBatch})
	s.audit.Start(s.background)
	s.closers = append(s.closers, s.audit.Close)
	auditUnary, auditStream := s.audit.Interceptors(audit.Services(audit.DefaultServices...))
	// Recovery runs twice: innermost, so that the audit interceptor records a
	// panicking call as failed, and right after observe, so that a panic in
	// an interceptor is answered Internal too. Limits sit right after
	// authentication: a refused call costs neither an audit event nor a
	// policy decision.
	recoverUnary, recoverStream := recoverInterceptors(s.log)
	// Metrics are outermost, so they count the status the client receives.
	metricsUnary, metricsStream := s.metrics.Interceptors()
	// A call in flight when the link to PostgreSQL goes silent is answered
	// Unavailable within linkSilentAfter, not after its class timeout.
	link := newLinkWatch(s.listener, s.pool, linkSilentAfter)
	go link.run(s.background)
	lim := s.limiter()
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(metricsUnary, observeUnary(s.log), link.unary(recoverUnary), auth.unary(), lim.UnaryInterceptor(), auditUnary, authzUnary,
			s.validator.UnaryInterceptor(), recoverUnary),
		grpc.ChainStreamInterceptor(metricsStream, observeStream(s.log), recoverStream, auth.stream(), lim.StreamInterceptor(), auditStream, authzStream,
			s.validator.StreamInterceptor(cases.ValidatesOwnStream...), recoverStream),
	}
	opts = append(opts, s.cfg.Limits.Transport.ServerOptions()...)
	if tr != nil {
		opts = append(opts, grpc.StatsHandler(tr.StatsHandler()))
	}
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	s.grpc = grpc.NewServer(opts...)
	if err := s.registerServices(ctx); err != nil {
		return err
	}
	if err := s.startJobs(); err != nil {
		return err
	}
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpc, s.health)
	if on, _ := s.cfg.ReflectionEnabled(); on {
		reflection.Register(s.grpc)
	}
	for name := range s.grpc.GetServiceInfo() {
		s.services = append(s.services, name)
	}
	s.metrics.InitializeMethods(s.grpc)
	s.registerGauges()
	return nil
}

func (s *Server) buildVerifier(ctx context.Context) (*authn.Verifier, error) {
	if s.cfg.Dev {
		issuer, err := authn.LoadOrCreateDevIssuer(s.cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("dev token issuer: %w", err)
		}
		dev, err := authn.NewDevVerifier(issuer)
		if err != nil || s.cfg.Issuer == "" {
			return dev, err
		}
		// A configured issuer is trusted beside the dev one, so that a
		// local identity provider can sign users in to a dev server.
		external, err := s.externalVerifier(ctx)
		if err != nil {
			return nil, err
		}
		return dev.Beside(external), nil
	}
	return s.externalVerifier(ctx)
}

// externalVerifier trusts the configured identity provider's tokens.
func (s *Server) externalVerifier(ctx context.Context) (*authn.Verifier, error) {
	v, err := authn.NewVerifier(ctx, authn.Config{
		Issuer: s.cfg.Issuer, Audience: s.cfg.Audience,
		JWKSFile: s.cfg.JWKSFile, JWKSURL: s.cfg.JWKSURL,
		Leeway: 30 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("token verifier: %w", err)
	}
	return v, nil
}

// registerServices registers every implemented service. A service that is
// not implemented yet is simply absent.
func (s *Server) registerServices(context.Context) error {
	casebridgev1.RegisterOrganizationServiceServer(s.grpc, organizations.New(s.pool, s.authz, s.keys, s.members, s.audit, s.revocations))
	caseService := cases.New(s.pool, s.authz, s.keys, s.validator, s.audit)
	caseService.SetBudget(cases.Budget{NotesPerCase: s.cfg.Limits.NotesPerCase, PageBytes: s.cfg.Limits.PageBytes, Cases: s.cfg.Limits.CaseQuota})
	casebridgev1.RegisterCaseServiceServer(s.grpc, caseService)
	casebridgev1.RegisterReferralServiceServer(s.grpc, referrals.New(s.streams, s.pool, s.authz, s.keys, s.log, s.audit, s.listener))
	casebridgev1.RegisterProceedingServiceServer(s.grpc, proceedings.New(s.pool, s.authz, s.keys, s.audit))
	casebridgev1.RegisterCompensationServiceServer(s.grpc, compensation.New(s.pool, s.authz, s.keys, s.audit))
	casebridgev1.RegisterCaseworkServiceServer(s.grpc, casework.New(s.pool, s.authz, s.keys, s.audit))
	casebridgev1.RegisterAuditServiceServer(s.grpc, auditsvc.New(s.pool, s.audit))
	s.registerDocuments()
	casebridgev1.RegisterTaskServiceServer(s.grpc, tasks.New(s.streams, s.pool, s.authz, s.keys, s.audit, s.log, s.listener))
	casebridgev1.RegisterTransferServiceServer(s.grpc, transfers.New(s.pool, s.authz, s.keys, s.audit))
	privacy, err := s.cfg.StatsPrivacy()
	if err != nil {
		return err
	}
	casebridgev1.RegisterStatsServiceServer(s.grpc, stats.New(s.pool, s.cfg.StatsK, stats.WithPrivacy(s.authz, privacy)))
	return nil
}

// GRPC exposes the underlying server, for tests that list its methods.
func (s *Server) GRPC() *grpc.Server { return s.grpc }

// Serve answers calls on lis until ctx ends, then shuts down gracefully:
// health turns NOT_SERVING, no new calls are accepted, in-flight calls get
// the grace period to finish.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watcher := &healthwatch.Watcher{Server: s.health, DB: s.pool, Services: s.services, Log: s.log}
	go watcher.Run(watchCtx)

	admin, err := s.listenAdmin()
	if err != nil && s.cfg.Dev {
		// Several dev servers on one machine (tests, the load harness)
		// would otherwise fight over the default admin port.
		s.log.Warn("no admin listener in dev mode", "error", err.Error())
	} else if err != nil {
		return err
	}
	if admin != nil {
		go s.serveAdmin(watchCtx, admin)
		s.log.Info("admin listener (health, metrics, pprof)", "address", admin.Addr().String())
	}
	web, err := s.listenWeb()
	if err != nil {
		return err
	}
	errc := make(chan error, 2)
	if web != nil {
		go func() {
			if err := s.serveWeb(watchCtx, web); err != nil {
				errc <- err
			}
		}()
		s.log.Info("HTTP listener (Connect, gRPC-Web)", "address", web.Addr().String())
	}
	go func() { errc <- s.grpc.Serve(lis) }()
	s.log.Info("serving", "address", lis.Addr().String(), "tls", s.cfg.TLSCert != "", "services", len(s.services))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownGrace.String())
	s.health.Shutdown()
	s.stopStreams()
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.cfg.ShutdownGrace):
		s.log.Warn("grace period over, cancelling remaining calls")
		s.grpc.Stop()
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// Close releases what New acquired, in reverse order.
func (s *Server) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

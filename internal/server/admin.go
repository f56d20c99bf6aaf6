package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// adminHandler serves the admin listener: the gRPC health service in
// plaintext HTTP/2 (what Kubernetes' gRPC probes speak; the API port needs
// TLS), /metrics and pprof. It carries no API and no victim data.
func (s *Server) adminHandler() http.Handler {
	probe := grpc.NewServer()
	healthpb.RegisterHealthServer(probe, s.health)
	web := s.metrics.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			probe.ServeHTTP(w, r)
			return
		}
		web.ServeHTTP(w, r)
	})
}

// serveAdmin listens on cfg.AdminListen until ctx ends. The address is
// returned once listening (for tests and the log).
func (s *Server) serveAdmin(ctx context.Context, lis net.Listener) {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := s.cfg.Limits.HTTP.Server(s.adminHandler())
	srv.Protocols = protocols
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("admin listener stopped", "error", err.Error())
	}
}

// listenAdmin opens the admin listener if one is configured.
func (s *Server) listenAdmin() (net.Listener, error) {
	if s.cfg.AdminListen == "" {
		return nil, nil
	}
	lis, err := net.Listen("tcp", s.cfg.AdminListen)
	if err != nil {
		return nil, fmt.Errorf("admin listener on %s: %w", s.cfg.AdminListen, err)
	}
	return s.cfg.Limits.HTTP.Listener(lis), nil
}

package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"connectrpc.com/vanguard/vanguardgrpc"
)

// The HTTP listener (--http-listen) serves the API to browsers and scripts
// that cannot speak gRPC: Connect (JSON or binary over HTTP/1.1 or 2,
// callable with curl) and gRPC-Web (binary, and base64 text through
// grpcWebText). vanguard transcodes each request into a
// call on the same grpc.Server, so the same interceptors authenticate,
// limit, audit, authorize and validate it as a native call, and the same
// TLS configuration protects it.

// listenWeb opens the HTTP listener if one is configured.
func (s *Server) listenWeb() (net.Listener, error) {
	if s.cfg.HTTPListen == "" {
		return nil, nil
	}
	lis, err := net.Listen("tcp", s.cfg.HTTPListen)
	if err != nil {
		return nil, fmt.Errorf("HTTP listener on %s: %w", s.cfg.HTTPListen, err)
	}
	return s.cfg.Limits.HTTP.Listener(lis), nil
}

// serveWeb answers Connect and gRPC-Web requests on lis until ctx ends.
func (s *Server) serveWeb(ctx context.Context, lis net.Listener) error {
	transcoder, err := vanguardgrpc.NewTranscoder(s.grpc)
	if err != nil {
		return fmt.Errorf("HTTP transcoder: %w", err)
	}
	handler := s.metrics.HTTPHandler(grpcWebText(transcoder))
	if n := s.cfg.Limits.Transport.MaxRecvBytes; n > 0 {
		// The gRPC message limit, applied to the HTTP body (a JSON body
		// is larger than its message, so this is no tighter).
		handler = http.MaxBytesHandler(handler, int64(n)*2)
	}
	tc, err := serverTLS(s.cfg)
	if err != nil {
		return err
	}
	srv := s.cfg.Limits.HTTP.Server(handler)
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	if tc == nil {
		protocols.SetUnencryptedHTTP2(true)
	}
	srv.Protocols = protocols
	srv.TLSConfig = tc
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownGrace+time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if tc != nil {
		err = srv.ServeTLS(lis, "", "")
	} else {
		err = srv.Serve(lis)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

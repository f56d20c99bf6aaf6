// Package dial opens casectl's gRPC connection to casebridged: TLS (or
// plaintext for a dev server), the bearer token on every call, and a
// default deadline on unary calls so that nothing waits forever.
package dial

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Target is where and how to connect.
type Target struct {
	Address string
	// Insecure uses plaintext: only for a dev-mode server on this machine.
	Insecure bool
	// CAFile replaces the system roots; CertFile and KeyFile are a client
	// certificate. All optional.
	CAFile, CertFile, KeyFile string
	Token                     string
	// Timeout bounds each unary call that has no deadline of its own.
	Timeout time.Duration
	// Options are further dial options (the web client's interceptors).
	Options []grpc.DialOption
}

// Dial returns a connection to t. Nothing is sent until the first call.
func Dial(t Target) (*grpc.ClientConn, error) {
	if t.Address == "" {
		return nil, errors.New("no server address")
	}
	transport, err := transportCredentials(t)
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(transport)}
	if t.Token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearer{token: t.Token, secure: !t.Insecure}))
	}
	if t.Timeout > 0 {
		opts = append(opts, grpc.WithUnaryInterceptor(deadline(t.Timeout)))
	}
	opts = append(opts, t.Options...)
	conn, err := grpc.NewClient(t.Address, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", t.Address, err)
	}
	return conn, nil
}

func transportCredentials(t Target) (credentials.TransportCredentials, error) {
	if t.Insecure {
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg), nil
}

// bearer sends "authorization: Bearer <token>" with every call.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity refuses to send the token in the clear, except
// to a server the user explicitly chose to reach without TLS.
func (b bearer) RequireTransportSecurity() bool { return b.secure }

// deadline gives a unary call without a deadline one of d.
func deadline(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

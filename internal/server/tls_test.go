package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/bootstrap"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/testdb"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// certs writes a CA and a certificate it signed for 127.0.0.1 (server or
// client), returning the file paths.
type certs struct{ ca, cert, key string }

func issue(t *testing.T, dir, name string, caCert *x509.Certificate, caKey *ecdsa.PrivateKey, client bool) certs {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	c := certs{cert: filepath.Join(dir, name+".pem"), key: filepath.Join(dir, name+"-key.pem")}
	write(t, c.cert, "CERTIFICATE", der)
	write(t, c.key, "EC PRIVATE KEY", keyDER)
	return c
}

func write(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newCA(t *testing.T, dir string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	path := filepath.Join(dir, "ca.pem")
	write(t, path, "CERTIFICATE", der)
	return cert, key, path
}

// TestProductionMode runs the server as it runs for real: TLS with client
// certificates, tokens checked against a JWKS file, keys in a keyring
// directory, the first organisation made by bootstrap.
func TestProductionMode(t *testing.T) {
	dir := t.TempDir()
	pool, url := testdb.NewWithURL(t)
	caCert, caKey, caPath := newCA(t, dir)
	srvCert := issue(t, dir, "server", caCert, caKey, false)
	cliCert := issue(t, dir, "client", caCert, caKey, true)

	issuer, err := authn.LoadOrCreateDevIssuer(filepath.Join(dir, "issuer"))
	if err != nil {
		t.Fatal(err)
	}
	jwks := filepath.Join(dir, "jwks.json")
	if err := issuer.WriteJWKS(jwks); err != nil {
		t.Fatal(err)
	}
	keyringDir := filepath.Join(dir, "keys")
	keyring, err := vault.LoadKeyring(keyringDir)
	if err != nil {
		t.Fatal(err)
	}
	km := keys.NewManager(pool, keyring, nil, nil)
	if err := bootstrap.Create(context.Background(), pool, km, bootstrap.Organization{
		ID: "shelter-x", Name: "Shelter X", Kind: bootstrap.ParseKind("shelter"), Country: "AL", Admin: "alice@x"}); err != nil {
		t.Fatal(err)
	}
	km.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := server.New(ctx, server.Config{
		DatabaseURL: url, Issuer: authn.DevIssuerName, Audience: authn.DevAudience, JWKSFile: jwks,
		TLSCert: srvCert.cert, TLSKey: srvCert.key, TLSClientCA: caPath, KeyringDir: keyringDir,
		LogLevel: "warn", LogFormat: "text", ShutdownGrace: time.Second,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis) }()
	defer func() { cancel(); <-done }()

	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	clientPair, err := tls.LoadX509KeyPair(cliCert.cert, cliCert.key)
	if err != nil {
		t.Fatal(err)
	}
	token, err := issuer.Mint("alice@x", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	call := func(creds credentials.TransportCredentials) (*casebridgev1.GetCallerIdentityResponse, error) {
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		cctx, ccancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token), 5*time.Second)
		defer ccancel()
		return casebridgev1.NewOrganizationServiceClient(conn).GetCallerIdentity(cctx, &casebridgev1.GetCallerIdentityRequest{})
	}
	me, err := call(credentials.NewTLS(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientPair}}))
	if err != nil {
		t.Fatalf("mutual TLS with a valid token: %v", err)
	}
	if me.GetSubject() != "alice@x" || me.GetMemberships()[0].GetOrganizationId() != "shelter-x" {
		t.Fatalf("caller: %v", me)
	}
	// Production mode publishes no reflection unless asked (--reflection on).
	tlsConn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots, Certificates: []tls.Certificate{clientPair}})))
	if err != nil {
		t.Fatal(err)
	}
	defer tlsConn.Close()
	if got, err := listServices(tlsConn); status.Code(err) != codes.Unimplemented {
		t.Fatalf("production reflection: listed %v, err %v; want Unimplemented", got, err)
	}
	if _, err := call(credentials.NewTLS(&tls.Config{RootCAs: roots})); err == nil {
		t.Fatal("a client without a certificate was served")
	}
	if _, err := call(insecure.NewCredentials()); err == nil {
		t.Fatal("a plaintext client was served")
	}
}

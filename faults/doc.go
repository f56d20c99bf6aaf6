// Package faults is Casebridge's fault suite: a real server (the
// casebridged binary) and real PostgreSQL clusters of the suite's own,
// driven by concurrent writers over gRPC while the database is killed, the
// network between them misbehaves, the server is killed mid-operation or
// the audit log cannot commit. After each fault a checker proves that every
// write the server acknowledged is there exactly once and decrypts, that
// nothing unacknowledged is half-applied and that the audit chain verifies.
//
// It is a module of its own so that the TCP proxy it needs (toxiproxy)
// never enters the server's dependency graph, and so that `go test ./...`
// at the repository root (make test) does not run it: `make test-faults`
// does.
package faults

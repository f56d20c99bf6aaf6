// Package backup makes and restores a consistent pair: a pg_dump of the
// database and a copy of the keyring directory, each with the same
// manifest naming the organisation keys the dump needs. Either half alone
// is useless (the dump holds only sealed values; the keys open nothing
// without the wrapped case keys of the dump), so a restore first checks
// that the keyring half holds every key the database half needs, and only
// then restores, repairs the server role's privileges, and verifies that
// the keys open case keys and that the audit chain is intact.
//
// It runs the PostgreSQL client programs of the machine (pg_dump,
// pg_dumpall, pg_restore, psql), found as deploy/postgres.sh finds them.
package backup

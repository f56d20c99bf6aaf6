#!/usr/bin/env bash
# Starts and stops a local PostgreSQL cluster for development and tests, with
# the server binaries found on this machine. Nothing is installed or downloaded.
#
#   deploy/postgres.sh start DIR [--fast|--crash-safe]
#                                           init (if needed) and start; prints DATABASE_URL
#   deploy/postgres.sh stop DIR             stop cleanly
#   deploy/postgres.sh url DIR              print DATABASE_URL of a running cluster
#   deploy/postgres.sh status DIR           exit 0 when running
#   deploy/postgres.sh database DIR NAME    create database NAME if missing; prints its URL
#   deploy/postgres.sh raise-xid DIR XID    stop, set the next transaction id (pg_resetwal -x), start
#   deploy/postgres.sh bin DIR NAME         print the path of PostgreSQL program NAME (pg_dump, ...)
#   deploy/postgres.sh standby DIR PRIMARY  make DIR a synchronous streaming standby of the
#                                           running cluster in PRIMARY, start it; prints its URL
#   deploy/postgres.sh promote DIR          promote the standby in DIR to a primary
#
# The cluster listens on 127.0.0.1 only, on a free port, with trust
# authentication: it is for a laptop or a test run, never for production.
# --fast turns off fsync for throwaway clusters (tests, benchmarks).
# --crash-safe turns off fsync too but keeps every commit waiting for its WAL
# write: PostgreSQL killed with kill -9 (not the machine losing power) loses
# nothing it acknowledged. The fault suite kills such clusters.
# Run as root, it runs PostgreSQL as the 'postgres' user (or 'nobody').
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

find_bin() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/local/pgsql/bin /opt/homebrew/bin; do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return; }
  done
  return 1
}

need_bins() {
  INITDB=$(find_bin initdb) && PG_CTL=$(find_bin pg_ctl) || die "no PostgreSQL server binaries (initdb, pg_ctl) found.
Install PostgreSQL 15 or newer, for example:
  Debian/Ubuntu:  apt-get install postgresql-15      (binaries in /usr/lib/postgresql/15/bin)
  macOS:          brew install postgresql@15
or set DATABASE_URL to an existing database."
  local major
  major=$("$INITDB" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
  [ "$major" -ge 15 ] 2>/dev/null || die "PostgreSQL $major found; 15 or newer is needed"
}

# as_owner runs a command as the cluster's owner: PostgreSQL refuses to run as root.
as_owner() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  local user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  if command -v runuser >/dev/null 2>&1; then runuser -u "$user" -- "$@"
  else su -s /bin/sh "$user" -c "$(printf '%q ' "$@")"; fi
}

owner_of_dir() {
  [ "$(id -u)" -ne 0 ] && return
  local user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  chown -R "$user" "$1"
}

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free TCP port found on 127.0.0.1"
}

url_of() { echo "postgres://postgres@127.0.0.1:$(cat "$1/port")/postgres?sslmode=disable"; }

running() { [ -f "$1/port" ] && as_owner "$PG_CTL" -D "$1/pgdata" status >/dev/null 2>&1; }

start() {
  local dir=$1 fast=${2:-}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if running "$dir"; then url_of "$dir"; return; fi
  if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
    mkdir -p "$dir/pgdata" "$dir/sock"
    owner_of_dir "$dir"
    as_owner "$INITDB" -D "$dir/pgdata" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  owner_of_dir "$dir"
  local port opts
  # Reuse the previous port when it is free, so a restarted cluster keeps its URL.
  if [ -f "$dir/port" ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$(cat "$dir/port")") 2>/dev/null; then
    port=$(cat "$dir/port")
  else
    port=$(free_port)
  fi
  opts="-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/sock -c max_connections=300"
  case "$fast" in
    --fast) opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off" ;;
    --crash-safe) opts="$opts -c fsync=off -c full_page_writes=off" ;;
  esac
  as_owner "$PG_CTL" -D "$dir/pgdata" -l "$dir/postgres.log" -o "$opts" -w -t 60 start >/dev/null \
    || { tail -n 20 "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
  echo "$port" >"$dir/port"
  url_of "$dir"
}

stop() {
  local dir=$1
  [ -d "$dir/pgdata" ] || return 0
  as_owner "$PG_CTL" -D "$dir/pgdata" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

database() {
  local dir=$1 name=$2 createdb port
  running "$dir" || die "no cluster running in $dir"
  port=$(cat "$dir/port")
  createdb=$(find_bin createdb) || die "createdb not found next to the server binaries"
  "$createdb" -h 127.0.0.1 -p "$port" -U postgres "$name" 2>/dev/null || true
  echo "postgres://postgres@127.0.0.1:$port/$name?sslmode=disable"
}

# raise_xid gives a cluster a transaction-id counter far from a fresh
# one's, as a long-lived production cluster has (restore tests need it).
raise_xid() {
  local dir=$1 xid=$2 resetwal
  resetwal=$(find_bin pg_resetwal) || die "pg_resetwal not found next to the server binaries"
  stop "$dir"
  as_owner "$resetwal" -x "$xid" -D "$dir/pgdata" >/dev/null
  # The commit-status file of the new xid's segment (1048576 xids each)
  # must exist; a zero-filled one means "no transaction there yet".
  local seg
  seg=$(printf '%04X' $(( xid / 1048576 )))
  [ -f "$dir/pgdata/pg_xact/$seg" ] || { head -c 262144 /dev/zero >"$dir/pgdata/pg_xact/$seg"; owner_of_dir "$dir"; }
  start "$dir" --fast >/dev/null
  url_of "$dir"
}

# standby clones a running primary (pg_basebackup, streaming WAL) into dir,
# starts it as a standby and makes the primary wait for it at every commit
# (synchronous_standby_names): a commit the primary acknowledged is on both.
standby() {
  local dir=$1 primary=$2 basebackup psql
  running "$primary" || die "no cluster running in $primary"
  basebackup=$(find_bin pg_basebackup) || die "pg_basebackup not found next to the server binaries"
  psql=$(find_bin psql) || die "psql not found next to the server binaries"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
    mkdir -p "$dir/pgdata" "$dir/sock"
    chmod 700 "$dir/pgdata"
    owner_of_dir "$dir"
    as_owner "$basebackup" -h 127.0.0.1 -p "$(cat "$primary/port")" -U postgres -D "$dir/pgdata" -R -X stream >"$dir/basebackup.log" 2>&1 \
      || { cat "$dir/basebackup.log" >&2; die "pg_basebackup failed"; }
  fi
  rm -f "$dir/port"
  start "$dir" --crash-safe >/dev/null
  "$psql" -q -h 127.0.0.1 -p "$(cat "$primary/port")" -U postgres -d postgres \
    -c "ALTER SYSTEM SET synchronous_standby_names = '*'" -c "SELECT pg_reload_conf()" >/dev/null
  url_of "$dir"
}

promote() {
  local dir=$1
  running "$dir" || die "no cluster running in $dir"
  as_owner "$PG_CTL" -D "$dir/pgdata" -w -t 60 promote >/dev/null
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start|stop|url|status DIR [--fast]"
need_bins
case "$cmd" in
  start)  start "$dir" "${3:-}" ;;
  stop)   stop "$dir" ;;
  url)    running "$dir" || die "no cluster running in $dir"; url_of "$dir" ;;
  status) running "$dir" ;;
  database) [ -n "${3:-}" ] || die "usage: $0 database DIR NAME"; database "$dir" "$3" ;;
  raise-xid) [ -n "${3:-}" ] || die "usage: $0 raise-xid DIR XID"; raise_xid "$dir" "$3" ;;
  standby) [ -n "${3:-}" ] || die "usage: $0 standby DIR PRIMARY_DIR"; standby "$dir" "$(cd "$3" && pwd)" ;;
  promote) promote "$dir" ;;
  bin)    [ -n "${3:-}" ] || die "usage: $0 bin DIR NAME"; find_bin "$3" || die "$3 not found" ;;
  *)      die "unknown command $cmd" ;;
esac

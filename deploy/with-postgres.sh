#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at PostgreSQL. When DATABASE_URL
# is already set it is used as is; otherwise a throwaway cluster is started in
# a temporary directory and stopped (and removed) afterwards, whatever the
# command's result.
#
#   deploy/with-postgres.sh [--durable] [--as VAR] command...
#
# The throwaway cluster runs without fsync (fast, for tests) unless
# --durable is given (fsync and synchronous commit on, as PostgreSQL is run
# for real: benchmarks). --as VAR always starts a cluster of its own and
# exports its URL as VAR instead of DATABASE_URL (a second cluster beside
# the first).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=--fast
var=DATABASE_URL
while [ $# -gt 0 ]; do
  case "$1" in
    --durable) mode=""; shift ;;
    --as) [ $# -ge 2 ] || { echo "with-postgres: --as needs a variable name" >&2; exit 2; }; var=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ "$var" = DATABASE_URL ] && [ -n "${DATABASE_URL:-}" ]; then exec "$@"; fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/casebridge-pg.XXXXXX")
chmod 755 "$dir"
cleanup() { "$here/postgres.sh" stop "$dir" || true; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
url=$("$here/postgres.sh" start "$dir" $mode)
export "$var=$url"
echo "with-postgres: throwaway PostgreSQL ($([ -n "$mode" ] && echo "fsync off" || echo durable)) at $url as $var" >&2
set +e
"$@"
status=$?
set -e
exit $status

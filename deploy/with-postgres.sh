#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at PostgreSQL. When DATABASE_URL
# is already set it is used as is; otherwise a throwaway cluster is started in
# a temporary directory and stopped (and removed) afterwards, whatever the
# command's result.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${DATABASE_URL:-}" ]; then exec "$@"; fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/casebridge-pg.XXXXXX")
chmod 755 "$dir"
cleanup() { "$here/postgres.sh" stop "$dir" || true; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
DATABASE_URL=$("$here/postgres.sh" start "$dir" --fast)
export DATABASE_URL
echo "with-postgres: throwaway PostgreSQL at $DATABASE_URL" >&2
set +e
"$@"
status=$?
set -e
exit $status

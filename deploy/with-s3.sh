#!/usr/bin/env bash
# Runs a command with an S3-compatible object store for tests: the
# CASEBRIDGE_TEST_S3_* variables (endpoint, key pair) point at it. When
# CASEBRIDGE_TEST_S3_ENDPOINT is already set it is used as is; otherwise a
# throwaway server (deploy/s3.sh: versitygw, built once from tools/) is
# started in a temporary directory and stopped (and removed) afterwards,
# whatever the command's result. Tests create a bucket of their own in it.
#
#   deploy/with-s3.sh command...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${CASEBRIDGE_TEST_S3_ENDPOINT:-}" ]; then exec "$@"; fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/casebridge-s3.XXXXXX")
cleanup() { "$here/s3.sh" stop "$dir" || true; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
"$here/s3.sh" start "$dir" >/dev/null
eval "$("$here/s3.sh" env "$dir")"
export CASEBRIDGE_TEST_S3_ENDPOINT CASEBRIDGE_TEST_S3_ACCESS_KEY_ID CASEBRIDGE_TEST_S3_SECRET_ACCESS_KEY
echo "with-s3: throwaway S3 server (versitygw, posix) at $CASEBRIDGE_TEST_S3_ENDPOINT" >&2
set +e
"$@"
status=$?
set -e
exit $status

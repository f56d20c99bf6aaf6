#!/usr/bin/env bash
# Starts and stops a local S3-compatible object store for development and
# tests: versitygw with its posix backend (buckets are directories, objects
# files), built from its Go module in tools/ (tools/go.mod pins it), so
# nothing is installed by hand. The binary is built once and kept under
# .build/versitygw/, keyed by the tools module and the Go version.
#
#   deploy/s3.sh build                  build (or reuse) the server; prints its path
#   deploy/s3.sh start DIR              start (or reuse) a server keeping its data in DIR;
#                                       prints its endpoint URL
#   deploy/s3.sh stop DIR               stop it
#   deploy/s3.sh url DIR                print the endpoint URL of a running server
#   deploy/s3.sh status DIR             exit 0 when running
#   deploy/s3.sh bucket DIR NAME        create bucket NAME (if missing)
#   deploy/s3.sh env DIR                print the endpoint and credentials as shell
#                                       assignments (CASEBRIDGE_TEST_S3_*)
#
# The server listens on 127.0.0.1 only, on a free port, with a random root
# key pair written to DIR/credentials (mode 0600) and handed to the server
# in its environment, never on its command line: it is for a laptop or a
# test run, never for production.
set -euo pipefail

die() { echo "s3.sh: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
GO=${GO:-go}

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free TCP port found on 127.0.0.1"
}

# build compiles versitygw once per tools module and Go version; concurrent
# callers (test binaries started together) wait on one lock.
build() {
  local key dir bin
  command -v "$GO" >/dev/null 2>&1 || die "no Go toolchain ($GO) found"
  key=$(cat "$root/tools/go.mod" "$root/tools/go.sum" <("$GO" env GOVERSION GOOS GOARCH) | sha256sum | cut -c1-16)
  dir="$root/.build/versitygw"
  bin="$dir/versitygw-$key"
  mkdir -p "$dir"
  if [ ! -x "$bin" ]; then
    (
      flock 9
      if [ ! -x "$bin" ]; then
        echo "s3.sh: building versitygw from tools/go.mod (once; cached in .build/versitygw)" >&2
        (cd "$root/tools" && "$GO" build -trimpath -o "$bin.tmp" github.com/versity/versitygw/cmd/versitygw) \
          || die "building versitygw failed"
        mv "$bin.tmp" "$bin"
        # Builds for an older tools module are of no further use.
        find "$dir" -maxdepth 1 -name 'versitygw-*' ! -name "$(basename "$bin")" -delete
      fi
    ) 9>"$dir/lock"
  fi
  echo "$bin"
}

url_of() { echo "http://127.0.0.1:$(cat "$1/port")"; }

running() {
  [ -f "$1/pid" ] && [ -f "$1/port" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null \
    && (exec 3<>"/dev/tcp/127.0.0.1/$(cat "$1/port")") 2>/dev/null
}

credential() { sed -n "s/^$2=//p" "$1/credentials"; }

start() {
  local dir=$1 bin port
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if running "$dir"; then url_of "$dir"; return; fi
  bin=$(build)
  mkdir -p "$dir/data"
  if [ ! -f "$dir/credentials" ]; then
    (umask 077; printf 'access_key_id=%s\nsecret_access_key=%s\n' \
      "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
      "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$dir/credentials")
  fi
  port=$(free_port)
  # setsid: the server outlives this script (and its caller's process
  # group) until stop.
  ROOT_ACCESS_KEY=$(credential "$dir" access_key_id) ROOT_SECRET_KEY=$(credential "$dir" secret_access_key) \
    setsid "$bin" --port "127.0.0.1:$port" --quiet posix "$dir/data" >"$dir/versitygw.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  echo "$port" >"$dir/port"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then url_of "$dir"; return; fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$dir/versitygw.log" >&2
  die "versitygw did not start"
}

stop() {
  local dir=$1 pid
  [ -f "$dir/pid" ] || return 0
  pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
}

# bucket creates a bucket through the server's own S3 API (a directory
# made by hand would lack the owner and ACL the server keeps beside it).
# The key pair reaches curl on its standard input, not its command line.
bucket() {
  local dir=$1 name=$2 code
  running "$dir" || die "no server running in $dir"
  [[ "$name" =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "bad bucket name $name"
  command -v curl >/dev/null 2>&1 || die "bucket needs curl"
  code=$(printf 'user = "%s:%s"\n' "$(credential "$dir" access_key_id)" "$(credential "$dir" secret_access_key)" \
    | curl -sS -K - -o /dev/null -w "%{http_code}" -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
      -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "$(url_of "$dir")/$name")
  case "$code" in
    200|409) ;;
    *) die "creating bucket $name: HTTP $code" ;;
  esac
}

env_of() {
  local dir=$1
  running "$dir" || die "no server running in $dir"
  printf 'CASEBRIDGE_TEST_S3_ENDPOINT=%q\nCASEBRIDGE_TEST_S3_ACCESS_KEY_ID=%q\nCASEBRIDGE_TEST_S3_SECRET_ACCESS_KEY=%q\n' \
    "$(url_of "$dir")" "$(credential "$dir" access_key_id)" "$(credential "$dir" secret_access_key)"
}

cmd=${1:-}
case "$cmd" in
  build)  build; exit ;;
  "")     die "usage: $0 build | start|stop|url|status|env DIR | bucket DIR NAME" ;;
esac
dir=${2:-}
[ -n "$dir" ] || die "usage: $0 $cmd DIR"
case "$cmd" in
  start)  start "$dir" ;;
  stop)   stop "$dir" ;;
  url)    running "$dir" || die "no server running in $dir"; url_of "$dir" ;;
  status) running "$dir" ;;
  env)    env_of "$dir" ;;
  bucket) [ -n "${3:-}" ] || die "usage: $0 bucket DIR NAME"; bucket "$dir" "$3" ;;
  *)      die "unknown command $cmd" ;;
esac

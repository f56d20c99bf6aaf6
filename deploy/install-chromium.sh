#!/usr/bin/env bash
# Installs Debian's chromium for the web client's browser tests when it is
# missing; does nothing when it is there. Needs root (apt-get). The tests
# themselves never install anything: without a browser they fail, saying
# to run this script.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "${CASEBRIDGE_CHROMIUM:-}" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: chromium is missing; run as root: apt-get install chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
command -v chromium

#!/usr/bin/env bash
# Entrypoint of polls-debian/haproxy, as the official haproxy image's: `haproxy ...` (or bare options) runs with
# -W (master-worker: reload with SIGUSR2, soft stop with SIGUSR1) and -db (foreground, logs to stdout as the
# configuration says). Any other command runs as given.
set -euo pipefail
if [[ ${1:-} == -* ]]; then
  set -- haproxy "$@"
fi
if [[ ${1:-} == haproxy ]]; then
  shift
  set -- haproxy -W -db "$@"
fi
exec "$@"

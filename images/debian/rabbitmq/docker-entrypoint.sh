#!/usr/bin/env bash
# Entrypoint of polls-debian/rabbitmq, the stand-in for rabbitmq:4.3-management (see the Dockerfile). As the
# official one, started as root it makes /var/lib/rabbitmq belong to rabbitmq and runs the node as rabbitmq
# (setpriv), in the foreground, as PID 1; the node's name is rabbit@<the container's hostname>. Any other command
# (rabbitmqctl, bash) runs as given.
set -euo pipefail

if [[ ${1:-} != rabbitmq-server ]]; then
  exec "$@"
fi

if [[ $(id -u) == 0 ]]; then
  find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq:rabbitmq '{}' +
  # This container's own cookie, written before the node or any CLI tool (the healthcheck, as root) could
  # create one: a cookie created by root would be unreadable for the node.
  cookie=/var/lib/rabbitmq/.erlang.cookie
  if [[ ! -s $cookie ]]; then
    (umask 077 && od -An -tx1 -N20 /dev/urandom | tr -d ' \n' >"$cookie")
    chown rabbitmq:rabbitmq "$cookie"
    chmod 400 "$cookie"
  fi
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$0" "$@"
fi

exec "$@"

#!/usr/bin/env bash
# Entrypoint of polls-debian/postgres, the stand-in for postgres:18 (see the Dockerfile). As the official one:
#   - started as root, it makes $PGDATA belong to postgres and runs itself again as postgres (setpriv);
#   - on the first start (no $PGDATA/PG_VERSION) initdb creates the superuser POSTGRES_USER (postgres) with
#     POSTGRES_PASSWORD, and a temporary server on the Unix socket only creates POSTGRES_DB (POSTGRES_USER), so
#     nothing answers on TCP (the healthcheck) before the real server;
#   - then it execs postgres, which gets Docker's signals directly.
# `docker run IMAGE -c name=value` passes server options; any other command (psql, pg_isready) runs as given.
set -euo pipefail
say() { printf '[entrypoint] %s\n' "$*" >&2; }

if [[ ${1:-} == -* ]]; then
  set -- postgres "$@"
fi
if [[ ${1:-} != postgres ]]; then
  exec "$@"
fi

if [[ $(id -u) == 0 ]]; then
  mkdir -p "$PGDATA"
  # A volume made elsewhere (a bind mount, another image) may have other owners.
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chmod 700 "$PGDATA"
  export HOME=/var/lib/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  if [[ -z ${POSTGRES_PASSWORD:-} ]]; then
    say "POSTGRES_PASSWORD is not set: the superuser needs a password for TCP logins (e.g. POSTGRES_PASSWORD=polls)"
    exit 1
  fi
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  say "first start: initialising $PGDATA (superuser $user, database $db)"
  initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  # initdb allows TCP logins from localhost only; the containers of the network log in with the password.
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait --silent start
  if [[ $db != postgres ]]; then
    psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres --set db="$db" \
      <<<'CREATE DATABASE :"db";'
  fi
  pg_ctl --pgdata="$PGDATA" --mode=fast --wait --silent stop
  say "initialised; starting the server"
fi

exec "$@"

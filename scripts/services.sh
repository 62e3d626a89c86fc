#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379) answer.
# Starts them when they are down; installs them (Debian) only when they are missing entirely.
#
#   bash scripts/services.sh           # the main job: never restarts a server or changes its settings
#   bash scripts/services.sh --tests   # the test suite: also preloads pg_stat_statements (see below)
#
# A server that is already running is left exactly as it is. Only a cluster this script has just
# installed gets its loopback authentication set to trust (a fresh install is ours to configure).
set -euo pipefail

for_tests=false
for arg in "$@"; do
  case "$arg" in
    --tests) for_tests=true ;;
    *) echo "services: unknown option $arg (use --tests for the test suite)" >&2; exit 2 ;;
  esac
done
installed_now=false

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1; then
  echo "services: installing postgresql and redis-server (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null
  installed_now=true
fi

if ! pg_up; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  # A cluster installed just now must accept the postgres user without a password on loopback; an
  # existing cluster's authentication is its administrator's business and is never rewritten.
  if [ "$installed_now" = true ] && [ -f "$hba" ] && grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+(scram-sha-256|md5)' "$hba"; then
    sed -ri 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)(scram-sha-256|md5)/\1trust/' "$hba"
  fi
  echo "services: starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi

if ! redis_up; then
  echo "services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

for _ in $(seq 1 60); do
  if pg_up && redis_up; then
    break
  fi
  sleep 1
done

# The pg_stat_statements source is tested against the real extension, which counts nothing until it
# is preloaded (a restart). Only for the test suite (--tests), once, before any test connects — never by
# the tests themselves, and never for the main job (its proxy needs nothing from the server). The
# library is appended to the existing list, so one already preloaded (timescaledb, ...) stays.
if [ "$for_tests" = true ] && pg_up; then
  current=$(psql -h 127.0.0.1 -U postgres -d postgres -tAc "show shared_preload_libraries")
  if ! printf '%s' "$current" | grep -q pg_stat_statements; then
    if [ -n "$current" ]; then wanted="$current, pg_stat_statements"; else wanted="pg_stat_statements"; fi
    echo "services: the test suite needs pg_stat_statements preloaded: shared_preload_libraries '$current' -> '$wanted' (one PostgreSQL restart)"
    psql -h 127.0.0.1 -U postgres -d postgres -qc "ALTER SYSTEM SET shared_preload_libraries = '$wanted'"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main restart
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
fi

if pg_up && redis_up; then
  echo "services: PostgreSQL and Redis are up"
  exit 0
fi
pg_up || echo "services: PostgreSQL does not answer on 127.0.0.1:5432" >&2
redis_up || echo "services: Redis does not answer on 127.0.0.1:6379" >&2
exit 1

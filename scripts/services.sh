#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379) answer.
# Starts them when they are down; installs them (Debian) only when they are missing entirely.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1; then
  echo "services: installing postgresql and redis-server (Debian packages)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null
fi

if ! pg_up; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  # The test cluster must accept the postgres user without a password on loopback.
  if [ -f "$hba" ] && grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+(scram-sha-256|md5)' "$hba"; then
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
# is preloaded (a restart). Done here, once, before any test connects — never by the tests themselves.
if pg_up && ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "show shared_preload_libraries" | grep -q pg_stat_statements; then
  echo "services: preloading pg_stat_statements (one PostgreSQL restart)"
  psql -h 127.0.0.1 -U postgres -d postgres -qc "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main restart
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi

if pg_up && redis_up; then
  echo "services: PostgreSQL and Redis are up"
  exit 0
fi
pg_up || echo "services: PostgreSQL does not answer on 127.0.0.1:5432" >&2
redis_up || echo "services: Redis does not answer on 127.0.0.1:6379" >&2
exit 1

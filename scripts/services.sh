#!/usr/bin/env bash
# Local PostgreSQL and Redis for development, kept under <repo>/.data/ (gitignored), on loopback only.
#
#   scripts/services.sh start    start both (idempotent), create database "rj"
#   scripts/services.sh stop     stop both (data is kept; delete .data/ to start afresh)
#   scripts/services.sh status   exit 0 when both run, 3 otherwise
#   scripts/services.sh env      print DATABASE_URL / REDIS_URL:  eval "$(scripts/services.sh env)"
#
# Ports default to 54329 (PostgreSQL) and 63799 (Redis) so they never clash with system services;
# override with RJ_PG_PORT / RJ_REDIS_PORT, and the data location with RJ_DATA_DIR.
# Authentication is "trust" on 127.0.0.1: a developer convenience, never a deployment.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${RJ_DATA_DIR:-$ROOT/.data}"
PG_PORT="${RJ_PG_PORT:-54329}"
REDIS_PORT="${RJ_REDIS_PORT:-63799}"
PG_DB=rj
PG_HOME="$DATA/postgres"
PG_DATA="$PG_HOME/data"
PG_RUN="$PG_HOME/run"
PG_LOG="$PG_HOME/postgres.log"
REDIS_DIR="$DATA/redis"
REDIS_PID="$REDIS_DIR/redis.pid"

DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/$PG_DB"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

log() { echo "services: $*" >&2; }
die() { echo "services: error: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

find_pg_bin() {
  local d
  if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then echo "$PG_BIN"; return 0; fi
  # Debian keeps the server binaries off PATH, one directory per major version; prefer the newest.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return 0
  fi
  return 1
}

ensure_installed() {
  local missing=()
  find_pg_bin >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  if is_root && command -v apt-get >/dev/null 2>&1; then
    log "installing ${missing[*]} with apt-get"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "services: missing: ${missing[*]}. Install with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
}

# PostgreSQL refuses to run as root: as root, every PostgreSQL command runs as the postgres OS user.
as_pg() {
  if is_root; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user (apt-get install postgresql creates it)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_running() { as_pg "$PG_BIN_DIR/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

psql_admin() { as_pg "$PG_BIN_DIR/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

start_pg() {
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initialising PostgreSQL in $PG_DATA"
    mkdir -p "$PG_DATA" "$PG_RUN"
    chmod 700 "$PG_DATA"
    if is_root; then
      chown -R postgres: "$PG_HOME"
      as_pg test -w "$PG_HOME" || die "the postgres user cannot reach $PG_HOME (a parent directory is not traversable); set RJ_DATA_DIR to a directory it can use"
    fi
    as_pg "$PG_BIN_DIR/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$PG_HOME/initdb.log" 2>&1 \
      || { cat "$PG_HOME/initdb.log" >&2; die "initdb failed"; }
  fi
  if pg_running; then
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN_DIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_RUN" start >/dev/null \
      || { tail -n 30 "$PG_LOG" >&2; die "PostgreSQL did not start (log: $PG_LOG)"; }
  fi
  if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != "1" ]; then
    log "creating database $PG_DB"
    psql_admin -c "CREATE DATABASE $PG_DB"
  fi
}

redis_ping() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  mkdir -p "$REDIS_DIR"
  if redis_ping; then
    log "Redis already running on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  # noeviction: BullMQ must never lose a job key to eviction. appendonly: the schedule survives restarts.
  # hash-max-listpack-value 128: a pending reminder stays compact (under 1 KB; see README).
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" \
    --appendonly yes --maxmemory-policy noeviction --hash-max-listpack-value 128 \
    --daemonize yes --pidfile "$REDIS_PID" --logfile "$REDIS_DIR/redis.log"
  for _ in $(seq 1 100); do
    redis_ping && return 0
    sleep 0.1
  done
  tail -n 30 "$REDIS_DIR/redis.log" >&2 || true
  die "Redis did not start (log: $REDIS_DIR/redis.log)"
}

stop_pg() {
  if [ -f "$PG_DATA/PG_VERSION" ] && pg_running; then
    log "stopping PostgreSQL"
    as_pg "$PG_BIN_DIR/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
  else
    log "PostgreSQL not running"
  fi
}

stop_redis() {
  if redis_ping; then
    log "stopping Redis"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
    for _ in $(seq 1 100); do
      redis_ping || return 0
      sleep 0.1
    done
    die "Redis on port $REDIS_PORT did not stop"
  else
    log "Redis not running"
  fi
}

status() {
  local rc=0
  if [ -n "${PG_BIN_DIR:-}" ] && [ -f "$PG_DATA/PG_VERSION" ] && pg_running; then
    echo "postgresql: running on 127.0.0.1:$PG_PORT (data $PG_DATA)"
  else
    echo "postgresql: stopped"; rc=3
  fi
  if command -v redis-cli >/dev/null 2>&1 && redis_ping; then
    echo "redis:      running on 127.0.0.1:$REDIS_PORT (maxmemory-policy $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" config get maxmemory-policy | tail -n 1), data $REDIS_DIR)"
  else
    echo "redis:      stopped"; rc=3
  fi
  return $rc
}

cmd="${1:-}"
case "$cmd" in
  start)
    ensure_installed
    PG_BIN_DIR="$(find_pg_bin)"
    mkdir -p "$DATA"
    start_pg
    start_redis
    status
    ;;
  stop)
    PG_BIN_DIR="$(find_pg_bin || true)"
    [ -n "$PG_BIN_DIR" ] && stop_pg
    command -v redis-cli >/dev/null 2>&1 && stop_redis
    ;;
  status)
    PG_BIN_DIR="$(find_pg_bin || true)"
    status
    ;;
  env)
    echo "export DATABASE_URL=$DATABASE_URL"
    echo "export REDIS_URL=$REDIS_URL"
    ;;
  *)
    echo "usage: $0 start|stop|status|env" >&2
    exit 2
    ;;
esac

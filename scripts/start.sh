#!/usr/bin/env bash
# npm start: builds and serves the bot. Starts local PostgreSQL and Redis (scripts/services.sh) only
# when neither DATABASE_URL nor REDIS_URL is given, in the environment or in .env; that local path is
# for development, so the bot it starts also gets ALLOW_UNAUTHENTICATED=1 and HOST=127.0.0.1 (the
# Emulator needs no app id; nothing else can reach it). Given both URLs, it starts nothing and sets
# neither: authentication then needs MicrosoftAppId. One URL without the other is a mistake, not a
# request for local servers. With NODE_ENV=production it never starts local servers and never uses
# the placeholder staff tenant.
#
# Personal data is encrypted under the master keys DATA_KEYS / DATA_KEY_ID. Outside production, when
# neither the environment nor .env sets them, the key is made once in .data/data-keys.env (mode 600)
# and used from then on: deleting that file makes the local data unreadable (delete .data/ with it).
# With NODE_ENV=production it never makes one: a missing key stops start-up.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The value of KEY in .env (first match, surrounding quotes removed), or nothing.
from_env_file() {
  [ -f .env ] || return 0
  sed -n "s/^[[:space:]]*$1=//p" .env | head -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

die() { echo "start: error: $*" >&2; exit 1; }

for key in DATABASE_URL REDIS_URL STAFF_TENANT_ID NODE_ENV DATA_KEYS DATA_KEY_ID; do
  if [ -z "${!key:-}" ]; then
    value="$(from_env_file "$key")"
    if [ -n "$value" ]; then export "$key=$value"; fi
  fi
done

production=false
[ "${NODE_ENV:-}" = "production" ] && production=true

if [ -n "${DATABASE_URL:-}" ] && [ -z "${REDIS_URL:-}" ]; then
  die "DATABASE_URL is set but REDIS_URL is not: set both (or, for local development, neither)"
elif [ -z "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
  die "REDIS_URL is set but DATABASE_URL is not: set both (or, for local development, neither)"
elif [ -z "${DATABASE_URL:-}" ]; then
  $production && die "NODE_ENV=production: set DATABASE_URL and REDIS_URL (local servers are for development only)"
  echo "start: DATABASE_URL/REDIS_URL not set; starting local PostgreSQL and Redis (scripts/services.sh)"
  bash scripts/services.sh start
  eval "$(bash scripts/services.sh env)"
  # Local development: no app id needed, and only this machine can reach the unauthenticated bot.
  export ALLOW_UNAUTHENTICATED=1 HOST=127.0.0.1
  echo "start: local development: ALLOW_UNAUTHENTICATED=1 on HOST=127.0.0.1 (set MicrosoftAppId to authenticate)"
fi

if [ -z "${STAFF_TENANT_ID:-}" ]; then
  $production && die "NODE_ENV=production: set STAFF_TENANT_ID (the placeholder tenant is for development only)"
  # Local development only: the Bot Framework Emulator sends no tenant, which the bot takes as the staff tenant.
  export STAFF_TENANT_ID=00000000-0000-0000-0000-000000000001
  echo "start: STAFF_TENANT_ID not set; using the local development placeholder $STAFF_TENANT_ID (set it in .env for Teams)"
fi

if [ -z "${DATA_KEYS:-}" ] || [ -z "${DATA_KEY_ID:-}" ]; then
  $production && die "NODE_ENV=production: set DATA_KEYS (kid:base64 pairs, 32-byte keys) and DATA_KEY_ID (the current kid); a key is made locally only for development"
  key_file="${RJ_DATA_DIR:-$ROOT/.data}/data-keys.env"
  if [ ! -f "$key_file" ]; then
    mkdir -p "$(dirname "$key_file")"
    kid="local-$(date -u +%Y%m%d)"
    secret="$(node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64'))")"
    (umask 077 && printf 'DATA_KEYS=%s:%s\nDATA_KEY_ID=%s\n' "$kid" "$secret" "$kid" > "$key_file")
    echo "start: made a local data encryption key in $key_file (development only; keep it with .data/)"
  fi
  DATA_KEYS="$(sed -n 's/^DATA_KEYS=//p' "$key_file" | head -n 1)"
  DATA_KEY_ID="$(sed -n 's/^DATA_KEY_ID=//p' "$key_file" | head -n 1)"
  export DATA_KEYS DATA_KEY_ID
fi

npm run --silent build
exec node dist/src/main.js

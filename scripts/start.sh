#!/usr/bin/env bash
# npm start: builds and serves the bot. Starts local PostgreSQL and Redis (scripts/services.sh) only
# when DATABASE_URL / REDIS_URL are not given, in the environment or in .env; given URLs, it starts
# nothing, which is how production and the test harnesses run it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The value of KEY in .env (first match, surrounding quotes removed), or nothing.
from_env_file() {
  [ -f .env ] || return 0
  sed -n "s/^[[:space:]]*$1=//p" .env | head -n 1 | sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"
}

for key in DATABASE_URL REDIS_URL STAFF_TENANT_ID; do
  if [ -z "${!key:-}" ]; then
    value="$(from_env_file "$key")"
    if [ -n "$value" ]; then export "$key=$value"; fi
  fi
done

if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  echo "start: DATABASE_URL/REDIS_URL not set; starting local PostgreSQL and Redis (scripts/services.sh)"
  bash scripts/services.sh start
  eval "$(bash scripts/services.sh env)"
fi

if [ -z "${STAFF_TENANT_ID:-}" ]; then
  # Local development only: the Bot Framework Emulator sends no tenant, which the bot takes as the staff tenant.
  export STAFF_TENANT_ID=00000000-0000-0000-0000-000000000001
  echo "start: STAFF_TENANT_ID not set; using the local development placeholder $STAFF_TENANT_ID (set it in .env for Teams)"
fi

npm run --silent build
exec node dist/src/main.js

#!/usr/bin/env bash
# Shared by the end-to-end scripts: paths, the compose command, readiness wait, step runner.
set -euo pipefail
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT_DIR=$(cd "$TESTS_DIR/.." && pwd)
export ARGUS_E2E_PORT=${ARGUS_E2E_PORT:-31300}
export ARGUS_E2E_URL=${ARGUS_E2E_URL:-http://127.0.0.1:$ARGUS_E2E_PORT}
export ARGUS_E2E_PRIVATE=$TESTS_DIR/private/argus
export ARGUS_E2E_STATE=$TESTS_DIR/tmp/e2e-state.json
# The thresholds set in tests/docker-compose.yml.
export ARGUS_E2E_ONLINE=3 ARGUS_E2E_OFFLINE=8 ARGUS_E2E_INTERVAL=1
PROJECT=${ARGUS_E2E_PROJECT:-argus-master-e2e}

compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -p "$PROJECT" -f "$TESTS_DIR/docker-compose.yml" "$@"
  else
    docker-compose -p "$PROJECT" -f "$TESTS_DIR/docker-compose.yml" "$@"
  fi
}
export -f compose
export TESTS_DIR PROJECT

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

wait_ready() {
  local deadline=$((SECONDS + ${1:-90}))
  until curl -sf "$ARGUS_E2E_URL/readyz" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      log "master not ready at $ARGUS_E2E_URL"; compose logs --tail 50 || true; return 1
    fi
    sleep 0.5
  done
}

run_steps() {
  (cd "$ROOT_DIR" && node --import tsx test/e2e/run-steps.ts "$@")
}

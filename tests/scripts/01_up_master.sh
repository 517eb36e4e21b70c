#!/usr/bin/env bash
# 01: build the image (unless SKIP_BUILD=1), clean and create the data folders, start the container.
source "$(dirname "$0")/common.sh"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building argus-master:dev"
  "$ROOT_DIR/scripts/build_images.sh" --tag "${ARGUS_MASTER_IMAGE:-argus-master:dev}"
fi
compose down --remove-orphans >/dev/null 2>&1 || true
rm -rf "$TESTS_DIR/private" "$TESTS_DIR/tmp"
mkdir -p "$ARGUS_E2E_PRIVATE/master/log" "$ARGUS_E2E_PRIVATE/metric/prometheus" "$ARGUS_E2E_PRIVATE/etc" "$TESTS_DIR/tmp"
log "starting the master on $ARGUS_E2E_URL"
compose up -d
wait_ready 90
log "master ready"

#!/usr/bin/env bash
# Builds the image offline (network disabled, from offline_deps/; prepared first if it is missing),
# then runs the whole container end-to-end against it.
source "$(dirname "$0")/common.sh"
if ! ls "$ROOT_DIR"/offline_deps/debs/runtime/*.deb >/dev/null 2>&1; then
  log "offline_deps/ missing: preparing it (needs the npm registry and the Debian mirror)"
  "$ROOT_DIR/scripts/prepare_offline_deps.sh"
fi
"$ROOT_DIR/scripts/build_images.sh" --offline --tag "${ARGUS_MASTER_IMAGE:-argus-master:dev}"
SKIP_BUILD=1 "$TESTS_DIR/scripts/00_e2e_test.sh"

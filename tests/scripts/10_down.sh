#!/usr/bin/env bash
# 10: stop and remove the container and network, clean tests/private and tests/tmp.
source "$(dirname "$0")/common.sh"
compose down --remove-orphans --volumes >/dev/null 2>&1 || true
rm -rf "$TESTS_DIR/private" "$TESTS_DIR/tmp"
log "environment removed"

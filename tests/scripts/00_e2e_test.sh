#!/usr/bin/env bash
# Runs the whole container end-to-end: 01 … 09, then 10 (always, even after a failure).
# SKIP_BUILD=1 reuses an argus-master:dev image that is already built.
source "$(dirname "$0")/common.sh"
trap '"$TESTS_DIR/scripts/10_down.sh"' EXIT
for script in 01_up_master 02_verify_ready_and_nodes_json 03_register_via_curl 04_reregister_and_error_cases \
              05_status_report_via_curl 06_config_update_and_nodes_json 07_stats_single_node 08_multi_node_stats \
              09_restart_persistence; do
  log "== $script"
  if ! "$TESTS_DIR/scripts/$script.sh"; then
    log "FAILED: $script"
    compose logs --tail 80 || true
    exit 1
  fi
done
log "all container end-to-end scenarios passed"

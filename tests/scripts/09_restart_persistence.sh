#!/usr/bin/env bash
# 09: restart the master container; nodes, statistics and nodes.json are kept; then the dns-monitor
# (restarted with it under supervisord) reacts to a dns.conf change.
source "$(dirname "$0")/common.sh"
export ARGUS_E2E_RESTART="bash -c 'source \"$TESTS_DIR/scripts/common.sh\" && compose restart master'"
run_steps 09 dns

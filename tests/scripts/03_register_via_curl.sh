#!/usr/bin/env bash
# 03: register like an agent, keep the node ID (tests/tmp), see it in the list.
source "$(dirname "$0")/common.sh"
run_steps 03

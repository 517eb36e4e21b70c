#!/usr/bin/env bash
# 02: poll /readyz, check that the initial nodes.json is [].
source "$(dirname "$0")/common.sh"
run_steps 02

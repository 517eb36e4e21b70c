#!/usr/bin/env bash
# 08: a second node, one online one offline: statistics, nodes.json has the online one.
source "$(dirname "$0")/common.sh"
run_steps 08

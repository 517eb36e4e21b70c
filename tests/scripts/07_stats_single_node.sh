#!/usr/bin/env bash
# 07: the node goes offline; statistics and an empty nodes.json.
source "$(dirname "$0")/common.sh"
run_steps 07

#!/usr/bin/env bash
# 06: config/labels update reaches nodes.json; an offline node is left out.
source "$(dirname "$0")/common.sh"
run_steps 06

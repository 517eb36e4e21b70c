#!/usr/bin/env bash
# 05: report health; status initialized → online → offline → online.
source "$(dirname "$0")/common.sh"
run_steps 05

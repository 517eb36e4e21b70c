#!/usr/bin/env bash
# 04: re-register (200), unknown ID (404), ID/name mismatch (500), bad body (400).
source "$(dirname "$0")/common.sh"
run_steps 04

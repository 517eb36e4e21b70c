#!/bin/sh
# Started by supervisord as program "master". Every setting comes from the environment (see docs/configuration.md);
# GUNICORN_BIND / GUNICORN_WORKERS are read as aliases of MASTER_BIND / MASTER_WORKERS.
set -eu
if [ -n "${GUNICORN_EXTRA_ARGS:-}" ]; then
  echo "start-master.sh: GUNICORN_EXTRA_ARGS is ignored (there is no gunicorn here): ${GUNICORN_EXTRA_ARGS}" >&2
fi
cd /opt/argus-master
exec node dist/cli.js serve

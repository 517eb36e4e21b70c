#!/bin/sh
# Docker HEALTHCHECK: GET /healthz on the port of MASTER_BIND (or GUNICORN_BIND), default 3000.
bind=${MASTER_BIND:-${GUNICORN_BIND:-0.0.0.0:3000}}
port=${bind##*:}
host=${bind%:*}
case "$host" in ''|0.0.0.0|'[::]') host=127.0.0.1 ;; esac
exec node -e "fetch('http://' + process.argv[1] + ':' + process.argv[2] + '/healthz', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$host" "$port"

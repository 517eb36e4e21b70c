#!/bin/sh
# apt-setup.sh SET PACKAGE...  (used inside the image build)
# Installs Debian packages: from the mirror, or with OFFLINE=1 from /offline/debs/SET/ (the .deb files that
# scripts/prepare_offline_deps.sh downloaded). With APT_MIRROR set (e.g. http://mirror.internal), first
# switches the apt sources from deb.debian.org to that mirror, and they stay switched in the image.
set -eu
set_name=$1
shift
if [ -n "${APT_MIRROR:-}" ]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
    [ -f "$f" ] && sed -i "s#http://deb.debian.org#${APT_MIRROR%/}#g; s#https://deb.debian.org#${APT_MIRROR%/}#g" "$f"
  done
fi
if [ "${OFFLINE:-0}" = 1 ]; then
  if ! ls /offline/debs/"$set_name"/*.deb >/dev/null 2>&1; then
    echo "apt-setup: no .deb files in /offline/debs/$set_name; run scripts/prepare_offline_deps.sh first" >&2
    exit 1
  fi
  # The folder is a flat apt repository (Packages index made by prepare_offline_deps.sh): apt resolves and
  # orders the dependencies as online, reading only local files.
  list=/tmp/offline-$set_name.list
  echo "deb [trusted=yes] file:/offline/debs/$set_name ./" >"$list"
  apt_opts="-o Dir::Etc::sourcelist=$list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0"
  apt-get $apt_opts update
  DEBIAN_FRONTEND=noninteractive apt-get $apt_opts install -y --no-install-recommends "$@"
  rm -rf "$list" /var/lib/apt/lists/*
else
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
  rm -rf /var/lib/apt/lists/*
fi

#!/usr/bin/env bash
# Make a local stand-in for docker.io/library/python:3.11-slim-bookworm, for machines that reach
# Debian's mirror and PyPI but no container registry. It is Debian 12 (debootstrap minbase,
# trimmed like debian:bookworm-slim) with Debian's python3.11 and python3.11-venv linked into
# /usr/local/bin, and a pip.conf whose `cert` the image build mounts the host's CA bundle over.
# It differs from the official image (CPython 3.11.2 from Debian in /usr/bin, pip 23.0.1): it
# proves job/Dockerfile and the program inside it, not the official base.
#
# Cached: when an image with this tag carries the label with this script's hash, it exits at
# once. Needs root, podman, runc and debootstrap; CONTAINERS_CONF should name
# tests/image/containers.conf (the test sets it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tag="${STAND_IN_TAG:-docker.io/library/python:3.11-slim-bookworm}"
hash="$(sha256sum "$here/stand_in_base.sh" | cut -c1-16)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"

if podman image exists "$tag"; then
  label="$(podman image inspect --format '{{index .Labels "playclips.stand-in"}}' "$tag")"
  if [ "$label" = "$hash" ]; then
    echo "stand-in base $tag is current ($hash)"
    exit 0
  elif [ -z "$label" ] || [ "$label" = "<no value>" ]; then
    echo "using $tag as it is (not a stand-in: the real image, pulled)"
    exit 0
  fi
fi

# The mirror apt on this machine already uses (a CI VM may have no route to others).
mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
# What debian:bookworm-slim leaves out.
rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* \
  "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
printf 'deb %s bookworm main\n' "$mirror" >"$rootfs/etc/apt/sources.list"
rm -f "$rootfs"/etc/apt/sources.list.d/*

rootfs_tag="localhost/playclips-stand-in-rootfs:bookworm"
tar -C "$rootfs" -c . | podman import --quiet - "$rootfs_tag" >/dev/null

cat >"$work/Containerfile" <<CONTAINERFILE
FROM $rootfs_tag
ENV LANG=C.UTF-8 PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin
RUN apt-get update \\
    && DEBIAN_FRONTEND=noninteractive apt-get install --yes --no-install-recommends python3.11 python3.11-venv \\
    && apt-get clean && rm -rf /var/lib/apt/lists/* \\
    && for name in python python3 python3.11; do ln -s /usr/bin/python3.11 /usr/local/bin/\$name; done \\
    && printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >/etc/pip.conf
LABEL playclips.stand-in=$hash
CMD ["python3"]
CONTAINERFILE
podman build --quiet --pull=never --network=host -t "$tag" -f "$work/Containerfile" "$work" >/dev/null
podman rmi "$rootfs_tag" >/dev/null 2>&1 || true
echo "stand-in base $tag built ($hash)"

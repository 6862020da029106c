#!/usr/bin/env bash
# Installs the Debian packages given as arguments when they are missing (as root), or says exactly what to run.
# Usage: ensure-deps.sh [--optional] PKG...   (--optional: warn instead of failing when they cannot be installed)
set -u
optional=0
if [ "${1:-}" = "--optional" ]; then optional=1; shift; fi
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "qbench: missing packages ${missing[*]} and no apt-get here; install their equivalents (hwloc and numactl development files, pkg-config) and retry." >&2
  [ $optional -eq 1 ] && exit 0 || exit 1
fi
if [ "$(id -u)" != "0" ]; then
  echo "qbench: missing Debian packages: ${missing[*]}" >&2
  echo "qbench: run: sudo apt-get install -y ${missing[*]}" >&2
  [ $optional -eq 1 ] && exit 0 || exit 1
fi
echo "qbench: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null; }; }; then
  echo "qbench: apt-get could not install ${missing[*]}" >&2
  [ $optional -eq 1 ] && exit 0 || exit 1
fi

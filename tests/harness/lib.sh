# shellcheck shell=bash disable=SC2034
# Shared helpers for the test harness scripts (sourced, not executed).
# Everything lives under a cache dir (downloads, builds) and a log dir.
HARNESS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${BUILDKIT_FLEET_CACHE:-/var/cache/buildkit-fleet}"
LOGDIR="${BUILDKIT_FLEET_LOGDIR:-/var/log/buildkit-fleet}"
BUILDKIT_VERSION="${BUILDKIT_VERSION:-v0.32.2}"
BUILDX_VERSION="${BUILDX_VERSION:-v0.36.1}"
BUILDKIT_IMAGE="buildkit-fleet/buildkit:${BUILDKIT_VERSION}"
BUILDKIT_DEFAULT_IMAGE="moby/buildkit:buildx-stable-1"
export PATH="$PATH:/usr/local/go/bin:/usr/local/sbin:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$CACHE" "$LOGDIR"

_T0=$SECONDS
log()  { printf '[%s %4ss] %s\n' "$(basename "$0" .sh)" "$((SECONDS - _T0))" "$*" >&2; }  # stderr: safe in $(...)
warn() { log "WARNING: $*"; }
die()  { log "ERROR: $*" >&2; exit 1; }

# apt-get update at most once per 6 hours (stamp in the cache dir), bounded.
apt_update_once() {
  local stamp="$CACHE/apt-update.stamp"
  if [[ -z "$(find "$stamp" -mmin -360 2>/dev/null)" ]]; then
    log "apt-get update"
    timeout 300 apt-get update -qq >"$LOGDIR/apt-update.log" 2>&1 || die "apt-get update failed (see $LOGDIR/apt-update.log)"
    touch "$stamp"
  fi
}

# Install only the Debian packages that are missing (serialised by a lock).
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  exec 8>"$CACHE/apt.lock"; timeout 600 flock 8 || die "apt lock timeout"
  apt_update_once
  log "apt-get install ${missing[*]}"
  # No services may start from package scripts (no init system here; we start daemons ourselves).
  local prc=/usr/sbin/policy-rc.d tmp_prc=
  [[ -e $prc ]] || { printf '#!/bin/sh\nexit 101\n' >"$prc"; chmod +x "$prc"; tmp_prc=1; }
  local rc=0
  timeout 900 apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOGDIR/apt-install.log" 2>&1 || rc=$?
  [[ -z $tmp_prc ]] || rm -f "$prc"
  ((rc == 0)) || die "apt-get install ${missing[*]} failed (see $LOGDIR/apt-install.log)"
  exec 8>&-
}

# Download .debs with a private sources list / lists / cache dir (system apt config untouched).
# Usage: apt_download_private DESTDIR SUITE ARCHS PKG...   (ARCHS: "amd64" or "arm64,armhf,...";
# foreign packages are named pkg:arch; never uses dpkg --add-architecture).
apt_download_private() {
  local dest="$1" suite="$2" archs="$3"; shift 3
  local st="$CACHE/apt-private/$suite-${archs//,/-}"
  mkdir -p "$st/lists/partial" "$st/cache/archives/partial" "$dest"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$st/sources.list"
  local opts=(-oDir::Etc::SourceList="$st/sources.list" -oDir::Etc::SourceParts=/dev/null
              -oDir::State::Lists="$st/lists" -oDir::Cache="$st/cache"
              -oAPT::Architecture="${archs%%,*}" -oAPT::Architectures="$archs" -qq)
  if [[ -z "$(find "$st/lists" -name '*Packages*' -mmin -1440 2>/dev/null)" ]]; then
    timeout 300 apt-get "${opts[@]}" update >>"$LOGDIR/apt-private.log" 2>&1 || return 1
  fi
  (cd "$dest" && timeout 300 apt-get "${opts[@]}" download "$@" >>"$LOGDIR/apt-private.log" 2>&1)
}

docker_up() { timeout 5 docker info >/dev/null 2>&1; }

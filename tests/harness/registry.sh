#!/usr/bin/env bash
# Local, auth-less registry v2 (Debian docker-registry) on 0.0.0.0:5000, own minimal config.
# Builders on the default bridge reach it as 172.17.0.1:5000, the host as 127.0.0.1:5000.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

STATE="${BUILDKIT_FLEET_STATE:-/var/lib/buildkit-fleet}/registry"
up() { curl -fs -m 3 -o /dev/null http://127.0.0.1:5000/v2/; }

apt_install docker-registry curl
if up; then log "registry already answering on :5000"; exit 0; fi

mkdir -p "$STATE/data"
cat >"$STATE/config.yml" <<YML
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $STATE/data
  delete:
    enabled: true
http:
  addr: 0.0.0.0:5000
YML
log "starting docker-registry ($STATE)"
setsid /usr/bin/docker-registry serve "$STATE/config.yml" >>"$LOGDIR/registry.log" 2>&1 </dev/null &
for _ in $(seq 30); do up && { log "ok: registry on 0.0.0.0:5000"; exit 0; }; sleep 1; done
die "registry did not answer within 30s (see $LOGDIR/registry.log)"

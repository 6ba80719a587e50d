#!/usr/bin/env bash
# A SECOND dockerd on this machine (two-host / multi-node tests): unix:///run/buildkit-fleet/docker2.sock.
# Own config file, data root, exec root, pidfile and bridge (br-d2, 10.99.0.1/24); no iptables.
# Never `--bridge none`: that deletes the first daemon's docker0. Idempotent and time-bounded.
#   dockerd2.sh          start it (if not answering) and load the BuildKit + smoke images into it
#   dockerd2.sh --stop   stop it (leaves its data root for the next start)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUN=/run/buildkit-fleet
SOCK="$RUN/docker2.sock"
HOST="unix://$SOCK"
ROOT="${BUILDKIT_FLEET_DOCKER2_ROOT:-/var/lib/buildkit-fleet/docker2}"
CONF="$ROOT/daemon.json"
PIDFILE="$RUN/docker2.pid"
BRIDGE=br-d2
BRIDGE_CIDR=10.99.0.1/24
MAIN_JSON=/etc/docker/daemon.json

d2() { timeout 120 docker -H "$HOST" "$@"; }
d2_up() { timeout 5 docker -H "$HOST" info >/dev/null 2>&1; }

if [[ ${1:-} == --stop ]]; then
  if [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    kill "$(cat "$PIDFILE")"
    for _ in $(seq 30); do kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break; sleep 1; done
    log "second dockerd stopped"
  fi
  exit 0
fi

docker_up || die "the first dockerd must run first (tests/harness/dockerd.sh)"
mkdir -p "$RUN" "$ROOT/data" "$ROOT/exec"

# Same binary and runtime shim as the first daemon.
main_pid=$(cat /var/run/docker.pid)
bin=$(readlink -f "/proc/$main_pid/exe")
path=$(tr '\0' '\n' <"/proc/$main_pid/environ" | sed -n 's/^PATH=//p' | head -1)
path="${path:-$PATH}"

# Config: only the runtime keys of the first daemon (shim when the sandbox needs it).
/usr/bin/python3 - "$MAIN_JSON" "$CONF" <<'PY'
import json, os, sys
main, conf = sys.argv[1:3]
try:
    src = json.load(open(main))
except (OSError, ValueError):
    src = {}
cfg = {k: src[k] for k in ("runtimes", "default-runtime") if k in src}
try:
    old = json.load(open(conf))
except (OSError, ValueError):
    old = None
if cfg != old:
    with open(conf + ".tmp", "w") as f:
        json.dump(cfg, f, indent=2)
    os.replace(conf + ".tmp", conf)
PY

# Own bridge in another subnet, created before the daemon.
ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
ip -4 addr show dev "$BRIDGE" | grep -q "${BRIDGE_CIDR%/*}/" || ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
ip link set "$BRIDGE" up

if d2_up; then
  log "second dockerd already answering on $HOST"
else
  [[ -S $SOCK ]] && rm -f "$SOCK"
  rm -f "$PIDFILE"
  log "starting second dockerd ($bin) on $HOST"
  setsid env PATH="$path" "$bin" --config-file "$CONF" -H "$HOST" \
    --data-root "$ROOT/data" --exec-root "$ROOT/exec" --pidfile "$PIDFILE" \
    --iptables=false --ip6tables=false -b "$BRIDGE" >>"$LOGDIR/dockerd2.log" 2>&1 </dev/null &
  for _ in $(seq 60); do d2_up && break; sleep 1; done
  d2_up || die "second dockerd did not answer within 60s (see $LOGDIR/dockerd2.log)"
fi

# Images move between daemons with save | load (nothing can be pulled).
for img in "$BUILDKIT_IMAGE" "$BUILDKIT_DEFAULT_IMAGE" buildkit-fleet/busybox:local; do
  docker image inspect "$img" >/dev/null 2>&1 || continue
  want=$(docker image inspect -f '{{.Id}}' "$img")
  have=$(d2 image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)
  if [[ $want != "$have" ]]; then
    log "loading $img into the second dockerd"
    timeout 300 docker save "$img" | timeout 300 docker -H "$HOST" load >/dev/null || die "cannot load $img into $HOST"
  fi
done
log "ok: second dockerd $(d2 version -f '{{.Server.Version}}') on $HOST, bridge $BRIDGE $BRIDGE_CIDR"

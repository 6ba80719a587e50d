#!/usr/bin/env bash
# Installs the Docker engine parts and starts dockerd in the background (no systemd).
# Prefers Debian sid's docker.io (28.x) dockerd, unpacked into the cache; falls back to Debian 12's.
# Adds a runtime shim only when this machine lacks CAP_SYS_RESOURCE (sandbox trap).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SID="$CACHE/docker-sid"                      # unpacked sid docker.io tree
SHIM=/usr/local/lib/buildkit-fleet/runc-shim # stable copy of tests/harness/runc_shim.py, with a python3 shebang
DAEMON_JSON=/etc/docker/daemon.json
SMOKE_IMAGE=buildkit-fleet/busybox:local     # tiny local image for the privileged check

# containerd, runc, docker-init (tini), iptables... come with Debian 12's docker.io.
apt_install docker.io busybox-static python3 iptables ca-certificates

# Fetch + unpack sid's docker.io once (cached); empty result means "use Debian 12's".
sid_dockerd() {
  if [[ ! -x $SID/root/usr/sbin/dockerd ]]; then
    log "fetching Debian sid docker.io (private apt lists)"
    rm -rf "$SID" && mkdir -p "$SID/debs"
    if ! { apt_download_private "$SID/debs" sid amd64 docker.io && dpkg -x "$SID"/debs/docker.io_*.deb "$SID/root"; }; then
      rm -rf "$SID"; return 0
    fi
  fi
  "$SID/root/usr/sbin/dockerd" --version >/dev/null 2>&1 && echo "$SID/root/usr/sbin/dockerd"
}

needs_shim() {
  local bnd; bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
  (( (0x$bnd >> 24 & 1) == 0 ))   # bit 24 = CAP_SYS_RESOURCE
}

# Merge our keys into daemon.json; prints "changed" when the file changed.
write_daemon_json() {
  local shim="$1"; mkdir -p /etc/docker
  /usr/bin/python3 - "$DAEMON_JSON" "$shim" "$SHIM" <<'PY'
import json, os, sys
path, shim, shim_path = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
try:
    old = json.load(open(path))
except (OSError, ValueError):
    old = {}
cfg = json.loads(json.dumps(old))
regs = cfg.setdefault("insecure-registries", [])
if "172.17.0.1:5000" not in regs:
    regs.append("172.17.0.1:5000")
if shim:
    cfg.setdefault("runtimes", {})["shim"] = {"path": shim_path}
    cfg["default-runtime"] = "shim"
if cfg != old:
    with open(path + ".tmp", "w") as f:
        json.dump(cfg, f, indent=2)
    os.replace(path + ".tmp", path)
    print("changed")
PY
}

enable_shim() {
  mkdir -p "$(dirname "$SHIM")"
  { echo "#!/usr/bin/python3"; cat "$HARNESS_DIR/runc_shim.py"; } >"$SHIM.tmp" && chmod 0755 "$SHIM.tmp" && mv "$SHIM.tmp" "$SHIM"
  echo 1
}

privileged_ok() { timeout 60 docker run --rm --privileged --network none "$SMOKE_IMAGE" true >/dev/null 2>&1; }

start_dockerd() {
  local bin="$1" path="$PATH"
  [[ $bin == "$SID"/* ]] && path="$SID/root/usr/sbin:$SID/root/usr/bin:$PATH"  # matching docker-proxy
  log "starting $($bin --version)"
  rm -f /var/run/docker.pid
  setsid env PATH="$path" "$bin" --config-file "$DAEMON_JSON" >>"$LOGDIR/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 60); do docker_up && return 0; sleep 1; done
  die "dockerd did not answer within 60s (see $LOGDIR/dockerd.log)"
}

# --- daemon.json (+ shim when this machine needs it) ---
shim=0; needs_shim && { log "CAP_SYS_RESOURCE missing from CapBnd: using runc shim"; shim=$(enable_shim); }
changed=$(write_daemon_json "$shim")

# --- dockerd ---
if docker_up; then
  log "dockerd already answering ($(docker version -f '{{.Server.Version}}'))"
  [[ -z $changed ]] || { log "daemon.json changed: reloading dockerd (SIGHUP)"; kill -HUP "$(cat /var/run/docker.pid)"; sleep 2; }
else
  bin=$(sid_dockerd || true)   # each apt-get inside is time-bounded
  if [[ -z $bin ]]; then
    warn "sid docker.io unavailable: falling back to Debian 12 dockerd 20.10 (tests target 28.x)"
    bin=/usr/sbin/dockerd
  fi
  start_dockerd "$bin"
fi

# --- tiny local image for smoke checks (no pulls possible) ---
if ! docker image inspect "$SMOKE_IMAGE" >/dev/null 2>&1; then
  rootfs=$(mktemp -d); mkdir -p "$rootfs/bin"
  cp /bin/busybox "$rootfs/bin/busybox"
  for a in sh true echo cat ls uname id; do ln -s busybox "$rootfs/bin/$a"; done
  tar -C "$rootfs" -c . | docker import -c 'ENV PATH=/bin' - "$SMOKE_IMAGE" >/dev/null
  rm -rf "$rootfs"
fi

# --- privileged check (enable the shim if a privileged run fails without it) ---
if ! privileged_ok; then
  if [[ $shim == 0 ]]; then
    warn "privileged run failed: enabling runc shim"
    shim=$(enable_shim); write_daemon_json "$shim" >/dev/null
    kill -HUP "$(cat /var/run/docker.pid)"; sleep 2
  fi
  privileged_ok || die "docker run --privileged fails (see $LOGDIR/dockerd.log)"
fi
log "ok: docker $(docker version -f '{{.Server.Version}}'), default runtime $(docker info -f '{{.DefaultRuntime}}'), privileged run works"

#!/usr/bin/env bash
# QEMU user-mode emulation for foreign-platform builds, plus static busybox binaries per arch.
#   qemu.sh            install qemu-user-static, register handlers (F flag), fetch busyboxes
#   qemu.sh --restore  put binfmt_misc back the way it was before the first run
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BINFMT=/proc/sys/fs/binfmt_misc
STATE_FILE="${BUILDKIT_FLEET_STATE:-/var/lib/buildkit-fleet}/binfmt-before.json"
BB_DIR="$CACHE/busybox"
ARCHES=(aarch64 arm ppc64le s390x riscv64)
declare -A BB_ARCH=([amd64]=amd64 [arm64]=arm64 [armhf]=arm [ppc64el]=ppc64le [s390x]=s390x)  # Debian -> TARGETARCH

# Snapshot / restore of binfmt_misc (mount state + every entry) as JSON, in python for safety.
binfmt_py() {
  /usr/bin/python3 - "$1" "$STATE_FILE" "$BINFMT" <<'PY'
import json, os, sys
mode, state, d = sys.argv[1:4]
def snapshot():
    mounted = os.path.exists(os.path.join(d, "register"))
    entries = {}
    if mounted:
        for n in os.listdir(d):
            if n in ("register", "status"):
                continue
            e = {}
            for line in open(os.path.join(d, n)).read().splitlines():
                k, _, v = line.partition(" ")
                e[k] = v
            entries[n] = e
    return {"mounted": mounted, "entries": entries}
if mode == "save":
    os.makedirs(os.path.dirname(state), exist_ok=True)
    json.dump(snapshot(), open(state, "w"), indent=1)
    sys.exit(0)
# restore: drop entries that are new or changed, then re-register the saved ones
before, now = json.load(open(state)), snapshot()
for n, e in now["entries"].items():
    if before["entries"].get(n) != e:
        open(os.path.join(d, n), "w").write("-1")
for n, e in before["entries"].items():
    if n in now["entries"] and now["entries"][n] == e:
        continue
    if "magic" in e:
        spec = ":%s:M:%s:%s:%s:%s:%s" % (n, e.get("offset", ""), "".join("\\x" + e["magic"][i:i+2] for i in range(0, len(e["magic"]), 2)),
            "".join("\\x" + e.get("mask", "")[i:i+2] for i in range(0, len(e.get("mask", "")), 2)), e["interpreter"], e.get("flags:", e.get("flags", "")))
    else:
        spec = ":%s:E::%s::%s:%s" % (n, e["extension"].lstrip("."), e["interpreter"], e.get("flags:", e.get("flags", "")))
    open(os.path.join(d, "register"), "w").write(spec)
    if e.get("enabled", "") == "disabled":
        open(os.path.join(d, n), "w").write("0")
print("mounted" if before["mounted"] else "unmounted")
PY
}

if [[ ${1:-} == --restore ]]; then
  [[ -f $STATE_FILE ]] || { log "nothing to restore"; exit 0; }
  was=$(binfmt_py restore)
  [[ $was == mounted ]] || umount "$BINFMT" 2>/dev/null || true
  rm -f "$STATE_FILE"; log "binfmt_misc restored ($was)"; exit 0
fi

# Record what was there before our first change (kept until --restore).
[[ -f $STATE_FILE ]] || binfmt_py save
apt_install qemu-user-static binfmt-support
[[ -e $BINFMT/register ]] || { log "mounting binfmt_misc"; mount -t binfmt_misc binfmt_misc "$BINFMT"; }

for a in "${ARCHES[@]}"; do
  e="$BINFMT/qemu-$a"
  if [[ -e $e ]] && grep -q '^enabled' "$e" && grep -q '^flags:.*F' "$e"; then continue; fi
  [[ -e $e ]] && echo -1 >"$e"   # present without F (or disabled): re-register ours
  update-binfmts --enable "qemu-$a" >>"$LOGDIR/binfmt.log" 2>&1 || die "cannot register qemu-$a (see $LOGDIR/binfmt.log)"
  grep -q '^flags:.*F' "$e" || die "qemu-$a registered without F flag"
  log "registered qemu-$a ($(grep ^flags "$e"))"
done

# Static busybox binaries per architecture (Debian busybox-static, private apt lists).
missing=()
for d in "${!BB_ARCH[@]}"; do [[ -x $BB_DIR/bb-${BB_ARCH[$d]} ]] || missing+=("busybox-static:$d"); done
if ((${#missing[@]})); then
  log "fetching ${missing[*]}"
  debs="$BB_DIR/debs"; rm -rf "$debs"
  apt_download_private "$debs" bookworm amd64,arm64,armhf,ppc64el,s390x "${missing[@]}" || die "busybox download failed (see $LOGDIR/apt-private.log)"
  for f in "$debs"/busybox-static_*.deb; do
    d=$(dpkg-deb -f "$f" Architecture); x=$(mktemp -d)
    dpkg -x "$f" "$x" && install -m 0755 "$x/bin/busybox" "$BB_DIR/bb-${BB_ARCH[$d]}"; rm -rf "$x"
  done
  rm -rf "$debs"
fi
# busybox picks the applet from argv[0]: run it as "busybox" (the P flag preserves argv[0]).
# shellcheck disable=SC2016  # $0 expands in the inner bash
m=$(timeout 20 bash -c 'exec -a busybox "$0" uname -m' "$BB_DIR/bb-arm64") || true
[[ $m == aarch64 ]] || die "bb-arm64 uname -m gave '$m', expected aarch64"
log "ok: qemu handlers ${ARCHES[*]} (F); busyboxes in $BB_DIR: $(cd "$BB_DIR" && echo bb-*)"
echo "$BB_DIR"

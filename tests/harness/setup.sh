#!/usr/bin/env bash
# Brings up the real-component test environment (idempotent; a re-run when all is up takes seconds):
# dockerd (+ shim if needed), BuildKit image, buildx CLI, local registry, QEMU + busyboxes,
# Debian host images for the SSH fleet scenario.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

step() {  # step NAME CMD... : run one part, print its duration
  local t=$SECONDS; "${@:2}"; log "$1 done in $((SECONDS - t))s"
}

# Go builds (BuildKit, buildx) run in the background while apt/dockerd work proceeds;
# go-build.sh builds one thing at a time and skips what is cached.
todo=()
[[ -x $CACHE/buildkit-$BUILDKIT_VERSION/buildkitd || -s $CACHE/buildkit-$BUILDKIT_VERSION.tar ]] || todo+=(buildkit)
[[ -x $CACHE/buildx-$BUILDX_VERSION/docker-buildx ]] \
  || docker buildx version 2>/dev/null | grep -q " $BUILDX_VERSION " || todo+=(buildx)
gopid=
if ((${#todo[@]})); then
  log "background Go build: ${todo[*]} (log: $LOGDIR/go-build.log)"
  "$HARNESS_DIR/go-build.sh" "${todo[@]}" >>"$LOGDIR/go-build.log" 2>&1 & gopid=$!
fi

step dockerd        "$HARNESS_DIR/dockerd.sh"
# Debian host images for the SSH fleet scenario (mmdebstrap, cached): in the background as well.
log "background host images (log: $LOGDIR/host-images.log)"
"$HARNESS_DIR/host-images.sh" >>"$LOGDIR/host-images.log" 2>&1 & hostpid=$!
step registry       "$HARNESS_DIR/registry.sh"
step qemu           "$HARNESS_DIR/qemu.sh" >/dev/null
step buildkit-image "$HARNESS_DIR/buildkit-image.sh"   # waits (lock) only for the BuildKit build
if [[ -n $gopid ]]; then
  t=$SECONDS; wait "$gopid" || die "Go build failed (see $LOGDIR/go-build.log and go-build-*.log)"
  log "waited $((SECONDS - t))s for the remaining Go builds"
fi
step buildx         "$HARNESS_DIR/buildx.sh"
step base-image     "$HARNESS_DIR/base-image.sh"   # multi-platform FROM scratch + busybox in the registry
step dockerd2       "$HARNESS_DIR/dockerd2.sh"   # second daemon (two-host / multi-node tests)
t=$SECONDS; wait "$hostpid" || die "host images failed (see $LOGDIR/host-images.log)"
log "waited $((SECONDS - t))s for the host images"
log "all up in ${SECONDS}s; facts: source $HARNESS_DIR/env.sh"

#!/usr/bin/env bash
# Provides the BuildKit builder image. Pulls moby/buildkit when a registry is reachable; otherwise
# builds buildkitd/buildctl from the Go module and imports a minimal rootfs, tagged both
# buildkit-fleet/buildkit:$BUILDKIT_VERSION and moby/buildkit:buildx-stable-1 (offline default).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

LABEL=buildkit-fleet.buildkit.version
TAR="$CACHE/buildkit-$BUILDKIT_VERSION.tar"
BIN="$CACHE/buildkit-$BUILDKIT_VERSION"

have_image() {
  [[ $(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$BUILDKIT_IMAGE" 2>/dev/null) == "$BUILDKIT_VERSION" ]]
}

assemble_rootfs() {  # $1 = empty dir
  local r="$1" f a
  mkdir -p "$r"/{bin,usr/bin,etc/buildkit,tmp,run,proc,sys,dev,root,var/lib/buildkit}
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  for a in $(/bin/busybox --list); do [[ -e $r/bin/$a ]] || ln -s busybox "$r/bin/$a"; done
  cp "$BIN/buildkitd" "$BIN/buildctl" "$r/usr/bin/"
  cp "$(command -v runc)" "$r/usr/bin/runc"
  # runc is dynamically linked: copy its libraries (libseccomp, libc, ld-linux) at the same paths
  for f in $(ldd "$(command -v runc)" | grep -o '/[^ ]*'); do mkdir -p "$r$(dirname "$f")"; cp -L "$f" "$r$f"; done
  [[ -f /etc/ssl/certs/ca-certificates.crt ]] && install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$r/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
}

build_image() {
  apt_install runc busybox-static
  "$HARNESS_DIR/go-build.sh" buildkit
  local r; r=$(mktemp -d)
  assemble_rootfs "$r"
  log "docker import $BUILDKIT_IMAGE"
  tar -C "$r" -c . | docker import \
    -c 'ENTRYPOINT ["buildkitd"]' -c 'ENV PATH=/usr/bin:/bin' -c 'VOLUME /var/lib/buildkit' \
    -c "LABEL $LABEL=$BUILDKIT_VERSION" - "$BUILDKIT_IMAGE" >/dev/null
  rm -rf "$r"
}

if have_image; then
  log "$BUILDKIT_IMAGE present"
elif [[ -s $TAR ]] && docker load -i "$TAR" >/dev/null && have_image; then
  log "$BUILDKIT_IMAGE loaded from $TAR"
elif timeout 20 docker pull -q "$BUILDKIT_DEFAULT_IMAGE" >/dev/null 2>&1 \
     && timeout 120 docker pull -q "moby/buildkit:$BUILDKIT_VERSION" >/dev/null 2>&1; then
  log "pulled moby/buildkit (registry reachable)"   # real images: no local build needed
  docker tag "moby/buildkit:$BUILDKIT_VERSION" "$BUILDKIT_IMAGE"
else
  log "moby/buildkit not pullable: building $BUILDKIT_IMAGE locally"
  build_image
fi
# Offline default: the product's default image falls back to this local copy when the pull fails.
if [[ -n $(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$BUILDKIT_IMAGE") ]]; then
  docker tag "$BUILDKIT_IMAGE" "$BUILDKIT_DEFAULT_IMAGE"
  [[ -s $TAR ]] || { log "docker save -> $TAR"; docker save -o "$TAR.tmp" "$BUILDKIT_IMAGE" "$BUILDKIT_DEFAULT_IMAGE" && mv "$TAR.tmp" "$TAR"; }
fi

# Check: a privileged container answers `buildctl debug workers` within 20 s.
c=buildkit-fleet-check-$$
docker run -d --privileged --name "$c" "$BUILDKIT_IMAGE" >/dev/null
trap 'docker rm -fv "$c" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 40); do
  if timeout 10 docker exec "$c" buildctl debug workers >/dev/null 2>&1; then
    log "ok: $BUILDKIT_IMAGE (= $BUILDKIT_DEFAULT_IMAGE) answers buildctl debug workers"; exit 0
  fi
  sleep 0.5
done
docker logs "$c" >"$LOGDIR/buildkit-check.log" 2>&1 || true
die "buildkitd in $BUILDKIT_IMAGE did not answer within 20s (see $LOGDIR/buildkit-check.log)"

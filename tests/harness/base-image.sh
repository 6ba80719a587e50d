#!/usr/bin/env bash
# Multi-platform base image made without any pull: FROM scratch + Debian's busybox-static per arch,
# pushed to the local registry as $BASE_IMAGE (linux/amd64, arm64, arm/v7, ppc64le, s390x).
# Idempotent: skipped when the registry already has every platform. Needs registry.sh, qemu.sh, buildx.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

REGISTRY=127.0.0.1:5000
BASE_REPO=buildkit-fleet/base
BASE_TAG=busybox
BASE_IMAGE="$REGISTRY/$BASE_REPO:$BASE_TAG"
BB_DIR="$CACHE/busybox"
PLATFORMS=linux/amd64,linux/arm64,linux/arm/v7,linux/ppc64le,linux/s390x

have_all() {
  local raw
  raw=$(curl -fs -m 5 -H 'Accept: application/vnd.oci.image.index.v1+json' \
    "http://$REGISTRY/v2/$BASE_REPO/manifests/$BASE_TAG") || return 1
  for a in amd64 arm64 arm ppc64le s390x; do grep -q "\"architecture\":\"$a\"" <<<"${raw// /}" || return 1; done
}
if have_all; then log "ok: $BASE_IMAGE already has every platform"; exit 0; fi

work=$(mktemp -d); name="bkf-base-$$"
export BUILDX_CONFIG="$work/buildx"
cleanup() { timeout 60 docker buildx rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/ctx" && cp "$BB_DIR"/bb-* "$work/ctx/"
cat >"$work/ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
ARG TARGETARCH
COPY bb-${TARGETARCH} /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /usr/bin /usr/sbin /sbin /tmp && /bin/busybox --install -s"]
ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin
CMD ["sh"]
DOCKERFILE
printf '[registry."%s"]\n  http = true\n  insecure = true\n' "$REGISTRY" >"$work/buildkitd.toml"
timeout 120 docker buildx create --name "$name" --driver docker-container \
  --driver-opt "image=$BUILDKIT_IMAGE,network=host" --buildkitd-config "$work/buildkitd.toml" --bootstrap \
  >>"$LOGDIR/base-image.log" 2>&1 || die "cannot create the base image builder (see $LOGDIR/base-image.log)"
timeout 600 docker buildx build --builder "$name" --platform "$PLATFORMS" --provenance=false \
  -t "$BASE_IMAGE" --push "$work/ctx" >>"$LOGDIR/base-image.log" 2>&1 \
  || die "base image build failed (see $LOGDIR/base-image.log)"
have_all || die "$BASE_IMAGE lacks a platform after the push"
log "ok: pushed $BASE_IMAGE ($PLATFORMS)"

#!/usr/bin/env bash
# Installs the real buildx CLI plugin (built from its Go module, cached) for interop tests.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DEST=/usr/local/lib/docker/cli-plugins/docker-buildx
BIN="$CACHE/buildx-$BUILDX_VERSION/docker-buildx"

if ! docker buildx version 2>/dev/null | grep -q " $BUILDX_VERSION "; then
  "$HARNESS_DIR/go-build.sh" buildx
  install -D -m 0755 "$BIN" "$DEST.tmp" && mv "$DEST.tmp" "$DEST"
fi
log "ok: $(docker buildx version)"

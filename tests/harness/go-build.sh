#!/usr/bin/env bash
# Builds pinned Go binaries into the cache (sequentially, one at a time under a lock).
#   go-build.sh buildkit  -> $CACHE/buildkit-$BUILDKIT_VERSION/{buildkitd,buildctl}
#   go-build.sh buildx    -> $CACHE/buildx-$BUILDX_VERSION/docker-buildx
set -euo pipefail
source "$(dirname "$0")/lib.sh"
command -v go >/dev/null || die "go not found (expected /usr/local/go/bin/go)"

# One Go build at a time (2 cores); a caller finding the result cached does not wait.
lock() { exec 9>"$CACHE/go-build.lock"; timeout 1800 flock 9 || die "go-build lock timeout"; }
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false

build_buildkit() {
  local out="$CACHE/buildkit-$BUILDKIT_VERSION"
  cached() { [[ -x $out/buildkitd && -x $out/buildctl ]]; }
  cached || lock; cached && { log "buildkit $BUILDKIT_VERSION cached"; return; }
  log "building buildkit $BUILDKIT_VERSION (go build; several minutes)"
  local dir src="$CACHE/src/buildkit-$BUILDKIT_VERSION"
  # `go install` refuses this module (exclude directives): build from a writable copy instead.
  dir=$(timeout 900 go mod download -json "github.com/moby/buildkit@$BUILDKIT_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  [[ -d $dir ]] || die "go mod download of buildkit failed"
  rm -rf "$src" && mkdir -p "$src" && cp -a "$dir/." "$src/" && chmod -R u+w "$src"
  local pkg=github.com/moby/buildkit
  mkdir -p "$out.tmp"
  (cd "$src" && timeout 1500 go build -trimpath -o "$out.tmp/" \
      -ldflags "-s -w -X $pkg/version.Version=$BUILDKIT_VERSION -X $pkg/version.Package=$pkg -X $pkg/version.Revision=$BUILDKIT_VERSION" \
      ./cmd/buildkitd ./cmd/buildctl) >"$LOGDIR/go-build-buildkit.log" 2>&1 \
    || die "buildkit build failed (see $LOGDIR/go-build-buildkit.log)"
  rm -rf "$out" && mv "$out.tmp" "$out" && rm -rf "$src"
}

build_buildx() {
  local out="$CACHE/buildx-$BUILDX_VERSION"
  cached() { [[ -x $out/docker-buildx ]]; }
  cached || lock; cached && { log "buildx $BUILDX_VERSION cached"; return; }
  log "building buildx $BUILDX_VERSION (go install; several minutes)"
  local pkg=github.com/docker/buildx
  mkdir -p "$out.tmp"
  GOBIN="$out.tmp" timeout 1500 go install -trimpath \
      -ldflags "-s -w -X $pkg/version.Version=$BUILDX_VERSION -X $pkg/version.Package=$pkg -X $pkg/version.Revision=$BUILDX_VERSION" \
      "$pkg/cmd/buildx@$BUILDX_VERSION" >"$LOGDIR/go-build-buildx.log" 2>&1 \
    || die "buildx build failed (see $LOGDIR/go-build-buildx.log)"
  mv "$out.tmp/buildx" "$out.tmp/docker-buildx"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

for what in "${@:-buildkit buildx}"; do
  for w in $what; do "build_$w"; done
done
log "done"

# shellcheck shell=bash
# Facts the tests use about the harness (source it: `. tests/harness/env.sh`). No side effects.
export BUILDKIT_FLEET_CACHE="${BUILDKIT_FLEET_CACHE:-/var/cache/buildkit-fleet}"
export BUILDKIT_VERSION="${BUILDKIT_VERSION:-v0.32.2}"
export BUILDX_VERSION="${BUILDX_VERSION:-v0.36.1}"
export BUILDKIT_FLEET_IMAGE="buildkit-fleet/buildkit:${BUILDKIT_VERSION}"   # local builder image
export BUILDKIT_FLEET_DEFAULT_IMAGE="moby/buildkit:buildx-stable-1"        # same image, offline default tag
export BUILDKIT_FLEET_REGISTRY="127.0.0.1:5000"          # from the host / network=host builders
export BUILDKIT_FLEET_REGISTRY_BRIDGE="172.17.0.1:5000"  # from builders on the default bridge
export BUILDKIT_FLEET_BUSYBOX_DIR="$BUILDKIT_FLEET_CACHE/busybox"  # bb-amd64 bb-arm64 bb-arm bb-ppc64le bb-s390x
export BUILDKIT_FLEET_QEMU_ARCHES="aarch64 arm ppc64le s390x riscv64"
export BUILDKIT_FLEET_BASE_IMAGE="127.0.0.1:5000/buildkit-fleet/base:busybox"  # linux/amd64 arm64 arm/v7 ppc64le s390x
export BUILDKIT_FLEET_SMOKE_IMAGE="buildkit-fleet/busybox:local"  # tiny amd64 busybox image
# 1 when dockerd runs containers through the CAP_SYS_RESOURCE runtime shim (sandbox only)
BUILDKIT_FLEET_SHIM=0
grep -q '"default-runtime": "shim"' /etc/docker/daemon.json 2>/dev/null && BUILDKIT_FLEET_SHIM=1
export BUILDKIT_FLEET_SHIM
# the second dockerd started by dockerd2.sh (two-host / multi-node tests), bridge br-d2 10.99.0.1/24
export BUILDKIT_FLEET_DOCKER2_HOST="unix:///run/buildkit-fleet/docker2.sock"
unset DOCKER_HOST DOCKER_CONTEXT   # tests talk to the default /var/run/docker.sock daemon
# SSH fleet scenario: Debian host images (host-images.sh), their key, what the roles ship to the hosts
export BUILDKIT_FLEET_HOST_IMAGES="buildkit-fleet/host:bookworm buildkit-fleet/host:bullseye"
export BUILDKIT_FLEET_HOST_KEY="$BUILDKIT_FLEET_CACHE/fleet-ssh/id_ed25519"  # user fleet, passwordless sudo
export BUILDKIT_FLEET_IMAGE_TAR="$BUILDKIT_FLEET_CACHE/buildkit-$BUILDKIT_VERSION.tar"  # docker save of the image
export BUILDKIT_FLEET_WHEELHOUSE="$BUILDKIT_FLEET_CACHE/fleet-wheels"  # docker>=7, tomli, paramiko wheels (+ .tar)
export BUILDKIT_FLEET_BUILDX_BIN=/usr/local/lib/docker/cli-plugins/docker-buildx
# the buildctl client built with BuildKit (farm tests talk to serving builders over mutual TLS with it)
export BUILDKIT_FLEET_BUILDCTL="$BUILDKIT_FLEET_CACHE/buildkit-$BUILDKIT_VERSION/buildctl"

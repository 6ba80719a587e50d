#!/usr/bin/env bash
# Bare Debian host images for the SSH fleet scenario (extensions/molecule/sshfleet), built with
# mmdebstrap from the Debian archive and `docker import`ed as buildkit-fleet/host:SUITE.
# Also: the SSH key pair Ansible uses for those hosts. Cached: a suite's rootfs tarball is rebuilt
# only when the recipe (packages, customize script) changes. Usage: host-images.sh [SUITE...]
# (default: bookworm bullseye trixie; trixie for extensions/molecule/sshtrixie, Debian's own python3-docker)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PACKAGES=openssh-server,python3,python3-apt,sudo,iproute2,iptables,ca-certificates,procps,tini
HOST_USER=fleet
KEY_DIR="$CACHE/fleet-ssh"
LABEL=buildkit-fleet.host.recipe
suites=("$@"); ((${#suites[@]})) || suites=(bookworm bullseye trixie)

# The archive URI of this machine's apt sources (deb822 or one-line format).
archive_uri() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1)
  [[ -n $uri ]] || uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    | grep -v security | sed 's/\[[^]]*\]//' | awk '{print $2}' | head -1)
  echo "${uri:-http://deb.debian.org/debian}"
}

# Runs in the rootfs after the packages: a non-root sudo user, sshd keys made at first start.
customize() {
  cat <<SH
set -e
useradd -m -s /bin/bash $HOST_USER
echo '$HOST_USER ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/$HOST_USER && chmod 0440 /etc/sudoers.d/$HOST_USER
rm -f /etc/ssh/ssh_host_*
printf 'PasswordAuthentication no\nUseDNS no\n' >/etc/ssh/sshd_config.d/fleet.conf
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d
mkdir -p /run/sshd
cat >/usr/local/sbin/fleet-host-init <<'INIT'
#!/bin/sh
# PID 1 (under tini): the authorized key comes from the bind mount /etc/fleet/authorized_key.
set -e
ssh-keygen -A >/dev/null
install -d -m 0700 -o $HOST_USER -g $HOST_USER /home/$HOST_USER/.ssh
install -m 0600 -o $HOST_USER -g $HOST_USER /etc/fleet/authorized_key /home/$HOST_USER/.ssh/authorized_keys
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -e
INIT
chmod 0755 /usr/local/sbin/fleet-host-init
apt-get clean; rm -rf /var/lib/apt/lists/*
SH
}

# The recipe: the package list and the customize script (a change rebuilds the images).
RECIPE=$({ echo "$PACKAGES"; customize; } | sha256sum | cut -c1-12)

have_image() {  # $1 = suite
  [[ $(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "buildkit-fleet/host:$1" 2>/dev/null) == "$RECIPE" ]]
}

build_suite() {  # $1 = suite
  local suite=$1 tar="$CACHE/host-$1-$RECIPE.tar" t=$SECONDS
  if [[ ! -s $tar ]]; then
    local uri; uri=$(archive_uri)
    log "mmdebstrap $suite from $uri"
    rm -f "$CACHE"/host-"$suite"-*.tar
    customize >"$CACHE/host-$suite.customize.sh"
    timeout 900 mmdebstrap --variant=minbase --format=tar --include="$PACKAGES" \
      --customize-hook="chroot \"\$1\" sh -s <'$CACHE/host-$suite.customize.sh'" \
      "$suite" "$tar.tmp" "$uri" >"$LOGDIR/host-image-$suite.log" 2>&1 \
      || { rm -f "$tar.tmp"; die "mmdebstrap $suite failed (see $LOGDIR/host-image-$suite.log)"; }
    rm -f "$CACHE/host-$suite.customize.sh"
    mv "$tar.tmp" "$tar"
  fi
  timeout 300 docker import -c 'CMD ["/usr/bin/tini", "--", "/usr/local/sbin/fleet-host-init"]' \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL $LABEL=$RECIPE" "$tar" "buildkit-fleet/host:$suite" >/dev/null
  log "ok: buildkit-fleet/host:$suite ($(du -m "$tar" | cut -f1) MB rootfs) in $((SECONDS - t))s"
}

if [[ ! -s $KEY_DIR/id_ed25519 ]]; then
  mkdir -p "$KEY_DIR" && chmod 0755 "$KEY_DIR"
  ssh-keygen -q -t ed25519 -N '' -C buildkit-fleet-hosts -f "$KEY_DIR/id_ed25519.tmp"
  mv "$KEY_DIR/id_ed25519.tmp.pub" "$KEY_DIR/id_ed25519.pub" && mv "$KEY_DIR/id_ed25519.tmp" "$KEY_DIR/id_ed25519"
fi
# Wheels of the Docker SDK (+ tomli, + paramiko for ssh:// nodes) for the hosts' virtualenvs (the air-gapped
# path of roles/builder), for Python 3.9 (bullseye) and 3.11 (bookworm) on x86_64.
WHEELS="$CACHE/fleet-wheels"
WHEEL_SPECS=('docker>=7' tomli paramiko)
if [[ $(cat "$WHEELS/.specs" 2>/dev/null) != "${WHEEL_SPECS[*]}" ]]; then
  log "pip download ${WHEEL_SPECS[*]} -> $WHEELS"
  rm -rf "$WHEELS.tmp" && mkdir -p "$WHEELS.tmp"
  for py in 3.9 3.11; do
    timeout 300 python3 -m pip download --quiet --disable-pip-version-check --dest "$WHEELS.tmp" \
      --only-binary=:all: --python-version "$py" --implementation cp --platform manylinux_2_28_x86_64 \
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 "${WHEEL_SPECS[@]}" \
      >>"$LOGDIR/host-images-wheels.log" 2>&1 || die "pip download failed (see $LOGDIR/host-images-wheels.log)"
  done
  tar -C "$WHEELS.tmp" -cf "$WHEELS.tar.tmp" --exclude=.specs . && mv "$WHEELS.tar.tmp" "$WHEELS.tar"
  echo "${WHEEL_SPECS[*]}" >"$WHEELS.tmp/.specs"
  rm -rf "$WHEELS" && mv "$WHEELS.tmp" "$WHEELS"
fi

missing=()
for s in "${suites[@]}"; do have_image "$s" && log "ok: buildkit-fleet/host:$s present" || missing+=("$s"); done
((${#missing[@]})) || exit 0
apt_install mmdebstrap openssh-client
pids=()
for s in "${missing[@]}"; do build_suite "$s" & pids+=($!); done
rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc

#!/usr/bin/env bash
# ansible-test sanity needs the collection under ansible_collections/<namespace>/<name>/: copy it there.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dest="${TMPDIR:-/tmp}/buildkit-fleet-sanity/ansible_collections/buildkit/fleet"
rm -rf "$dest" && mkdir -p "$dest"
(cd "$repo" && git ls-files -co --exclude-standard 2>/dev/null | grep -v '^tests/output/' | tar -cf - -T -) | tar -xf - -C "$dest"
cd "$dest"
git init -q && git add -A && git -c user.email=ci@local -c user.name=ci commit -qm sanity
# ansible-test downloads a get-pip script from a host these machines cannot reach: give it ours.
pip_version=$(python3 -c 'import ansible_test._internal.python_requirements as r; print(getattr(r, "PIP_VERSION", None) or "24.2")' 2>/dev/null | tr . _)
mkdir -p ~/.ansible/test/cache && cp "$repo/tests/sanity/get_pip_offline.py" ~/.ansible/test/cache/"get_pip_${pip_version}.py"
python_version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
timeout 1200 ansible-test sanity --python "$python_version" --requirements "$@"

#!/usr/bin/env bash
# ansible-test sanity and units on one ansible-core release line, each line in its own venv:
#   sanity.sh CORE PYTHON [ansible-test sanity args...]      e.g.  sanity.sh 2.17 3.11   sanity.sh 2.21 3.12
# The venv is cached (BUILDKIT_FLEET_VENVS) and made anew when its requirements change.
# Runs both, then fails when a sanity test failed, a unit test failed or `ansible-test units` ran no test.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/tests/harness/lib.sh"
core="${1:?usage: sanity.sh CORE PYTHON [args]}" pyver="${2:?usage: sanity.sh CORE PYTHON [args]}"
shift 2

apt_install shellcheck   # ansible-test's shellcheck test skips itself without it
venv=$("$repo/tests/core_venv.sh" "$core" "$pyver")
export PATH="$venv/bin:$PATH"
log "ansible-core $(python -c 'import ansible.release as r; print(r.__version__)'), Python $pyver"

# ansible-test needs the collection under ansible_collections/<namespace>/<name>/ in a git tree: copy it.
work=$(mktemp -d "${TMPDIR:-/tmp}/buildkit-fleet-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/buildkit/fleet"
mkdir -p "$dest"
(cd "$repo" && git ls-files -co --exclude-standard | grep -v '^tests/output/' | tar -cf - -T -) | tar -xf - -C "$dest"
cd "$dest"
git init -q && git add -A && git -c user.email=ci@local -c user.name=ci commit -qm sanity

# ansible-test bootstraps pip in its sanity venvs with a get-pip script from a host these machines cannot
# reach; it looks for a cached copy named after the pip version it pins: give it ours under that name.
pip_version=$(python -c 'import sys, types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version=sys.argv[1]))["pip"])' "$pyver")
[[ $pip_version =~ ^[0-9.]+$ ]] || die "cannot tell which pip ansible-test $core pins (got '$pip_version')"
mkdir -p ~/.ansible/test/cache
cp "$repo/tests/sanity/get_pip_offline.py" ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"

t=$SECONDS sanity_rc=0
timeout 1800 ansible-test sanity --python "$pyver" --requirements "$@" || sanity_rc=$?
log "sanity (ansible-core $core): $( ((sanity_rc)) && echo "FAILED (rc $sanity_rc)" || echo passed) in $((SECONDS - t))s"

t=$SECONDS
rm -rf tests/output/junit
timeout 900 ansible-test units --python "$pyver" --requirements
ran=$(python -c 'import glob, sys, xml.etree.ElementTree as ET
n = 0
for path in glob.glob("tests/output/junit/*.xml"):
    root = ET.parse(path).getroot()
    for suite in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
        n += int(suite.get("tests", 0)) - int(suite.get("skipped", 0))
print(n)')
((ran > 0)) || die "ansible-test units (ansible-core $core) ran no test"
log "units (ansible-core $core): $ran tests passed in $((SECONDS - t))s"
((sanity_rc == 0)) || die "ansible-test sanity (ansible-core $core) failed"

#!/usr/bin/env bash
# The venv of one ansible-core release line (cached, shared by sanity.sh and the cross-core role tests):
#   core_venv.sh CORE PYTHON      e.g.  core_venv.sh 2.17 3.11      prints the venv directory
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/tests/harness/lib.sh"
core="${1:?usage: core_venv.sh CORE PYTHON}" pyver="${2:?usage: core_venv.sh CORE PYTHON}"

# The interpreter: pythonX.Y on PATH, else a pyenv build of it.
python=$(command -v "python$pyver" || true)
if [[ -z $python || $python == */shims/* ]]; then
  python=$(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 3 -path "*/versions/$pyver.*/bin/python$pyver" 2>/dev/null \
             | sort -V | tail -1)
fi
[[ -x $python ]] || die "ansible-core $core needs Python $pyver: no python$pyver on PATH nor under ${PYENV_ROOT:-$HOME/.pyenv}/versions"

venv="${BUILDKIT_FLEET_VENVS:-$CACHE/venvs}/ansible-core-$core-py$pyver"
"$repo/tests/venv.sh" "$venv" "$python" "ansible-core==$core.*" -r "$repo/tests/unit/requirements.txt" >&2
echo "$venv"

#!/usr/bin/env bash
# Creates (or reuses) a Python virtual environment; the system Python is never pip-installed into.
#   venv.sh DIR PYTHON [pip install arguments...]
# DIR is reused while its stamp (Python version + the arguments + the contents of -r/-c files) matches,
# otherwise made anew. Concurrent callers of the same DIR wait for each other (flock).
# On Debian, a Python without ensurepip gets python3-venv from apt. Prints nothing but errors and one line.
set -euo pipefail
source "$(dirname "$0")/harness/lib.sh"
dir="${1:?usage: venv.sh DIR PYTHON [pip args...]}"
python="${2:?usage: venv.sh DIR PYTHON [pip args...]}"
shift 2
command -v "$python" >/dev/null || die "no Python interpreter '$python'"

stamp_of() {  # the Python version, the pip arguments, the contents (not paths) of the files they name
  local arg next=
  "$python" -c 'import sys; print(sys.version)'
  for arg in "$@"; do
    if [[ $next ]]; then sha256sum <"$arg"; else printf '%s\n' "$arg"; fi
    next=
    if [[ $arg == -r || $arg == -c ]]; then next=1; fi
  done
}
want=$(stamp_of "$@")

mkdir -p "$(dirname "$dir")"
lock="${TMPDIR:-/tmp}/buildkit-fleet-venv-$(printf '%s' "$dir" | sha256sum | cut -c1-16).lock"
exec 9>"$lock"; timeout 1200 flock 9 || die "venv lock timeout: $lock ($dir)"
if [[ -x $dir/bin/python && "$(cat "$dir/.stamp" 2>/dev/null)" == "$want" ]]; then
  log "reusing $dir"
  exit 0
fi
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  [[ -x /usr/bin/apt-get && "$(command -v "$python")" == /usr/bin/* ]] \
    || die "$python has no venv/ensurepip module (Debian: apt-get install python3-venv)"
  minor=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  apt_install python3-venv "python$minor-venv"
fi
t=$SECONDS
# The stamp is written last: a venv left half-made (no stamp) is made anew on the next run.
rm -rf "$dir"
timeout 300 "$python" -m venv "$dir"
# An upgraded pip first (Debian 12's bundled pip is 23.0), then what was asked for.
timeout 600 "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
if (($#)); then timeout 1200 "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"; fi
printf '%s\n' "$want" >"$dir/.stamp"
log "created $dir in $((SECONDS - t))s"

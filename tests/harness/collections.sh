#!/usr/bin/env bash
# Puts the collections the roles need (community.docker and its dependency; community.crypto for the farm
# role) and molecule-plugins' docker driver needs (ansible.posix, for its create playbook) next to
# buildkit.fleet in the tests' ANSIBLE_COLLECTIONS_PATH root.
# No Galaxy access here: community.docker and community.crypto come from the `ansible` package on PyPI (its sdist/wheel
# bundles ansible_collections/community/docker and .../crypto). Downloaded once into the cache; idempotent.
#   collections.sh DEST   (DEST = .../ansible_collections)
set -euo pipefail
dest="${1:?usage: collections.sh ANSIBLE_COLLECTIONS_DIR}"
CACHE="${BUILDKIT_FLEET_CACHE:-/var/cache/buildkit-fleet}/pypi-ansible"
SPEC="${BUILDKIT_FLEET_ANSIBLE_SPEC:-ansible==12.*}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$CACHE" "$dest/community" "$dest/ansible"

NAMES=(community/docker community/library_inventory_filtering_v1 community/crypto ansible/posix)
have=0
for name in "${NAMES[@]}"; do [[ -f $dest/$name/MANIFEST.json ]] && have=$((have + 1)); done
((have < ${#NAMES[@]})) || exit 0
# The cached archive (wheel preferred), downloaded once, time-bounded.
archive=$(find "$CACHE" -maxdepth 1 \( -name 'ansible-*.whl' -o -name 'ansible-*.tar.gz' \) | sort | tail -1)
if [[ -z $archive ]]; then
  echo "collections.sh: pip download --no-deps '$SPEC' (once, cached in $CACHE)" >&2
  timeout 600 "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --dest "$CACHE" "$SPEC"
  archive=$(find "$CACHE" -maxdepth 1 \( -name 'ansible-*.whl' -o -name 'ansible-*.tar.gz' \) | sort | tail -1)
fi
[[ -n $archive ]] || { echo "collections.sh: no ansible archive in $CACHE" >&2; exit 1; }

# Extract only those collections.
for name in "${NAMES[@]}"; do
"$PYTHON" - "$archive" "$dest" "$name" <<'PY'
import os, shutil, sys, tarfile, tempfile, zipfile
archive, dest, name = sys.argv[1:4]
marker = "ansible_collections/%s/" % name
tmp = tempfile.mkdtemp(dir=os.path.join(dest, name.split("/")[0]))
try:
    if archive.endswith(".whl"):
        with zipfile.ZipFile(archive) as z:
            names = [n for n in z.namelist() if marker in n]
            for n in names:
                rel = n.split(marker, 1)[1]
                if not rel or n.endswith("/"):
                    continue
                out = os.path.join(tmp, rel)
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with z.open(n) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    else:
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                if marker not in m.name or not m.isfile():
                    continue
                rel = m.name.split(marker, 1)[1]
                out = os.path.join(tmp, rel)
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with t.extractfile(m) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    if not os.path.exists(os.path.join(tmp, "MANIFEST.json")):
        sys.exit("collections.sh: %s not found in %s" % (name.replace("/", "."), archive))
    final = os.path.join(dest, name)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
PY
echo "collections.sh: ${name/\//.} $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$dest/$name/MANIFEST.json" | head -1) in $dest/$name" >&2
done

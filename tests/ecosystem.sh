#!/usr/bin/env bash
# The collection as the Ansible ecosystem sees it, each tool from its own cached venv (tests/tools/*.txt):
#   ecosystem.sh docs-lint   antsibull-docs lint-collection-docs --plugin-docs (plugins, roles, docs/docsite)
#   ecosystem.sh docs        a docs site built with antsibull-docs + Sphinx, the guides in it
#   ecosystem.sh ee          ansible-builder: the EE definition renders; introspection lists our needs
#   ecosystem.sh importer    galaxy-importer (no container step) on the built tarball: no error, no warning
# Needs `make collection` first (tests/output/collections with community.docker and community.crypto next to
# this checkout).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/tests/harness/lib.sh"
what="${1:?usage: ecosystem.sh docs-lint|docs|ee|importer}"
venvs="${BUILDKIT_FLEET_VENVS:-$CACHE/venvs}"
collections="$repo/tests/output/collections"
for dep in community/docker community/crypto; do
  [[ -f $collections/ansible_collections/$dep/MANIFEST.json ]] || die "run 'make collection' first ($dep is missing)"
done
work=$(mktemp -d "${TMPDIR:-/tmp}/buildkit-fleet-$what.XXXXXX")
trap 'rm -rf "$work"' EXIT
t=$SECONDS

tool_venv() {  # tool_venv NAME: the venv of tests/tools/NAME.txt, first on PATH
  "$repo/tests/venv.sh" "$venvs/$1" "${BASE_PYTHON:-python3}" -r "$repo/tests/tools/$1.txt"
  export PATH="$venvs/$1/bin:$PATH"
}
build_tarball() {  # the collection as Galaxy gets it
  ansible-galaxy collection build --output-path "$work" "$repo" >/dev/null
  ls "$work"/buildkit-fleet-*.tar.gz
}
no_warnings() {  # no_warnings LOG WHAT: fail on any error or warning line
  if grep -Eiq '^(\[?(error|warning)|.*(error|warning):)' "$1"; then
    cat "$1" >&2; die "$2 reported errors or warnings (above)"
  fi
}

case $what in
docs-lint)
  tool_venv docs
  cd "$collections/ansible_collections/buildkit/fleet"
  ANSIBLE_COLLECTIONS_PATH="$collections" timeout 900 antsibull-docs lint-collection-docs --plugin-docs . \
    >"$work/lint.log" 2>&1 || { cat "$work/lint.log" >&2; die "antsibull-docs lint-collection-docs failed"; }
  no_warnings "$work/lint.log" "antsibull-docs lint-collection-docs"
  ;;
docs)
  tool_venv docs
  export ANSIBLE_COLLECTIONS_PATH="$collections"
  mkdir -m 0700 "$work/site" && cd "$work/site"
  timeout 300 antsibull-docs sphinx-init --use-current --dest-dir . buildkit.fleet >/dev/null
  chmod og-w rst
  # What build.sh does, with the dependencies from our venv and without -W: intersphinx cannot reach
  # docs.ansible.com here, so its warnings are set aside and every other warning fails the build.
  timeout 600 antsibull-docs --config-file antsibull-docs.cfg collection --use-current --dest-dir rst buildkit.fleet >"$work/collection.log" 2>&1 \
    || { cat "$work/collection.log" >&2; die "antsibull-docs collection failed"; }
  timeout 900 sphinx-build -M html rst build -c . -q -w "$work/sphinx.log" >/dev/null 2>&1 \
    || { cat "$work/sphinx.log" >&2; die "sphinx-build failed"; }
  # Offline: the inventories cannot be fetched, so labels of docs.ansible.com stay undefined; our own must not.
  grep -v -e 'failed to reach any of the inventories' -e '^ *intersphinx' -e 'objects.inv' "$work/sphinx.log" \
    | grep -v -P "undefined label: '(?!ansible_collections\.buildkit\.fleet\.)" \
    >"$work/other.log" || true
  no_warnings "$work/other.log" "sphinx-build"
  # Every guide of docs/docsite/extra-docs.yml and every module has its page.
  pages=$(sed -n 's/^ *- \(guide_[a-z0-9_]*\) *$/\1/p' "$repo/docs/docsite/extra-docs.yml")
  for module in "$repo"/plugins/modules/*.py; do pages+=" $(basename "$module" .py)_module"; done
  for page in $pages; do
    found=$(find build/html -name "$page.html" | head -1)
    [[ -n $found ]] || die "docs site lacks $page.html"
  done
  log "site: $(find build/html -name '*.html' | wc -l) pages, guides included"
  ;;
ee)
  tool_venv ee
  tarball=$(build_tarball)
  cp "$repo/tests/ee/execution-environment.yml" "$work/" && cp "$tarball" "$work/buildkit-fleet.tar.gz"
  timeout 300 ansible-builder create -f "$work/execution-environment.yml" --context "$work/context" >"$work/create.log" 2>&1 \
    || { cat "$work/create.log" >&2; die "ansible-builder create failed"; }
  [[ -s $work/context/_build/src/buildkit-fleet.tar.gz && -s $work/context/_build/requirements.yml ]] \
    || die "ansible-builder create left no collection in the build context"
  # What the image build would install for this collection: the introspection of its metadata.
  ANSIBLE_COLLECTIONS_PATH="$work/collections" ansible-galaxy collection install --force --no-deps -p "$work/collections" "$tarball" >/dev/null
  timeout 300 ansible-builder introspect --sanitize "$work/collections" >"$work/introspect.log" 2>&1 \
    || { cat "$work/introspect.log" >&2; die "ansible-builder introspect failed"; }
  for need in 'docker>=7.0.0' 'tomli' 'docker-buildx \[platform:dpkg buildx\]' 'docker-buildx-plugin \[platform:rpm buildx\]'; do
    grep -q "$need" "$work/introspect.log" || { cat "$work/introspect.log" >&2; die "EE introspection lacks '$need'"; }
  done
  # bindep reads the file: the buildx CLI only with the profile buildx (Debian: docker-buildx), else nothing.
  [[ "$(bindep -f "$repo/meta/ee-bindep.txt" -l newline buildx)" == docker-buildx ]] || die "bindep: profile buildx does not give docker-buildx"
  [[ -z "$(bindep -f "$repo/meta/ee-bindep.txt" -l newline | tr -d '[:space:]')" ]] || die "bindep: the default profile asks for packages"
  ;;
importer)
  tool_venv importer
  tarball=$(build_tarball)
  printf '[galaxy-importer]\nRUN_ANSIBLE_TEST = False\nRUN_ANSIBLE_DOC = True\nRUN_ANSIBLE_LINT = True\nOFFLINE_ANSIBLE_LINT = True\nCHECK_CHANGELOG = True\n' \
    >"$work/importer.cfg"
  cd "$work"   # it writes importer_result.json here
  GALAXY_IMPORTER_CONFIG="$work/importer.cfg" timeout 900 python -m galaxy_importer.main "$tarball" \
    >"$work/importer.log" 2>&1 || { cat "$work/importer.log" >&2; die "galaxy-importer failed"; }
  grep -q 'Importer processing completed successfully' "$work/importer.log" \
    || { cat "$work/importer.log" >&2; die "galaxy-importer did not complete"; }
  # Its ansible-lint sees only the tarball (as on Galaxy), never the dependencies galaxy.yml declares:
  # community.docker and community.crypto modules are unknown to it there. Every other warning counts.
  grep -Ev "syntax-check\[unknown-module\]: couldn't resolve module/action 'community\.(docker|crypto)\." \
    "$work/importer.log" >"$work/other.log" || true
  no_warnings "$work/other.log" "galaxy-importer"
  ;;
*) die "unknown check '$what'" ;;
esac
log "$what passed in $((SECONDS - t))s"

# The two entry points of the README: `make demo` and `make test`. Both work on a fresh Debian 12 and never
# pip-install into the system Python: every Python tool runs from a venv (tests/venv.sh).
SHELL := /bin/bash
BASE_PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
PYTHON := $(VENV)/bin/python
PYTEST_ARGS ?=
# Tool venvs (ansible-core lines, docs, EE builder, importer) are cached here and re-made when their
# requirements change; a missing cache only costs time.
export BUILDKIT_FLEET_VENVS ?= /var/cache/buildkit-fleet/venvs
# Sanity + units on the oldest ansible-core meta/runtime.yml allows and on the newest release (Python 3.12+).
CORE_OLDEST ?= 2.17
PYTHON_OLDEST ?= 3.11
CORE_NEWEST ?= 2.21
PYTHON_NEWEST ?= 3.12
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/tests/output/collections
export PATH := $(VENV)/bin:$(PATH)
# ansible-core 2.19 imports cryptography's DSA names when any ansible command starts
# (ansible/_internal/_ssh/_ssh_agent.py) and cryptography 51 deprecates them: without this exact filter, every
# ansible, ansible-playbook and molecule run prints that CryptographyDeprecationWarning. Other warnings stay.
DSA_WARNING := ignore:DSA is deprecated:UserWarning:ansible._internal._ssh._ssh_agent
comma := ,
export PYTHONWARNINGS := $(if $(PYTHONWARNINGS),$(PYTHONWARNINGS)$(comma))$(DSA_WARNING)

.PHONY: setup deps collection demo test unit integration lint sanity docs-lint docs ee importer bench bench-build bench-fleet bench-sshfleet bench-placement bench-farm bench-bake molecule

setup: deps
	sudo_cmd=; [ "$$(id -u)" = 0 ] || sudo_cmd=sudo; $$sudo_cmd tests/harness/setup.sh

deps:
	tests/venv.sh $(VENV) $(BASE_PYTHON) -r tests/requirements.txt

collection: deps
	mkdir -p tests/output/collections/ansible_collections/buildkit
	ln -sfn $(CURDIR) tests/output/collections/ansible_collections/buildkit/fleet
	PYTHON=$(PYTHON) tests/harness/collections.sh $(CURDIR)/tests/output/collections/ansible_collections
	galaxy=$$(mktemp -d "$${TMPDIR:-/tmp}/buildkit-fleet-galaxy.XXXXXX") && \
	  ANSIBLE_COLLECTIONS_PATH=$$galaxy ansible-galaxy collection install --force --no-deps -p $$galaxy \
	  $$(ansible-galaxy collection build --output-path $$galaxy . | awk '{print $$NF}') >/dev/null; \
	  rc=$$?; rm -rf $$galaxy; exit $$rc

demo: setup collection
	ansible-playbook -i docs/demo/inventory.yml docs/demo/demo.yml

unit: deps collection
	$(PYTHON) -m pytest tests/unit $(PYTEST_ARGS)

integration: setup collection
	$(PYTHON) -m pytest tests/integration $(PYTEST_ARGS)

# ansible-lint records every Python warning itself ("always", whatever PYTHONWARNINGS says) and logs the DSA one
# above once per ansible import; only that line is dropped, the exit status is ansible-lint's.
lint: deps collection docs-lint
	set -o pipefail; ansible-lint --profile production --offline 2>&1 | { grep -v 'CryptographyDeprecationWarning DSA is deprecated' || true; }

# ansible-test sanity and units (which must run tests) on both ansible-core lines, each in its own venv.
sanity: deps
	rc=0; tests/sanity.sh $(CORE_OLDEST) $(PYTHON_OLDEST) || rc=1; \
	tests/sanity.sh $(CORE_NEWEST) $(PYTHON_NEWEST) || rc=1; exit $$rc

# antsibull-docs: the collection's docs (plugins, roles, docs/docsite) lint clean; `docs` builds the site.
docs-lint: collection
	tests/ecosystem.sh docs-lint
docs: collection
	tests/ecosystem.sh docs

# ansible-builder: an EE definition that installs this collection renders its build context.
ee: collection
	tests/ecosystem.sh ee

# galaxy-importer (without its container step) on the built tarball: no error, no warning.
importer: collection
	tests/ecosystem.sh importer

# One pytest run, one junit file (tests/output/junit.xml): unit tests, integration tests, then every molecule
# scenario as a pytest item (pytest-ansible's --molecule; pytest.ini's testpaths give that order). After it,
# binfmt_misc is put back as it was before the harness's first change. Any pytest exit but 0 fails, 5 (no test
# collected) included.
test: setup collection lint sanity ee importer docs
	rc=0; t=$$(date +%s); $(PYTHON) -m pytest --molecule --junitxml=tests/output/junit.xml $(PYTEST_ARGS) || rc=$$?; \
	echo "[make test] pytest (unit, integration, molecule): rc $$rc in $$(( $$(date +%s) - t ))s"; \
	sudo_cmd=; [ "$$(id -u)" = 0 ] || sudo_cmd=sudo; $$sudo_cmd tests/harness/qemu.sh --restore || true; \
	exit $$rc

# The molecule scenarios alone, as pytest items (`PYTEST_ARGS=extensions/molecule/network` for one).
molecule: setup collection
	rc=0; $(PYTHON) -m pytest --molecule -m molecule $(PYTEST_ARGS) || rc=$$?; \
	sudo_cmd=; [ "$$(id -u)" = 0 ] || sudo_cmd=sudo; $$sudo_cmd tests/harness/qemu.sh --restore || true; \
	exit $$rc

bench: setup collection
	$(PYTHON) bench/builder_bench.py

bench-build: setup collection
	$(PYTHON) bench/build_bench.py

# Pools (two amd64 nodes on the two dockerds): placement by cache affinity vs buildx's choice and plain buildx.
bench-placement: setup collection
	$(PYTHON) bench/placement_bench.py

# The build farm: a no-change rebuild from a fresh client over mutual TLS vs a warm local rebuild on the host.
bench-farm: setup collection
	$(PYTHON) bench/farm_bench.py

# buildkit_bake: 7 unchanged targets skipped vs a fully cached `docker buildx bake`; 1 changed of 7 vs all 7.
bench-bake: setup collection
	$(PYTHON) bench/bake_bench.py

# binfmt_misc is only read (shared lock): the builder role's no-op converge vs a read-only playbook, check mode 20 vs 1.
bench-fleet: setup collection
	flock -s -w 1800 /tmp/buildkit-fleet-binfmt.lock $(PYTHON) bench/fleet_bench.py

# The SSH fleet (molecule scenario sshfleet): no-op converge over SSH, per host and for the 3 hosts together.
bench-sshfleet: setup collection
	flock -s -w 1800 /tmp/buildkit-fleet-binfmt.lock $(PYTHON) bench/sshfleet_bench.py

# The two entry points of the README: `make demo` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
PYTEST_ARGS ?=
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/tests/output/collections

.PHONY: setup deps collection demo test unit integration lint sanity bench bench-build molecule

setup: deps
	sudo_cmd=; [ "$$(id -u)" = 0 ] || sudo_cmd=sudo; $$sudo_cmd tests/harness/setup.sh

deps:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt

collection:
	mkdir -p tests/output/collections/ansible_collections/buildkit
	ln -sfn $(CURDIR) tests/output/collections/ansible_collections/buildkit/fleet
	tests/harness/collections.sh $(CURDIR)/tests/output/collections/ansible_collections
	rm -rf $${TMPDIR:-/tmp}/buildkit-fleet-galaxy && ansible-galaxy collection install --force --no-deps \
	  -p $${TMPDIR:-/tmp}/buildkit-fleet-galaxy $$(ansible-galaxy collection build --force \
	  --output-path $${TMPDIR:-/tmp}/buildkit-fleet-galaxy . | awk '{print $$NF}') >/dev/null

demo: setup collection
	ansible-playbook -i docs/demo/inventory.yml docs/demo/demo.yml

unit: deps collection
	$(PYTHON) -m pytest tests/unit $(PYTEST_ARGS)

integration: setup collection
	$(PYTHON) -m pytest tests/integration $(PYTEST_ARGS)

lint: deps collection
	ansible-lint --profile production --offline

molecule: setup collection
	molecule test --all

sanity: deps
	tests/sanity.sh

# After the tests, binfmt_misc is put back as it was before the harness's first change.
test: setup collection lint sanity
	rc=0; $(PYTHON) -m pytest tests/unit tests/integration $(PYTEST_ARGS) || rc=$$?; \
	[ $$rc != 0 ] || molecule test --all || rc=$$?; \
	sudo_cmd=; [ "$$(id -u)" = 0 ] || sudo_cmd=sudo; $$sudo_cmd tests/harness/qemu.sh --restore || true; \
	exit $$rc

bench: setup collection
	$(PYTHON) bench/builder_bench.py

bench-build: setup collection
	$(PYTHON) bench/build_bench.py

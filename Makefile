# Developer entry points. `make demo` and `make test` bootstrap everything they need on a fresh
# machine (venv, pinned tools, ansible.windows from the PyPI `ansible` wheel, collection tree)
# and reuse it on later runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ANSIBLE_WHEEL_VERSION := 14.5.0
VENV := .venv
BUILD := $(CURDIR)/.build
COLLECTIONS := $(CURDIR)/.collections
LINK_ROOT := $(BUILD)/collections
COLL_LINK := $(LINK_ROOT)/ansible_collections/certops/microsoft
TEST_TREE := $(BUILD)/test/ansible_collections/certops/microsoft
PY := $(CURDIR)/$(VENV)/bin/python

export ANSIBLE_COLLECTIONS_PATH := $(LINK_ROOT):$(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := False
export NO_PROXY := 127.0.0.1,localhost
export no_proxy := 127.0.0.1,localhost
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help bootstrap demo rehearse lab-wheel test test-matrix lint sanity units integration molecule changelog-lint docs-lint clean

help:
	@echo "make demo         run the main job end to end against the built-in lab"
	@echo "make test         lint, sanity, unit and integration tests (what CI runs)"
	@echo "make rehearse     TOPOLOGY=twin.yml [VARS=...]: a rotation rehearsed on a twin of your estate"
	@echo "make lab-wheel    the lab as a Python wheel in dist/ (certops-lab)"
	@echo "make test-matrix  sanity and units on ansible-core 2.16 and 2.19 (python3.11)"
	@echo "make clean        remove venvs, caches and the build tree"

bootstrap: $(VENV)/.stamp $(COLLECTIONS)/.stamp $(COLL_LINK)
	tools/system-packages.sh

$(VENV)/.stamp: tests/requirements/dev-2.21.txt tools/bootstrap-venv.sh
	tools/bootstrap-venv.sh $(VENV) tests/requirements/dev-2.21.txt 3.13 3.12
	touch $@

$(COLLECTIONS)/.stamp: | $(VENV)/.stamp
	tools/extract-collections.sh $(PY) $(ANSIBLE_WHEEL_VERSION) $(COLLECTIONS)
	touch $@

$(COLL_LINK):
	mkdir -p $(dir $(COLL_LINK))
	ln -sfn $(CURDIR) $(COLL_LINK)

demo: bootstrap
	tools/demo.sh

# make rehearse TOPOLOGY=twin.yml [VARS=rotation-vars.yml] [PLAYBOOK=...] [REHEARSAL_DIR=...]  (docs/rehearsal.md)
rehearse: bootstrap
	@test -n "$(TOPOLOGY)" || { echo "make rehearse needs TOPOLOGY=<file> (ansible-playbook certops.microsoft.export_topology writes one)"; exit 2; }
	tools/rehearse.sh "$(TOPOLOGY)" "$(VARS)"

# The lab as a wheel (certops-lab, entry point certops-lab) in dist/, for rehearsals where the collection is installed.
lab-wheel: bootstrap
	tools/build-lab-wheel.sh $(PY) dist

test: bootstrap changelog-lint lint sanity units integration

lint: bootstrap
	ansible-lint --offline --profile production

changelog-lint: bootstrap
	antsibull-changelog lint

sanity: bootstrap
	tools/sanity.sh $(PY) $(TEST_TREE) 3.13

units: bootstrap
	$(PY) -m pytest -q -p no:cacheprovider tests/unit tests/lab/tests

integration: bootstrap
	$(PY) -m pytest -q -p no:cacheprovider -n 2 tests/integration

test-matrix: bootstrap
	tools/matrix.sh

clean:
	rm -rf $(VENV) .venv-2.* .venv-floors $(BUILD) $(COLLECTIONS) .cache tests/output

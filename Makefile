# The two commands the README documents: `make test` and `make demo`. Everything else is a helper.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: help setup test demo docs sanity units integration simulator-tests clean

help:
	@echo "make test   - set up, then run every test stage; ends with 'N passed, M failed'"
	@echo "make demo   - set up, start the Atlas simulator, run docs/demo.yml against it, stop it"
	@echo "make docs   - build the documentation site (antsibull-docs + Sphinx, offline) into build/docs/"

setup:
	@bash tools/setup.sh

test:
	@SETUP_FOR_TESTS=1 bash tools/setup.sh
	@$(PY) tools/run_tests.py

demo: setup
	@bash tools/demo.sh

docs:
	@SETUP_FOR_DOCS=1 bash tools/setup.sh
	@$(PY) tools/build_docs.py

simulator-tests: setup
	@$(PY) -m pytest -q tests/atlas_simulator/tests

clean:
	rm -rf build tests/output docs/downloads

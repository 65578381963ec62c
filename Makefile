# The commands the README documents: `make demo`, `make test` and `make docs`. Everything else is a helper.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: help setup test demo docs bench soak sanity units integration simulator-tests clean

help:
	@echo "make test   - set up, then run every test stage; ends with 'N passed, M failed'"
	@echo "make demo   - set up, start the Atlas simulator, run docs/demo.yml against it, stop it"
	@echo "make docs   - build the documentation site (antsibull-docs + Sphinx, offline) into build/docs/"
	@echo "make soak   - restore soak: 120 faulted runs of atlas_restore_job against the simulator (about 25 min) into tests/benchmarks/results/restore_soak.md"
	@echo "make bench  - download (in-process and whole task), inflate, wait, nightly-job, take-and-wait, fleet and sharded-download benchmarks, about 10 minutes (not part of make test) into tests/benchmarks/results/"

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

# make bench runs every benchmark in about 10 minutes on the project's 2-core machine; each script's own defaults (more
# rounds, bigger archives) are for a closer look at one of them, e.g. make bench BENCH_ARGS='--rounds 5 --size-mib 1024'.
# BENCH_ARGS: the download path inside the module against curl (bench.py; --baseline REV also measures an older tree).
BENCH_ARGS ?= --rounds 3 --size-mib 512
# WHOLE_TASK_ARGS: the whole ansible-playbook task against curl, 1.5 GiB (the issue's figure), both archive contents.
WHOLE_TASK_ARGS ?= --size-mib 1536 --rounds 5
# NIGHTLY_ARGS: the nightly job's re-run over 10 clusters, three variants.
NIGHTLY_ARGS ?= --rounds 3
# TAKE_WAIT_ARGS: take one snapshot and wait (the simulator completes it 10 s after the POST) against a uri until: loop.
TAKE_WAIT_ARGS ?= --rounds 3 --queued 2 --in-progress 8
# FLEET_ARGS: the nightly job over 20 projects x 10 clusters with --forks 10 against ansible.builtin.uri (about 3 minutes).
FLEET_ARGS ?= --rounds 2
# SHARDED_ARGS: a sharded download, three archives at 1 MiB/s per connection, parallel_downloads 3 against 1.
SHARDED_ARGS ?= --rounds 3 --size-mib 3

bench: setup
	@start=$$(date +%s) && \
	{ $(PY) -m pip install -q 'isal>=1.6' || echo "bench: isal not installed; the zlib rows still run"; } && \
	$(PY) tests/benchmarks/bench.py $(BENCH_ARGS) && \
	$(PY) tests/benchmarks/whole_task_benchmark.py $(WHOLE_TASK_ARGS) && \
	{ $(PY) -m pip install -q 'rapidgzip>=0.14' || echo "bench: rapidgzip not installed; the zlib and isal rows still run"; } && \
	$(PY) tests/benchmarks/inflate_benchmark.py && \
	$(PY) tests/benchmarks/nightly_benchmark.py $(NIGHTLY_ARGS) && \
	$(PY) tests/benchmarks/take_and_wait_benchmark.py $(TAKE_WAIT_ARGS) && \
	$(PY) tests/benchmarks/fleet_benchmark.py $(FLEET_ARGS) && \
	$(PY) tests/benchmarks/sharded_download_benchmark.py $(SHARDED_ARGS) && \
	echo "bench: every benchmark done in $$(( $$(date +%s) - start )) s; results in tests/benchmarks/results/"

# SOAK_ARGS, e.g. --runs 300 --seed 5. make test runs a 25-run version (tests/integration/test_restore_soak.py).
SOAK_ARGS ?= --runs 120
soak: setup
	@$(PY) tests/integration/soak_restore.py $(SOAK_ARGS)

simulator-tests: setup
	@$(PY) -m pytest -q tests/atlas_simulator/tests

clean:
	rm -rf build tests/output docs/downloads

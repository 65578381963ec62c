# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run every test stage of `make test` and print one closing line `N passed, M failed`.

Stages: the simulator's own pytest suite, ansible-test sanity and units (in a copy of the tracked
tree at build/ansible_collections/mongodb_atlas/backup, where ansible-test needs it), build and
install of the collection tarball, integration playbooks against the simulator (pytest drives
ansible-playbook with the INSTALLED collection: the v1.0 and oldest-first variants and the special tests),
ansible-lint on the examples, the documentation site (lint, build with warnings as errors, guide playbooks,
headless-browser check), ansible-test integration in the copy (the default variant of every scenario, one
test per target; its setup_atlas_simulator target starts the simulator), and the matrix: the unit tests
and a smoke set of integration scenarios again on each older ansible-core of MATRIX_CORES, each in its
own venv (.venv-core2.17, ...). `--only matrix` (or any stage names) runs just those stages.
Counts come from each runner's own report (JUnit XML for pytest, ansible-test's summary for sanity).
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, '.venv', 'bin')
BUILD = os.path.join(ROOT, 'build')
COPY = os.path.join(BUILD, 'ansible_collections', 'mongodb_atlas', 'backup')
INSTALLED = os.path.join(BUILD, 'collections')
REPORTS = os.path.join(BUILD, 'reports')
PYTHON = os.path.join(VENV_BIN, 'python')
AWX_COLLECTIONS = os.path.join(ROOT, '.venv', 'awx-collections')  # awx.awx, placed by tools/setup.sh

# The ansible-core versions make test proves: MAIN_CORE in .venv (tools/setup.sh) runs every stage; each of
# MATRIX_CORES gets its own venv for the matrix stage. meta/runtime.yml and README claim exactly these (test_meta.py).
MAIN_CORE = '2.19'
MATRIX_CORES = ('2.17', '2.18')
# What a matrix venv installs besides its ansible-core: the ranges of tools/setup.sh (test_meta.py keeps them equal).
MATRIX_DEPS = ('requests>=2.28,<3', 'pytest>=8,<10', 'responses>=0.25,<1', 'isal>=1.6')
# The smoke set run on each MATRIX_CORES version (test_targets.py ids): two scenarios per module. Creating, waiting and
# idempotence; a refused cluster kind (fail_json); listing; TLS with ca_path; a Flex download into a directory (file
# attributes, atomic_move); check mode with a warning.
SMOKE = (
    'atlas_snapshot/create_idempotent.yml',
    'atlas_snapshot/wrong_kinds.yml',
    'atlas_snapshot_info/list_replica_set.yml',
    'atlas_snapshot_info/tls.yml',
    'atlas_tenant_download/flex_download_dir.yml',
    'atlas_tenant_download/check_mode_new_dir.yml',
)
# The oldest Python the modules and module_utils may need on the managed node, checked statically by vermin
# (annotations are not evaluated: every file has `from __future__ import annotations`). README and tests/config.yml say the same.
MODULE_PYTHON_MIN = '3.8'


class Tally:
    """Counts passed/failed/skipped tests across stages."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.lines: list[str] = []

    def add(self, stage: str, passed: int, failed: int, skipped: int = 0, seconds: float = 0.0) -> None:
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        self.lines.append(f'  {stage:<12} {passed:>4} passed {failed:>3} failed {skipped:>3} skipped  ({seconds:.0f} s)')


def run(cmd: list[str], cwd: str = ROOT, env: dict | None = None) -> int:
    """Run a command, streaming its output; return its exit code."""
    print('+ ' + ' '.join(cmd), flush=True)
    full_env = dict(os.environ)
    full_env['PATH'] = VENV_BIN + os.pathsep + full_env.get('PATH', '')
    full_env.update(env or {})
    return subprocess.run(cmd, cwd=cwd, env=full_env, check=False).returncode


def run_capture(cmd: list[str], cwd: str = ROOT) -> tuple[int, str]:
    """Run a command, echo and return its combined output."""
    print('+ ' + ' '.join(cmd), flush=True)
    env = dict(os.environ)
    env['PATH'] = VENV_BIN + os.pathsep + env.get('PATH', '')
    proc = subprocess.run(cmd, cwd=cwd, env=env, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(proc.stdout, flush=True)
    return proc.returncode, proc.stdout


def junit_counts(paths: list[str]) -> tuple[int, int, int]:
    """Return (passed, failed, skipped) summed over JUnit XML files."""
    passed = failed = skipped = 0
    for path in paths:
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == 'testsuite' else root.findall('testsuite')
        for suite in suites:
            tests = int(suite.get('tests', 0))
            bad = int(suite.get('failures', 0)) + int(suite.get('errors', 0))
            skip = int(suite.get('skipped', 0))
            passed += tests - bad - skip
            failed += bad
            skipped += skip
    return passed, failed, skipped


def copy_tree() -> None:
    """Copy the tracked (and untracked, not ignored) files to where ansible-test needs them."""
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'], cwd=ROOT, check=True,
                           stdout=subprocess.PIPE, text=True).stdout.splitlines()
    if os.path.isdir(COPY):
        # keep tests/output (ansible-test's cached venvs) between runs, replace everything else
        for entry in os.listdir(COPY):
            if entry != 'tests':
                path = os.path.join(COPY, entry)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
        for entry in os.listdir(os.path.join(COPY, 'tests')) if os.path.isdir(os.path.join(COPY, 'tests')) else []:
            if entry != 'output':
                path = os.path.join(COPY, 'tests', entry)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    for rel in files:
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue
        dst = os.path.join(COPY, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)
    # The copy sits inside this (ignored) build/ directory; as its own git work tree, ansible-test
    # lists its files instead of finding the outer repository and skipping everything.
    if not os.path.isdir(os.path.join(COPY, '.git')):
        subprocess.run(['git', 'init', '-q', COPY], check=True)


def stage_pytest(tally: Tally, name: str, args: list[str], env: dict | None = None, python: str = PYTHON, cwd: str = ROOT) -> None:
    """Run pytest and count its JUnit report."""
    start = time.monotonic()
    report = os.path.join(REPORTS, f'{name}.xml')
    if os.path.exists(report):
        os.remove(report)
    code = run([python, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', f'--junitxml={report}'] + args, cwd=cwd, env=env)
    passed, failed, skipped = junit_counts([report]) if os.path.exists(report) else (0, 0, 0)
    if code != 0 and failed == 0:  # no report, or a usage error such as a test id that matches nothing: never silent
        print(f'{name}: pytest exited {code} with no failed test in its report; counted as one failure')
        failed = 1
    tally.add(name, passed, failed, skipped, seconds=time.monotonic() - start)


def stage_sanity(tally: Tally) -> None:
    """ansible-test sanity: one test per sanity check, counted from its summary."""
    start = time.monotonic()
    code, out = run_capture(['ansible-test', 'sanity', '--venv', '--python', '3.11', '--color', 'no'], cwd=COPY)
    ran = len(set(re.findall(r'^Running sanity test "([^"]+)"', out, re.MULTILINE)))
    match = re.search(r'The (\d+) sanity test(?:\(s\)|s)? listed below \(out of (\d+)\) failed', out)
    failed = int(match.group(1)) if match else (0 if code == 0 else 1)
    tally.add('sanity', max(ran - failed, 0), failed, seconds=time.monotonic() - start)


def stage_units(tally: Tally) -> None:
    """ansible-test units, counted from its JUnit report."""
    start = time.monotonic()
    junit_dir = os.path.join(COPY, 'tests', 'output', 'junit')
    shutil.rmtree(junit_dir, ignore_errors=True)
    code = run(['ansible-test', 'units', '--venv', '--python', '3.11', '--color', 'no'], cwd=COPY)
    reports = glob.glob(os.path.join(junit_dir, '*.xml'))
    if reports:
        tally.add('units', *junit_counts(reports), seconds=time.monotonic() - start)
    else:
        tally.add('units', 0, 1, seconds=time.monotonic() - start)
        print(f'units: ansible-test exited {code} without a JUnit report')


def integration_targets() -> list[str]:
    """The targets ansible-test integration runs on its own: every target but the setup_ ones and those marked hidden."""
    targets_dir = os.path.join(COPY, 'tests', 'integration', 'targets')
    names = []
    for name in sorted(os.listdir(targets_dir)):
        aliases = os.path.join(targets_dir, name, 'aliases')
        if name.startswith(('setup_', 'prepare_')) or not os.path.isfile(aliases):
            continue
        with open(aliases, encoding='utf-8') as handle:
            if 'hidden' in (line.split('#', 1)[0].strip() for line in handle):
                continue
        names.append(name)
    return names


def integration_passed(out: str, code: int, expected: list[str]) -> list[str]:
    """The expected targets that ansible-test integration's output shows as run and not listed as failed."""
    ran = set(re.findall(r'^Running (\S+) integration test role', out, re.MULTILINE))
    failed = set()
    match = re.search(r'The \d+ integration test\(s\) listed below \(out of \d+\) failed[^\n]*\n((?:[^\n]+\n?)*)', out)
    if match:
        failed = {line.strip() for line in match.group(1).splitlines() if line.strip() in expected}
    if code != 0 and not failed:
        failed = set(expected)  # ansible-test failed before or around the targets: none of them is known to pass
    return [name for name in expected if name in ran and name not in failed]


def stage_ansible_test_integration(tally: Tally) -> None:
    """ansible-test integration over every target (each starts the simulator through setup_atlas_simulator and runs the
    default variant of its scenarios): one test per target. A target passes only when ansible-test ran it and did not
    list it as failed; a target it never reached counts as failed."""
    start = time.monotonic()
    expected = integration_targets()
    code, out = run_capture(['ansible-test', 'integration', '--venv', '--python', '3.11', '--color', 'no', '--continue-on-error'], cwd=COPY)
    passed = integration_passed(out, code, expected)
    tally.add('ansible-test', len(passed), len(expected) - len(passed), seconds=time.monotonic() - start)
    for name in expected:
        if name not in passed:
            print(f'ansible-test integration: {name} failed or did not run')


def stage_build(tally: Tally) -> str | None:
    """Build the collection tarball and install it; return the collections path or None."""
    start = time.monotonic()
    for old in glob.glob(os.path.join(BUILD, 'mongodb_atlas-backup-*.tar.gz')):
        os.remove(old)
    shutil.rmtree(INSTALLED, ignore_errors=True)
    ok = run(['ansible-galaxy', 'collection', 'build', '--force', '--output-path', BUILD], cwd=COPY) == 0
    tarballs = glob.glob(os.path.join(BUILD, 'mongodb_atlas-backup-*.tar.gz'))
    if ok and tarballs:
        ok = run(['ansible-galaxy', 'collection', 'install', '--force', '-p', INSTALLED, tarballs[0]]) == 0
    tally.add('build', 1 if ok else 0, 0 if ok else 1, seconds=time.monotonic() - start)
    return INSTALLED if ok else None


def stage_static(tally: Tally) -> None:
    """ruff (ruff.toml) on the Python code, and mypy on plugins/ as the package Ansible imports it."""
    start = time.monotonic()
    ruff_ok = run(['ruff', 'check', '--no-cache', 'plugins', 'tests', 'tools']) == 0
    tally.add('ruff', 1 if ruff_ok else 0, 0 if ruff_ok else 1, seconds=time.monotonic() - start)
    start = time.monotonic()
    mypy_ok = run(['mypy', '--config-file', os.path.join(ROOT, 'mypy.ini'), '-p', 'ansible_collections.mongodb_atlas.backup.plugins'],
                  cwd=BUILD) == 0
    tally.add('mypy', 1 if mypy_ok else 0, 0 if mypy_ok else 1, seconds=time.monotonic() - start)
    start = time.monotonic()
    vermin_ok = run(['vermin', '--no-tips', '--violations', '--no-eval-annotations', f'-t={MODULE_PYTHON_MIN}-', 'plugins']) == 0
    tally.add('vermin', 1 if vermin_ok else 0, 0 if vermin_ok else 1, seconds=time.monotonic() - start)


def stage_lint(tally: Tally) -> None:
    """ansible-lint, production profile, offline, on the whole collection (docs/ examples and integration targets; see .ansible-lint)."""
    start = time.monotonic()
    # awx.awx (placed by tools/setup.sh) resolves the module of extensions/awx/register_credential_type.yml
    collections = os.pathsep.join([INSTALLED, AWX_COLLECTIONS])
    code = run(['ansible-lint', '--offline', '--profile', 'production'], cwd=COPY, env={'ANSIBLE_COLLECTIONS_PATH': collections})
    tally.add('ansible-lint', 1 if code == 0 else 0, 0 if code == 0 else 1, seconds=time.monotonic() - start)


def stage_docs(tally: Tally, collections: str) -> None:
    """The documentation site: antsibull-docs lint-collection-docs, then the build with warnings as errors (one test each,
    tools/build_docs.py), then tests/docs: the guide playbooks against the simulator, the troubleshooting page against the
    modules' real messages, and the built site in headless chromium."""
    start = time.monotonic()
    lint_ok = run([PYTHON, os.path.join(ROOT, 'tools', 'build_docs.py'), '--lint-only']) == 0
    tally.add('docs-lint', 1 if lint_ok else 0, 0 if lint_ok else 1, seconds=time.monotonic() - start)
    start = time.monotonic()
    build_ok = run([PYTHON, os.path.join(ROOT, 'tools', 'build_docs.py')]) == 0
    tally.add('docs-build', 1 if build_ok else 0, 0 if build_ok else 1, seconds=time.monotonic() - start)
    # without a fresh build the browser tests would check a stale site (or skip): they are not run then
    stage_pytest(tally, 'docs', ['tests/docs'] + ([] if build_ok else ['--ignore', 'tests/docs/test_browser.py']),
                 env={'ATLAS_COLLECTIONS_PATH': collections})


def core_venv(version: str) -> str | None:
    """Create (once) .venv-core<version> with that ansible-core from the package index; return its bin/ or None.

    Idempotent like tools/setup.sh: a stamp of the requirement list skips pip when nothing changed."""
    venv = os.path.join(ROOT, f'.venv-core{version}')
    major, minor = version.split('.')
    deps = [f'ansible-core>={version},<{major}.{int(minor) + 1}', *MATRIX_DEPS]
    want = hashlib.sha256(''.join(dep + '\n' for dep in deps).encode()).hexdigest()[:16]
    stamp = os.path.join(venv, '.deps-stamp')
    python = os.path.join(venv, 'bin', 'python')
    if not os.access(python, os.X_OK):
        print(f'matrix: creating {os.path.basename(venv)}', flush=True)
        if subprocess.run([sys.executable, '-m', 'venv', venv], check=False).returncode != 0:
            return None
    have = ''
    if os.path.isfile(stamp):
        with open(stamp, encoding='utf-8') as handle:
            have = handle.read().strip()
    if have != want:
        print(f'matrix: installing {", ".join(deps)} into {os.path.basename(venv)}', flush=True)
        proc = subprocess.run([python, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', *deps],
                              check=False, stderr=subprocess.PIPE, text=True)
        sys.stderr.write(''.join(line for line in proc.stderr.splitlines(keepends=True) if 'is ignored: it is neither a file' not in line))
        if proc.returncode != 0:
            return None
        with open(stamp, 'w', encoding='utf-8') as handle:
            handle.write(want + '\n')
    # the matrix is only as honest as this: that venv's ansible-playbook IS the core it is named after
    proc = subprocess.run([os.path.join(venv, 'bin', 'ansible-playbook'), '--version'], check=False, stdout=subprocess.PIPE, text=True)
    if not proc.stdout.startswith(f'ansible-playbook [core {version}.'):
        print(f'matrix: {os.path.basename(venv)} does not run ansible-core {version}: {proc.stdout.splitlines()[:1]}')
        return None
    return os.path.join(venv, 'bin')


def stage_matrix(tally: Tally, collections: str) -> None:
    """For each older ansible-core: the unit tests (plain pytest, the collection importable from build/) and the smoke
    scenarios with that core's ansible-playbook, the installed collection (the tarball's install does not depend on the core)."""
    for version in MATRIX_CORES:
        start = time.monotonic()
        core_bin = core_venv(version)
        if not core_bin:
            tally.add(f'venv-{version}', 0, 1, seconds=time.monotonic() - start)
            continue
        # that core's tools first, and none of .venv's (ansible-core 2.19) on the PATH at all
        path = os.pathsep.join([core_bin] + [p for p in os.environ.get('PATH', '').split(os.pathsep) if p and os.path.abspath(p) != VENV_BIN])
        python = os.path.join(core_bin, 'python')
        stage_pytest(tally, f'units-{version}', ['tests/unit'], env={'PATH': path, 'PYTHONPATH': BUILD}, python=python, cwd=COPY)
        smoke = [f'tests/integration/test_targets.py::test_scenario[{scenario}]' for scenario in SMOKE]
        stage_pytest(tally, f'smoke-{version}', smoke, env={'PATH': path, 'ATLAS_COLLECTIONS_PATH': collections}, python=python)


STAGES = ('static', 'simulator', 'sanity', 'units', 'build', 'integration', 'lint', 'docs', 'matrix')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description='Run the test stages of make test.')
    parser.add_argument('--only', nargs='+', choices=STAGES, metavar='STAGE',
                        help=f'run only these stages (of {", ".join(STAGES)}); integration, lint, docs and matrix build the collection first')
    wanted = set(parser.parse_args(argv).only or STAGES)
    os.makedirs(REPORTS, exist_ok=True)
    tally = Tally()
    copy_tree()
    if 'static' in wanted:
        stage_static(tally)
    if 'simulator' in wanted:
        stage_pytest(tally, 'simulator', ['tests/atlas_simulator/tests'])
    if 'sanity' in wanted:
        stage_sanity(tally)
    if 'units' in wanted:
        stage_units(tally)
    if wanted & {'build', 'integration', 'lint', 'docs', 'matrix'}:
        collections = stage_build(tally)
        if not collections:
            tally.add('integration', 0, 1)
        else:
            if 'integration' in wanted:
                # ansible-test runs the default variant of every scenario (below), pytest the v1.0 and oldest-first
                # variants and the special tests (tests/integration/test_targets.py): each case runs once.
                stage_pytest(tally, 'integration', ['-m', 'not default_variant', 'tests/integration',
                                                    '--ignore', 'tests/integration/test_restore_soak.py'],
                             env={'ATLAS_COLLECTIONS_PATH': collections})
                # the short restore soak (25 runs, about 1 minute; make soak runs 120): its own line, with its time
                stage_pytest(tally, 'restore-soak', ['tests/integration/test_restore_soak.py'], env={'ATLAS_COLLECTIONS_PATH': collections})
            if 'lint' in wanted:
                stage_lint(tally)
            if 'docs' in wanted:
                stage_docs(tally, collections)
            if 'matrix' in wanted:
                stage_matrix(tally, collections)
    if 'integration' in wanted:
        stage_ansible_test_integration(tally)
    print('\nSummary:')
    print('\n'.join(tally.lines))
    summary = f'{tally.passed} passed, {tally.failed} failed'
    if tally.skipped:
        summary += f', {tally.skipped} skipped'
    print(summary)
    return 0 if tally.failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every task file of every integration target is one test: a real ansible-playbook run of the
installed collection against a freshly reset simulator. The task files assert on the modules'
results AND on the simulator's own state and request log."""
from __future__ import annotations

import glob
import os
import re

import pytest

from conftest import TARGETS

SCENARIOS = sorted(
    path for path in glob.glob(os.path.join(TARGETS, '*', 'tasks', '*.yml'))
    if os.path.basename(path) != 'main.yml' and not os.path.basename(os.path.dirname(os.path.dirname(path))).startswith('setup_')
)


def target(path):
    return os.path.relpath(path, TARGETS).split(os.sep)[0]


# atlas_snapshot's whole behaviour is proven on both API versions (the seed documents use v1.0). The targets whose
# decisions pick "the newest" (snapshots to list and download, jobs to reuse) also run with the simulator listing oldest
# first: Atlas documents no order, so nothing may depend on it.
BOTH_VERSIONS = ('atlas_snapshot',)
BOTH_ORDERS = ('atlas_snapshot_info', 'atlas_tenant_download')
# Point-in-time scenarios also run with the simulator answering PIT jobs with the legacy field set (no target, no snapshot
# id), as the legacy API reference shows them: a re-run must still find its job, never start a second restore.
PIT_SCENARIOS = ('atlas_restore_job/tasks/pit_and_flex.yml',)
CASES = [(path, 'v2', 'newest_first') for path in SCENARIOS] + [
    (path, 'v1.0', 'newest_first') for path in SCENARIOS if target(path) in BOTH_VERSIONS
] + [(path, 'v2', 'oldest_first') for path in SCENARIOS if target(path) in BOTH_ORDERS and not path.endswith('list_order.yml')] + [
    (path, 'v2', 'pit_legacy') for path in SCENARIOS if path.endswith(PIT_SCENARIOS)
]


def case_id(case):
    name = os.path.relpath(case[0], TARGETS).replace('/tasks/', '/')
    return name + ('' if case[1] == 'v2' else '[v1.0]') + {'newest_first': '', 'oldest_first': '[oldest-first]', 'pit_legacy': '[pit-legacy]'}[case[2]]


# The default variant (v2, newest first) of every scenario is also what `ansible-test integration` runs (each target's
# tasks/main.yml). make test lets ansible-test run those and deselects them here (-m 'not default_variant'), so each
# case runs once; pytest on its own runs them all.
PARAMS = [pytest.param(*case, id=case_id(case), marks=[pytest.mark.default_variant] if case[1:] == ('v2', 'newest_first') else [])
          for case in CASES]


@pytest.mark.parametrize('task_file, api_version, list_order', PARAMS)
def test_scenario(runner, task_file, api_version, list_order):
    if list_order == 'pit_legacy':
        runner.sim.reset({'pit_legacy_fields': True})
    elif list_order != 'newest_first':
        runner.sim.reset({'list_order': list_order})
    result = runner.run(task_file, api_version=api_version)
    assert result.returncode == 0, result.stdout[-20000:]
    assert 'failed=0' in result.stdout
    if api_version == 'v1.0':  # really on v1.0: every non-Flex API call the scenario left in the log
        paths = [entry['path'] for entry in runner.sim.requests_log()
                 if entry['server'] == 'api' and '/flexClusters/' not in entry['path'] and not entry['path'].startswith('/api/oauth/')]
        assert paths
        assert [path for path in paths if not path.startswith('/api/atlas/v1.0/')] == []


def test_no_task_vars_shadowed_by_registers_of_the_same_target():
    """ansible-test runs every scenario of a target in one play, where a variable registered by an earlier scenario
    outranks a task's own vars: a task var named like any register of its target reads the wrong value there."""
    clashes = []
    for folder in sorted(glob.glob(os.path.join(TARGETS, '*', 'tasks'))):
        files = sorted(glob.glob(os.path.join(folder, '*.yml')))
        texts = {}
        for path in files:
            with open(path, encoding='utf-8') as handle:
                texts[path] = handle.read()
        registered = {name for text in texts.values() for name in re.findall(r'^\s*register:\s*(\w+)', text, re.M)}
        for path, text in texts.items():
            for block in re.finditer(r'^(\s*)vars:\n((?:\1\s+\w+:.*\n)+)', text, re.M):
                clashes += [f'{os.path.relpath(path, TARGETS)}: {name}' for name in re.findall(r'^\s+(\w+):', block.group(2), re.M)
                            if name in registered]
    assert clashes == []

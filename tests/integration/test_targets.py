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

import pytest

from conftest import TARGETS

SCENARIOS = sorted(
    path for path in glob.glob(os.path.join(TARGETS, '*', 'tasks', '*.yml'))
    if os.path.basename(path) != 'main.yml' and not os.path.basename(os.path.dirname(os.path.dirname(path))).startswith('setup_')
)


@pytest.mark.parametrize('task_file', SCENARIOS, ids=[os.path.relpath(p, TARGETS).replace('/tasks/', '/') for p in SCENARIOS])
def test_scenario(runner, task_file):
    result = runner.run(task_file)
    assert result.returncode == 0, result.stdout[-20000:]
    assert 'failed=0' in result.stdout

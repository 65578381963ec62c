# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Collection metadata stays complete: the action group lists every module, and one version number holds everywhere."""
from __future__ import annotations

import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_action_group_lists_every_module():
    with open(os.path.join(ROOT, 'meta', 'runtime.yml'), encoding='utf-8') as handle:
        runtime = yaml.safe_load(handle)
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, 'plugins', 'modules')) if name.endswith('.py'))
    assert modules
    assert sorted(runtime['action_groups']['atlas']) == modules


def test_one_version_number():
    with open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        version = yaml.safe_load(handle)['version']
    with open(os.path.join(ROOT, 'plugins', 'module_utils', '_client.py'), encoding='utf-8') as handle:
        client = handle.read()
    assert f"COLLECTION_VERSION = '{version}'" in client  # the User-Agent names the release
    with open(os.path.join(ROOT, 'changelogs', 'changelog.yaml'), encoding='utf-8') as handle:
        assert version in yaml.safe_load(handle)['releases']


def test_module_utils_raise_and_only_main_ends_the_task():
    """Below the module base, code raises TaskError (or AtlasApiError); AtlasModule.run in each main() fails once."""
    folder = os.path.join(ROOT, 'plugins', 'module_utils')
    enders = ('.fail(', 'fail_api(', 'fail_json(', 'exit_json(', '.exit(')
    offenders = []
    for name in sorted(os.listdir(folder)):
        if name.endswith('.py') and name != '_base.py':
            with open(os.path.join(folder, name), encoding='utf-8') as handle:
                offenders += [f'{name}:{number}' for number, line in enumerate(handle, 1) if any(ender in line for ender in enders)]
    assert offenders == []

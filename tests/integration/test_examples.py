# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module's EXAMPLES: parsed (YAML, a list of tasks, each one module of this collection or ansible.builtin with
options that module documents), free of dates and local-time arithmetic that only work on one day or in one zone, and
run as written against the simulator, in their order (which puts the --check/--diff look before the change it
previews). The only edit before running: the example directories under /srv/backups and /var/tmp become the test's own."""
from __future__ import annotations

import ast
import datetime
import glob
import json
import os
import re
import subprocess

import pytest
import yaml

from conftest import BIN, GROUP_ID, ROOT

MODULES = sorted(os.path.basename(path)[:-3] for path in glob.glob(os.path.join(ROOT, 'plugins', 'modules', 'atlas_*.py')))
TASK_KEYWORDS = {'name', 'register', 'loop', 'loop_control', 'when', 'no_log', 'check_mode', 'diff', 'changed_when',
                 'failed_when', 'delegate_to', 'vars', 'environment'}


def examples_of(module: str) -> str:
    with open(os.path.join(ROOT, 'plugins', 'modules', module + '.py'), encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [target.id for target in node.targets if isinstance(target, ast.Name)] == ['EXAMPLES']:
            return t_str(node.value)
    raise AssertionError(f'{module} has no EXAMPLES')


def t_str(node: ast.expr) -> str:
    assert isinstance(node, ast.Constant) and isinstance(node.value, str)
    return node.value


@pytest.fixture(scope='module')
def documented_options(collections_path: str) -> dict:
    """Each module's options as ansible-doc (doc fragments included) shows them for the installed collection."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path)
    out = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', 'module', '--json'] + [f'mongodb_atlas.backup.{name}' for name in MODULES]
                         + ['ansible.builtin.debug', 'ansible.builtin.set_fact', 'ansible.builtin.file', 'ansible.builtin.get_url'],
                         env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    docs = json.loads(out)
    options = {}
    for name, doc in docs.items():
        opts = set(doc['doc'].get('options', {}))
        for opt in doc['doc'].get('options', {}).values():
            opts.update(opt.get('aliases', []))
        options[name] = opts
    options['ansible.builtin.set_fact'].add('newest_snapshot')  # set_fact takes any variable name
    return options


@pytest.mark.parametrize('module', MODULES)
def test_examples_parse_as_tasks_with_documented_options(module, documented_options):
    tasks = yaml.safe_load(examples_of(module))
    assert isinstance(tasks, list) and tasks, module
    for task in tasks:
        assert isinstance(task, dict) and task.get('name'), task
        actions = [key for key in task if key not in TASK_KEYWORDS]
        assert len(actions) == 1, f'{module}: {task["name"]}: one module per task, got {actions}'
        action = actions[0]
        assert action in documented_options, f'{module}: {task["name"]}: {action} is not a FQCN this test knows'
        unknown = set(task[action]) - documented_options[action]
        assert not unknown, f'{module}: {task["name"]}: {action} documents no option {sorted(unknown)}'
    assert any(action.startswith('mongodb_atlas.backup.' + module) for task in tasks for action in task), module


@pytest.mark.parametrize('module', MODULES)
def test_examples_work_on_any_day_in_utc(module):
    text = examples_of(module)
    assert not re.search(r'\b20\d\d-\d\d-\d\d\b', text), f'{module}: a hard-coded date works on one day only'
    assert "strftime('%s')" not in text and 'strftime("%s")' not in text, f"{module}: strftime('%s') counts in the controller's zone"
    assert 'to_datetime' not in text or 'now(utc=true)' in text, f'{module}: date arithmetic without now(utc=true)'


def run_examples(runner, module: str, tmp_path, extra_env: dict | None = None):
    text = examples_of(module).replace('/srv/backups/', f'{tmp_path}/srv/backups/').replace('/var/tmp/', f'{tmp_path}/var/tmp/')
    os.makedirs(tmp_path / 'var' / 'tmp', exist_ok=True)
    os.makedirs(tmp_path / 'srv' / 'backups', exist_ok=True)
    task_file = tmp_path / f'{module}_examples.yml'
    task_file.write_text(text)
    result = runner.run(str(task_file), extra_env=extra_env)
    assert result.returncode == 0 and 'failed=0' in result.stdout, result.stdout[-20000:]
    return result


def test_atlas_snapshot_examples_run(runner, sim, tmp_path):
    run_examples(runner, 'atlas_snapshot', tmp_path)
    on_demand = [snap for snap in sim.state()['clusters']['Cluster0']['snapshots'] if snap.get('snapshotType') == 'onDemand']
    assert [snap['description'] for snap in on_demand] == ['nightly']  # the pre-upgrade one was taken, re-dated, then deleted
    posts = [entry['path'].split('/clusters/')[1].split('/')[0] for entry in sim.requests_log() if entry['method'] == 'POST' and entry['status'] == 200]
    # the check-mode look first wrote nothing; the every-dedicated-cluster task took tonight's on each of the three, so the
    # Cluster0 nightly task after it found one; then the pre-upgrade one
    assert sorted(posts) == ['Cluster0', 'Cluster0', 'Sharded0', 'Staging0']


def test_atlas_snapshot_info_examples_run(runner, sim, tmp_path):
    run_examples(runner, 'atlas_snapshot_info', tmp_path)
    for name in ('Cluster0', 'Sharded0', 'Staging0'):
        assert [snap['description'] for snap in sim.state()['clusters'][name]['snapshots'] if snap.get('snapshotType') == 'onDemand'] == ['nightly']


def test_atlas_restore_job_info_examples_run(runner, sim, tmp_path):
    run_examples(runner, 'atlas_restore_job_info', tmp_path)


def test_atlas_tenant_download_examples_run(runner, sim, tmp_path):
    run_examples(runner, 'atlas_tenant_download', tmp_path)
    assert os.path.getsize(tmp_path / 'var' / 'tmp' / 'flex0.tgz') > 0
    flex = sorted(os.listdir(tmp_path / 'srv' / 'backups' / 'flex0'))
    assert len(flex) == 2 and 'latest.tgz' in flex
    assert len(os.listdir(tmp_path / 'srv' / 'backups' / 'tenant0')) == 1


def test_atlas_restore_job_examples_run_in_any_time_zone(runner, sim, tmp_path):
    """The point-in-time example asks for an hour ago in UTC whatever TZ says (it used to be five hours off in New York)."""
    before = datetime.datetime.now(datetime.timezone.utc).timestamp()
    run_examples(runner, 'atlas_restore_job', tmp_path, extra_env={'TZ': 'America/New_York'})
    after = datetime.datetime.now(datetime.timezone.utc).timestamp()
    jobs = sim.state()['restore_jobs']
    pit = [job for job in jobs if job.get('pointInTimeUTCSeconds')]
    assert len(pit) == 1, jobs
    assert before - 3600 - 2 <= pit[0]['pointInTimeUTCSeconds'] <= after - 3600 + 2, (pit[0], before, after)
    assert sim.state()['clusters']['Staging0']['restore']['state'] == 'restored'
    archives = os.listdir(tmp_path / 'srv' / 'backups' / 'sharded0')
    assert len([name for name in archives if name.endswith('.tar.gz')]) == 3, archives  # two shards and the config server
    assert GROUP_ID in examples_of('atlas_restore_job')

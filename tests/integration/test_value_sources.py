# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Messages name where a value came from (the task's option or the environment variable), and a cluster that is not
found gets the nearest existing names, the one equal but for case first, at the cost of one extra read."""
from __future__ import annotations

import pytest

from conftest import GROUP_ID

WRONG_PROJECT = '5f1a2b3c4d5e6f7a8b9c0d99'
PLAYBOOK = """
- name: One task, connection from the environment
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  tasks:
    - name: List snapshots
      mongodb_atlas.backup.atlas_snapshot_info:
        cluster_name: {cluster}
{extra}      register: listed
      ignore_errors: true

    - name: Keep the message
      ansible.builtin.copy:
        content: "{{{{ listed.msg | default('ok') }}}}"
        dest: {out}
        mode: "0600"
"""


def run(runner, sim, tmp_path, cluster: str, extra: str = '', project: str = GROUP_ID) -> str:
    playbook = tmp_path / 'sources.play.yml'
    out = tmp_path / 'msg.txt'
    playbook.write_text(PLAYBOOK.format(cluster=cluster, extra=extra, out=out))
    env = {'MONGODB_ATLAS_BASE_URL': sim.url, 'MONGODB_ATLAS_PUBLIC_KEY': 'owner-public', 'MONGODB_ATLAS_PRIVATE_KEY': 'owner-private',
           'MONGODB_ATLAS_PROJECT_ID': project}
    result = runner.run(str(playbook), extra_env=env, inventory=False)
    assert out.exists(), result.stdout[-5000:]
    return out.read_text()


@pytest.mark.parametrize('how', ['environment', 'option'])
def test_wrong_project_names_its_source(runner, sim, tmp_path, how):
    if how == 'environment':
        msg = run(runner, sim, tmp_path, 'Cluster0', project=WRONG_PROJECT)
        assert 'Check group_id, here from the environment variable MONGODB_ATLAS_PROJECT_ID (GROUP_NOT_FOUND)' in msg, msg
    else:
        msg = run(runner, sim, tmp_path, 'Cluster0', extra=f'        project_id: {WRONG_PROJECT}\n')
        assert "Check group_id, here from the task's project_id option (GROUP_NOT_FOUND)" in msg, msg
    assert WRONG_PROJECT in msg


def test_malformed_project_from_the_environment_names_it(runner, sim, tmp_path):
    msg = run(runner, sim, tmp_path, 'Cluster0', project='not-a-project')
    assert "group_id 'not-a-project' (from the environment variable MONGODB_ATLAS_PROJECT_ID) is not a valid Atlas id" in msg, msg


def test_cluster_name_in_the_wrong_case_gets_the_right_one(runner, sim, tmp_path):
    msg = run(runner, sim, tmp_path, 'cluster0')
    assert 'Cluster names are case-sensitive: did you mean Cluster0?' in msg, msg
    reads = [entry for entry in sim.requests_log() if entry['server'] == 'api' and entry['path'].endswith('/clusters')]
    assert len(reads) == 1  # one extra GET, on the failure path only


def test_cluster_name_typo_gets_the_nearest_names(runner, sim, tmp_path):
    msg = run(runner, sim, tmp_path, 'Staging1')
    assert 'The nearest existing names: Staging0' in msg, msg
    assert 'Cluster0' in run(runner, sim, tmp_path, 'Clustr0')
    ok = run(runner, sim, tmp_path, 'Cluster0')
    assert ok == 'ok'

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Service accounts, counted from the simulator's request log: one token per play of 20 tasks, one token for 10 forks
started at once, and neither the secret nor the token anywhere in -vvv output or the cache's other files."""
from __future__ import annotations

import glob
import json
import os

from conftest import TARGETS

PLAY = os.path.join(TARGETS, 'atlas_snapshot_info', 'files', 'service_account_play.yml')
CLIENT_ID = 'mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01'
SECRET = 'mdb_sa_sk_owner-secret-0001'


def sa_env(cache_dir):
    return {'MONGODB_ATLAS_CLIENT_ID': CLIENT_ID, 'MONGODB_ATLAS_CLIENT_SECRET': SECRET, 'MONGODB_ATLAS_TOKEN_CACHE_DIR': cache_dir}


def token_requests(sim):
    return [entry for entry in sim.requests_log() if entry['path'] == '/api/oauth/token']


def bearer_calls(sim):
    return [entry for entry in sim.requests_log() if entry['path'].startswith('/api/atlas/') and entry.get('client_id') == CLIENT_ID]


def test_a_play_of_twenty_tasks_requests_one_token(runner, sim, tmp_path):
    result = runner.run(PLAY, extra_env=sa_env(str(tmp_path / 'cache')), extra_args=['-e', 'reads=20'])
    assert result.returncode == 0, result.stdout[-20000:]
    assert len(token_requests(sim)) == 1
    assert len(bearer_calls(sim)) == 40  # 20 tasks x (GET cluster + list), every one with the token


def test_ten_forks_request_one_token(runner, sim, tmp_path):
    inventory = tmp_path / 'hosts.ini'
    inventory.write_text('\n'.join(f'host{number} ansible_connection=local' for number in range(10)) + '\n')
    result = runner.run(PLAY, extra_env=sa_env(str(tmp_path / 'cache')), inventory=False,
                        extra_args=['-i', str(inventory), '--forks', '10'])
    assert result.returncode == 0, result.stdout[-20000:]
    assert result.stdout.count('ok: [host') >= 10
    assert len(token_requests(sim)) == 1
    assert len(bearer_calls(sim)) == 20


def test_neither_secret_nor_token_in_vvv_output_or_other_cache_files(runner, sim, tmp_path):
    cache = tmp_path / 'cache'
    result = runner.run(PLAY, verbosity=3, extra_env=sa_env(str(cache)), extra_args=['-e', 'reads=2'])
    assert result.returncode == 0, result.stdout[-20000:]
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in result.stdout or 'snapshots' in result.stdout  # -vvv printed results
    tokens = [json.loads(open(path, encoding='utf-8').read())['access_token'] for path in glob.glob(str(cache / '*.json'))]
    assert len(tokens) == 1 and tokens[0].count('.') == 2  # the JWT the simulator issued, cached once
    assert SECRET not in result.stdout and tokens[0] not in result.stdout
    for path in glob.glob(str(cache / '*')):
        content = open(path, encoding='utf-8').read()
        assert SECRET not in content
        assert (tokens[0] in content) == path.endswith('.json')  # the token only in its own file; the lock file is empty
    assert oct(os.stat(cache).st_mode & 0o777) == '0o700'


def test_token_cache_off_fetches_one_token_per_task(runner, sim, tmp_path):
    env = dict(sa_env(str(tmp_path / 'cache')), MONGODB_ATLAS_TOKEN_CACHE='false')
    result = runner.run(PLAY, extra_env=env, extra_args=['-e', 'reads=3'])
    assert result.returncode == 0, result.stdout[-20000:]
    assert len(token_requests(sim)) == 3
    assert not os.path.exists(tmp_path / 'cache')


def test_an_unusable_token_cache_warns_and_the_play_goes_on(runner, sim, tmp_path):
    """A lock path that is not a plain file (a stray directory): each task warns once, fetches its own token and
    succeeds; 0.3.0 failed every task with REQUEST_ERROR "could not send the request"."""
    cache = tmp_path / 'cache'
    assert runner.run(PLAY, extra_env=sa_env(str(cache))).returncode == 0  # a working cache: its token file and lock file
    for path in glob.glob(str(cache / '*')):
        os.unlink(path)
        if path.endswith('.lock'):
            os.mkdir(path)
    sim.reset()
    result = runner.run(PLAY, extra_env=sa_env(str(cache)), extra_args=['-e', 'reads=2'])
    assert result.returncode == 0, result.stdout[-20000:]
    assert 'could not send the request' not in result.stdout
    warnings = [line for line in result.stdout.splitlines() if line.startswith('[WARNING]: The service-account token cache')]
    # one warning per task, and Ansible shows identical warnings once per run
    assert len(warnings) == 1 and '(EISDIR)' in warnings[0], result.stdout[-5000:]
    assert len(token_requests(sim)) == 2 and SECRET not in result.stdout


RATE_LIMITED_PLAY = """
- name: More token requests than Atlas allows
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  module_defaults:
    group/mongodb_atlas.backup.atlas:
      api_base_url: "{{ atlas_url }}"
      group_id: "{{ atlas_group_id }}"
      token_cache: false
      retries: 0
  tasks:
    - name: The first task gets the one token allowed this minute
      mongodb_atlas.backup.atlas_snapshot_info:
        cluster_name: Cluster0

    - name: The second is refused by the token endpoint's rate limit
      mongodb_atlas.backup.atlas_snapshot_info:
        cluster_name: Cluster0
      register: limited
      ignore_errors: true

    - name: Explained as rate limiting, with Atlas's errorCode
      ansible.builtin.assert:
        that:
          - limited is failed
          - limited.error_code == 'RATE_LIMITED'
          - limited.status == 429
          - "'allows 1 token request every minute' in limited.msg"
          - "'Retry-After' in limited.msg"
          - "'token cache' in limited.msg"
          - "'client_secret' not in limited.msg"
"""


def test_a_rate_limited_token_request_is_explained_as_rate_limiting(runner, sim, tmp_path):
    sim.reset({'oauth': {'requests_per_minute': 1}})
    play = tmp_path / 'rate_limited_play.yml'
    play.write_text(RATE_LIMITED_PLAY)
    result = runner.run(str(play), extra_env=sa_env(str(tmp_path / 'cache')))
    assert result.returncode == 0, result.stdout[-20000:]
    assert [entry['status'] for entry in token_requests(sim)] == [200, 429]

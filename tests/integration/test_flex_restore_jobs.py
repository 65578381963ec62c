# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Flex cluster with 2,160 old restore jobs (recorded on Atlas, paged at 100 with a next link): an atlas_tenant_download
task costs a bounded number of requests, measured from the simulator's request log."""
from __future__ import annotations

import json
import os

TASKS = """
- name: A link for the newest snapshot of Flex0, which has 2,160 old jobs
  mongodb_atlas.backup.atlas_tenant_download:
    cluster_name: Flex0
  register: first

- name: The first task's requests
  ansible.builtin.uri:
    url: "{{ sim_control }}/requests"
  register: first_log

- name: Keep them for the test
  ansible.builtin.copy:
    content: "{{ first_log.json.requests | to_json }}"
    dest: "{{ output_dir }}/first.json"
    mode: '0600'

- name: Clear the log
  ansible.builtin.uri:
    url: "{{ sim_control }}/requests"
    method: DELETE

- name: Again - the job just made is found and reused
  mongodb_atlas.backup.atlas_tenant_download:
    cluster_name: Flex0
  register: second

- name: Results
  ansible.builtin.assert:
    that:
      - first is changed and first.restore_job.status == 'completed'
      - second is not changed and second.restore_job.id == first.restore_job.id
"""

JOBS = '/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e/flexClusters/Flex0/backup/restoreJobs'


def api_calls(log):
    return [(entry['method'], entry['path']) for entry in log if entry['server'] == 'api' and entry['path'].startswith('/api/atlas/')]


def test_a_download_task_lists_one_page_of_2160_old_jobs(runner):
    runner.sim.reset({'flex_restore_jobs': 2160})
    task_file = os.path.join(runner.tmp, 'flex_jobs.yml')
    with open(task_file, 'w', encoding='utf-8') as handle:
        handle.write(TASKS)
    result = runner.run(task_file)
    assert result.returncode == 0 and 'failed=0' in result.stdout, result.stdout[-20000:]
    with open(os.path.join(runner.tmp, 'first.json'), encoding='utf-8') as handle:
        first = api_calls(json.load(handle))
    second = api_calls(runner.sim.requests_log())
    print(json.dumps({'first': first, 'second': second}, indent=1))
    # Each task reads the first page of the job list only (of 22 pages at 100; every one of them before the bound).
    assert first.count(('GET', JOBS)) == 1 and second.count(('GET', JOBS)) == 1
    assert len(first) <= 8, first    # cluster, snapshots, one page of jobs, the POST, a few polls of the new job
    assert len(second) <= 4, second  # cluster, snapshots, one page of jobs: the job is reused

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A disk that fills inside the LAST chunk of a download (issue 17 item 7), for real: ansible-playbook runs
atlas_tenant_download under a file-size limit (RLIMIT_FSIZE, as `ulimit -f` sets it) a little smaller than the archive,
so the last write is cut short and the next one refused. The task must fail saying why, and the previous archive at
dest must be exactly as it was, with no .part file left. (0.3.0 reported success with the streamed size and checksum
and moved the truncated file over the previous archive.)"""
from __future__ import annotations

import json
import os
import resource
import subprocess

import pytest

from conftest import PLAY

TASK = """
- name: Download the archive
  mongodb_atlas.backup.atlas_tenant_download:
    cluster_name: Flex0
    dest: "{{{{ output_dir }}}}/archives/{name}"
    force: true
  register: downloaded

- name: Show what was downloaded
  ansible.builtin.debug:
    msg: "DOWNLOADED {{{{ downloaded.size }}}} {{{{ downloaded.checksum }}}}"
"""
PREVIOUS = b'previous good archive\n'


def play(tmp_path, name):
    task_file = tmp_path / f'{name}.task.yml'
    task_file.write_text(TASK.format(name=name))
    playbook = tmp_path / f'{name}-play.yml'
    playbook.write_text(PLAY.format(scenario='disk full', path=json.dumps(str(task_file))))
    return str(playbook)


def run(runner, playbook, file_size_limit=None):
    cmd, env = runner.command(playbook)

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    return subprocess.run(cmd, env=env, cwd=runner.tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300,
                          check=False, preexec_fn=limit if file_size_limit else None)


@pytest.mark.parametrize('short_by', [1000, 3 * 1024 * 1024])  # inside the last 1 MiB chunk, and an earlier one
def test_a_file_size_limit_fails_the_task_and_leaves_the_previous_archive(runner, sim, tmp_path, short_by):
    archives = tmp_path / 'archives'
    archives.mkdir()
    sim.reset({'archive_size': 4 * 1024 * 1024})
    first = run(runner, play(tmp_path, 'whole.tgz'))  # without a limit: the archive's real size
    assert first.returncode == 0, first.stdout[-5000:]
    size = os.path.getsize(archives / 'whole.tgz')
    assert size > 3 * 1024 * 1024 + 512 * 1024 and f'DOWNLOADED {size} ' in first.stdout

    (archives / 'keep.tgz').write_bytes(PREVIOUS)
    limited = run(runner, play(tmp_path, 'keep.tgz'), file_size_limit=size - short_by)
    assert limited.returncode != 0, limited.stdout[-5000:]
    assert 'DOWNLOADED' not in limited.stdout
    assert 'could not write beside' in limited.stdout and 'file-size limit' in limited.stdout, limited.stdout[-5000:]
    assert 'keep.tgz was left as it was' in limited.stdout
    assert (archives / 'keep.tgz').read_bytes() == PREVIOUS
    assert sorted(os.listdir(archives)) == ['keep.tgz', 'whole.tgz']  # no .part left behind
    assert 'X-Amz-Signature' not in limited.stdout


SET_TASK = """
- name: Download Sharded0's archives, three at once
  mongodb_atlas.backup.atlas_restore_job:
    cluster_name: Sharded0
    delivery_type: download
    snapshot_id: 65a000000000000000000201
    dest: "{{ output_dir }}/set"
    parallel_downloads: 3
  register: downloaded
"""


def test_a_file_size_limit_met_in_worker_threads_fails_the_set_cleanly(runner, sim, tmp_path):
    """The set's archives are written by worker threads: a file-size limit met there fails the task with the OS's reason
    (EFBIG: CPython ignores SIGXFSZ, and the module's thread ignores it again for the workers), the other transfers stop,
    and no .part file, archive or manifest is left."""
    (tmp_path / 'set').mkdir()
    sim.reset({'archive_size': 4 * 1024 * 1024})
    task_file = tmp_path / 'set.task.yml'
    task_file.write_text(SET_TASK)
    playbook = tmp_path / 'set-play.yml'
    playbook.write_text(PLAY.format(scenario='set under a file-size limit', path=json.dumps(str(task_file))))
    limited = run(runner, str(playbook), file_size_limit=3 * 1024 * 1024)
    assert limited.returncode != 0, limited.stdout[-5000:]
    assert 'could not write beside' in limited.stdout and 'file-size limit' in limited.stdout, limited.stdout[-5000:]
    assert 'No archive of the set is in dest' in limited.stdout and 'Traceback' not in limited.stdout
    assert os.listdir(tmp_path / 'set') == []  # no .part file, no archive, no manifest
    assert 'X-Amz-Signature' not in limited.stdout

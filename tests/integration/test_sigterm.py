# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SIGTERM in the middle of a download (an AWX job cancelled, a CI runner stopped): no .part file survives, dest is
untouched, and the task fails saying why. The download host stalls halfway, so the module is certainly mid-transfer
when the signal arrives, whatever the machine's load: the test waits for bytes on disk, not for a wall-clock time."""
from __future__ import annotations

import glob
import json
import os
import signal
import time

import requests

from conftest import PLAY

TASK = """
- name: Download over the previous archive
  mongodb_atlas.backup.atlas_tenant_download:
    cluster_name: Flex0
    dest: "{{ output_dir }}/archives/keep.tgz"
    force: true
"""


def module_pids(name: str = 'AnsiballZ_atlas_tenant_download') -> list[int]:
    pids = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/cmdline', 'rb') as handle:
                    cmdline = handle.read()
            except OSError:
                continue
            if name.encode() in cmdline:
                pids.append(int(entry))
    return pids


def terminate_mid_transfer(runner, play, pattern: str, count: int, module: str) -> tuple:
    """Run the play; once `count` temp files matching `pattern` hold bytes and the module runs, SIGTERM the module.
    (returncode, output)."""
    proc = runner.start(str(play))
    try:
        deadline = time.monotonic() + 120
        parts = []
        while time.monotonic() < deadline:  # wait for real progress: .part files with bytes in them, not for a time
            parts = [path for path in glob.glob(pattern) if os.path.getsize(path) > 0]
            if len(parts) >= count and module_pids(module):
                break
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.05)
        assert len(parts) >= count, f'{count} transfer(s) never ran at once'
        for pid in module_pids(module):
            os.kill(pid, signal.SIGTERM)
        out, _err = proc.communicate(timeout=60)  # far less than the 120 s stall: nothing waits for the transfers
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out


def test_sigterm_mid_download_leaves_no_part_file_and_dest_intact(runner, sim, tmp_path):
    archives = tmp_path / 'archives'
    archives.mkdir()
    (archives / 'keep.tgz').write_bytes(b'previous archive\n')
    sim.reset({'archive_size': 8 * 1024 * 1024})
    requests.post(sim.control + '/faults', json={'method': 'GET', 'path': '^/backup-downloads/', 'action': 'stall', 'delay': 120},
                  timeout=10).raise_for_status()
    task_file = tmp_path / 'task.yml'
    task_file.write_text(TASK)
    play = tmp_path / 'sigterm-play.yml'
    play.write_text(PLAY.format(scenario="sigterm", path=json.dumps(str(task_file))))
    returncode, out = terminate_mid_transfer(runner, play, str(archives / '.keep.tgz.*.part'), 1, 'AnsiballZ_atlas_tenant_download')
    assert returncode != 0, out
    assert 'stopped (SIGTERM) during the download' in out, out[-5000:]
    assert sorted(os.listdir(archives)) == ['keep.tgz']  # no .part left behind
    assert (archives / 'keep.tgz').read_bytes() == b'previous archive\n'
    assert 'X-Amz-Signature' not in out


SET_TASK = """
- name: Download Sharded0's archives, three at once
  mongodb_atlas.backup.atlas_restore_job:
    cluster_name: Sharded0
    delivery_type: download
    snapshot_id: 65a000000000000000000201
    dest: "{{ output_dir }}/set"
    parallel_downloads: 3
"""


def test_sigterm_while_a_sets_archives_stream_in_worker_threads_leaves_nothing(runner, sim, tmp_path):
    """The archives stream in worker threads, where no signal handler can be installed: the module's own thread takes the
    SIGTERM, stops them, removes every temp file and fails at once, without waiting for the stalled transfers."""
    dest = tmp_path / 'set'
    dest.mkdir()
    sim.reset({'archive_size': 8 * 1024 * 1024})
    requests.post(sim.control + '/faults', json={'method': 'GET', 'path': '^/backup-downloads/', 'action': 'stall', 'delay': 120, 'count': 3},
                  timeout=10).raise_for_status()
    task_file = tmp_path / 'set-task.yml'
    task_file.write_text(SET_TASK)
    play = tmp_path / 'sigterm-set-play.yml'
    play.write_text(PLAY.format(scenario="sigterm set", path=json.dumps(str(task_file))))
    returncode, out = terminate_mid_transfer(runner, play, str(dest / '.Sharded0-*.part'), 3, 'AnsiballZ_atlas_restore_job')
    assert returncode != 0, out
    assert 'stopped (SIGTERM) during the download' in out and 'No archive of the set is in dest' in out, out[-5000:]
    assert os.listdir(dest) == []  # no .part file, no archive, no manifest
    assert 'X-Amz-Signature' not in out and 'Traceback' not in out

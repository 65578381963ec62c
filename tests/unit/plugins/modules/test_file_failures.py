# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every failure through the one exit (issue 18 item 5): Ansible's file helpers (set_fs_attributes_if_different,
atomic_move) end a task with fail_json of their own; through AnsibleFiles they raise, and AtlasModule.fail() ends the
task with `changed` and `retries_used` like every other failure.

The module here is the base itself, in-process, with the download path of every module: a job was asked of Atlas (a
real POST, so `changed` must be true), then the archive is saved through Destination.save and AnsibleFiles.
"""
from __future__ import annotations

import gzip
import io
import os
import tarfile

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive import Destination
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._module import AnsibleFiles, AtlasModule
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.modules.atlas_test_utils import API, connection_args

LINK = 'https://storage.test/backup-downloads/j/s.tgz?X-Amz-Signature=abc123def'
PREVIOUS = b'the previous good archive\n'


def archive():
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode='wb', mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode='w|') as tar:
            info = tarfile.TarInfo('dump/a.bson')
            info.size = 1000
            tar.addfile(info, io.BytesIO(b'x' * 1000))
    return buf.getvalue()


def main():
    atlas = AtlasModule(argument_spec=dict(dest=dict(type='path', required=True)), add_file_common_args=True)

    def body():
        atlas.client.post(f'/groups/{atlas.group_id}/clusters/Cluster0/backup/restoreJobs', {'deliveryType': 'download'})
        dest = atlas.params['dest']
        saved = Destination(dest, AnsibleFiles(atlas.module)).save(atlas.client, LINK, dest, True, None)
        atlas.exit(changed=True, **saved)

    atlas.run(body)


def serve():
    responses.add(responses.POST, f'{API}/clusters/Cluster0/backup/restoreJobs', json={'id': 'b' * 24}, status=201)
    body = archive()
    responses.add(responses.GET, LINK.split('?', 1)[0], body=body, headers={'Content-Length': str(len(body))})


@responses.activate
def test_a_bad_owner_at_save_time_fails_once_with_changed_and_retries_used(run_module, tmp_path):
    serve()
    (tmp_path / 'a.tgz').write_bytes(PREVIOUS)
    result = run_module(main, connection_args(dest=str(tmp_path / 'a.tgz'), owner='no-such-user-4711'))
    assert result['failed'] is True
    assert result['changed'] is True and result['retries_used'] == 0  # the job was asked for: the task changed something
    assert "Could not apply the task's file attributes" in result['msg'] and 'no-such-user-4711' in result['msg']
    assert (tmp_path / 'a.tgz').read_bytes() == PREVIOUS and sorted(os.listdir(tmp_path)) == ['a.tgz']
    assert 'abc123def' not in str(result)


@responses.activate
def test_a_bad_group_or_mode_fails_the_same_way(run_module, tmp_path):
    serve()
    for option, says in (({'group': 'no-such-group-4711'}, 'no-such-group-4711'), ({'mode': 'rwx-bogus'}, 'mode')):
        result = run_module(main, connection_args(dest=str(tmp_path / 'a.tgz'), **option))
        assert result['failed'] is True and result['changed'] is True and 'retries_used' in result
        assert "Could not apply the task's file attributes" in result['msg'] and says in result['msg']
    assert os.listdir(tmp_path) == []


@responses.activate
def test_a_failed_move_fails_once_with_changed_and_retries_used(run_module, tmp_path):
    serve()
    occupied = tmp_path / 'a.tgz'  # a non-empty directory where the archive should go: the rename is refused
    occupied.mkdir()
    (occupied / 'inside').write_bytes(b'x')
    result = run_module(main, connection_args(dest=str(occupied)))
    assert result['failed'] is True and result['changed'] is True and result['retries_used'] == 0
    assert result['msg'].startswith(f'Could not move the verified download into place as {occupied} (it was left as it was): ')
    assert 'Is a directory' in result['msg']  # the OS's reason (ansible-core 2.17 and 2.18 word the rest of it differently)
    assert sorted(os.listdir(tmp_path)) == ['a.tgz'] and os.listdir(occupied) == ['inside']  # the temp file was cleaned up


@responses.activate
def test_file_helpers_end_the_task_normally_when_nothing_fails(run_module, tmp_path):
    serve()
    result = run_module(main, connection_args(dest=str(tmp_path / 'a.tgz'), mode='0640'))
    assert result.get('failed') is not True and result['changed'] is True and result['size'] == len(archive())
    assert oct(os.stat(tmp_path / 'a.tgz').st_mode & 0o777) == '0o640'


def test_fail_json_is_the_modules_own_again_after_a_file_operation(tmp_path):
    class Module:
        params = {}

        def fail_json(self, **_kwargs):
            raise AssertionError('the real fail_json must not be reached')

        def atomic_move(self, _src, _dest):
            self.fail_json(msg='Could not replace file')

    module = Module()
    files = AnsibleFiles(module)
    with pytest.raises(TaskError, match='Could not replace file'):
        files.move('a', 'b')
    assert 'fail_json' not in vars(module) and module.fail_json.__func__ is Module.fail_json

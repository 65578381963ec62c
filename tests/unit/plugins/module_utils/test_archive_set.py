# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The archive set of a dedicated cluster's download: names that stay inside dest, a manifest that is the only proof of
a whole set, and a partial set fetched to completion by the re-run (real AtlasClient against `responses`)."""
from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tarfile

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive_set import (
    ArchiveSet, LinkRefused, check_dest_directory, safe_name,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError

from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.module_utils.atlas_http import client

SNAP = '65a000000000000000000201'
HOST = 'https://restore.storage.test/backup-downloads/6a01'


class Files:
    """FileOps without Ansible: plain chmod and rename, remembering temp files."""

    def __init__(self):
        self.temps = []

    def apply_attributes(self, path, default_mode):
        if default_mode is not None and (os.stat(path).st_mode & 0o777) != default_mode:
            os.chmod(path, default_mode)
            return True
        return False

    def register_temp(self, path):
        self.temps.append(path)

    def move(self, src, dest):
        os.replace(src, dest)


def tgz(seed):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode='wb', mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode='w|') as tar:
            data = bytes([seed]) * 3000
            info = tarfile.TarInfo(f'dump/{seed}.bson')
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sharded_job(links=True):
    names = ['Sharded0-shard-0', 'Sharded0-shard-1', 'Sharded0-config-0']
    components = [dict({'replicaSetName': name}, **({'downloadUrl': f'{HOST}/{index}.tar.gz?X-Amz-Signature=s{index}'} if links else {}))
                  for index, name in enumerate(names)]
    return {'id': '6a0000000000000000000001', 'deliveryType': 'download', 'snapshotId': SNAP, 'components': components,
            'deliveryUrl': [part['downloadUrl'] for part in components if 'downloadUrl' in part], 'expiresAt': '2099-01-01T00:00:00Z'}


def serve(index, status=200):
    responses.add(responses.GET, f'{HOST}/{index}.tar.gz', body=tgz(index) if status == 200 else b'<Error/>', status=status,
                  headers={'Content-Type': 'application/gzip'})


@pytest.mark.parametrize('name, safe', [
    ('Sharded0-shard-0', 'Sharded0-shard-0'),
    ('../../etc/cron.d/x', 'part-3'),  # reduced to '....etccron.dx', which starts with a dot
    ('rs/../x', 'rs..x'),
    ('..', 'part-3'),
    ('.hidden', 'part-3'),
    ('', 'part-3'),
    ('a/b\\c d', 'abcd'),
])
def test_replica_set_names_become_safe_file_name_pieces(name, safe):
    assert safe_name(name, 3) == safe


def test_names_per_kind_and_never_outside_dest(tmp_path):
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, Files())
    names = [os.path.basename(part.path) for part in archives.parts(sharded_job())]
    assert names == [f'Sharded0-{SNAP}-Sharded0-shard-0.tar.gz', f'Sharded0-{SNAP}-Sharded0-shard-1.tar.gz',
                     f'Sharded0-{SNAP}-Sharded0-config-0.tar.gz']
    replica_set = ArchiveSet(str(tmp_path), 'Cluster0', SNAP, Files())
    assert [os.path.basename(p.path) for p in replica_set.parts({'deliveryUrl': ['u']})] == [f'Cluster0-{SNAP}.tar.gz']  # 0.3.0: -restore
    hostile = dict(sharded_job(), components=[{'replicaSetName': 'a/../x', 'downloadUrl': 'a'}, {'replicaSetName': 'a/../x', 'downloadUrl': 'b'},
                                              {'replicaSetName': '../../etc', 'downloadUrl': 'c'}])
    paths = [part.path for part in archives.parts(hostile)]
    assert [os.path.basename(path) for path in paths] == [f'Sharded0-{SNAP}-a..x.tar.gz', f'Sharded0-{SNAP}-part-1.tar.gz',  # unique
                                                          f'Sharded0-{SNAP}-part-2.tar.gz']
    assert all(os.path.dirname(path) == str(tmp_path) for path in paths)


def test_a_symlink_at_an_archive_name_cannot_lead_outside_dest(tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    dest = tmp_path / 'dest'
    dest.mkdir()
    os.symlink(outside / 'x.tar.gz', dest / f'Cluster0-{SNAP}.tar.gz')
    with pytest.raises(TaskError, match='would leave dest'):
        ArchiveSet(str(dest), 'Cluster0', SNAP, Files()).parts({'deliveryUrl': ['u']})


@pytest.mark.parametrize('snapshot_id', ['../../etc', '65A000000000000000000201', '', None, '65a00000000000000000020'])
def test_ids_from_atlas_must_be_ids_before_they_become_names(tmp_path, snapshot_id):
    with pytest.raises(TaskError, match='not an Atlas id'):
        ArchiveSet(str(tmp_path), 'Cluster0', snapshot_id, Files())


def test_dest_must_be_an_existing_writable_directory(tmp_path):
    assert check_dest_directory(str(tmp_path), False) is None
    with pytest.raises(TaskError, match='does not exist'):
        check_dest_directory(str(tmp_path / 'missing'), False)  # 0.3.0: a wait of an hour, then FileNotFoundError
    (tmp_path / 'file').write_text('x')
    with pytest.raises(TaskError, match='does not exist'):
        check_dest_directory(str(tmp_path / 'file'), True)
    assert 'does not exist yet' in check_dest_directory(str(tmp_path / 'later'), True)


@responses.activate
def test_a_partial_set_is_never_whole_and_the_rerun_fetches_only_the_missing_parts(tmp_path):
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, Files())
    serve(0)
    serve(1, status=500)
    with pytest.raises(TaskError) as failure:
        archives.fetch(client(retries=0), sharded_job(), validate=True, force=False)
    assert '1 of 3 archives are in dest' in failure.value.msg and 'X-Amz' not in failure.value.msg
    assert archives.whole() is None  # 0.3.0 answered "the archives are in dest" with one file of three
    manifest = json.loads((tmp_path / f'Sharded0-{SNAP}.manifest.json').read_text())
    assert manifest['complete'] is False and len(manifest['parts']) == 1
    responses.reset()
    serve(1)
    serve(2)
    files = archives.fetch(client(), sharded_job(), validate=True, force=False)
    assert [item['changed'] for item in files] == [False, True, True]
    assert [call.request.url.split('?')[0].rsplit('/', 1)[1] for call in responses.calls] == ['1.tar.gz', '2.tar.gz']
    whole = archives.whole()
    assert whole is not None and len(whole) == 3
    assert oct(os.stat(archives.manifest_path).st_mode & 0o777) == '0o600'


@responses.activate
def test_a_changed_or_missing_file_breaks_the_trust(tmp_path):
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, Files())
    for index in range(3):
        serve(index)
    archives.fetch(client(), sharded_job(), validate=True, force=False)
    assert archives.whole() is not None
    first = archives.parts(sharded_job())[0].path
    with open(first, 'ab') as handle:
        handle.write(b'x')  # size differs
    assert archives.whole() is None
    shutil.copy(archives.parts(sharded_job())[1].path, first)
    os.unlink(archives.parts(sharded_job())[2].path)
    assert archives.whole() is None


@responses.activate
def test_a_refused_link_is_reported_as_such_and_a_missing_link_too(tmp_path):
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, Files())
    serve(0, status=403)
    with pytest.raises(LinkRefused) as refused:
        archives.fetch(client(), sharded_job(), validate=True, force=False)
    assert refused.value.part.replica_set == 'Sharded0-shard-0' and '403' in refused.value.reason
    spent = sharded_job()
    spent['components'][1].pop('downloadUrl')
    responses.reset()
    serve(0)
    with pytest.raises(LinkRefused, match='no longer lists a link'):
        archives.fetch(client(), spent, validate=True, force=False)


def test_check_mode_predicts_names_from_the_job_or_the_snapshot(tmp_path):
    archives = ArchiveSet(str(tmp_path), 'Sharded0', SNAP, Files())
    from_job = archives.predicted(sharded_job(), [])
    from_snapshot = archives.predicted(None, ['Sharded0-shard-0', 'Sharded0-shard-1', 'Sharded0-config-0'])
    assert [item['path'] for item in from_job] == [item['path'] for item in from_snapshot]
    assert {item['downloaded'] for item in from_job} == {False}
    assert [os.path.basename(item['path']) for item in ArchiveSet(str(tmp_path), 'Cluster0', SNAP, Files()).predicted(None, [])] == [
        f'Cluster0-{SNAP}.tar.gz']
    assert os.listdir(tmp_path) == []

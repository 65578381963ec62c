# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Download decisions: which job is reusable, which snapshot is newest, sunset detection, archive checks and cleanup."""
from __future__ import annotations

import datetime
import errno
import gzip
import io
import os
import tarfile
import threading

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasApiError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._download import (
    ArchiveCheck, DownloadFailed, fetch_archive, is_sunset, newest_completed, reusable_job,
)

NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone.utc)
SID = 'a' * 24


def job(id_, status='COMPLETED', expires='2026-11-22T15:00:00Z', snapshot=SID, url='https://s/x.tgz?sig=1'):
    doc = {'id': id_, 'status': status, 'snapshotId': snapshot, 'deliveryType': 'DOWNLOAD', 'expirationDate': expires}
    if url and status == 'COMPLETED':
        doc['snapshotUrl'] = url
    return doc


@pytest.mark.parametrize('jobs, expected', [
    ([job('1')], '1'),
    ([job('1', status='RUNNING')], '1'),                              # in flight: asking again would be refused anyway
    ([job('1', status='FAILED')], None),
    ([job('1', expires='2026-11-22T12:05:00Z')], None),               # 5 minutes left: too close to expiry
    ([job('1', expires='2026-11-22T11:00:00Z')], None),               # expired
    ([job('1', snapshot='b' * 24)], None),
    ([job('1', url=None)], None),                                     # completed but no link
    ([job('1', status='FAILED'), job('2')], '2'),
])
def test_reusable_job(jobs, expected):
    assert (reusable_job(jobs, SID, NOW) or {}).get('id') == expected


def test_newest_completed_by_time_not_list_position():
    snaps = [{'id': '1', 'status': 'COMPLETED', 'startTime': '2026-11-20T03:00:00Z', 'finishTime': '2026-11-20T03:04:00Z'},
             {'id': '2', 'status': 'RUNNING', 'startTime': '2026-11-22T03:00:00Z'},
             {'id': '3', 'status': 'COMPLETED', 'startTime': '2026-11-21T03:00:00Z', 'finishTime': '2026-11-21T03:04:00Z'}]
    assert newest_completed(snaps)['id'] == '3'
    assert newest_completed(list(reversed(snaps)))['id'] == '3'
    assert newest_completed([]) is None


@pytest.mark.parametrize('order', [1, -1])
def test_reusable_job_is_the_newest_whatever_the_order(order):
    older = dict(job('1'), restoreScheduledDate='2026-11-22T10:00:00Z')
    newer = dict(job('2'), restoreScheduledDate='2026-11-22T11:00:00Z')
    assert reusable_job([older, newer][::order], SID, NOW)['id'] == '2'


@pytest.mark.parametrize('expires', [None, 'soon', '2026-11-22T15:00:00'])  # missing, garbled, naive (no zone)
def test_a_link_with_an_unreadable_expiry_never_counts_as_valid(expires):
    assert reusable_job([job('1', expires=expires)], SID, NOW) is None


@pytest.mark.parametrize('expires, reusable', [(None, True), ('soon', False), ('2026-11-22T15:00:00', False)])
def test_an_in_flight_job_is_reused_unless_its_expiry_is_unreadable(expires, reusable):
    assert (reusable_job([job('1', status='RUNNING', expires=expires)], SID, NOW) is not None) is reusable


def test_jobs_without_an_id_are_ignored():
    assert reusable_job([{k: v for k, v in job('1').items() if k != 'id'}], SID, NOW) is None


@pytest.mark.parametrize('status, code, sunset', [(410, 'VERSION_GONE', True), (404, 'NOT_FOUND', True), (404, None, True),
                                                  (404, 'RESOURCE_NOT_FOUND', True),  # the route is gone, not a resource
                                                  (404, 'TENANT_SNAPSHOT_NOT_FOUND', False), (404, 'CLUSTER_NOT_FOUND', False),
                                                  (404, 'TENANT_RESTORE_NOT_FOUND', False), (404, 'GROUP_NOT_FOUND', False),
                                                  (400, 'INVALID_ATTRIBUTE', False)])
def test_is_sunset(status, code, sunset):
    assert is_sunset(AtlasApiError(status, code, 'x', 'GET', '/p')) is sunset


def tgz_bytes(level=6, size=5000):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode='wb', compresslevel=level, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode='w|') as tar:
            data = bytes(range(256)) * (size // 256)
            info = tarfile.TarInfo('dump/a.bson')
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def run_check(payload, piece=7):
    check = ArchiveCheck()
    for start in range(0, len(payload), piece):
        check(payload[start:start + piece])
    check(None)
    return check


@pytest.mark.parametrize('level, piece', [(0, 7), (6, 1000), (9, 1 << 20)])
def test_archive_check_accepts_a_tgz_in_any_chunking(level, piece):
    check = run_check(tgz_bytes(level), piece)
    assert check.error is None and check.members == 1


def run_bounded(payload, piece):
    """run_check in a thread: a check that spins forever fails the test instead of hanging it."""
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(run_check(payload, piece)), daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), 'ArchiveCheck did not terminate'
    return outcome[0]


def compressible_tgz(size):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode='wb', compresslevel=6, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode='w|') as tar:
            info = tarfile.TarInfo('dump/shop/orders.bson')
            info.size = size
            tar.addfile(info, io.BytesIO(b'A' * size))
    return buf.getvalue()


@pytest.mark.parametrize('trailer', [bytes(512), b'x' * 100, b'\x1f\x8b' + b'junk' * 10])
@pytest.mark.parametrize('piece', [1 << 20, 65536, 4096])
def test_archive_check_ends_at_the_end_of_the_gzip_stream_despite_trailing_bytes(trailer, piece):
    payload = compressible_tgz(5 * 1024 * 1024) + trailer  # 5 MiB of 'A' inflates past the 4 MiB piece in one go
    check = run_bounded(payload, piece)
    assert check.error is None and check.members == 1
    assert check.trailing == len(trailer)  # accepted, as gzip -t and tar tzf do, and counted for a warning


def test_archive_check_catches_a_flipped_byte_through_the_gzip_crc():
    payload = bytearray(tgz_bytes(level=0, size=20000))
    payload[len(payload) // 2] ^= 0xFF  # stored data: only the CRC can notice
    assert 'damaged' in run_check(bytes(payload)).error


def test_archive_check_catches_truncation_and_non_tar():
    assert 'ends before' in run_check(tgz_bytes()[:-20]).error
    assert run_check(gzip.compress(b'just text, not a tar' * 100)).error


def test_archive_check_bounds_memory_on_a_zip_bomb():
    bomb = gzip.compress(bytes(200 * 1024 * 1024))  # 200 MiB of zeros, ~200 KiB compressed
    check = ArchiveCheck()
    check(bomb)
    assert check.error is None or 'tar' in check.error  # decompressed piece by piece, never all at once


class FakeAtlas:
    """Just enough of AtlasModule for fetch_archive; the fake download feeds the observers like the client does."""

    def __init__(self, download):
        def run(url, sink, observers=(), link_expires=None):
            result = download(url, sink)
            for observer in observers:
                observer(result.pop('payload', None))
                observer(None)
            return result

        self.client = type('Client', (), {'download': staticmethod(run)})()


def test_fetch_archive_full_disk_leaves_nothing(tmp_path):
    def download(url, sink):
        raise OSError(errno.ENOSPC, 'No space left on device')

    with pytest.raises(DownloadFailed) as caught:
        fetch_archive(FakeAtlas(download), 'https://s/x.tgz?X-Amz-Signature=abc', str(tmp_path / 'out.tgz'), True)
    assert 'disk is full' in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_fetch_archive_rejects_non_gzip_and_expired_links(tmp_path):
    def not_gzip(url, sink):
        sink.write(b'<html>')
        return {'first_bytes': b'<html>', 'size': 6, 'sha256': 'x', 'content_length': 6, 'status': 200}

    with pytest.raises(DownloadFailed) as caught:
        fetch_archive(FakeAtlas(not_gzip), 'https://s/x.tgz', str(tmp_path / 'out.tgz'), True)
    assert 'not gzip' in str(caught.value)

    def expired(url, sink):
        raise AtlasApiError(403, 'DOWNLOAD_HTTP_403', 'Request has expired', 'GET', '/x.tgz')

    with pytest.raises(DownloadFailed) as caught:
        fetch_archive(FakeAtlas(expired), 'https://s/x.tgz?X-Amz-Signature=abc', str(tmp_path / 'out.tgz'), True)
    assert 'expired' in str(caught.value) and 'Signature=abc' not in str(caught.value)
    assert os.listdir(tmp_path) == []


def test_fetch_archive_keeps_a_verified_temp_beside_dest(tmp_path):
    payload = tgz_bytes()

    def download(url, sink):
        sink.write(payload)
        return {'first_bytes': payload[:512], 'size': len(payload), 'sha256': 'x', 'content_length': len(payload), 'status': 200,
                'payload': payload}

    result = fetch_archive(FakeAtlas(download), 'https://s/x.tgz', str(tmp_path / 'out.tgz'), True)
    assert os.path.dirname(result['temp']) == str(tmp_path)
    with open(result['temp'], 'rb') as handle:
        assert handle.read() == payload


def test_fetch_archive_rejects_a_damaged_archive_and_cleans_up(tmp_path):
    payload = bytearray(tgz_bytes(level=0, size=20000))
    payload[len(payload) // 2] ^= 0xFF

    def download(url, sink):
        sink.write(bytes(payload))
        return {'first_bytes': bytes(payload[:512]), 'size': len(payload), 'sha256': 'x', 'content_length': len(payload), 'status': 200,
                'payload': bytes(payload)}

    with pytest.raises(DownloadFailed) as caught:
        fetch_archive(FakeAtlas(download), 'https://s/x.tgz', str(tmp_path / 'out.tgz'), True)
    assert 'damaged' in str(caught.value)
    assert os.listdir(tmp_path) == []

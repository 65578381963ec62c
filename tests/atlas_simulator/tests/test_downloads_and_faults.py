# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Points 7 and 9: the storage-service-like download host, and fault injection."""
from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import socket
import tarfile
import threading
import time
import urllib.parse
import zlib

import pytest
import requests

from atlas_simulator.downloads import PERIOD, Archive
from conftest import BACKUP, FLEX, GROUP_ID, challenge_params, digest_header

FLEX_FIRST = '65a000000000000000000501'


def ready_link(sim, owner, snapshot_id=FLEX_FIRST):
    job = owner.post(sim.v2('/flexClusters/Flex0/backup/download'), json={'snapshotId': snapshot_id}, headers={'Accept': FLEX}, timeout=10).json()
    sim.control('POST', 'clock', {'advance': 2})
    return owner.get(sim.v2(f'/flexClusters/Flex0/backup/restoreJobs/{job["id"]}'), headers={'Accept': FLEX}, timeout=10).json()['snapshotUrl']


def test_link_serves_a_real_deterministic_tgz(sim, owner):
    url = ready_link(sim, owner)
    parsed = urllib.parse.urlsplit(url)
    assert parsed.hostname == sim.download.server_address[0]
    assert 'X-Amz-Signature=' in parsed.query
    first = requests.get(url, timeout=10)
    assert first.status_code == 200
    assert int(first.headers['Content-Length']) == len(first.content)
    assert first.content[:2] == b'\x1f\x8b'
    with tarfile.open(fileobj=io.BytesIO(first.content), mode='r:gz') as tar:
        names = tar.getnames()
    assert 'dump/shop/orders.bson' in names and 'dump/prelude.json' in names
    assert abs(len(first.content) - 1048576) < 64 * 1024
    second = requests.get(url, timeout=10)
    assert hashlib.sha256(second.content).digest() == hashlib.sha256(first.content).digest()
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and head.headers['Content-Length'] == first.headers['Content-Length'] and head.content == b''
    downloads = [entry for entry in sim.log() if entry['server'] == 'download']
    assert [entry['method'] for entry in downloads] == ['GET', 'GET', 'HEAD'] and {entry['auth'] for entry in downloads} == {None}


def test_archive_size_is_configurable(sim, owner):
    sim.control('PATCH', 'config', {'archive_size': 300000})
    body = requests.get(ready_link(sim, owner), timeout=10).content
    assert abs(len(body) - 300000) < 20000
    assert gzip.decompress(body)


def test_download_host_refuses_authorization(sim, owner):
    response = requests.get(ready_link(sim, owner), auth=('owner-public', 'owner-private'), timeout=10)
    assert response.status_code == 400
    assert b'InvalidArgument' in response.content
    assert sim.log()[-1]['auth'] == 'Basic'


def test_link_expires_after_four_hours_and_signature_is_checked(sim, owner):
    url = ready_link(sim, owner)
    tampered = url.replace('X-Amz-Signature=', 'X-Amz-Signature=0')
    assert requests.get(tampered, timeout=10).status_code == 403
    sim.control('POST', 'clock', {'advance': 4 * 3600})
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403 and b'Request has expired' in expired.content


def test_status_fault_with_retry_after(sim, owner):
    assert sim.control('POST', 'faults', {'method': 'GET', 'path': '/backup/snapshots$', 'count': 2, 'action': 'status',
                                          'status': 503, 'retry_after': 3}).status_code == 200
    url = sim.v2('/clusters/Cluster0/backup/snapshots')
    first = owner.get(url, headers={'Accept': BACKUP}, timeout=10)
    assert first.status_code == 503 and first.headers['Retry-After'] == '3' and first.json()['errorCode'] == 'UNEXPECTED_ERROR'
    assert owner.get(url, headers={'Accept': BACKUP}, timeout=10).status_code == 503
    assert owner.get(url, headers={'Accept': BACKUP}, timeout=10).status_code == 200
    assert sim.control('GET', 'faults').json()['faults'] == []


def test_latency_fault(sim, owner):
    sim.control('POST', 'faults', {'method': '*', 'path': 'Cluster0', 'action': 'latency', 'delay': 0.3})
    start = time.monotonic()
    assert owner.get(sim.v2('/clusters/Cluster0/backup/snapshots'), headers={'Accept': BACKUP}, timeout=10).status_code == 200
    assert time.monotonic() - start >= 0.3


def test_reset_fault_does_not_perform(sim, owner):
    sim.control('POST', 'faults', {'method': 'POST', 'path': '/backup/snapshots$', 'action': 'reset'})
    with pytest.raises(requests.exceptions.ConnectionError):
        owner.post(sim.v2('/clusters/Cluster0/backup/snapshots'), json={'retentionInDays': 1}, headers={'Accept': BACKUP}, timeout=10)
    assert len(sim.control('GET', 'state').json()['clusters']['Cluster0']['snapshots']) == 3
    assert sim.log()[-1]['status'] is None


def test_drop_after_write_performs_then_hangs_up(sim, owner):
    sim.control('POST', 'faults', {'method': 'POST', 'path': '/backup/snapshots$', 'action': 'drop_after_write'})
    with pytest.raises(requests.exceptions.ConnectionError):
        owner.post(sim.v2('/clusters/Cluster0/backup/snapshots'), json={'description': 'x', 'retentionInDays': 1}, headers={'Accept': BACKUP}, timeout=10)
    snaps = sim.control('GET', 'state').json()['clusters']['Cluster0']['snapshots']
    assert len(snaps) == 4 and snaps[0]['description'] == 'x'


def test_truncate_fault_on_the_download_host(sim, owner):
    url = ready_link(sim, owner)
    sim.control('POST', 'faults', {'method': 'GET', 'path': '^/backup-downloads/', 'action': 'truncate'})
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(url, timeout=10).raise_for_status()


@pytest.mark.parametrize('body', [{'action': 'explode'}, {'action': 'status'}, {'action': 'status', 'status': 503, 'path': '('},
                                  {'action': 'reset', 'count': 0}, {'action': 'reset', 'colour': 1}, []])
def test_bad_fault_is_a_clear_400(sim, body):
    response = sim.control('POST', 'faults', body)
    assert response.status_code == 400
    assert response.json()['error']


# ------------------------------------------------------------------ more of point 7
def test_link_points_at_the_second_loopback_address(sim, owner):
    url = ready_link(sim, owner)
    parsed = urllib.parse.urlsplit(url)
    assert parsed.hostname in ('127.0.0.2', '127.0.0.1') and parsed.port == sim.download.server_address[1]
    if sim.download.server_address[0] == '127.0.0.2':
        assert parsed.hostname == '127.0.0.2'
    assert parsed.path == f'/backup-downloads/{url.split("/")[-2]}/{FLEX_FIRST}.tgz'
    query = urllib.parse.parse_qs(parsed.query)
    assert query['X-Amz-Expires'] == ['14400'] and len(query['X-Amz-Signature'][0]) == 64
    assert len(query['X-Amz-Date'][0]) == 16 and query['X-Amz-Date'][0].endswith('Z')
    assert requests.get(url.replace(FLEX_FIRST, '65a000000000000000000502'), timeout=10).status_code == 403
    entry = [e for e in sim.log() if e['server'] == 'download'][-1]
    assert entry['status'] == 403 and entry['host'] == parsed.netloc


def test_head_and_other_methods_on_the_download_host(sim, owner):
    url = ready_link(sim, owner)
    assert requests.post(url, data=b'x', timeout=10).status_code == 405
    sim.control('POST', 'clock', {'advance': 4 * 3600 + 1})
    head = requests.head(url, timeout=10)
    assert head.status_code == 403 and head.content == b'' and head.headers['Content-Type'] == 'application/xml'
    assert 'X-Error-Code' not in head.headers


def test_archive_layout_is_arithmetic_and_streams_in_small_pieces():
    archive = Archive('65a000000000000000000501', 1 << 30)  # 1 GiB: only the layout is built, never the bytes
    assert abs(archive.length - (1 << 30)) < 64 * 1024
    assert len(archive.period) < PERIOD + 100 and len(archive.head) < 8192
    first = next(archive.chunks())
    assert first[:2] == b'\x1f\x8b' and max(len(piece) for piece in itertools.islice(archive.chunks(), 50)) <= len(archive.period)


def test_streamed_archive_is_a_valid_gzip_with_the_right_crc():
    archive = Archive('65a000000000000000000401', 5 * 1024 * 1024 + 123)
    data = b''.join(archive.chunks())
    assert len(data) == archive.length
    raw = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert raw.decompress(data) and raw.eof and raw.unused_data == b''  # eof only after the CRC and size check
    with tarfile.open(fileobj=io.BytesIO(data), mode='r:gz') as tar:
        assert [m.name for m in tar.getmembers()] == ['dump/prelude.json', 'dump/admin/system.version.bson', 'dump/shop/orders.metadata.json',
                                                      'dump/shop/orders.bson']
    again = Archive('65a000000000000000000401', 5 * 1024 * 1024 + 123)
    assert hashlib.sha256(b''.join(again.chunks())).hexdigest() == hashlib.sha256(data).hexdigest()
    other = Archive('65a000000000000000000402', 5 * 1024 * 1024 + 123)
    assert b''.join(other.chunks()) != data


# ------------------------------------------------------------------ more of point 9
def test_reset_fault_sends_a_tcp_reset(sim):
    sim.control('POST', 'faults', {'method': 'GET', 'path': '/clusters/Cluster0$', 'action': 'reset'})
    path = f'/api/atlas/v2/groups/{GROUP_ID}/clusters/Cluster0'
    with socket.create_connection(('127.0.0.1', sim.api.server_address[1]), timeout=10) as conn:
        conn.sendall(f'GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {BACKUP}\r\n\r\n'.encode())
        challenge = conn.recv(65536).decode()
        nonce = challenge_params(challenge.split('WWW-Authenticate: ', 1)[1].split('\r\n', 1)[0])
        conn.sendall(f'GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {BACKUP}\r\nAuthorization: {digest_header(nonce, path, 1)}\r\n\r\n'.encode())
        with pytest.raises(ConnectionResetError):
            while conn.recv(65536):
                pass
    assert [e['status'] for e in sim.log()] == [401, None]


def test_fault_options_and_listing(sim, owner):
    armed = sim.control('POST', 'faults', {'method': '*', 'path': 'Flex0', 'count': 3, 'action': 'status', 'status': 429, 'retry_after': 7}).json()
    assert armed['id'] and armed['count'] == 3
    sim.control('POST', 'faults', {'path': 'Cluster0', 'action': 'status', 'status': 502, 'error_code': 'BAD_GATEWAY'})
    limited = owner.get(sim.v2('/flexClusters/Flex0/backup/snapshots'), headers={'Accept': FLEX}, timeout=10)
    assert limited.status_code == 429 and limited.headers['Retry-After'] == '7' and limited.headers['X-Error-Code'] == 'RATE_LIMITED_TOKEN_BUCKET'
    assert limited.headers['Content-Type'] == 'application/json'
    custom = owner.get(sim.v2('/clusters/Cluster0'), headers={'Accept': BACKUP}, timeout=10)
    assert custom.status_code == 502 and custom.json()['errorCode'] == 'BAD_GATEWAY' and 'Retry-After' not in custom.headers
    remaining = sim.control('GET', 'faults').json()['faults']
    assert [(f['path'], f['count']) for f in remaining] == [('Flex0', 2)]
    assert sim.control('DELETE', 'faults').json() == {'ok': True}
    assert sim.control('GET', 'faults').json() == {'faults': []}
    assert owner.get(sim.v2('/flexClusters/Flex0/backup/snapshots'), headers={'Accept': FLEX}, timeout=10).status_code == 200


def test_drop_after_write_of_a_download_request_creates_the_job(sim, owner):
    sim.control('POST', 'faults', {'method': 'POST', 'path': '/backup/download$', 'action': 'drop_after_write'})
    with pytest.raises(requests.exceptions.ConnectionError):
        owner.post(sim.v2('/flexClusters/Flex0/backup/download'), json={'snapshotId': FLEX_FIRST}, headers={'Accept': FLEX}, timeout=10)
    assert len(sim.control('GET', 'state').json()['download_jobs']) == 1
    assert sim.log()[-1]['status'] is None and sim.log()[-1]['method'] == 'POST'


def test_drop_after_write_loses_an_error_answer_too_and_other_paths_still_answer(sim, owner):
    sim.control('POST', 'faults', {'method': 'POST', 'path': '/backup/snapshots$', 'action': 'drop_after_write'})
    with pytest.raises(requests.exceptions.ConnectionError):
        owner.post(sim.v2('/clusters/Cluster0/backup/snapshots'), json={'colour': 1}, headers={'Accept': BACKUP}, timeout=10)
    assert sim.log()[-1]['status'] is None
    outside = requests.get(sim.url + '/not-atlas', timeout=10)
    assert outside.status_code == 404 and outside.headers['X-Error-Code'] == 'RESOURCE_NOT_FOUND'


class PacingRecorder:
    """The simulator's throttle sleep and clock, per connection thread: a sleep is recorded and moves that thread's own
    fake clock on, so nothing waits and every pause asked for is seen."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.sleeps: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def clock(self) -> float:
        return getattr(self.local, 'now', 0.0)

    def sleep(self, seconds: float) -> None:
        self.local.now = self.clock() + seconds
        with self.lock:
            self.sleeps.setdefault(threading.current_thread().name, []).append(seconds)


def test_download_bandwidth_per_connection_paces_each_connection_on_its_own(sim, owner, monkeypatch):
    url = ready_link(sim, owner)
    uncapped = requests.get(url, timeout=10).content
    pacing = PacingRecorder()
    monkeypatch.setattr(sim.sim, 'throttle_sleep', pacing.sleep)
    monkeypatch.setattr(sim.sim, 'throttle_clock', pacing.clock)
    assert requests.get(url, timeout=10).content == uncapped and pacing.sleeps == {}  # the default: no cap, no pause
    rate = 256 * 1024
    assert sim.control('PATCH', 'config', {'download_bandwidth_per_connection': rate}).status_code == 200
    bodies = []
    threads = [threading.Thread(target=lambda: bodies.append(requests.get(url, timeout=10).content)) for _index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert bodies == [uncapped, uncapped]  # the same bytes, paced
    assert len(pacing.sleeps) == 2  # one timeline per connection: two at once each get the whole rate, not half of it
    for pauses in pacing.sleeps.values():
        assert sum(pauses) == pytest.approx(len(uncapped) / rate)  # 1 MiB at 256 KiB/s: 4 s on that connection's clock
        assert len(pauses) >= len(uncapped) // (64 * 1024)  # in slices of at most 64 KiB, not one burst
    pacing.sleeps.clear()
    resumed = requests.get(url, headers={'Range': 'bytes=524288-'}, timeout=10)
    assert resumed.status_code == 206 and resumed.content == uncapped[524288:]
    assert sum(next(iter(pacing.sleeps.values()))) == pytest.approx((len(uncapped) - 524288) / rate)  # a resume is paced too
    assert sim.control('PATCH', 'config', {'download_bandwidth_per_connection': -1}).status_code == 400
    assert sim.control('GET', 'config').json()['download_bandwidth_per_connection'] == rate


def test_mongodump_content_is_a_compressible_valid_tgz_of_about_the_size_asked(sim, owner):
    archive = Archive('65a000000000000000000501', 3 * 1024 * 1024, 'mongodump')
    data = b''.join(archive.chunks())
    assert len(data) == archive.length and abs(archive.length - 3 * 1024 * 1024) < 300 * 1024
    raw = zlib.decompressobj(16 + zlib.MAX_WBITS)
    inflated = raw.decompress(data)
    assert raw.eof and raw.unused_data == b''  # the CRC and length check out
    assert 4.3 < len(inflated) / len(data) < 5.0  # like a real mongodump archive, not stored blocks
    with tarfile.open(fileobj=io.BytesIO(data), mode='r:gz') as tar:
        orders = tar.getmember('dump/shop/orders.bson')
        assert orders.size > 10 * 1024 * 1024 and tar.extractfile(orders).read(5)[:1] == b'\x8a'
    big = Archive('65a000000000000000000501', 1 << 30, 'mongodump')  # only the layout is built
    assert abs(big.length - (1 << 30)) < 2 * 1024 * 1024 and len(big.period) < PERIOD // 4
    assert sim.control('PATCH', 'config', {'archive_content': 'mongodump', 'archive_size': 400000}).status_code == 200
    body = requests.get(ready_link(sim, owner), timeout=10).content
    assert len(gzip.decompress(body)) > 4 * len(body)
    refused = sim.control('PATCH', 'config', {'archive_content': 'zstd'})
    assert refused.status_code == 400 and 'archive_content' in refused.json()['error']

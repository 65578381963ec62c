# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Points 7 and 9: the storage-service-like download host, and fault injection."""
from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import time
import urllib.parse

import pytest
import requests

from conftest import BACKUP, FLEX

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

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""0.2.0 simulator fidelity: Range on the download host, faults in the middle of a body, a list order clients must not
rely on, and the download job fields the spec marks required."""
from __future__ import annotations

import socket
import time

import pytest
import requests

from conftest import FLEX, GROUP_ID
from test_downloads_and_faults import FLEX_FIRST, ready_link

DOWNLOADS = '^/backup-downloads/'


def test_range_requests_continue_from_a_byte(sim, owner):
    url = ready_link(sim, owner)
    whole = requests.get(url, timeout=10)
    assert whole.headers['Accept-Ranges'] == 'bytes'
    rest = requests.get(url, headers={'Range': 'bytes=1000-'}, timeout=10)
    assert rest.status_code == 206 and rest.content == whole.content[1000:]
    assert rest.headers['Content-Range'] == f'bytes 1000-{len(whole.content) - 1}/{len(whole.content)}'
    assert int(rest.headers['Content-Length']) == len(whole.content) - 1000
    assert requests.get(url, headers={'Range': f'bytes={len(whole.content)}-'}, timeout=10).status_code == 416
    ranges = [entry['range'] for entry in sim.control('GET', 'requests').json()['requests'] if entry['server'] == 'download']
    assert ranges == [None, 'bytes=1000-', f'bytes={len(whole.content)}-']


def test_truncate_closes_cleanly_after_half_the_body(sim, owner):
    url = ready_link(sim, owner)
    length = int(requests.head(url, timeout=10).headers['Content-Length'])
    sim.control('POST', 'faults', {'method': 'GET', 'path': DOWNLOADS, 'action': 'truncate'})
    response = requests.get(url, stream=True, timeout=10)
    received = b''
    with pytest.raises(Exception) as caught:  # urllib3's IncompleteRead: the body ended early with a FIN, not a RST
        while True:
            chunk = response.raw.read(65536, decode_content=False)
            if not chunk:
                break
            received += chunk
    assert 'IncompleteRead' in repr(caught.value) and 'reset' not in repr(caught.value).lower()
    assert len(received) == length // 2


def test_reset_after_bytes_sends_part_of_the_body_then_a_reset(sim, owner):
    url = ready_link(sim, owner)
    sim.control('POST', 'faults', {'method': 'GET', 'path': DOWNLOADS, 'action': 'reset', 'after_bytes': 300000})
    response = requests.get(url, stream=True, timeout=10)
    received = b''
    with pytest.raises(requests.exceptions.RequestException) as caught:
        for chunk in response.iter_content(65536):
            received += chunk
    assert 'reset' in str(caught.value).lower()
    assert len(received) <= 300000  # what arrived before the RST (a starved client may have read none of it)
    fetch = [entry for entry in sim.control('GET', 'requests').json()['requests'] if entry['server'] == 'download'][-1]
    assert fetch['status'] == 200


def test_stall_holds_the_body_midway(sim, owner):
    url = ready_link(sim, owner)
    sim.control('POST', 'faults', {'method': 'GET', 'path': DOWNLOADS, 'action': 'stall', 'delay': 30})
    host, port = sim.download.server_address[:2]
    path = url.split(f':{port}', 1)[1]
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(f'GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n'.encode())
        got = b''
        conn.settimeout(2)
        deadline = time.monotonic() + 10
        while b'\r\n\r\n' not in got or len(got.split(b'\r\n\r\n', 1)[1]) < 100000:
            assert time.monotonic() < deadline
            got += conn.recv(65536)
        with pytest.raises(socket.timeout):  # then nothing more, for as long as the stall lasts
            while True:
                if not conn.recv(65536):
                    break


def test_oldest_first_list_order_is_a_setting(sim, owner):
    url = sim.v2('/flexClusters/Flex0/backup/snapshots')
    newest_first = [snap['id'] for snap in owner.get(url, headers={'Accept': FLEX}, timeout=10).json()['results']]
    sim.control('PATCH', 'config', {'list_order': 'oldest_first'})
    oldest_first = [snap['id'] for snap in owner.get(url, headers={'Accept': FLEX}, timeout=10).json()['results']]
    assert oldest_first == list(reversed(newest_first)) and len(oldest_first) == 3
    assert sim.control('PATCH', 'config', {'list_order': 'sideways'}).status_code == 400


def test_download_jobs_carry_the_required_target_fields(sim, owner):
    job = owner.post(sim.v2('/flexClusters/Flex0/backup/download'), json={'snapshotId': FLEX_FIRST}, headers={'Accept': FLEX},
                     timeout=10).json()
    assert job['targetDeploymentItemName'] == 'Flex0' and job['targetProjectId'] == GROUP_ID
    listed = owner.get(sim.v2('/flexClusters/Flex0/backup/restoreJobs'), headers={'Accept': FLEX}, timeout=10).json()['results'][0]
    assert listed['targetDeploymentItemName'] == 'Flex0' and listed['targetProjectId'] == GROUP_ID

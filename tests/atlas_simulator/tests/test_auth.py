# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Point 1: digest auth as Atlas does it, roles and the API access list; point 11: the request log."""
from __future__ import annotations

import hashlib
import re

import requests

from conftest import BACKUP, session_for


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def challenge(sim, path):
    response = requests.get(sim.url + path, headers={'Accept': BACKUP}, timeout=10)
    assert response.status_code == 401
    return response, dict(re.findall(r'(\w+)="?([^",]*)"?', response.headers['WWW-Authenticate']))


def digest_header(params, path, nc, user='owner-public', password='owner-private', method='GET'):
    ha1 = md5(f'{user}:{params["realm"]}:{password}')
    ha2 = md5(f'{method}:{path}')
    response = md5(f'{ha1}:{params["nonce"]}:{nc:08x}:abcdef:auth:{ha2}')
    return (f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", uri="{path}", '
            f'response="{response}", qop=auth, nc={nc:08x}, cnonce="abcdef", algorithm=MD5')


def test_challenge_looks_like_atlas(sim):
    response, params = challenge(sim, f'/api/atlas/v2/groups/{sim.sim.world.group_id}/clusters/Cluster0/backup/snapshots')
    header = response.headers['WWW-Authenticate']
    assert header.startswith('Digest realm="MMS Public API", domain="", nonce="')
    assert header.endswith('algorithm=MD5, qop="auth", stale=false')
    assert params['realm'] == 'MMS Public API'
    assert response.headers['Content-Type'] == 'application/json'
    assert response.json() == {'detail': 'You are not authorized for this resource.', 'error': 401,
                               'errorCode': 'UNEXPECTED_ERROR', 'parameters': [], 'reason': 'Unauthorized'}


def test_session_reuses_the_nonce(sim, owner):
    for _call in range(5):
        assert owner.get(sim.v2('/clusters/Cluster0/backup/snapshots'), headers={'Accept': BACKUP}, timeout=10).status_code == 200
    log = sim.log()
    assert [entry['status'] for entry in log] == [401, 200, 200, 200, 200, 200]
    assert [entry['auth'] for entry in log] == [None] + ['Digest'] * 5


def test_expired_nonce_gets_stale_true_and_replayed_nc_is_refused(sim):
    path = f'/api/atlas/v2/groups/{sim.sim.world.group_id}/clusters/Cluster0/backup/snapshots'
    params = challenge(sim, path)[1]
    ok = requests.get(sim.url + path, headers={'Accept': BACKUP, 'Authorization': digest_header(params, path, 1)}, timeout=10)
    assert ok.status_code == 200
    replay = requests.get(sim.url + path, headers={'Accept': BACKUP, 'Authorization': digest_header(params, path, 1)}, timeout=10)
    assert replay.status_code == 401
    assert 'stale=false' in replay.headers['WWW-Authenticate']
    sim.control('PATCH', 'config', {'nonce_lifetime': 60})
    sim.control('POST', 'clock', {'advance': 61})
    stale = requests.get(sim.url + path, headers={'Accept': BACKUP, 'Authorization': digest_header(params, path, 2)}, timeout=10)
    assert stale.status_code == 401
    assert 'stale=true' in stale.headers['WWW-Authenticate']


def test_requests_library_follows_a_stale_challenge(sim, owner):
    url = sim.v2('/clusters/Cluster0/backup/snapshots')
    assert owner.get(url, headers={'Accept': BACKUP}, timeout=10).status_code == 200
    sim.control('POST', 'clock', {'advance': 301})
    assert owner.get(url, headers={'Accept': BACKUP}, timeout=10).status_code == 200
    assert [entry['status'] for entry in sim.log()] == [401, 200, 401, 200]


def test_wrong_key_is_401_with_atlas_body(sim):
    response = session_for('owner-public', 'not-the-key').get(sim.v2('/clusters/Cluster0'), headers={'Accept': BACKUP}, timeout=10)
    assert response.status_code == 401
    assert response.json()['errorCode'] == 'UNEXPECTED_ERROR'
    assert response.headers['X-Error-Code'] == 'UNEXPECTED_ERROR'
    assert len(sim.log()) == 2


def test_read_only_key_reads_but_cannot_write(sim, reader):
    assert reader.get(sim.v2('/clusters/Cluster0/backup/snapshots'), headers={'Accept': BACKUP}, timeout=10).status_code == 200
    response = reader.post(sim.v2('/clusters/Cluster0/backup/snapshots'), json={'retentionInDays': 1}, headers={'Accept': BACKUP}, timeout=10)
    assert response.status_code == 401
    assert response.json()['errorCode'] == 'USER_UNAUTHORIZED'
    assert sim.control('GET', 'state').json()['clusters']['Cluster0']['snapshots'][0]['snapshotType'] == 'scheduled'


def test_key_off_the_access_list_is_403(sim):
    response = session_for('blocked-public', 'blocked-private').get(sim.v2('/clusters/Cluster0'), headers={'Accept': BACKUP}, timeout=10)
    assert response.status_code == 403
    assert response.json()['errorCode'] == 'IP_ADDRESS_NOT_ON_ACCESS_LIST'
    assert response.json()['parameters'] == ['127.0.0.1']


def test_request_log_fields(sim, owner):
    owner.get(sim.v2('/clusters/Cluster0/backup/snapshots?itemsPerPage=2'), headers={'Accept': BACKUP}, timeout=10)
    requests.get(sim.url + '/__sim__/state', timeout=10)  # control calls are not logged
    entry = sim.log()[-1]
    assert entry['method'] == 'GET'
    assert entry['path'].endswith('/clusters/Cluster0/backup/snapshots')
    assert entry['query'] == 'itemsPerPage=2'
    assert entry['status'] == 200
    assert entry['auth'] == 'Digest'
    assert entry['server'] == 'api'
    assert len(sim.log()) == 2
    filtered = sim.control('GET', 'requests?method=GET&path_contains=nothing').json()['requests']
    assert filtered == []
    assert sim.control('DELETE', 'requests').status_code == 200
    assert sim.log() == []

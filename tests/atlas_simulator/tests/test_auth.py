# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Point 1: digest auth as Atlas does it, roles and the API access list; point 11: the request log."""
from __future__ import annotations

import re

import pytest
import requests

from conftest import BACKUP, FLEX, challenge_params, digest_header, session_for


def challenge(sim, path):
    response = requests.get(sim.url + path, headers={'Accept': BACKUP}, timeout=10)
    assert response.status_code == 401
    return response, challenge_params(response.headers['WWW-Authenticate'])


def test_challenge_looks_like_atlas(sim):
    response, params = challenge(sim, f'/api/atlas/v2/groups/{sim.sim.world.group_id}/clusters/Cluster0/backup/snapshots')
    header = response.headers['WWW-Authenticate']
    assert header.startswith('Digest realm="MMS Public API", domain="", nonce="')
    assert header.endswith('algorithm=MD5, qop="auth", stale=false')
    assert params['realm'] == 'MMS Public API'
    assert response.headers['Content-Type'] == 'application/json'
    assert response.headers['X-Error-Code'] == 'UNEXPECTED_ERROR'
    assert response.json() == {'detail': 'You are not authorized for this resource.', 'error': 401,
                               'errorCode': 'UNEXPECTED_ERROR', 'reason': 'Unauthorized'}


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


def test_no_authorization_header_gets_the_exact_challenge(sim):
    response = requests.get(sim.v2('/clusters/Cluster0/backup/snapshots'), headers={'Accept': BACKUP}, timeout=10)
    assert response.status_code == 401
    assert re.fullmatch(r'Digest realm="MMS Public API", domain="", nonce="[A-Za-z0-9+/=]{32}", algorithm=MD5, qop="auth", stale=false',
                        response.headers['WWW-Authenticate'])
    assert response.headers['X-Error-Code'] == 'UNEXPECTED_ERROR'
    assert sim.log()[-1]['auth'] is None and sim.log()[-1]['status'] == 401


def test_unknown_nonce_with_the_right_key_is_stale(sim):
    path = f'/api/atlas/v2/groups/{sim.sim.world.group_id}/clusters/Cluster0/backup/snapshots'
    params = challenge(sim, path)[1]
    sim.control('POST', 'reset')  # forgets every nonce
    response = requests.get(sim.url + path, headers={'Accept': BACKUP, 'Authorization': digest_header(params, path, 1)}, timeout=10)
    assert response.status_code == 401
    assert response.headers['WWW-Authenticate'].endswith('stale=true')
    wrong = requests.get(sim.url + path, headers={'Accept': BACKUP, 'Authorization': digest_header(params, path, 2, password='bad')}, timeout=10)
    assert wrong.status_code == 401 and wrong.headers['WWW-Authenticate'].endswith('stale=false')


def test_digest_post_with_a_body_works_first_time(sim, owner):
    response = owner.post(sim.v2('/clusters/Cluster0/backup/snapshots'), json={'retentionInDays': 1}, headers={'Accept': BACKUP}, timeout=10)
    assert response.status_code == 200 and response.json()['status'] == 'queued'
    assert [(entry['method'], entry['status'], entry['auth']) for entry in sim.log()] == [('POST', 401, None), ('POST', 200, 'Digest')]


ROLE_KEYS = [{'public': role.split()[-1].lower() + '-public', 'private': 'secret', 'roles': [role]}
             for role in ('Project Backup Creator', 'Project Backup Manager', 'Project Backup Export Operator', 'Project Read Only')]
SNAP_ID = '65a000000000000000000101'


@pytest.mark.parametrize('public, method, suffix, body, accept, allowed', [
    ('creator-public', 'POST', '/clusters/Cluster0/backup/snapshots', {'retentionInDays': 1}, BACKUP, True),
    ('creator-public', 'DELETE', f'/clusters/Cluster0/backup/snapshots/{SNAP_ID}', None, BACKUP, False),
    ('manager-public', 'POST', '/clusters/Cluster0/backup/snapshots', {'retentionInDays': 1}, BACKUP, True),
    ('manager-public', 'PATCH', f'/clusters/Cluster0/backup/snapshots/{SNAP_ID}', {'retentionUnit': 'DAYS', 'retentionValue': 9}, BACKUP, True),
    ('manager-public', 'DELETE', f'/clusters/Cluster0/backup/snapshots/{SNAP_ID}', None, BACKUP, True),
    ('manager-public', 'POST', '/flexClusters/Flex0/backup/download', {'snapshotId': '65a000000000000000000501'}, FLEX, False),
    ('operator-public', 'POST', '/flexClusters/Flex0/backup/download', {'snapshotId': '65a000000000000000000501'}, FLEX, True),
    ('operator-public', 'POST', '/clusters/Tenant0/backup/tenant/download', {'snapshotId': '65a000000000000000000401'}, BACKUP, False),
    ('operator-public', 'POST', '/clusters/Cluster0/backup/snapshots', {'retentionInDays': 1}, BACKUP, False),
    ('only-public', 'GET', '/flexClusters/Flex0/backup/snapshots', None, FLEX, True),
    ('only-public', 'PATCH', f'/clusters/Cluster0/backup/snapshots/{SNAP_ID}', {'retentionUnit': 'DAYS', 'retentionValue': 9}, BACKUP, False),
])
def test_roles(sim, public, method, suffix, body, accept, allowed):
    world = {'world': '2025'} if '/tenant/' in suffix else {}  # the tenant endpoints answer only in the 2025 world
    assert sim.control('POST', 'reset', {'config': dict(api_keys=ROLE_KEYS, **world)}).status_code == 200
    response = session_for(public, 'secret').request(method, sim.v2(suffix), json=body, headers={'Accept': accept}, timeout=10)
    if allowed:
        assert response.status_code in (200, 204), response.text
    else:
        assert response.status_code == 401
        assert response.headers['X-Error-Code'] == 'USER_UNAUTHORIZED'
        assert response.json()['detail'] == 'Current user is not authorized to perform this action.'
        assert 'WWW-Authenticate' not in response.headers  # a role refusal is not a digest challenge
    assert sim.control('POST', 'reset').status_code == 200
    assert session_for(public, 'secret').get(sim.v2('/clusters/Cluster0'), headers={'Accept': BACKUP}, timeout=10).status_code == 401


def test_access_list_refusal_comes_after_a_good_digest(sim):
    response = session_for('blocked-public', 'blocked-private').post(sim.v2('/clusters/Cluster0/backup/snapshots'), json={'retentionInDays': 1},
                                                                     headers={'Accept': BACKUP}, timeout=10)
    assert response.status_code == 403
    assert response.headers['X-Error-Code'] == 'IP_ADDRESS_NOT_ON_ACCESS_LIST'
    assert response.json()['detail'] == 'IP address 127.0.0.1 is not allowed to access this resource.'
    assert [entry['status'] for entry in sim.log()] == [401, 403]
    assert len(sim.control('GET', 'state').json()['clusters']['Cluster0']['snapshots']) == 3


def test_a_challenge_never_consumes_a_fault(sim, owner):
    sim.control('POST', 'faults', {'method': 'GET', 'path': 'Cluster0', 'action': 'status', 'status': 500})
    response = owner.get(sim.v2('/clusters/Cluster0/backup/snapshots'), headers={'Accept': BACKUP}, timeout=10)
    assert response.status_code == 500 and response.headers['X-Error-Code'] == 'UNEXPECTED_ERROR'
    assert [entry['status'] for entry in sim.log()] == [401, 500]

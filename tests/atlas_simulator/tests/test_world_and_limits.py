# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 20, items 6 and 7: the default world is Atlas as of December 2026 ({"world": "2025"} is the world before the
tenant sunset), and the rate-limit endpoint sets of the April 2026 table, each with its own bucket and headers."""
from __future__ import annotations

import http.client

import pytest

from conftest import BACKUP, CLUSTER, FLEX, GROUP_ID, challenge_params, digest_header

TENANT_FIRST = '65a000000000000000000401'
FLEX_FIRST = '65a000000000000000000501'
TENANT_PATHS = (('GET', '/backup/tenant/snapshots'), ('GET', f'/backup/tenant/snapshots/{TENANT_FIRST}'), ('POST', '/backup/tenant/download'),
                ('POST', '/backup/tenant/restore'), ('GET', '/backup/tenant/restores'))


def get(session, url, accept=BACKUP):
    return session.get(url, headers={'Accept': accept}, timeout=10)


# ------------------------------------------------------------------ item 6: the worlds
def test_the_default_world_is_december_2026(sim, owner):
    assert sim.control('GET', 'config').json()['world'] == '2026'
    dedicated = get(owner, sim.v2('/clusters'), CLUSTER).json()['results']
    tiers = [spec['regionConfigs'][0]['electableSpecs']['instanceSize'] for item in dedicated for spec in item['replicationSpecs']]
    assert [item['name'] for item in dedicated] == ['Cluster0', 'Sharded0', 'Free0', 'Staging0']
    assert 'M2' not in tiers and 'M5' not in tiers  # no M2/M5 cluster anywhere
    flex = get(owner, sim.v2('/flexClusters'), FLEX).json()['results']
    assert [item['name'] for item in flex] == ['Tenant0', 'Flex0']  # migrated from M2 (same name) and created as Flex
    assert get(owner, sim.v2('/clusters/Tenant0'), CLUSTER).json()['errorCode'] == 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API'
    assert get(owner, sim.v2('/flexClusters/Tenant0/backup/snapshots'), FLEX).json()['results'][0]['id'] == TENANT_FIRST
    state = sim.control('GET', 'state').json()['clusters']
    assert (state['Tenant0']['kind'], state['Tenant0']['tier'], state['Tenant0']['migrated_from']) == ('flex', 'FLEX', 'M2')
    assert state['Flex0']['kind'] == 'flex' and 'migrated_from' not in state['Flex0']


@pytest.mark.parametrize('cluster', ['Tenant0', 'Flex0', 'Cluster0'])
def test_tenant_paths_answer_as_removed_by_default(sim, owner, reader, cluster):
    """As after the sunset: 410 VERSION_GONE (the versioning policy's answer for a sunset version) on every tenant path, before any
    route, permission or rate-limit check (a reader gets the same answer; no bucket is charged)."""
    for session in (owner, reader):
        for method, suffix in TENANT_PATHS:
            body = {'snapshotId': TENANT_FIRST, 'targetDeploymentItemName': 'Staging0'} if method == 'POST' else None
            response = session.request(method, sim.v2(f'/clusters/{cluster}{suffix}'), json=body, headers={'Accept': BACKUP}, timeout=10)
            assert response.status_code == 410 and response.json()['errorCode'] == 'VERSION_GONE', (method, suffix, response.text)
    assert sim.control('GET', 'state').json()['download_jobs'] == []


def test_the_2025_world_is_one_setting_and_can_migrate_live(sim, owner):
    assert sim.control('POST', 'reset', {'config': {'world': '2025'}}).status_code == 200
    tenant = get(owner, sim.v2('/clusters/Tenant0'), CLUSTER).json()['replicationSpecs'][0]['regionConfigs'][0]
    assert tenant['providerName'] == 'TENANT' and tenant['electableSpecs']['instanceSize'] == 'M2'
    assert [s['id'] for s in get(owner, sim.v2('/clusters/Tenant0/backup/tenant/snapshots')).json()['results']][0] == TENANT_FIRST
    assert [item['name'] for item in get(owner, sim.v2('/flexClusters'), FLEX).json()['results']] == ['Flex0']
    assert sim.control('GET', 'state').json()['clusters']['Tenant0']['kind'] == 'tenant'
    sim.control('PATCH', 'config', {'world': '2026', 'tenant_sunset': 404})  # the migration happens under a running client
    assert get(owner, sim.v2('/clusters/Tenant0/backup/tenant/snapshots')).status_code == 404
    assert get(owner, sim.v2('/flexClusters/Tenant0'), FLEX).json()['name'] == 'Tenant0'


def test_a_reset_with_other_settings_keeps_the_default_world(sim, owner):
    assert sim.control('POST', 'reset', {'config': {'list_order': 'oldest_first'}}).status_code == 200
    assert get(owner, sim.v2('/clusters/Tenant0/backup/tenant/snapshots')).status_code == 410


# ------------------------------------------------------------------ item 7: rate-limit sets
def raw_get(sim, path: str, accept: str) -> tuple[int, list[tuple[str, str]]]:
    """GET with http.client, returning the header names exactly as the server spelled them."""
    conn = http.client.HTTPConnection('127.0.0.1', sim.api.server_address[1], timeout=10)
    try:
        conn.request('GET', path, headers={'Accept': accept})
        first = conn.getresponse()
        first.read()
        params = challenge_params(first.getheader('WWW-Authenticate'))
        conn.request('GET', path, headers={'Accept': accept, 'Authorization': digest_header(params, path, 1)})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheaders()
    finally:
        conn.close()


SET_PATHS = {
    'cloud_backups': ('/clusters/Cluster0/backup/snapshots', BACKUP, 1200),
    'clusters': ('/clusters/Cluster0', CLUSTER, 10000),
    'flex_clusters': ('/flexClusters/Flex0', FLEX, 1200),
    'flex_snapshots': ('/flexClusters/Flex0/backup/snapshots', FLEX, 1200),
    'flex_restore_jobs': ('/flexClusters/Flex0/backup/restoreJobs', FLEX, 1200),
}


@pytest.mark.parametrize('endpoint_set', sorted(SET_PATHS))
def test_each_set_answers_with_its_own_capacity_in_the_recorded_header_spelling(sim, endpoint_set):
    path, accept, capacity = SET_PATHS[endpoint_set]
    status, headers = raw_get(sim, f'/api/atlas/v2/groups/{GROUP_ID}{path}', accept)
    assert status == 200
    named = dict(headers)
    # Atlas's recorded answers spell them Ratelimit-Limit / Ratelimit-Remaining (the docs write RateLimit-*)
    assert named['Ratelimit-Limit'] == str(capacity) and named['Ratelimit-Remaining'] == str(capacity - 1)
    expected = {'capacity': capacity, 'refill': 5000 if capacity == 10000 else 500, 'period': 60}
    assert sim.control('GET', 'config').json()['rate_limit'][endpoint_set] == expected


def test_exhausting_flex_snapshots_limits_nothing_else(sim, owner):
    sim.control('PATCH', 'config', {'rate_limit': {'flex_snapshots': {'capacity': 2}}})
    assert sim.control('GET', 'config').json()['rate_limit']['flex_snapshots'] == {'capacity': 2, 'refill': 500, 'period': 60}
    snapshots = sim.v2('/flexClusters/Flex0/backup/snapshots')
    assert [get(owner, snapshots, FLEX).headers['RateLimit-Remaining'] for _attempt in range(2)] == ['1', '0']
    limited = owner.post(sim.v2('/flexClusters/Flex0/backup/download'), json={'snapshotId': FLEX_FIRST}, headers={'Accept': FLEX}, timeout=10)
    assert limited.status_code == 429 and limited.json()['errorCode'] == 'RATE_LIMITED_TOKEN_BUCKET'  # download is a Flex Snapshots call
    assert limited.headers['Retry-After'] == '1' and limited.headers['RateLimit-Limit'] == '2' and limited.headers['RateLimit-Remaining'] == '0'
    assert limited.json()['parameters'][2:] == [2, 500, 60]
    for path, accept, capacity in (('/flexClusters/Flex0/backup/restoreJobs', FLEX, 1200), ('/clusters/Cluster0/backup/snapshots', BACKUP, 1200),
                                   ('/flexClusters/Flex0', FLEX, 1200), ('/clusters/Cluster0', CLUSTER, 10000)):
        response = get(owner, sim.v2(path), accept)
        assert response.status_code == 200, path
        assert response.headers['RateLimit-Limit'] == str(capacity) and response.headers['RateLimit-Remaining'] == str(capacity - 1), path
    assert sim.control('GET', 'state').json()['download_jobs'] == []


def test_each_set_refills_at_its_own_rate(sim, owner):
    sim.control('PATCH', 'config', {'rate_limit': {'flex_restore_jobs': {'capacity': 1, 'refill': 1, 'period': 10},
                                                   'cloud_backups': {'capacity': 1, 'refill': 1, 'period': 120}}})
    jobs, backups = sim.v2('/flexClusters/Flex0/backup/restoreJobs'), sim.v2('/clusters/Cluster0/backup/snapshots')
    assert get(owner, jobs, FLEX).status_code == 200 and get(owner, backups).status_code == 200
    assert get(owner, jobs, FLEX).headers['Retry-After'] == '10' and get(owner, backups).headers['Retry-After'] == '120'
    sim.control('POST', 'clock', {'advance': 11})
    assert get(owner, jobs, FLEX).status_code == 200 and get(owner, backups).status_code == 429
    assert get(owner, sim.v2('/flexClusters/Flex0/backup/snapshots'), FLEX).headers['RateLimit-Remaining'] == '1199'


def test_one_setting_for_every_set_at_once(sim):
    sim.control('PATCH', 'config', {'rate_limit': {'capacity': 100000, 'refill': 100000, 'period': 1}})
    limits = sim.control('GET', 'config').json()['rate_limit']
    assert {name: tuple(value.values()) for name, value in limits.items()} == {name: (100000, 100000, 1) for name in limits}
    assert len(limits) == 7
    sim.control('POST', 'reset')
    assert sim.control('GET', 'config').json()['rate_limit']['clusters'] == {'capacity': 10000, 'refill': 5000, 'period': 60}


def test_the_2025_worlds_shared_tier_sets(sim, owner):
    sim.in_2025()
    snapshots = get(owner, sim.v2('/clusters/Tenant0/backup/tenant/snapshots'))
    restores = get(owner, sim.v2('/clusters/Tenant0/backup/tenant/restores'))
    assert snapshots.headers['RateLimit-Limit'] == '4000' and snapshots.headers['RateLimit-Remaining'] == '3999'
    assert restores.headers['RateLimit-Remaining'] == '3999'  # a set of its own


def test_v1_answers_carry_no_rate_limit_headers(sim, owner):
    response = owner.get(sim.v1('/clusters/Cluster0'), timeout=10)
    assert response.status_code == 200 and not [name for name in response.headers if name.lower().startswith('ratelimit')]

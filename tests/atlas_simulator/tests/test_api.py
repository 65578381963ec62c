# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Points 2, 3, 4 and 8: API versions, every endpoint's shape, Atlas's errors, paging/envelope/pretty."""
from __future__ import annotations

import datetime
import json

import pytest

from conftest import BACKUP, CLUSTER, FLEX, GROUP_ID, raw_call

CLUSTER0_FIRST = '65a000000000000000000101'
SHARDED_FIRST = '65a000000000000000000201'
TENANT_FIRST = '65a000000000000000000401'
FLEX_FIRST = '65a000000000000000000501'


def get(session, url, accept=BACKUP, **kwargs):
    return session.get(url, headers={'Accept': accept}, timeout=10, **kwargs)


def post(session, url, body, accept=BACKUP):
    return session.post(url, json=body, headers={'Accept': accept}, timeout=10)


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers['Content-Type'] == 'application/json'
    assert response.headers['X-Error-Code'] == code
    body = response.json()
    assert body['errorCode'] == code and body['error'] == status and body['detail']


# ------------------------------------------------------------------ point 2
def test_v2_success_carries_the_versioned_type(sim, owner):
    response = get(owner, sim.v2('/clusters/Cluster0/backup/snapshots'))
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/vnd.atlas.2023-01-01+json;charset=utf-8'
    assert response.headers['RateLimit-Limit'] == '1200'
    flex = get(owner, sim.v2('/flexClusters/Flex0/backup/snapshots'), FLEX)
    assert flex.headers['Content-Type'] == 'application/vnd.atlas.2024-11-13+json;charset=utf-8'


@pytest.mark.parametrize('accept', [None, '*/*', 'application/json', 'application/vnd.atlas.2024-11-13+json', 'application/vnd.atlas.2099-01-01+json'])
def test_v2_missing_or_wrong_version_is_406(sim, owner, accept):
    headers = {'Accept': accept} if accept else {}
    response = owner.get(sim.v2('/clusters/Cluster0/backup/snapshots'), headers=headers, timeout=10)
    assert_error(response, 406, 'INVALID_VERSION_DATE')


def test_flex_needs_its_own_version(sim, owner):
    assert_error(get(owner, sim.v2('/flexClusters/Flex0/backup/snapshots'), BACKUP), 406, 'INVALID_VERSION_DATE')


def test_v1_is_plain_json_and_has_no_flex(sim, owner):
    sim.in_2025()
    response = owner.get(sim.v1('/clusters/Cluster0/backup/snapshots'), timeout=10)
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/json'
    assert 'RateLimit-Limit' not in response.headers
    assert len(response.json()['results']) == 3
    assert owner.get(sim.v1('/flexClusters/Flex0/backup/snapshots'), timeout=10).status_code == 404
    assert owner.get(sim.v1('/clusters/Tenant0/backup/tenant/snapshots'), timeout=10).status_code == 200


# ------------------------------------------------------------------ point 3
def test_replica_set_snapshot_lifecycle_shapes(sim, owner):
    listed = get(owner, sim.v2('/clusters/Cluster0/backup/snapshots')).json()
    assert [s['id'] for s in listed['results']] == [CLUSTER0_FIRST, '65a000000000000000000102', '65a000000000000000000103']
    first = listed['results'][0]
    assert first['type'] == 'replicaSet' and first['snapshotType'] == 'scheduled' and first['status'] == 'completed'
    assert {'createdAt', 'expiresAt', 'cloudProvider', 'replicaSetName', 'copyRegions', 'mongodVersion'} <= set(first)
    taken = post(owner, sim.v2('/clusters/Cluster0/backup/snapshots'), {'description': 'pre-upgrade', 'retentionInDays': 3})
    assert taken.status_code == 200
    doc = taken.json()
    assert doc['status'] == 'queued' and doc['frequencyType'] == 'ondemand' and doc['snapshotType'] == 'onDemand'
    assert doc['description'] == 'pre-upgrade' and 'createdAt' not in doc and 'cloudProvider' not in doc
    sim.control('POST', 'clock', {'advance': 5})
    one = get(owner, sim.v2(f'/clusters/Cluster0/backup/snapshots/{doc["id"]}')).json()
    assert one['status'] == 'completed' and one['createdAt'] and one['cloudProvider'] == 'AWS'
    patched = owner.patch(sim.v2(f'/clusters/Cluster0/backup/snapshots/{doc["id"]}'), json={'retentionUnit': 'DAYS', 'retentionValue': 10},
                          headers={'Accept': BACKUP}, timeout=10)
    assert patched.status_code == 200
    assert patched.json()['expiresAt'] != one['expiresAt']
    deleted = owner.delete(sim.v2(f'/clusters/Cluster0/backup/snapshots/{doc["id"]}'), headers={'Accept': BACKUP}, timeout=10)
    assert deleted.status_code == 204 and deleted.content == b''
    assert_error(get(owner, sim.v2(f'/clusters/Cluster0/backup/snapshots/{doc["id"]}')), 404, 'SNAPSHOT_NOT_FOUND')


def test_expires_at_is_creation_plus_retention(sim, owner):
    doc = post(owner, sim.v2('/clusters/Cluster0/backup/snapshots'), {'retentionInDays': 2}).json()
    now = sim.control('GET', 'clock').json()['now']
    assert doc['expiresAt'][:10] > now[:10]


def test_sharded_paths_and_fields(sim, owner):
    listed = get(owner, sim.v2('/clusters/Sharded0/backup/snapshots/shardedClusters')).json()['results']
    assert [s['id'] for s in listed] == [SHARDED_FIRST]
    snap = listed[0]
    assert snap['type'] == 'shardedCluster' and 'replicaSetName' not in snap and 'cloudProvider' not in snap
    assert [m['id'] for m in snap['members']] == snap['snapshotIds'] and len(snap['members']) == 3
    assert get(owner, sim.v2('/clusters/Sharded0/backup/snapshots')).json()['results'] == []
    assert get(owner, sim.v2(f'/clusters/Sharded0/backup/snapshots/shardedCluster/{SHARDED_FIRST}')).json()['id'] == SHARDED_FIRST
    assert_error(get(owner, sim.v2(f'/clusters/Sharded0/backup/snapshots/{SHARDED_FIRST}')), 404, 'SNAPSHOT_NOT_FOUND')
    taken = post(owner, sim.v2('/clusters/Sharded0/backup/snapshots'), {'retentionInDays': 1}).json()
    assert taken['type'] == 'shardedCluster' and len(taken['snapshotIds']) == 3
    deleted = owner.delete(sim.v2(f'/clusters/Sharded0/backup/snapshots/shardedCluster/{SHARDED_FIRST}'), headers={'Accept': BACKUP}, timeout=10)
    assert deleted.status_code == 204


def test_cluster_descriptions(sim, owner):
    sim.in_2025()
    modern = get(owner, sim.v2('/clusters/Cluster0'), CLUSTER).json()
    assert modern['clusterType'] == 'REPLICASET' and modern['replicationSpecs'][0]['regionConfigs'][0]['electableSpecs']['instanceSize'] == 'M10'
    legacy = owner.get(sim.v1('/clusters/Tenant0'), timeout=10).json()
    assert legacy['providerSettings'] == {'providerName': 'TENANT', 'instanceSizeName': 'M2', 'regionName': 'US_EAST_1', 'backingProviderName': 'AWS'}
    sharded = get(owner, sim.v2('/clusters/Sharded0'), 'application/vnd.atlas.2023-01-01+json').json()
    assert sharded['clusterType'] == 'SHARDED' and sharded['providerSettings']['instanceSizeName'] == 'M30'
    free = get(owner, sim.v2('/clusters/Free0'), CLUSTER).json()
    assert free['replicationSpecs'][0]['regionConfigs'][0]['electableSpecs']['instanceSize'] == 'M0'
    flex = get(owner, sim.v2('/flexClusters/Flex0'), FLEX).json()
    assert flex['providerSettings']['providerName'] == 'FLEX'


def test_tenant_and_flex_snapshots_and_jobs(sim, owner):
    sim.in_2025()
    tenant = get(owner, sim.v2('/clusters/Tenant0/backup/tenant/snapshots')).json()['results']
    assert [s['status'] for s in tenant] == ['COMPLETED'] * 3 and tenant[0]['id'] == TENANT_FIRST
    assert {'mongoDBVersion', 'scheduledTime', 'startTime', 'finishTime', 'expiration'} <= set(tenant[0])
    assert get(owner, sim.v2(f'/clusters/Tenant0/backup/tenant/snapshots/{TENANT_FIRST}')).json()['id'] == TENANT_FIRST
    job = post(owner, sim.v2('/clusters/Tenant0/backup/tenant/download'), {'snapshotId': TENANT_FIRST}).json()
    assert job['deliveryType'] == 'DOWNLOAD' and job['clusterName'] == 'Tenant0' and job['status'] == 'QUEUED' and 'snapshotUrl' not in job
    assert [j['id'] for j in get(owner, sim.v2('/clusters/Tenant0/backup/tenant/restores')).json()['results']] == [job['id']]
    assert get(owner, sim.v2(f'/clusters/Tenant0/backup/tenant/restores/{job["id"]}')).json()['snapshotId'] == TENANT_FIRST
    flex = get(owner, sim.v2('/flexClusters/Flex0/backup/snapshots'), FLEX).json()['results']
    assert flex[0]['id'] == FLEX_FIRST
    assert get(owner, sim.v2(f'/flexClusters/Flex0/backup/snapshots/{FLEX_FIRST}'), FLEX).json()['status'] == 'COMPLETED'
    fjob = post(owner, sim.v2('/flexClusters/Flex0/backup/download'), {'snapshotId': FLEX_FIRST}, FLEX).json()
    assert fjob['instanceName'] == 'Flex0'
    assert get(owner, sim.v2('/flexClusters/Flex0/backup/restoreJobs'), FLEX).json()['results'][0]['id'] == fjob['id']
    assert get(owner, sim.v2(f'/flexClusters/Flex0/backup/restoreJobs/{fjob["id"]}'), FLEX).json()['snapshotId'] == FLEX_FIRST


# ------------------------------------------------------------------ point 4
def test_not_found_codes(sim, owner):
    sim.in_2025()
    assert_error(get(owner, sim.v2('/clusters/Nope/backup/snapshots')), 404, 'CLUSTER_NOT_FOUND')
    other_group = sim.v2('').replace(sim.sim.world.group_id, '0123456789abcdef01234567')
    assert_error(get(owner, other_group + '/clusters/Cluster0/backup/snapshots'), 404, 'GROUP_NOT_FOUND')
    assert_error(get(owner, sim.v2('/clusters/Cluster0/backup/snapshots/' + '0' * 24)), 404, 'SNAPSHOT_NOT_FOUND')
    assert_error(get(owner, sim.v2('/clusters/Tenant0/backup/tenant/snapshots/' + '0' * 24)), 404, 'TENANT_SNAPSHOT_NOT_FOUND')
    assert_error(get(owner, sim.v2('/clusters/Tenant0/backup/tenant/restores/' + '0' * 24)), 404, 'TENANT_RESTORE_NOT_FOUND')


def test_wrong_kind_of_cluster(sim, owner):
    assert_error(get(owner, sim.v2('/clusters/Flex0/backup/snapshots')), 400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API')
    assert_error(get(owner, sim.v2('/clusters/Flex0'), CLUSTER), 400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API')
    assert_error(get(owner, sim.v2('/flexClusters/Cluster0/backup/snapshots'), FLEX), 400, 'CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API')
    assert_error(get(owner, sim.v2('/flexClusters/Cluster0'), FLEX), 400, 'CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API')
    assert_error(post(owner, sim.v2('/clusters/Free0/backup/snapshots'), {'retentionInDays': 1}), 400, 'PROVIDER_BACKUP_NOT_SUPPORTED')


def test_unfinished_on_demand_snapshot_blocks_another(sim, owner):
    first = post(owner, sim.v2('/clusters/Cluster0/backup/snapshots'), {'retentionInDays': 1}).json()
    second = post(owner, sim.v2('/clusters/Cluster0/backup/snapshots'), {'retentionInDays': 1})
    assert_error(second, 400, 'UNFINISHED_ON_DEMAND_SNAPSHOT')
    url = sim.v2(f'/clusters/Cluster0/backup/snapshots/{first["id"]}')
    assert_error(owner.delete(url, headers={'Accept': BACKUP}, timeout=10), 400, 'CANNOT_DELETE_IN_PROGRESS_SNAPSHOT')
    patch = owner.patch(url, json={'retentionUnit': 'DAYS', 'retentionValue': 2}, headers={'Accept': BACKUP}, timeout=10)
    assert_error(patch, 400, 'CANNOT_MODIFY_IN_PROGRESS_SNAPSHOT_RETENTION')
    sim.control('POST', 'clock', {'advance': 4})
    assert post(owner, sim.v2('/clusters/Cluster0/backup/snapshots'), {'retentionInDays': 1}).status_code == 200


@pytest.mark.parametrize('body, code', [
    ({'retentionInDays': 1, 'colour': 'blue'}, 'INVALID_ATTRIBUTE'),
    ({'retentionInDays': 'seven'}, 'VALIDATION_ERROR'),
    ({'retentionInDays': True}, 'VALIDATION_ERROR'),
    ({'description': 5}, 'VALIDATION_ERROR'),
    ({'retentionInDays': 0}, 'BACKUP_SNAPSHOT_RETENTION_VALUE_INVALID'),
    ([1, 2], 'INVALID_JSON'),
])
def test_bad_bodies(sim, owner, body, code):
    assert_error(post(owner, sim.v2('/clusters/Cluster0/backup/snapshots'), body), 400, code)
    assert len(sim.control('GET', 'state').json()['clusters']['Cluster0']['snapshots']) == 3


def test_malformed_json_and_bad_ids(sim, owner):
    raw = owner.post(sim.v2('/clusters/Cluster0/backup/snapshots'), data=b'{nope', headers={'Accept': BACKUP, 'Content-Type': 'application/json'}, timeout=10)
    assert_error(raw, 400, 'INVALID_JSON')
    assert_error(get(owner, sim.v2('/clusters/Cluster0/backup/snapshots/not-an-id')), 400, 'INVALID_PATH_PARAMETER')
    bad_group = sim.v2('').replace(sim.sim.world.group_id, 'XYZ')
    assert_error(get(owner, bad_group + '/clusters/Cluster0/backup/snapshots'), 400, 'INVALID_PATH_PARAMETER')
    assert_error(get(owner, sim.v2('/clusters/-bad/backup/snapshots')), 400, 'INVALID_PATH_PARAMETER')


def test_rate_limit_token_bucket(sim, owner):
    sim.control('PATCH', 'config', {'rate_limit': {'capacity': 3, 'refill': 1, 'period': 10}})
    statuses = [get(owner, sim.v2('/clusters/Cluster0/backup/snapshots')).status_code for _attempt in range(3)]
    assert statuses == [200, 200, 200]
    limited = get(owner, sim.v2('/clusters/Cluster0/backup/snapshots'))
    assert_error(limited, 429, 'RATE_LIMITED_TOKEN_BUCKET')
    assert int(limited.headers['Retry-After']) == 10
    assert limited.json()['parameters'][2:] == [3, 1, 10]
    # other endpoint sets have their own bucket; v1.0 is not limited
    assert get(owner, sim.v2('/flexClusters/Flex0/backup/snapshots'), FLEX).status_code == 200
    assert owner.get(sim.v1('/clusters/Cluster0/backup/snapshots'), timeout=10).status_code == 200
    sim.control('POST', 'clock', {'advance': 10})
    assert get(owner, sim.v2('/clusters/Cluster0/backup/snapshots')).status_code == 200


# ------------------------------------------------------------------ point 8
def test_paging_links_and_counts(sim, owner):
    for _round in range(2):
        post(owner, sim.v2('/clusters/Cluster0/backup/snapshots'), {'retentionInDays': 1})
        sim.control('POST', 'clock', {'advance': 5})
    url = sim.v2('/clusters/Cluster0/backup/snapshots')
    page1 = get(owner, url, params={'itemsPerPage': 2}).json()
    assert len(page1['results']) == 2 and page1['totalCount'] == 5
    assert [link['rel'] for link in page1['links']] == ['self', 'next']
    page3 = get(owner, url, params={'itemsPerPage': 2, 'pageNum': 3, 'includeCount': 'false'}).json()
    assert len(page3['results']) == 1 and 'totalCount' not in page3
    assert [link['rel'] for link in page3['links']] == ['self', 'previous']
    assert 'pageNum=2' in page3['links'][1]['href'] and page3['links'][1]['href'].startswith(sim.url)
    assert get(owner, url, params={'itemsPerPage': 500}).status_code == 200
    assert_error(get(owner, url, params={'itemsPerPage': 501}), 400, 'INVALID_QUERY_PARAMETER')
    assert_error(get(owner, url, params={'pageNum': 0}), 400, 'INVALID_QUERY_PARAMETER')


def test_envelope_and_pretty(sim, owner):
    one = get(owner, sim.v2(f'/clusters/Cluster0/backup/snapshots/{CLUSTER0_FIRST}'), params={'envelope': 'true'}).json()
    assert one['status'] == 200 and one['content']['id'] == CLUSTER0_FIRST
    listed = get(owner, sim.v2('/clusters/Cluster0/backup/snapshots'), params={'envelope': 'true'}).json()
    assert listed['status'] == 200 and len(listed['results']) == 3
    pretty = get(owner, sim.v2(f'/clusters/Cluster0/backup/snapshots/{CLUSTER0_FIRST}'), params={'pretty': 'true'})
    assert pretty.text.startswith('{\n  "')


# ------------------------------------------------------------------ more of point 2
def test_v2_without_any_accept_header_is_406(sim):
    status, headers, body = raw_call(sim, 'GET', f'/api/atlas/v2/groups/{GROUP_ID}/clusters/Cluster0/backup/snapshots')
    assert status == 406
    assert headers['content-type'] == 'application/json' and headers['x-error-code'] == 'INVALID_VERSION_DATE'
    assert json.loads(body)['error'] == 406


def test_v1_ignores_accept_and_answers_plain_json(sim, owner):
    response = owner.get(sim.v1(f'/clusters/Cluster0/backup/snapshots/{CLUSTER0_FIRST}'), headers={'Accept': 'application/vnd.atlas.2099-01-01+json'},
                         timeout=10)
    assert response.status_code == 200 and response.headers['Content-Type'] == 'application/json'
    assert response.json()['id'] == CLUSTER0_FIRST
    status, headers, _body = raw_call(sim, 'GET', f'/api/atlas/v1.0/groups/{GROUP_ID}/clusters/Cluster0')
    assert status == 200 and headers['content-type'] == 'application/json'


@pytest.mark.parametrize('content_type, status', [('application/json', 200), ('application/vnd.atlas.2023-01-01+json', 200),
                                                  ('application/vnd.atlas.2024-11-13+json', 415), ('text/plain', 415), (None, 415)])
def test_request_body_content_type(sim, content_type, status):
    headers = {'Accept': BACKUP}
    if content_type:
        headers['Content-Type'] = content_type
    code, answer, body = raw_call(sim, 'POST', f'/api/atlas/v2/groups/{GROUP_ID}/clusters/Cluster0/backup/snapshots', headers,
                                  json.dumps({'retentionInDays': 1}).encode())
    assert code == status
    if status == 415:
        assert answer['x-error-code'] == 'UNSUPPORTED_MEDIA_TYPE' and json.loads(body)['errorCode'] == 'UNSUPPORTED_MEDIA_TYPE'
    else:
        assert answer['content-type'] == 'application/vnd.atlas.2023-01-01+json;charset=utf-8'


def test_cluster_resource_versions(sim, owner):
    sim.in_2025()
    for accept in ('application/vnd.atlas.2023-02-01+json', CLUSTER):
        doc = get(owner, sim.v2('/clusters/Sharded0'), accept).json()
        assert doc['clusterType'] == 'SHARDED' and len(doc['replicationSpecs']) == 2 and doc['backupEnabled'] is True
    assert_error(get(owner, sim.v2('/clusters/Cluster0'), FLEX), 406, 'INVALID_VERSION_DATE')
    legacy = owner.get(sim.v1('/clusters/Cluster0'), timeout=10).json()
    assert legacy['providerSettings']['providerName'] == 'AWS' and legacy['providerBackupEnabled'] is True and legacy['clusterType'] == 'REPLICASET'
    free = owner.get(sim.v1('/clusters/Free0'), timeout=10).json()
    assert free['providerSettings']['providerName'] == 'TENANT' and free['providerSettings']['instanceSizeName'] == 'M0'
    assert free['providerBackupEnabled'] is False
    tenant = get(owner, sim.v2('/clusters/Tenant0'), CLUSTER).json()['replicationSpecs'][0]['regionConfigs'][0]
    assert tenant['providerName'] == 'TENANT' and tenant['backingProviderName'] == 'AWS' and tenant['electableSpecs']['instanceSize'] == 'M2'
    assert owner.get(sim.v1('/flexClusters/Flex0'), timeout=10).status_code == 404


def test_success_headers_count_down_the_bucket(sim, owner):
    first = get(owner, sim.v2('/clusters/Cluster0/backup/snapshots'))
    second = get(owner, sim.v2('/clusters/Cluster0/backup/snapshots'))
    assert first.headers['RateLimit-Limit'] == '1200'
    assert int(second.headers['RateLimit-Remaining']) == int(first.headers['RateLimit-Remaining']) - 1
    assert get(owner, sim.v2('/clusters/Cluster0'), CLUSTER).headers['RateLimit-Remaining'] == '9999'  # the clusters set has its own bucket


# ------------------------------------------------------------------ more of points 3 and 4
def test_on_demand_expiry_counts_from_completion_and_created_at_appears_only_then(sim, owner):
    """As the Atlas CLI recorded (2026-08-10): no createdAt while queued or in progress, expiresAt = request + retention until the
    snapshot completes, then createdAt (when it started) and expiresAt = completion + retention."""
    sim.control('PATCH', 'config', {'snapshot_durations': {'queued': 60, 'in_progress': 13 * 3600}})
    doc = post(owner, sim.v2('/clusters/Cluster0/backup/snapshots'), {'retentionInDays': 3}).json()
    requested = datetime.datetime.strptime(sim.control('GET', 'clock').json()['now'], '%Y-%m-%dT%H:%M:%SZ')
    expires = datetime.datetime.strptime(doc['expiresAt'], '%Y-%m-%dT%H:%M:%SZ')
    assert abs((expires - requested - datetime.timedelta(days=3)).total_seconds()) <= 2
    assert doc['status'] == 'queued' and 'createdAt' not in doc and 'cloudProvider' not in doc and 'mongodVersion' not in doc
    assert doc['links'][0]['rel'] == 'self' and doc['links'][0]['href'] == sim.v2(f'/clusters/Cluster0/backup/snapshots/{doc["id"]}')
    assert doc['storageSizeBytes'] == 0 and doc['policyItems'] == [] and doc['copyRegions'] == []
    sim.control('POST', 'clock', {'advance': 3600})
    running = get(owner, sim.v2(f'/clusters/Cluster0/backup/snapshots/{doc["id"]}')).json()
    assert running['status'] == 'inProgress' and 'createdAt' not in running and running['expiresAt'] == doc['expiresAt']
    assert running['cloudProvider'] == 'AWS' and running['mongodVersion'] and running['storageSizeBytes'] == 0
    listed = get(owner, sim.v2('/clusters/Cluster0/backup/snapshots')).json()['results']
    assert 'createdAt' not in listed[0] and listed[0]['id'] == doc['id']
    sim.control('POST', 'clock', {'advance': 13 * 3600})
    done = get(owner, sim.v2(f'/clusters/Cluster0/backup/snapshots/{doc["id"]}')).json()
    assert done['status'] == 'completed' and done['storageSizeBytes'] > 0 and done['mongodVersion']
    created = datetime.datetime.strptime(done['createdAt'], '%Y-%m-%dT%H:%M:%SZ')
    assert abs((created - requested - datetime.timedelta(seconds=60)).total_seconds()) <= 2  # it started when it left the queue
    finished = created + datetime.timedelta(hours=13)
    assert abs((datetime.datetime.strptime(done['expiresAt'], '%Y-%m-%dT%H:%M:%SZ') - finished - datetime.timedelta(days=3)).total_seconds()) <= 2
    patched = owner.patch(sim.v2(f'/clusters/Cluster0/backup/snapshots/{doc["id"]}'), json={'retentionUnit': 'WEEKS', 'retentionValue': 2},
                          headers={'Accept': BACKUP}, timeout=10).json()
    assert datetime.datetime.strptime(patched['expiresAt'], '%Y-%m-%dT%H:%M:%SZ') - created == datetime.timedelta(days=14)


def test_seeded_snapshots_expire_from_their_completion(sim, owner):
    doc = get(owner, sim.v2(f'/clusters/Cluster0/backup/snapshots/{CLUSTER0_FIRST}')).json()
    created = datetime.datetime.strptime(doc['createdAt'], '%Y-%m-%dT%H:%M:%SZ')
    assert datetime.datetime.strptime(doc['expiresAt'], '%Y-%m-%dT%H:%M:%SZ') - created == datetime.timedelta(days=7, minutes=4)


def test_sharded_on_demand_and_retention_through_the_replica_set_path(sim, owner):
    taken = post(owner, sim.v2('/clusters/Sharded0/backup/snapshots'), {'description': 'sh', 'retentionInDays': 1}).json()
    assert taken['type'] == 'shardedCluster' and taken['frequencyType'] == 'ondemand' and 'replicaSetName' not in taken
    assert [m['replicaSetName'] for m in taken['members']] == ['Sharded0-shard-0', 'Sharded0-shard-1', 'Sharded0-config-0']
    assert taken['links'][0]['href'].endswith(f'/backup/snapshots/shardedCluster/{taken["id"]}')
    sim.control('POST', 'clock', {'advance': 5})
    listed = get(owner, sim.v2('/clusters/Sharded0/backup/snapshots/shardedClusters')).json()
    assert [s['id'] for s in listed['results']] == [taken['id'], SHARDED_FIRST] and listed['totalCount'] == 2
    patched = owner.patch(sim.v2(f'/clusters/Sharded0/backup/snapshots/{SHARDED_FIRST}'), json={'retentionUnit': 'DAYS', 'retentionValue': 30},
                          headers={'Accept': BACKUP}, timeout=10)
    assert patched.status_code == 200 and patched.json()['type'] == 'shardedCluster'
    assert get(owner, sim.v2('/clusters/Cluster0/backup/snapshots/shardedClusters')).json()['results'] == []
    assert_error(get(owner, sim.v2(f'/clusters/Cluster0/backup/snapshots/shardedCluster/{CLUSTER0_FIRST}')), 404, 'SNAPSHOT_NOT_FOUND')


@pytest.mark.parametrize('body, code', [
    ({'retentionUnit': 'DAYS'}, 'MISSING_ATTRIBUTE'),
    ({'retentionUnit': 'FORTNIGHTS', 'retentionValue': 1}, 'INVALID_ENUM_VALUE'),
    ({'retentionUnit': 'DAYS', 'retentionValue': 0}, 'BACKUP_SNAPSHOT_RETENTION_VALUE_INVALID'),
    ({'retentionUnit': 'DAYS', 'retentionValue': '3'}, 'VALIDATION_ERROR'),
    ({'retentionUnit': 'DAYS', 'retentionValue': 3, 'expiresAt': 'x'}, 'INVALID_ATTRIBUTE'),
])
def test_bad_patch_bodies(sim, owner, body, code):
    url = sim.v2(f'/clusters/Cluster0/backup/snapshots/{CLUSTER0_FIRST}')
    before = get(owner, url).json()['expiresAt']
    assert_error(owner.patch(url, json=body, headers={'Accept': BACKUP}, timeout=10), 400, code)
    assert get(owner, url).json()['expiresAt'] == before


@pytest.mark.parametrize('cluster', ['Free0', 'Tenant0'])
def test_shared_tier_clusters_have_no_cloud_backup(sim, owner, cluster):
    sim.in_2025()
    assert_error(post(owner, sim.v2(f'/clusters/{cluster}/backup/snapshots'), {'retentionInDays': 1}), 400, 'PROVIDER_BACKUP_NOT_SUPPORTED')
    assert_error(get(owner, sim.v2(f'/clusters/{cluster}/backup/snapshots')), 400, 'PROVIDER_BACKUP_NOT_SUPPORTED')


def test_download_request_errors(sim, owner):
    sim.in_2025()
    tenant = sim.v2('/clusters/Tenant0/backup/tenant/download')
    flex = sim.v2('/flexClusters/Flex0/backup/download')
    assert_error(post(owner, tenant, {'snapshotId': '0' * 24}), 404, 'TENANT_SNAPSHOT_NOT_FOUND')
    assert_error(post(owner, flex, {'snapshotId': '0' * 24}, FLEX), 404, 'SNAPSHOT_NOT_FOUND')
    assert_error(post(owner, flex, {'snapshotId': 'nope'}, FLEX), 400, 'INVALID_ATTRIBUTE')
    assert_error(post(owner, flex, {'snapshotId': FLEX_FIRST, 'targetProjectId': GROUP_ID}, FLEX), 400, 'INVALID_ATTRIBUTE')
    accepted = post(owner, tenant, {'snapshotId': TENANT_FIRST, 'targetDeploymentItemName': 'x', 'targetProjectId': GROUP_ID})
    assert accepted.status_code == 200 and accepted.json()['status'] == 'QUEUED'
    assert_error(get(owner, sim.v2('/flexClusters/Flex0/backup/restoreJobs/' + '0' * 24), FLEX), 404, 'RESTORE_JOB_NOT_FOUND')
    assert_error(get(owner, sim.v2('/flexClusters/Flex0/backup/restoreJobs/xyz'), FLEX), 400, 'INVALID_PATH_PARAMETER')
    assert_error(get(owner, sim.v2('/clusters/Cluster0/backup/tenant/snapshots')), 400, 'TENANT_CLUSTER_NOT_SUPPORTED')


def test_download_of_an_unfinished_snapshot_is_409(sim, owner):
    clusters = [{'name': 'Flex1', 'kind': 'flex', 'snapshots': 1, 'in_progress': True}]
    assert sim.control('POST', 'reset', {'config': {'clusters': clusters}}).status_code == 200
    listed = get(owner, sim.v2('/flexClusters/Flex1/backup/snapshots'), FLEX).json()['results']
    assert [s['status'] for s in listed] == ['RUNNING', 'COMPLETED'] and 'finishTime' not in listed[0]
    response = post(owner, sim.v2('/flexClusters/Flex1/backup/download'), {'snapshotId': listed[0]['id']}, FLEX)
    assert_error(response, 409, 'CANNOT_DOWNLOAD_INCOMPLETE_SNAPSHOT')
    sim.control('POST', 'clock', {'advance': 3600})
    assert post(owner, sim.v2('/flexClusters/Flex1/backup/download'), {'snapshotId': listed[0]['id']}, FLEX).status_code == 200


def test_unknown_route_and_method(sim, owner):
    assert_error(get(owner, sim.v2('/clusters/Cluster0/backup/nothing')), 404, 'RESOURCE_NOT_FOUND')
    assert_error(owner.put(sim.v2('/clusters/Cluster0/backup/snapshots'), json={}, headers={'Accept': BACKUP}, timeout=10), 405, 'METHOD_NOT_ALLOWED')


def test_pretty_list_and_envelope_error_free_list(sim, owner):
    pretty = get(owner, sim.v2('/flexClusters/Flex0/backup/snapshots'), FLEX, params={'pretty': 'true', 'itemsPerPage': 1})
    assert pretty.text.startswith('{\n  "links": [') and json.loads(pretty.text)['totalCount'] == 3
    enveloped = get(owner, sim.v2('/clusters/Cluster0'), CLUSTER, params={'envelope': 'true'}).json()
    assert enveloped['status'] == 200 and enveloped['content']['name'] == 'Cluster0'
    assert_error(get(owner, sim.v2('/clusters/Cluster0/backup/snapshots'), params={'includeCount': 'maybe'}), 400, 'INVALID_QUERY_PARAMETER')


# ------------------------------------------------------------------ the project's cluster lists
def test_cluster_list_holds_every_non_flex_cluster_in_the_get_cluster_shape(sim, owner):
    sim.in_2025()
    response = get(owner, sim.v2('/clusters'), CLUSTER)
    assert response.status_code == 200, response.text
    doc = response.json()
    assert [item['name'] for item in doc['results']] == ['Cluster0', 'Sharded0', 'Free0', 'Tenant0', 'Staging0']
    assert doc['totalCount'] == 5
    one = get(owner, sim.v2('/clusters/Sharded0'), CLUSTER).json()
    assert doc['results'][1] == one
    flex = get(owner, sim.v2('/flexClusters'), FLEX).json()
    assert [item['name'] for item in flex['results']] == ['Flex0']
    assert flex['results'][0] == get(owner, sim.v2('/flexClusters/Flex0'), FLEX).json()


def test_cluster_lists_page_and_follow_the_tenant_sunset(sim, owner):
    sim.in_2025()
    first = get(owner, sim.v2('/clusters?itemsPerPage=2'), CLUSTER).json()
    assert len(first['results']) == 2 and any(link['rel'] == 'next' for link in first['links'])
    sim.control('PATCH', 'config', {'world': '2026'})
    names = [item['name'] for item in get(owner, sim.v2('/clusters'), CLUSTER).json()['results']]
    assert 'Tenant0' not in names and 'Free0' in names
    flex = [item['name'] for item in get(owner, sim.v2('/flexClusters'), FLEX).json()['results']]
    assert flex == ['Tenant0', 'Flex0']


def test_cluster_list_on_v1_and_no_flex_list_there(sim, owner):
    response = owner.get(sim.v1('/clusters'), timeout=10)
    assert response.status_code == 200
    assert response.json()['results'][0]['providerSettings']['instanceSizeName'] == 'M10'
    assert_error(owner.get(sim.v1('/flexClusters'), timeout=10), 404, 'RESOURCE_NOT_FOUND')

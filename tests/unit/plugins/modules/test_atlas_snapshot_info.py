# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""atlas_snapshot_info's decisions: which API for which cluster kind, filters, not-found, failures."""
from __future__ import annotations

import json

import responses

from ansible_collections.mongodb_atlas.backup.plugins.modules import atlas_snapshot_info
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.modules.atlas_test_utils import API, BASE, GROUP_ID, connection_args

REPLICA_SET_CLUSTER = {
    'name': 'Cluster0', 'clusterType': 'REPLICASET', 'backupEnabled': True,
    'replicationSpecs': [{'regionConfigs': [{'providerName': 'AWS', 'electableSpecs': {'instanceSize': 'M10'}}]}],
}
SNAPSHOTS = [
    {'id': 'a' * 24, 'status': 'completed', 'snapshotType': 'scheduled', 'createdAt': '2026-11-20T00:00:00Z', 'links': [{'rel': 'self'}]},
    {'id': 'b' * 24, 'status': 'inProgress', 'snapshotType': 'onDemand', 'description': 'pre-upgrade', 'frequencyType': 'ondemand'},
    {'id': 'c' * 24, 'status': 'failed', 'snapshotType': 'onDemand', 'description': 'nightly'},
]
FLEX_ERROR = {'error': 400, 'errorCode': 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API', 'detail': 'Flex cluster Flex0 cannot be used in the Cluster API.'}


def add_cluster(doc=None, name='Cluster0'):
    responses.add(responses.GET, f'{API}/clusters/{name}', json=doc or REPLICA_SET_CLUSTER)


@responses.activate
def test_lists_replica_set_snapshots_in_snake_case_without_links(run_module):
    add_cluster()
    responses.add(responses.GET, f'{API}/clusters/Cluster0/backup/snapshots', json={'results': SNAPSHOTS, 'totalCount': 3})
    result = run_module(atlas_snapshot_info.main, connection_args())
    assert result['changed'] is False
    assert result['cluster_kind'] == 'replicaSet'
    # newest first: the running snapshot has no createdAt yet (Atlas writes it on completion), so it is the newest
    assert [s['id'] for s in result['snapshots']] == ['b' * 24, 'a' * 24, 'c' * 24]
    assert result['snapshots'][1]['snapshot_type'] == 'scheduled'
    assert result['snapshots'][1]['created_at'] == '2026-11-20T00:00:00Z'
    assert 'links' not in result['snapshots'][1]
    assert len(responses.calls) == 2
    assert responses.calls[0].request.headers['Accept'] == 'application/vnd.atlas.2024-08-05+json'
    assert responses.calls[1].request.headers['Accept'] == 'application/vnd.atlas.2023-01-01+json'


@responses.activate
def test_filters_combine(run_module):
    add_cluster()
    responses.add(responses.GET, f'{API}/clusters/Cluster0/backup/snapshots', json={'results': SNAPSHOTS})
    result = run_module(atlas_snapshot_info.main, connection_args(snapshot_type='onDemand', status='inProgress'))
    assert [s['id'] for s in result['snapshots']] == ['b' * 24]
    result = run_module(atlas_snapshot_info.main, connection_args(description='nightly'))
    assert [s['id'] for s in result['snapshots']] == ['c' * 24]
    result = run_module(atlas_snapshot_info.main, connection_args(description='nothing like it'))
    assert result['snapshots'] == []


@responses.activate
def test_sharded_cluster_uses_sharded_paths(run_module):
    add_cluster({'name': 'Sharded0', 'clusterType': 'SHARDED', 'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M30'}}]}]},
                name='Sharded0')
    responses.add(responses.GET, f'{API}/clusters/Sharded0/backup/snapshots/shardedClusters',
                  json={'results': [{'id': 'd' * 24, 'type': 'shardedCluster', 'snapshotIds': ['e' * 24], 'members': [{'id': 'e' * 24}]}]})
    responses.add(responses.GET, f'{API}/clusters/Sharded0/backup/snapshots/shardedCluster/{"d" * 24}', json={'id': 'd' * 24, 'type': 'shardedCluster'})
    listed = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Sharded0'))
    assert listed['cluster_kind'] == 'shardedCluster'
    assert listed['snapshots'][0]['snapshot_ids'] == ['e' * 24]
    one = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Sharded0', snapshot_id='d' * 24))
    assert one['snapshots'] == [{'id': 'd' * 24, 'type': 'shardedCluster'}]


@responses.activate
def test_flex_detected_from_cluster_api_refusal(run_module):
    responses.add(responses.GET, f'{API}/clusters/Flex0', status=400, json=FLEX_ERROR, headers={'X-Error-Code': FLEX_ERROR['errorCode']})
    responses.add(responses.GET, f'{API}/flexClusters/Flex0/backup/snapshots', json={'results': [{'id': 'f' * 24, 'status': 'COMPLETED'}]})
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Flex0', status='completed', snapshot_type='scheduled'))
    assert result['cluster_kind'] == 'flex'
    assert [s['id'] for s in result['snapshots']] == ['f' * 24]
    assert responses.calls[1].request.headers['Accept'] == 'application/vnd.atlas.2024-11-13+json'


@responses.activate
def test_flex_always_uses_v2_even_with_v1(run_module):
    responses.add(responses.GET, f'{BASE}/api/atlas/v1.0/groups/{GROUP_ID}/clusters/Flex0', status=400, json=FLEX_ERROR)
    responses.add(responses.GET, f'{API}/flexClusters/Flex0/backup/snapshots', json={'results': []})
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Flex0', api_version='v1.0'))
    assert result['cluster_kind'] == 'flex'
    assert result['snapshots'] == []


@responses.activate
def test_tenant_cluster_uses_tenant_api_with_v1_legacy_shape(run_module):
    responses.add(responses.GET, f'{BASE}/api/atlas/v1.0/groups/{GROUP_ID}/clusters/Tenant0',
                  json={'name': 'Tenant0', 'clusterType': 'REPLICASET', 'providerSettings': {'providerName': 'TENANT', 'instanceSizeName': 'M2'}})
    responses.add(responses.GET, f'{BASE}/api/atlas/v1.0/groups/{GROUP_ID}/clusters/Tenant0/backup/tenant/snapshots',
                  json={'results': [{'id': '1' * 24, 'status': 'COMPLETED'}]})
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Tenant0', api_version='v1.0'))
    assert result['cluster_kind'] == 'tenant'
    assert result['snapshots'] == [{'id': '1' * 24, 'status': 'completed'}]  # one vocabulary for every kind
    assert responses.calls[1].request.headers['Accept'] == 'application/json'


@responses.activate
def test_unknown_snapshot_id_is_an_empty_list(run_module):
    add_cluster()
    responses.add(responses.GET, f'{API}/clusters/Cluster0/backup/snapshots/{"0" * 24}', status=404,
                  json={'error': 404, 'errorCode': 'SNAPSHOT_NOT_FOUND', 'detail': 'No snapshot with ID 000 exists for cluster Cluster0.'})
    result = run_module(atlas_snapshot_info.main, connection_args(snapshot_id='0' * 24))
    assert result.get('failed') is not True
    assert result['snapshots'] == []


@responses.activate
def test_unknown_cluster_fails_with_code(run_module):
    responses.add(responses.GET, f'{API}/clusters/Nope', status=404, json={'error': 404, 'errorCode': 'CLUSTER_NOT_FOUND', 'detail': 'No cluster named Nope.'})
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Nope'))
    assert result['failed'] is True
    assert result['error_code'] == 'CLUSTER_NOT_FOUND'
    assert result['msg'].startswith('Failed to read cluster Nope: no cluster named Nope exists in project')
    assert 'very-secret-private' not in repr(result)


@responses.activate
def test_free_cluster_fails_without_listing(run_module):
    add_cluster({'name': 'Free0', 'clusterType': 'REPLICASET', 'replicationSpecs': [{'regionConfigs': [
        {'providerName': 'TENANT', 'backingProviderName': 'AWS', 'electableSpecs': {'instanceSize': 'M0'}}]}]}, name='Free0')
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Free0'))
    assert result['failed'] is True
    assert 'M0' in result['msg'] and 'no backup' in result['msg']
    assert len(responses.calls) == 1


@responses.activate
def test_bad_input_fails_before_any_request(run_module):
    for args, option in ((dict(snapshot_id='XYZ'), 'snapshot_id'), (dict(group_id='nothex'), 'group_id'),
                         (dict(cluster_name='has space'), 'cluster_name'), (dict(api_private_key=None), 'api_private_key')):
        result = run_module(atlas_snapshot_info.main, connection_args(**args))
        assert result['failed'] is True
        assert option in result['msg']
    assert len(responses.calls) == 0


# ------------------------------------------------------------------ every cluster of the project (no cluster_name)
def described(name, tier, cluster_type, provider):
    region = {'providerName': provider, 'electableSpecs': {'instanceSize': tier}}
    return {'name': name, 'clusterType': cluster_type, 'replicationSpecs': [{'regionConfigs': [region]}]}


def dedicated(name, tier='M10', cluster_type='REPLICASET'):
    return described(name, tier, cluster_type, 'AWS')


def shared(name, tier):
    return described(name, tier, 'REPLICASET', 'TENANT')


def all_clusters_args(**extra):
    args = connection_args(**extra)
    args.pop('cluster_name')
    return args


@responses.activate
def test_every_cluster_one_list_each_and_kinds_from_the_lists(run_module):
    responses.add(responses.GET, f'{API}/clusters', json={'results': [dedicated('Cluster0'), dedicated('Sharded0', 'M30', 'SHARDED'),
                                                                      shared('Free0', 'M0'), shared('Tenant0', 'M2')]})
    responses.add(responses.GET, f'{API}/flexClusters', json={'results': [{'name': 'Flex0', 'providerSettings': {'providerName': 'FLEX'}}]})
    responses.add(responses.GET, f'{API}/clusters/Cluster0/backup/snapshots', json={'results': SNAPSHOTS}, headers={'Date': 'Sat, 28 Nov 2026 12:00:00 GMT'})
    responses.add(responses.GET, f'{API}/clusters/Sharded0/backup/snapshots/shardedClusters', json={'results': []})
    responses.add(responses.GET, f'{API}/clusters/Tenant0/backup/tenant/snapshots', json={'results': [{'id': 't' * 24, 'status': 'COMPLETED'}]})
    responses.add(responses.GET, f'{API}/flexClusters/Flex0/backup/snapshots', json={'results': [{'id': 'f' * 24, 'status': 'COMPLETED'}]})
    result = run_module(atlas_snapshot_info.main, all_clusters_args(status='completed'))
    assert 'snapshots' not in result and 'cluster_kind' not in result
    assert [(c['name'], c['kind'], c['tier']) for c in result['clusters']] == [
        ('Cluster0', 'replicaSet', 'M10'), ('Flex0', 'flex', None), ('Free0', 'noBackup', 'M0'), ('Sharded0', 'shardedCluster', 'M30'),
        ('Tenant0', 'tenant', 'M2')]
    by_name = {c['name']: [s['id'] for s in c['snapshots']] for c in result['clusters']}
    assert by_name == {'Cluster0': ['a' * 24], 'Flex0': ['f' * 24], 'Free0': [], 'Sharded0': [], 'Tenant0': ['t' * 24]}
    # two cluster lists, four snapshot lists, nothing for the M0; and the M2 one more: the cluster model's read that finds
    # whether the tenant API still answers (it does here, as before 2026-01-22; after the sunset that read is the answer)
    assert len(responses.calls) == 7
    assert responses.calls[0].request.headers['Accept'] == 'application/vnd.atlas.2024-08-05+json'
    assert responses.calls[1].request.headers['Accept'] == 'application/vnd.atlas.2024-11-13+json'


@responses.activate
def test_every_cluster_of_some_kinds_reads_no_other_list(run_module):
    responses.add(responses.GET, f'{API}/clusters', json={'results': [dedicated('Cluster0'), dedicated('Sharded0', 'M30', 'SHARDED'),
                                                                      shared('Free0', 'M0'), shared('Tenant0', 'M2')]})
    responses.add(responses.GET, f'{API}/clusters/Cluster0/backup/snapshots', json={'results': SNAPSHOTS})
    responses.add(responses.GET, f'{API}/clusters/Sharded0/backup/snapshots/shardedClusters', json={'results': []})
    result = run_module(atlas_snapshot_info.main, all_clusters_args(cluster_kinds=['replicaSet', 'shardedCluster']))
    assert [(c['name'], c['kind']) for c in result['clusters']] == [('Cluster0', 'replicaSet'), ('Sharded0', 'shardedCluster')]
    # the cluster list and one snapshot list per dedicated cluster: no Flex list, nothing for the M0 or the M2
    assert [call.request.url.split('/v2/')[1].split('?')[0] for call in responses.calls] == [
        f'groups/{GROUP_ID}/clusters', f'groups/{GROUP_ID}/clusters/Cluster0/backup/snapshots',
        f'groups/{GROUP_ID}/clusters/Sharded0/backup/snapshots/shardedClusters']


@responses.activate
def test_cluster_kinds_goes_without_cluster_name(run_module):
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Cluster0', cluster_kinds=['flex']))
    assert result['failed'] and 'cluster_name|cluster_kinds' in result['msg'] and len(responses.calls) == 0


@responses.activate
def test_every_cluster_a_flex_cluster_on_both_lists_is_flex(run_module):
    legacy_flex = {'name': 'Flex0', 'clusterType': 'REPLICASET', 'providerSettings': {'providerName': 'FLEX', 'instanceSizeName': 'FLEX'}}
    responses.add(responses.GET, f'{API}/clusters', json={'results': [legacy_flex, dict(shared('Old0', 'M2'), name='Old0')]})
    responses.add(responses.GET, f'{API}/flexClusters', json={'results': [{'name': 'Old0'}]})
    responses.add(responses.GET, f'{API}/flexClusters/Flex0/backup/snapshots', json={'results': []})
    responses.add(responses.GET, f'{API}/flexClusters/Old0/backup/snapshots', json={'results': []})
    result = run_module(atlas_snapshot_info.main, all_clusters_args())
    assert [(c['name'], c['kind']) for c in result['clusters']] == [('Flex0', 'flex'), ('Old0', 'flex')]
    assert len(responses.calls) == 4


@responses.activate
def test_every_cluster_tenant_api_gone_falls_back_to_flex_with_a_warning(run_module):
    responses.add(responses.GET, f'{API}/clusters', json={'results': [shared('Tenant0', 'M2')]})
    responses.add(responses.GET, f'{API}/flexClusters', json={'results': []})
    responses.add(responses.GET, f'{API}/clusters/Tenant0/backup/tenant/snapshots', status=410,
                  json={'error': 410, 'errorCode': 'VERSION_GONE', 'detail': 'gone'})
    responses.add(responses.GET, f'{API}/flexClusters/Tenant0/backup/snapshots', json={'results': [{'id': 't' * 24, 'status': 'COMPLETED'}]})
    result = run_module(atlas_snapshot_info.main, all_clusters_args())
    assert [(c['name'], c['kind'], c['tier']) for c in result['clusters']] == [('Tenant0', 'flex', 'M2')]
    assert [s['id'] for s in result['clusters'][0]['snapshots']] == ['t' * 24]
    assert 'tenant backup API is gone' in json.dumps(result['warnings'])  # 2.19: structured warnings


@responses.activate
def test_one_cluster_tenant_api_gone_is_read_through_flex_too(run_module):
    # issue 18: the sunset is met once, in the cluster model, so cluster_name reaches it as the every-cluster report does
    responses.add(responses.GET, f'{API}/clusters/Tenant0', json=shared('Tenant0', 'M2'))
    responses.add(responses.GET, f'{API}/clusters/Tenant0/backup/tenant/snapshots', status=410,
                  json={'error': 410, 'errorCode': 'VERSION_GONE', 'detail': 'gone'})
    responses.add(responses.GET, f'{API}/flexClusters/Tenant0/backup/snapshots', json={'results': [{'id': 't' * 24, 'status': 'COMPLETED'}]})
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Tenant0'))
    assert result.get('failed') is not True and result['cluster_kind'] == 'flex'
    assert [s['id'] for s in result['snapshots']] == ['t' * 24]
    assert 'tenant backup API is gone' in json.dumps(result['warnings'])


@responses.activate
def test_every_cluster_max_age_on_atlas_clock(run_module):
    responses.add(responses.GET, f'{API}/clusters', json={'results': [dedicated('Cluster0')]})
    responses.add(responses.GET, f'{API}/flexClusters', json={'results': []})
    snaps = [
        {'id': '1' * 24, 'status': 'completed', 'snapshotType': 'onDemand', 'description': 'nightly', 'createdAt': '2026-11-28T01:00:00Z'},
        {'id': '2' * 24, 'status': 'completed', 'snapshotType': 'onDemand', 'description': 'nightly', 'createdAt': '2026-11-27T23:00:00Z'},
        {'id': '3' * 24, 'status': 'queued', 'snapshotType': 'onDemand', 'description': 'nightly'},
        {'id': '4' * 24, 'status': 'completed', 'snapshotType': 'onDemand', 'description': 'nightly', 'createdAt': 'yesterday'},
    ]
    responses.add(responses.GET, f'{API}/clusters/Cluster0/backup/snapshots', json={'results': snaps},
                  headers={'Date': 'Sat, 28 Nov 2026 12:00:00 GMT'})
    result = run_module(atlas_snapshot_info.main, all_clusters_args(description='nightly', max_age=720))
    assert {s['id'] for s in result['clusters'][0]['snapshots']} == {'1' * 24, '3' * 24}


@responses.activate
def test_max_age_applies_with_cluster_name_too(run_module):
    add_cluster()
    responses.add(responses.GET, f'{API}/clusters/Cluster0/backup/snapshots', json={'results': SNAPSHOTS},
                  headers={'Date': 'Sat, 21 Nov 2026 00:00:00 GMT'})
    result = run_module(atlas_snapshot_info.main, connection_args(max_age=60, status='completed'))
    assert result['snapshots'] == []
    result = run_module(atlas_snapshot_info.main, connection_args(max_age=1440, status='completed'))
    assert [s['id'] for s in result['snapshots']] == ['a' * 24]


@responses.activate
def test_every_cluster_refusals_before_any_request(run_module):
    result = run_module(atlas_snapshot_info.main, all_clusters_args(snapshot_id='a' * 24))
    assert result['failed'] and 'cluster_name' in result['msg']
    result = run_module(atlas_snapshot_info.main, all_clusters_args(max_age=-1))
    assert result['failed'] and 'max_age must be 0 or more' in result['msg']
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name=''))
    assert result['failed'] and 'not a valid Atlas cluster name' in result['msg']
    assert len(responses.calls) == 0


@responses.activate
def test_every_cluster_list_failure_is_explained(run_module):
    responses.add(responses.GET, f'{API}/clusters', status=401, json={'error': 401, 'errorCode': 'USER_UNAUTHORIZED', 'detail': 'no'})
    result = run_module(atlas_snapshot_info.main, all_clusters_args())
    assert result['failed'] and 'list the clusters of the project' in result['msg']


@responses.activate
def test_cluster_name_stays_required_for_every_other_module(run_module):
    from ansible_collections.mongodb_atlas.backup.plugins.modules import atlas_restore_job, atlas_snapshot, atlas_tenant_download
    for module in (atlas_restore_job, atlas_tenant_download):
        result = run_module(module.main, all_clusters_args())
        assert result['failed'] and 'missing required arguments: cluster_name' in result['msg'], (module.__name__, result['msg'])
    # atlas_snapshot takes cluster_kinds instead (every cluster of those kinds); one of the two is required
    result = run_module(atlas_snapshot.main, all_clusters_args(description='nightly'))
    assert result['failed'] and 'one of the following is required: cluster_name, cluster_kinds' in result['msg'], result['msg']
    assert len(responses.calls) == 0


@responses.activate
def test_every_cluster_on_v1_lists_clusters_on_v1_and_flex_on_v2(run_module):
    v1 = f'{BASE}/api/atlas/v1.0/groups/{GROUP_ID}'
    legacy = {'name': 'Cluster0', 'clusterType': 'REPLICASET', 'providerSettings': {'providerName': 'AWS', 'instanceSizeName': 'M10'}}
    responses.add(responses.GET, f'{v1}/clusters', json={'results': [legacy]})
    responses.add(responses.GET, f'{API}/flexClusters', json={'results': [{'name': 'Flex0'}]})
    responses.add(responses.GET, f'{v1}/clusters/Cluster0/backup/snapshots', json={'results': SNAPSHOTS})
    responses.add(responses.GET, f'{API}/flexClusters/Flex0/backup/snapshots', json={'results': []})
    result = run_module(atlas_snapshot_info.main, all_clusters_args(api_version='v1.0'))
    assert [(c['name'], c['kind'], len(c['snapshots'])) for c in result['clusters']] == [('Cluster0', 'replicaSet', 3), ('Flex0', 'flex', 0)]
    assert responses.calls[0].request.headers['Accept'] == 'application/json'

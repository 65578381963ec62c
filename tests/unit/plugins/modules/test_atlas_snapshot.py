# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""atlas_snapshot's decisions in-process: reuse, take, adopt after an ambiguous POST, conflicts, check mode, kinds."""
from __future__ import annotations

import json

import requests
import responses

from ansible_collections.mongodb_atlas.backup.plugins.modules import atlas_snapshot
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.modules.atlas_test_utils import API, connection_args

CLUSTER = {'name': 'Cluster0', 'clusterType': 'REPLICASET', 'backupEnabled': True,
           'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M10'}}]}]}
SNAPS = f'{API}/clusters/Cluster0/backup/snapshots'
DATE = {'Date': 'Sun, 22 Nov 2026 12:00:00 GMT'}
QUEUED = {'id': 'f' * 24, 'status': 'queued', 'snapshotType': 'onDemand', 'description': 'nightly', 'expiresAt': '2026-11-25T12:00:00Z'}


def args(**extra):
    return connection_args(description='nightly', retention_in_days=3, wait=False, **extra)


def setup_lists(*pages):
    responses.add(responses.GET, f'{API}/clusters/Cluster0', json=CLUSTER, headers=DATE)
    for page in pages:
        responses.add(responses.GET, SNAPS, json={'results': page}, headers=DATE)


def posts():
    return [call for call in responses.calls if call.request.method == 'POST']


@responses.activate
def test_takes_one_snapshot_when_none_matches(run_module):
    setup_lists([{'id': 'a' * 24, 'status': 'completed', 'snapshotType': 'scheduled'}])
    responses.add(responses.POST, SNAPS, json=QUEUED)
    result = run_module(atlas_snapshot.main, args())
    assert result['changed'] is True and result['snapshot']['id'] == 'f' * 24
    assert json.loads(posts()[0].request.body) == {'retentionInDays': 3, 'description': 'nightly'}
    assert len(responses.calls) == 3


@responses.activate
def test_reuses_a_matching_snapshot_without_post(run_module):
    setup_lists([dict(QUEUED, status='completed', createdAt='2026-11-22T11:00:00Z')])
    result = run_module(atlas_snapshot.main, args())
    assert result['changed'] is False and result['snapshot']['id'] == 'f' * 24
    assert posts() == []


@responses.activate
def test_check_mode_reports_change_without_post(run_module):
    setup_lists([])
    result = run_module(atlas_snapshot.main, args(_ansible_check_mode=True, _ansible_diff=True))
    assert result['changed'] is True and posts() == []
    assert result['diff']['before'] == {} and result['diff']['after']['expires_at'] == '2026-11-25T12:00:00Z'


@responses.activate
def test_ambiguous_post_adopts_the_snapshot_atlas_took(run_module):
    setup_lists([], [QUEUED])
    responses.add(responses.POST, SNAPS, body=requests.exceptions.ConnectionError(ConnectionResetError(104, 'Connection reset by peer')))
    responses.add(responses.POST, SNAPS, json={'id': 'd' * 24})  # a naive retry would create this duplicate
    result = run_module(atlas_snapshot.main, args())
    assert result['changed'] is True and result['snapshot']['id'] == 'f' * 24
    assert len(posts()) == 1
    assert 'using it instead of asking again' in json.dumps(result['warnings'])  # 2.19 returns warnings as structured summaries


@responses.activate
def test_ambiguous_post_with_nothing_taken_asks_again_once(run_module):
    setup_lists([], [])
    responses.add(responses.POST, SNAPS, status=503, json={'errorCode': 'UNEXPECTED_ERROR'})
    responses.add(responses.POST, SNAPS, json=QUEUED)
    result = run_module(atlas_snapshot.main, args(retries=1))
    assert result['changed'] is True and len(posts()) == 2


@responses.activate
def test_conflict_without_wait_names_the_blocker(run_module):
    blocker = {'id': 'b' * 24, 'status': 'inProgress', 'snapshotType': 'onDemand', 'description': 'someone else'}
    setup_lists([blocker], [blocker])
    responses.add(responses.POST, SNAPS, status=400, json={'errorCode': 'UNFINISHED_ON_DEMAND_SNAPSHOT', 'detail': 'Another one is running.'})
    result = run_module(atlas_snapshot.main, args())
    assert result['failed'] is True
    assert 'b' * 24 in result['msg'] and 'someone else' in result['msg'] and result['blocking_snapshot_id'] == 'b' * 24


@responses.activate
def test_flex_cluster_fails_before_any_write(run_module):
    responses.add(responses.GET, f'{API}/clusters/Cluster0', status=400, json={'errorCode': 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API'})
    result = run_module(atlas_snapshot.main, args())
    assert result['failed'] is True and 'atlas_tenant_download' in result['msg']
    assert len(responses.calls) == 1


@responses.activate
def test_bad_options_fail_before_any_request(run_module):
    for extra, says in ((dict(retention_in_days=0), 'retention_in_days'), (dict(max_age=-5), 'max_age'),
                        (dict(snapshot_id='x'), 'snapshot_id'), (dict(wait_timeout=-1), 'wait_timeout')):
        result = run_module(atlas_snapshot.main, dict(args(), **extra))
        assert result['failed'] is True and says in result['msg']
    result = run_module(atlas_snapshot.main, connection_args(state='absent'))
    assert 'snapshot_id' in result['msg'] and 'description' in result['msg']
    assert len(responses.calls) == 0


# ------------------------------------------------------------------ cluster_kinds: every cluster of those kinds, one task
def listed(name, tier='M10', cluster_type='REPLICASET', provider='AWS'):
    return {'name': name, 'clusterType': cluster_type,
            'replicationSpecs': [{'regionConfigs': [{'providerName': provider, 'electableSpecs': {'instanceSize': tier}}]}]}


PROJECT = [listed('Cluster0'), listed('Cluster1'), listed('Sharded0', 'M30', 'SHARDED'), listed('Free0', 'M0', provider='TENANT'),
           listed('Tenant0', 'M2', provider='TENANT')]
NIGHTLY = dict(QUEUED, status='completed', createdAt='2026-11-22T03:00:00Z', expiresAt='2026-11-25T03:00:00Z')


def kinds_args(**extra):
    options = dict(cluster_kinds=['replicaSet', 'shardedCluster'], description='nightly', retention_in_days=3, max_age=720, wait=False)
    options.update(extra)
    result = connection_args(**{key: value for key, value in options.items() if value is not None})
    if 'cluster_name' not in extra:
        result.pop('cluster_name')
    return result


def add_project(cluster1_snapshots=(), sharded_snapshots=()):
    responses.add(responses.GET, f'{API}/clusters', json={'results': PROJECT}, headers=DATE)
    responses.add(responses.GET, SNAPS, json={'results': [NIGHTLY]}, headers=DATE)
    responses.add(responses.GET, f'{API}/clusters/Cluster1/backup/snapshots', json={'results': list(cluster1_snapshots)}, headers=DATE)
    responses.add(responses.GET, f'{API}/clusters/Sharded0/backup/snapshots/shardedClusters', json={'results': list(sharded_snapshots)},
                  headers=DATE)


def paths():
    return [(call.request.method, call.request.url.split('/api/atlas/v2/')[1].split('?')[0]) for call in responses.calls]


@responses.activate
def test_kinds_take_where_missing_with_one_cluster_list_and_no_read_per_cluster(run_module):
    add_project()
    responses.add(responses.POST, f'{API}/clusters/Cluster1/backup/snapshots', json=dict(QUEUED, id='1' * 24))
    responses.add(responses.POST, f'{API}/clusters/Sharded0/backup/snapshots', json=dict(QUEUED, id='2' * 24, type='shardedCluster'))
    result = run_module(atlas_snapshot.main, kinds_args())
    assert result['changed'] is True and 'snapshot' not in result
    assert [(c['name'], c['kind'], c['changed'], c['snapshot']['id']) for c in result['clusters']] == [
        ('Cluster0', 'replicaSet', False, 'f' * 24), ('Cluster1', 'replicaSet', True, '1' * 24), ('Sharded0', 'shardedCluster', True, '2' * 24)]
    group = SNAPS.split('/api/atlas/v2/')[1].split('/clusters/')[0]
    # the project's cluster list (no Flex list, no GET per cluster), one snapshot list per dedicated cluster, one POST where
    # none matched: the same requests as hand-written calls
    assert paths() == [('GET', f'{group}/clusters'), ('GET', f'{group}/clusters/Cluster0/backup/snapshots'),
                       ('GET', f'{group}/clusters/Cluster1/backup/snapshots'), ('POST', f'{group}/clusters/Cluster1/backup/snapshots'),
                       ('GET', f'{group}/clusters/Sharded0/backup/snapshots/shardedClusters'),
                       ('POST', f'{group}/clusters/Sharded0/backup/snapshots')]


@responses.activate
def test_kinds_rerun_writes_nothing_and_a_failed_snapshot_does_not_count(run_module):
    add_project([dict(NIGHTLY, id='1' * 24)], [dict(NIGHTLY, id='2' * 24, status='failed')])
    responses.add(responses.POST, f'{API}/clusters/Sharded0/backup/snapshots', json=dict(QUEUED, id='3' * 24))
    result = run_module(atlas_snapshot.main, kinds_args(cluster_kinds=['shardedCluster']))
    assert [(c['name'], c['changed'], c['snapshot']['id']) for c in result['clusters']] == [('Sharded0', True, '3' * 24)]
    assert [method for method, _path in paths()] == ['GET', 'GET', 'POST']


@responses.activate
def test_kinds_check_mode_posts_nothing_and_diffs_by_cluster(run_module):
    add_project()
    result = run_module(atlas_snapshot.main, kinds_args(_ansible_check_mode=True, _ansible_diff=True))
    assert result['changed'] is True and posts() == []
    assert [(c['name'], c['changed']) for c in result['clusters']] == [('Cluster0', False), ('Cluster1', True), ('Sharded0', True)]
    assert result['diff']['before'] == {'Cluster1': {}, 'Sharded0': {}}
    assert result['diff']['after']['Cluster1']['status'] == 'queued' and 'Cluster0' not in result['diff']['after']


@responses.activate
def test_kinds_one_refusal_does_not_stop_the_others_and_fails_naming_it(run_module):
    add_project()
    responses.add(responses.POST, f'{API}/clusters/Cluster1/backup/snapshots', status=400,
                  json={'error': 400, 'errorCode': 'BACKUP_CONFIG_NOT_FOUND', 'detail': 'No backup configuration found.'})
    responses.add(responses.POST, f'{API}/clusters/Sharded0/backup/snapshots', json=dict(QUEUED, id='2' * 24))
    result = run_module(atlas_snapshot.main, kinds_args())
    assert result['failed'] is True and result['changed'] is True  # Sharded0's snapshot was taken
    assert result['msg'].startswith('1 of 3 clusters failed') and 'Cluster1' in result['msg'] and 'BACKUP_CONFIG_NOT_FOUND' in result['msg']
    by_name = {c['name']: c for c in result['clusters']}
    assert by_name['Sharded0']['changed'] is True and by_name['Sharded0']['snapshot']['id'] == '2' * 24
    assert by_name['Cluster1']['snapshot'] == {} and 'BACKUP_CONFIG_NOT_FOUND' in by_name['Cluster1']['error']
    assert 'error' not in by_name['Cluster0'] and len(posts()) == 2


@responses.activate
def test_kinds_a_cluster_deleted_since_the_list_is_left_out_with_a_warning(run_module):
    responses.add(responses.GET, f'{API}/clusters', json={'results': PROJECT[:2]}, headers=DATE)
    responses.add(responses.GET, SNAPS, status=404, json={'error': 404, 'errorCode': 'CLUSTER_NOT_FOUND', 'detail': 'No cluster named Cluster0.'})
    responses.add(responses.GET, f'{API}/clusters/Cluster1/backup/snapshots', json={'results': [dict(NIGHTLY, id='1' * 24)]}, headers=DATE)
    result = run_module(atlas_snapshot.main, kinds_args())
    assert not result.get('failed') and result['changed'] is False
    assert [c['name'] for c in result['clusters']] == ['Cluster1']
    assert 'Cluster0 was listed but no longer exists' in json.dumps(result['warnings'])


@responses.activate
def test_kinds_refusals_before_any_request(run_module):
    for extra, words in ((dict(state='absent'), 'does not delete'), (dict(cluster_kinds=[]), 'at least one kind'),
                         (dict(snapshot_id='a' * 24), 'mutually exclusive: cluster_kinds|snapshot_id'),
                         (dict(cluster_name='Cluster0'), 'mutually exclusive: cluster_name|cluster_kinds'),
                         (dict(cluster_kinds=['flex']), 'cluster_kinds'), (dict(description=None), 'description')):
        result = run_module(atlas_snapshot.main, kinds_args(**extra))
        assert result['failed'] is True and words in result['msg'], (extra, result['msg'])
    assert len(responses.calls) == 0


@responses.activate
def test_kinds_a_snapshot_that_fails_while_waited_for_is_reported_as_taken_and_failed(run_module):
    add_project([dict(NIGHTLY, id='1' * 24)], [dict(NIGHTLY, id='2' * 24)])
    responses.replace(responses.GET, SNAPS, json={'results': []}, headers=DATE)
    responses.add(responses.POST, SNAPS, json=dict(QUEUED, id='3' * 24))
    responses.add(responses.GET, f'{SNAPS}/{"3" * 24}', json=dict(QUEUED, id='3' * 24, status='failed'), headers=DATE)
    result = run_module(atlas_snapshot.main, kinds_args(wait=True, wait_timeout=60))
    assert result['failed'] is True and result['changed'] is True
    first = result['clusters'][0]
    assert (first['name'], first['changed'], first['snapshot']['id'], first['snapshot']['status']) == ('Cluster0', True, '3' * 24, 'failed')
    assert 'failed' in first['error'] and [c['changed'] for c in result['clusters'][1:]] == [False, False]


@responses.activate
def test_kinds_an_answer_lost_after_the_post_adopts_the_snapshot_and_goes_on(run_module):
    """The write path of each cluster is the one-cluster path: a POST whose answer is lost is never sent again when the
    snapshot shows up in the list (here on the second read, as a list that lags would), and the next clusters still run."""
    add_project()
    cluster1 = f'{API}/clusters/Cluster1/backup/snapshots'
    responses.add(responses.GET, cluster1, json={'results': []}, headers=DATE)  # the settling re-read: not listed yet
    responses.add(responses.GET, cluster1, json={'results': [dict(QUEUED, id='1' * 24)]}, headers=DATE)
    responses.add(responses.POST, cluster1, body=requests.exceptions.ConnectionError(ConnectionResetError(104, 'Connection reset by peer')))
    responses.add(responses.POST, cluster1, json={'id': 'd' * 24})  # a naive retry would create this duplicate
    responses.add(responses.POST, f'{API}/clusters/Sharded0/backup/snapshots', json=dict(QUEUED, id='2' * 24))
    result = run_module(atlas_snapshot.main, kinds_args())
    assert not result.get('failed'), result.get('msg')
    assert [(c['name'], c['changed'], c['snapshot'].get('id')) for c in result['clusters']] == [
        ('Cluster0', False, 'f' * 24), ('Cluster1', True, '1' * 24), ('Sharded0', True, '2' * 24)]
    assert [call.request.url.split('/clusters/')[1].split('/')[0] for call in posts()] == ['Cluster1', 'Sharded0']

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

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""atlas_restore_job and atlas_restore_job_info in-process: a cluster Atlas still reports as M2 whose tenant API is gone
moves to the Flex API; options that contradict each other fail before any request."""
from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.modules import atlas_restore_job, atlas_restore_job_info
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.modules.atlas_test_utils import API, connection_args

DATE = {'Date': 'Sun, 22 Nov 2026 12:00:00 GMT'}
M2 = {'name': 'Tenant0', 'clusterType': 'REPLICASET', 'providerSettings': {'providerName': 'TENANT', 'instanceSizeName': 'M2'}}
GONE = {'error': 410, 'errorCode': 'VERSION_GONE', 'detail': 'This endpoint was removed.'}
FLEX_JOB = {'id': 'c' * 24, 'snapshotId': 'a' * 24, 'deliveryType': 'RESTORE', 'status': 'COMPLETED',
            'targetDeploymentItemName': 'Staging0', 'targetProjectId': '5f1a2b3c4d5e6f7a8b9c0d1e',
            'restoreScheduledDate': '2026-11-22T11:00:00Z', 'restoreFinishedDate': '2026-11-22T11:01:00Z'}


def tenant_gone():
    responses.add(responses.GET, f'{API}/clusters/Tenant0', json=M2, headers=DATE)
    for gone in ('snapshots', 'restores'):  # every tenant backup path answers as removed
        responses.add(responses.GET, f'{API}/clusters/Tenant0/backup/tenant/{gone}', status=410, json=GONE, headers=DATE)
    responses.add(responses.GET, f'{API}/flexClusters/Tenant0/backup/restoreJobs', json={'results': [FLEX_JOB]}, headers=DATE)


@responses.activate
def test_info_falls_back_to_flex_when_the_tenant_api_is_gone(run_module):
    tenant_gone()
    result = run_module(atlas_restore_job_info.main, connection_args(cluster_name='Tenant0'))
    assert result['restore_jobs'][0]['id'] == FLEX_JOB['id'] and result['restore_jobs'][0]['status'] == 'completed'
    assert 'tenant backup API is gone' in json.dumps(result['warnings'])


@responses.activate
def test_restore_uses_the_flex_job_it_finds_after_the_tenant_sunset(run_module):
    tenant_gone()
    args = connection_args(cluster_name='Tenant0', delivery_type='automated', snapshot_id='a' * 24, target_cluster_name='Staging0')
    result = run_module(atlas_restore_job.main, args)
    assert result['changed'] is False and result['restore_job']['id'] == FLEX_JOB['id']
    assert 'tenant backup API is gone' in json.dumps(result['warnings'])
    assert [call.request.method for call in responses.calls] == ['GET', 'GET', 'GET']  # no write


@pytest.mark.parametrize('args, says', [
    ({'delivery_type': 'point_in_time', 'target_cluster_name': 'Staging0'}, 'point_in_time_utc_seconds, or oplog_ts'),
    ({'delivery_type': 'automated', 'snapshot_id': 'a' * 24, 'target_cluster_name': 'Staging0', 'oplog_ts': 1}, 'oplog_inc'),
    ({'delivery_type': 'automated', 'snapshot_id': 'a' * 24, 'target_cluster_name': 'Staging0', 'dest': '/tmp'}, 'dest goes with'),
    ({'state': 'absent'}, 'restore_job_id'),
    ({}, 'delivery_type'),
    ({'delivery_type': 'download', 'snapshot_id': 'a' * 24, 'dest': '/tmp', 'parallel_downloads': 0}, 'parallel_downloads must be between 1 and 16, got 0'),
    ({'delivery_type': 'download', 'snapshot_id': 'a' * 24, 'dest': '/tmp', 'parallel_downloads': 17}, 'parallel_downloads must be between 1 and 16, got 17'),
])
@responses.activate
def test_contradictions_fail_before_any_request(run_module, args, says):
    result = run_module(atlas_restore_job.main, connection_args(cluster_name='Cluster0', **args))
    assert result['failed'] and says in result['msg']
    assert len(responses.calls) == 0

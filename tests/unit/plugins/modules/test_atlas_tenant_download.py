# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""atlas_tenant_download's decisions in-process: existing dest, check mode, reuse, sunset fallback, wrong kinds."""
from __future__ import annotations

import responses

from ansible_collections.mongodb_atlas.backup.plugins.modules import atlas_tenant_download
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.modules.atlas_test_utils import API, connection_args

SID = '65a000000000000000000501'
DATE = {'Date': 'Sun, 22 Nov 2026 12:00:00 GMT'}
FLEX_ERROR = {'error': 400, 'errorCode': 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API', 'detail': 'Flex cluster.'}
SNAPSHOT = {'id': SID, 'status': 'COMPLETED', 'finishTime': '2026-11-22T03:04:00Z'}
JOB = {'id': 'b' * 24, 'snapshotId': SID, 'status': 'COMPLETED', 'deliveryType': 'DOWNLOAD', 'snapshotUrl': 'https://dl.test/x.tgz?X-Amz-Signature=s',
       'expirationDate': '2026-11-22T15:00:00Z'}


def flex_cluster():
    responses.add(responses.GET, f'{API}/clusters/Flex0', status=400, json=FLEX_ERROR, headers=DATE)


@responses.activate
def test_existing_dest_makes_no_request(run_module, tmp_path):
    dest = tmp_path / 'a.tgz'
    dest.write_bytes(b'old')
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Flex0', dest=str(dest)))
    assert result['changed'] is False and result['size'] == 3
    assert len(responses.calls) == 0


@responses.activate
def test_reuses_a_valid_job(run_module):
    flex_cluster()
    responses.add(responses.GET, f'{API}/flexClusters/Flex0/backup/snapshots', json={'results': [SNAPSHOT]}, headers=DATE)
    responses.add(responses.GET, f'{API}/flexClusters/Flex0/backup/restoreJobs', json={'results': [JOB]}, headers=DATE)
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Flex0'))
    assert result['changed'] is False and result['restore_job']['id'] == JOB['id']
    assert result['restore_job']['snapshot_url'] == JOB['snapshotUrl']
    assert [call.request.method for call in responses.calls] == ['GET', 'GET', 'GET']


@responses.activate
def test_check_mode_requests_nothing(run_module, tmp_path):
    flex_cluster()
    responses.add(responses.GET, f'{API}/flexClusters/Flex0/backup/snapshots', json={'results': [SNAPSHOT]}, headers=DATE)
    responses.add(responses.GET, f'{API}/flexClusters/Flex0/backup/restoreJobs', json={'results': []}, headers=DATE)
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Flex0', dest=str(tmp_path) + '/', _ansible_check_mode=True))
    assert result['changed'] is True and result['restore_job'] == {'snapshot_id': SID}
    assert all(call.request.method == 'GET' for call in responses.calls)
    assert list(tmp_path.iterdir()) == []


@responses.activate
def test_tenant_sunset_falls_back_to_flex(run_module):
    responses.add(responses.GET, f'{API}/clusters/Tenant0', json={'name': 'Tenant0', 'providerSettings': {'providerName': 'TENANT', 'instanceSizeName': 'M2'}})
    responses.add(responses.GET, f'{API}/clusters/Tenant0/backup/tenant/snapshots', status=410, json={'errorCode': 'VERSION_GONE'})
    responses.add(responses.GET, f'{API}/flexClusters/Tenant0/backup/snapshots', json={'results': [SNAPSHOT]}, headers=DATE)
    responses.add(responses.GET, f'{API}/flexClusters/Tenant0/backup/restoreJobs', json={'results': [JOB]}, headers=DATE)
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Tenant0'))
    assert result['download_api'] == 'flex' and result['restore_job']['id'] == JOB['id']
    assert '2026-01-22' in str(result['warnings'])


@responses.activate
def test_dedicated_cluster_points_elsewhere(run_module):
    dedicated = {'name': 'Cluster0', 'clusterType': 'REPLICASET', 'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M10'}}]}]}
    responses.add(responses.GET, f'{API}/clusters/Cluster0', json=dedicated)
    result = run_module(atlas_tenant_download.main, connection_args())
    assert result['failed'] is True and 'atlas_snapshot' in result['msg']
    assert len(responses.calls) == 1

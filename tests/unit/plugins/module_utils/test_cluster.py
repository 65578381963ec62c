# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module base's pure pieces: actionable error messages and cluster-kind detection."""
from __future__ import annotations

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import (
    FLEX, NO_BACKUP, REPLICA_SET, SHARDED, TENANT, ClusterInfo, Endpoints, backup_cluster, get_cluster, kind_from_description, serving,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError

G = '5f1a2b3c4d5e6f7a8b9c0d1e'
BASE = 'https://atlas.test'


@pytest.mark.parametrize('doc, kind', [
    ({'clusterType': 'REPLICASET', 'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M10'}}]}], 'backupEnabled': True}, REPLICA_SET),
    ({'clusterType': 'SHARDED', 'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M30'}}]}]}, SHARDED),
    ({'clusterType': 'GEOSHARDED', 'providerSettings': {'instanceSizeName': 'M40'}}, SHARDED),
    ({'clusterType': 'REPLICASET', 'providerSettings': {'providerName': 'TENANT', 'instanceSizeName': 'M2'}}, TENANT),
    ({'clusterType': 'REPLICASET', 'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M5'}}]}]}, TENANT),
    ({'clusterType': 'REPLICASET', 'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M0'}}]}]}, NO_BACKUP),
])
def test_kind_from_description(doc, kind):
    assert kind_from_description(doc).kind == kind
    assert kind != FLEX


@pytest.mark.parametrize('kind, resource, snapshots, one, take, download, jobs', [
    (REPLICA_SET, 'backup', f'/groups/{G}/clusters/C/backup/snapshots', f'/groups/{G}/clusters/C/backup/snapshots/s1',
     f'/groups/{G}/clusters/C/backup/snapshots', None, f'/groups/{G}/clusters/C/backup/restoreJobs'),
    (SHARDED, 'backup', f'/groups/{G}/clusters/C/backup/snapshots/shardedClusters', f'/groups/{G}/clusters/C/backup/snapshots/shardedCluster/s1',
     f'/groups/{G}/clusters/C/backup/snapshots', None, f'/groups/{G}/clusters/C/backup/restoreJobs'),
    (FLEX, 'flex', f'/groups/{G}/flexClusters/C/backup/snapshots', f'/groups/{G}/flexClusters/C/backup/snapshots/s1',
     None, f'/groups/{G}/flexClusters/C/backup/download', f'/groups/{G}/flexClusters/C/backup/restoreJobs'),
    (TENANT, 'tenant', f'/groups/{G}/clusters/C/backup/tenant/snapshots', f'/groups/{G}/clusters/C/backup/tenant/snapshots/s1',
     None, f'/groups/{G}/clusters/C/backup/tenant/download', f'/groups/{G}/clusters/C/backup/tenant/restores'),
])
def test_every_path_of_a_kind_comes_from_one_object(kind, resource, snapshots, one, take, download, jobs):
    where = Endpoints(G, 'C', kind)
    assert (where.resource, where.snapshots, where.snapshot('s1'), where.take, where.download, where.jobs) == (
        resource, snapshots, one, take, download, jobs)
    assert where.job('j1') == f'{jobs}/j1'
    assert where.restore == {FLEX: jobs, TENANT: f'/groups/{G}/clusters/C/backup/tenant/restore'}.get(kind, jobs)
    assert where.schedule == (f'/groups/{G}/clusters/C/backup/schedule' if kind in (REPLICA_SET, SHARDED) else None)
    # Atlas re-dates every kind's snapshot through the replica-set path
    assert where.retention('s1') == f'/groups/{G}/clusters/C/backup/snapshots/s1'


@responses.activate
def test_get_cluster_reads_the_kind_with_one_request_and_knows_flex_by_its_refusal():
    url = f'{BASE}/api/atlas/v2/groups/{G}/clusters'
    responses.get(f'{url}/Cluster0', json={'name': 'Cluster0', 'clusterType': 'SHARDED', 'providerSettings': {'instanceSizeName': 'M30'}})
    responses.get(f'{url}/Flex0', status=400, json={'errorCode': 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API', 'detail': 'flex'})
    client = AtlasClient(base_url=BASE, retries=0)
    assert tuple(get_cluster(client, G, 'Cluster0')) == ('Cluster0', SHARDED, 'M30', False, None)
    assert tuple(get_cluster(client, G, 'Flex0')) == ('Flex0', FLEX, None, False, None)
    assert len(responses.calls) == 2


@responses.activate
def test_get_cluster_explains_a_missing_cluster():
    responses.get(f'{BASE}/api/atlas/v2/groups/{G}/clusters/Nope', status=404, json={'errorCode': 'CLUSTER_NOT_FOUND', 'detail': 'x'})
    with pytest.raises(TaskError) as caught:
        get_cluster(AtlasClient(base_url=BASE, retries=0), G, 'Nope')
    assert caught.value.msg == f'Failed to read cluster Nope: no cluster named Nope exists in project {G}. Check cluster_name (CLUSTER_NOT_FOUND).'
    assert caught.value.result == {'status': 404, 'error_code': 'CLUSTER_NOT_FOUND'}


TENANT_SNAPS = f'{BASE}/api/atlas/v2/groups/{G}/clusters/Tenant0/backup/tenant/snapshots'
M2 = ClusterInfo('Tenant0', TENANT, 'M2')


@pytest.mark.parametrize('cluster', [ClusterInfo('Cluster0', REPLICA_SET, 'M10'), ClusterInfo('Flex0', FLEX, None)])
@responses.activate
def test_serving_costs_nothing_for_clusters_that_were_never_m2_m5(cluster):
    warned: list[str] = []
    assert serving(AtlasClient(base_url=BASE, retries=0), G, cluster, warn=warned.append) == cluster
    assert len(responses.calls) == 0 and warned == []


@responses.activate
def test_serving_keeps_a_tenant_cluster_whose_tenant_api_answers():
    responses.get(TENANT_SNAPS, json={'results': []})
    warned: list[str] = []
    assert serving(AtlasClient(base_url=BASE, retries=0), G, M2, warn=warned.append) == M2
    assert len(responses.calls) == 1 and warned == []


@pytest.mark.parametrize('status, code', [(410, 'VERSION_GONE'), (404, 'RESOURCE_NOT_FOUND'), (404, None)])
@responses.activate
def test_serving_moves_a_tenant_cluster_whose_api_is_gone_to_flex_once_with_a_warning(status, code):
    responses.get(TENANT_SNAPS, status=status, json={'errorCode': code} if code else {})
    warned: list[str] = []
    served = serving(AtlasClient(base_url=BASE, retries=0), G, M2, warn=warned.append)
    assert served == ClusterInfo('Tenant0', FLEX, 'M2') and Endpoints(G, 'Tenant0', served.kind).resource == 'flex'
    assert len(warned) == 1 and 'tenant backup API is gone' in warned[0] and 'M2' in warned[0]
    assert len(responses.calls) == 1


@responses.activate
def test_serving_a_forced_tenant_api_that_is_gone_fails_saying_what_to_use():
    responses.get(TENANT_SNAPS, status=410, json={'errorCode': 'VERSION_GONE'})
    with pytest.raises(TaskError) as caught:
        serving(AtlasClient(base_url=BASE, retries=0), G, M2, warn=lambda _m: None, forced=TENANT)
    assert 'download_api: auto or flex' in caught.value.msg


@responses.activate
def test_serving_raises_other_answers_and_backup_cluster_names_them():
    responses.get(f'{BASE}/api/atlas/v2/groups/{G}/clusters/Tenant0', json={'name': 'Tenant0', 'providerSettings': {'instanceSizeName': 'M5'}})
    responses.get(TENANT_SNAPS, status=403, json={'errorCode': 'USER_UNAUTHORIZED', 'detail': 'no'})
    with pytest.raises(AtlasApiError):
        serving(AtlasClient(base_url=BASE, retries=0), G, M2, warn=lambda _m: None)
    with pytest.raises(TaskError) as caught:
        backup_cluster(AtlasClient(base_url=BASE, retries=0), G, 'Tenant0', warn=lambda _m: None)
    assert 'list the snapshots of cluster Tenant0' in caught.value.msg and caught.value.result['error_code'] == 'USER_UNAUTHORIZED'


def test_continuous_backup_and_shards_are_read_too():
    v2 = kind_from_description({'clusterType': 'SHARDED', 'pitEnabled': True, 'replicationSpecs': [
        {'regionConfigs': [{'electableSpecs': {'instanceSize': 'M30'}}]}, {'regionConfigs': [{'electableSpecs': {'instanceSize': 'M30'}}]}]})
    v1 = kind_from_description({'clusterType': 'SHARDED', 'numShards': 3, 'providerSettings': {'instanceSizeName': 'M30'}})
    replica_set = kind_from_description({'clusterType': 'REPLICASET', 'providerSettings': {'instanceSizeName': 'M10'}})
    assert (v2.pit_enabled, v2.shards, v1.pit_enabled, v1.shards, replica_set.shards) == (True, 2, False, 3, None)

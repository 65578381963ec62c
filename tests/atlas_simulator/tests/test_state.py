# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Points 5 and 6: the clock-driven state machine, and the tenant API sunset."""
from __future__ import annotations

import time

import pytest

from conftest import BACKUP, CLUSTER, FLEX

TENANT_FIRST = '65a000000000000000000401'


def status_of(sim, owner, snapshot_id):
    return owner.get(sim.v2(f'/clusters/Cluster0/backup/snapshots/{snapshot_id}'), headers={'Accept': BACKUP}, timeout=10).json()['status']


def take(sim, owner, cluster='Cluster0'):
    return owner.post(sim.v2(f'/clusters/{cluster}/backup/snapshots'), json={'retentionInDays': 1}, headers={'Accept': BACKUP}, timeout=10).json()


def test_on_demand_snapshot_goes_queued_in_progress_completed(sim, owner):
    snap = take(sim, owner)
    assert status_of(sim, owner, snap['id']) == 'queued'
    sim.control('POST', 'clock', {'advance': 1.5})
    assert status_of(sim, owner, snap['id']) == 'inProgress'
    sim.control('POST', 'clock', {'advance': 2})
    assert status_of(sim, owner, snap['id']) == 'completed'


def test_failing_cluster_ends_failed(sim, owner):
    sim.control('PATCH', 'config', {'failing_clusters': ['Cluster0'], 'snapshot_durations': {'queued': 10, 'in_progress': 20}})
    snap = take(sim, owner)
    sim.control('POST', 'clock', {'advance': 15})
    assert status_of(sim, owner, snap['id']) == 'inProgress'
    sim.control('POST', 'clock', {'advance': 20})
    assert status_of(sim, owner, snap['id']) == 'failed'


def test_clock_scale_speeds_everything_up(sim, owner):
    sim.control('PATCH', 'config', {'snapshot_durations': {'queued': 30, 'in_progress': 30}})
    snap = take(sim, owner)
    assert sim.control('POST', 'clock', {'scale': 600}).json()['scale'] == 600
    time.sleep(0.2)  # 120 simulated seconds
    assert status_of(sim, owner, snap['id']) == 'completed'


def test_download_job_states(sim, owner):
    sim.in_2025()
    sim.control('PATCH', 'config', {'download_duration': 30, 'failing_downloads': ['Flex0']})
    accept = {'Accept': FLEX}
    ok = owner.post(sim.v2('/clusters/Tenant0/backup/tenant/download'), json={'snapshotId': TENANT_FIRST}, headers={'Accept': BACKUP}, timeout=10).json()
    assert ok['status'] == 'QUEUED'
    bad = owner.post(sim.v2('/flexClusters/Flex0/backup/download'), json={'snapshotId': '65a000000000000000000501'}, headers=accept, timeout=10).json()
    sim.control('POST', 'clock', {'advance': 15})
    assert owner.get(sim.v2(f'/clusters/Tenant0/backup/tenant/restores/{ok["id"]}'), headers={'Accept': BACKUP}, timeout=10).json()['status'] == 'RUNNING'
    sim.control('POST', 'clock', {'advance': 20})
    done = owner.get(sim.v2(f'/clusters/Tenant0/backup/tenant/restores/{ok["id"]}'), headers={'Accept': BACKUP}, timeout=10).json()
    assert done['status'] == 'COMPLETED' and done['snapshotUrl']
    failed = owner.get(sim.v2(f'/flexClusters/Flex0/backup/restoreJobs/{bad["id"]}'), headers=accept, timeout=10).json()
    assert failed['status'] == 'FAILED' and 'snapshotUrl' not in failed


def test_download_conflicts(sim, owner):
    sim.in_2025()
    url = sim.v2('/clusters/Tenant0/backup/tenant/download')
    first = owner.post(url, json={'snapshotId': TENANT_FIRST}, headers={'Accept': BACKUP}, timeout=10)
    assert first.status_code == 200
    again = owner.post(url, json={'snapshotId': TENANT_FIRST}, headers={'Accept': BACKUP}, timeout=10)
    assert again.status_code == 400 and again.json()['errorCode'] == 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY'
    missing = owner.post(url, json={}, headers={'Accept': BACKUP}, timeout=10)
    assert missing.status_code == 400 and missing.json()['errorCode'] == 'MISSING_ATTRIBUTE'


@pytest.mark.parametrize('status, code', [(410, 'VERSION_GONE'), (404, 'NOT_FOUND')])
def test_tenant_sunset(sim, owner, status, code):
    sim.in_2025()
    sim.control('PATCH', 'config', {'world': '2026', 'tenant_sunset': status})
    for method, suffix in (('GET', '/backup/tenant/snapshots'), ('POST', '/backup/tenant/download'), ('GET', '/backup/tenant/restores')):
        response = owner.request(method, sim.v2(f'/clusters/Tenant0{suffix}'), json={'snapshotId': TENANT_FIRST} if method == 'POST' else None,
                                 headers={'Accept': BACKUP}, timeout=10)
        assert response.status_code == status and response.json()['errorCode'] == code
    # Tenant0 was migrated to Flex: the cluster API refuses it, the flex API serves it with the same snapshots
    cluster = owner.get(sim.v2('/clusters/Tenant0'), headers={'Accept': CLUSTER}, timeout=10)
    assert cluster.json()['errorCode'] == 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API'
    flex = owner.get(sim.v2('/flexClusters/Tenant0/backup/snapshots'), headers={'Accept': FLEX}, timeout=10).json()['results']
    assert flex[0]['id'] == TENANT_FIRST
    job = owner.post(sim.v2('/flexClusters/Tenant0/backup/download'), json={'snapshotId': TENANT_FIRST}, headers={'Accept': FLEX}, timeout=10)
    assert job.status_code == 200


def test_before_sunset_tenant_api_serves_flex_but_flex_api_refuses_tenant(sim, owner):
    sim.in_2025()
    assert owner.get(sim.v2('/clusters/Flex0/backup/tenant/snapshots'), headers={'Accept': BACKUP}, timeout=10).status_code == 200
    refused = owner.get(sim.v2('/flexClusters/Tenant0/backup/snapshots'), headers={'Accept': FLEX}, timeout=10)
    assert refused.json()['errorCode'] == 'CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API'
    dedicated = owner.get(sim.v2('/clusters/Cluster0/backup/tenant/snapshots'), headers={'Accept': BACKUP}, timeout=10)
    assert dedicated.status_code == 400


def test_reset_restores_the_seed(sim, owner):
    take(sim, owner)
    sim.control('PATCH', 'config', {'world': '2025', 'tenant_sunset': 404})
    assert sim.control('POST', 'reset').json() == {'ok': True}
    state = sim.control('GET', 'state').json()
    assert len(state['clusters']['Cluster0']['snapshots']) == 3
    assert state['clusters']['Tenant0']['kind'] == 'flex'
    assert sim.control('GET', 'config').json()['tenant_sunset'] == 410 and sim.control('GET', 'config').json()['world'] == '2026'
    assert sim.log() == []


def test_clock_control(sim):
    before = sim.control('GET', 'clock').json()
    assert before['scale'] == 1.0 and before['now'].endswith('Z') and len(before['now']) == 20
    advanced = sim.control('POST', 'clock', {'advance': 3600}).json()
    assert advanced['now'][11:13] != before['now'][11:13] or advanced['now'][:10] != before['now'][:10]
    scaled = sim.control('POST', 'clock', {'scale': 1000}).json()
    assert scaled['scale'] == 1000 and scaled['now'] >= advanced['now']  # changing the scale does not jump the clock
    assert sim.control('POST', 'clock', {'scale': 1}).json()['scale'] == 1


def test_download_job_fields_and_link_timing(sim, owner):
    job = owner.post(sim.v2('/flexClusters/Flex0/backup/download'), json={'snapshotId': '65a000000000000000000501'},
                     headers={'Accept': FLEX}, timeout=10).json()
    assert {'id', 'deliveryType', 'snapshotId', 'expirationDate', 'instanceName', 'projectId', 'status', 'links'} <= set(job)
    assert job['status'] == 'QUEUED' and 'snapshotUrl' not in job and 'clusterName' not in job
    now = sim.control('GET', 'clock').json()['now']
    assert job['restoreScheduledDate'] == now or abs(int(job['restoreScheduledDate'][17:19]) - int(now[17:19])) <= 1
    sim.control('POST', 'clock', {'advance': 0.5})
    running = owner.get(sim.v2(f'/flexClusters/Flex0/backup/restoreJobs/{job["id"]}'), headers={'Accept': FLEX}, timeout=10).json()
    assert running['status'] == 'RUNNING'
    sim.control('POST', 'clock', {'advance': 1})
    done = owner.get(sim.v2(f'/flexClusters/Flex0/backup/restoreJobs/{job["id"]}'), headers={'Accept': FLEX}, timeout=10).json()
    assert done['status'] == 'COMPLETED' and done['snapshotUrl'] and done['expirationDate'] == job['expirationDate']
    listed = sim.control('GET', 'state').json()['download_jobs']
    assert [j['id'] for j in listed] == [job['id']] and listed[0]['status'] == 'COMPLETED'


def test_state_shows_every_cluster_and_kind(sim):
    state = sim.control('GET', 'state').json()
    kinds = {name: cluster['kind'] for name, cluster in state['clusters'].items()}
    assert kinds == {'Cluster0': 'replicaSet', 'Sharded0': 'sharded', 'Free0': 'free', 'Tenant0': 'flex', 'Flex0': 'flex', 'Staging0': 'replicaSet'}
    assert state['group_id'] == '5f1a2b3c4d5e6f7a8b9c0d1e'
    assert [s['id'] for s in state['clusters']['Sharded0']['snapshots']] == ['65a000000000000000000201']
    assert state['clusters']['Flex0']['snapshots'][0]['status'] == 'COMPLETED'


def test_reset_can_replace_the_seed_and_config(sim, owner):
    body = {'config': {'project_id': 'aaaaaaaaaaaaaaaaaaaaaaaa', 'clusters': [{'name': 'Solo', 'kind': 'replicaSet', 'snapshots': 1}],
                       'snapshot_durations': {'queued': 0}}}
    assert sim.control('POST', 'reset', body).json() == {'ok': True}
    url = f'{sim.url}/api/atlas/v2/groups/aaaaaaaaaaaaaaaaaaaaaaaa/clusters/Solo/backup/snapshots'
    assert owner.get(url, headers={'Accept': BACKUP}, timeout=10).json()['totalCount'] == 1
    assert owner.post(url, json={}, headers={'Accept': BACKUP}, timeout=10).json()['status'] == 'inProgress'
    assert owner.get(sim.v2('/clusters/Cluster0'), headers={'Accept': BACKUP}, timeout=10).json()['errorCode'] == 'GROUP_NOT_FOUND'
    bad = sim.control('POST', 'reset', {'config': {'clusters': [{'name': 'X', 'kind': 'galaxy'}]}})
    assert bad.status_code == 400 and 'kind must be one of' in bad.json()['error']
    assert owner.get(url, headers={'Accept': BACKUP}, timeout=10).status_code == 200  # a refused reset changes nothing

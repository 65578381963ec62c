# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Atlas's JSON shapes for clusters, snapshots and restore jobs (the official spec, and the recorded answers)."""
from __future__ import annotations

import datetime
import hashlib
import typing as t

from atlas_simulator.state import FLEX, FREE, SHARDED, TENANT, Cluster, DownloadJob, RestoreJob, Snapshot, iso

MONGO_VERSION = '8.0.4'


def links(base: str, path: str, *extra: tuple[str, str]) -> list[dict[str, str]]:
    return [{'href': base + path, 'rel': 'self'}] + [{'href': base + href, 'rel': rel} for rel, href in extra]


def cloud_snapshot(snap: Snapshot, cluster: Cluster, now: datetime.datetime, base: str, group_id: str) -> dict[str, t.Any]:
    """DiskBackupReplicaSet or DiskBackupShardedClusterSnapshot; fields appear as the snapshot progresses."""
    status = snap.status(now)
    sharded = cluster.kind == SHARDED
    cluster_path = f'/api/atlas/v2/groups/{group_id}/clusters/{cluster.name}'
    item = f'{cluster_path}/backup/snapshots/shardedCluster/{snap.id}' if sharded else f'{cluster_path}/backup/snapshots/{snap.id}'
    doc: dict[str, t.Any] = {
        'id': snap.id,
        'expiresAt': iso(snap.expiry(now)),
        'frequencyType': snap.frequency_type,
        'snapshotType': snap.snapshot_type,
        'status': status,
        'type': 'shardedCluster' if sharded else 'replicaSet',
        'policyItems': [] if snap.snapshot_type == 'onDemand' else ['65a0000000000000000000f1'],
        'storageSizeBytes': 0,
        'links': links(base, item, ('https://cloud.mongodb.com/cluster', cluster_path)),
    }
    if snap.description is not None:
        doc['description'] = snap.description
    if status != 'queued':  # as recorded: cloudProvider and mongodVersion from inProgress on, createdAt only on completion
        doc['mongodVersion'] = MONGO_VERSION
    if status == 'completed':
        doc['createdAt'] = iso(snap.created_at())
        doc['storageSizeBytes'] = 104857600
    if sharded:
        doc['configServerType'] = 'EMBEDDED'
        doc['snapshotIds'] = list(snap.member_ids)
        doc['members'] = [
            {'cloudProvider': 'AWS', 'id': member,
             'replicaSetName': f'{cluster.name}-config-0' if index == len(snap.member_ids) - 1 else f'{cluster.name}-shard-{index}'}
            for index, member in enumerate(snap.member_ids)
        ]
    else:
        doc['copyRegions'] = []
        doc['replicaSetName'] = f'{cluster.name}-shard-0'
        if status != 'queued':
            doc['cloudProvider'] = 'AWS'
    return doc


def shared_tier_snapshot(snap: Snapshot, path: str, now: datetime.datetime, base: str) -> dict[str, t.Any]:
    """BackupTenantSnapshot / FlexBackupSnapshot20241113 (same fields)."""
    status = {'queued': 'QUEUED', 'inProgress': 'RUNNING', 'completed': 'COMPLETED', 'failed': 'FAILED'}[snap.status(now)]
    doc = {
        'id': snap.id,
        'status': status,
        'mongoDBVersion': MONGO_VERSION,
        'scheduledTime': iso(snap.requested_at),
        'startTime': iso(snap.created_at()),
        'expiration': iso(snap.expiry(now)),
        'links': links(base, path),
    }
    if status == 'COMPLETED':
        doc['finishTime'] = iso(snap.finished_at())
    return doc


def download_job(job: DownloadJob, now: datetime.datetime, base: str, path: str, group_id: str,
                 snapshot_url: t.Callable[[DownloadJob], str]) -> dict[str, t.Any]:
    """TenantRestore (tenant API) or FlexBackupRestoreJob20241113 (flex API), deliveryType DOWNLOAD or RESTORE."""
    status = job.status(now)
    doc: dict[str, t.Any] = {
        'id': job.id,
        'deliveryType': job.delivery,
        'snapshotId': job.snapshot_id,
        'projectId': group_id,
        'status': status,
        'expirationDate': iso(job.link_expires()),
        'restoreScheduledDate': iso(job.requested_at),
        'snapshotFinishedDate': iso(job.snapshot_finished or job.requested_at),
        'links': links(base, path),
    }
    doc['clusterName' if job.api == 'tenant' else 'instanceName'] = job.cluster
    # Required by the spec (and in Atlas's example answers): for a download, the source cluster and its project.
    doc['targetDeploymentItemName'] = job.target_name or job.cluster
    doc['targetProjectId'] = job.target_project or group_id
    if status == 'COMPLETED':
        doc['restoreFinishedDate'] = iso(job.finished_at())
        if job.delivery == 'DOWNLOAD':
            doc['snapshotUrl'] = snapshot_url(job)
    return doc


def target_item_name(cluster_name: str) -> str:
    """The undocumented targetDeploymentItemName of automated jobs: an atlas-xxxxxx host prefix, stable per cluster."""
    return 'atlas-' + hashlib.sha256(cluster_name.encode('utf-8')).hexdigest()[:6]


def _desired_timestamp(job: RestoreJob) -> dict[str, t.Any]:
    """Recorded on non-PIT jobs as all nulls plus an undocumented `time` key; PIT jobs carry the restore point."""
    seconds = job.pit.get('pointInTimeUTCSeconds', job.pit.get('oplogTs'))
    if seconds is None:
        return {'increment': None, 'time': None, 'date': None}
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return {'increment': job.pit.get('oplogInc'), 'time': seconds, 'date': iso(moment)}


def restore_job(job: RestoreJob, now: datetime.datetime, base: str, group_id: str,
                restore_url: t.Callable[[RestoreJob, str, str], str]) -> dict[str, t.Any]:
    """DiskBackupSnapshotRestoreJob as recorded: no status, flags, deliveryUrl [] until ready."""
    cluster_path = f'/api/atlas/v2/groups/{group_id}/clusters/{job.cluster}'
    snap_path = f'{cluster_path}/backup/snapshots/shardedCluster/{job.snapshot_id}' if job.sharded else \
        f'{cluster_path}/backup/snapshots/{job.snapshot_id}'
    ready = job.links_ready(now)
    urls = [(name, restore_url(job, name, member)) for name, member in job.replica_sets] if ready else []
    doc: dict[str, t.Any] = {
        'id': job.id,
        'deliveryType': job.delivery_type,
        'snapshotId': job.snapshot_id,
        'cancelled': job.cancelled(now),
        'failed': job.failed(now),
        'expired': job.expired(now),
        'deliveryUrl': [url for _name, url in urls],
        'desiredTimestamp': _desired_timestamp(job),
        'timestamp': iso(job.snapshot_taken),
        'links': links(base, f'{cluster_path}/backup/restoreJobs/{job.id}', ('https://cloud.mongodb.com/snapshot', snap_path),
                       ('https://cloud.mongodb.com/cluster', cluster_path), ('https://cloud.mongodb.com/group', f'/api/atlas/v2/groups/{group_id}')),
    }
    if job.target_name is not None:
        doc.update(targetClusterName=job.target_name, targetGroupId=job.target_group, targetDeploymentItemName=target_item_name(job.target_name))
    doc.update(job.pit)
    if job.finished(now):
        doc['finishedAt'] = iso(job.ready_at())
    if ready:
        doc['expiresAt'] = iso(job.expires_at() or job.ready_at())
    if job.sharded:
        by_name = dict(urls)
        doc['components'] = [dict({'replicaSetName': name}, **({'downloadUrl': by_name[name]} if name in by_name else {}))
                             for name, _member in job.replica_sets]
    return doc


def cluster_id(cluster: Cluster) -> str:
    return f'65b00000000000000000{sum(map(ord, cluster.name)) % 10000:04d}'


def _region(cluster: Cluster) -> dict[str, t.Any]:
    if cluster.kind in (FREE, TENANT):
        return {'providerName': 'TENANT', 'backingProviderName': 'AWS', 'regionName': 'US_EAST_1', 'priority': 7,
                'electableSpecs': {'instanceSize': cluster.tier}}
    return {'providerName': 'AWS', 'regionName': 'US_EAST_1', 'priority': 7, 'electableSpecs': {'instanceSize': cluster.tier, 'nodeCount': 3}}


def cluster_description(cluster: Cluster, version: str, base: str, group_id: str) -> dict[str, t.Any]:
    """GET cluster: LegacyAtlasCluster for v1.0 / 2023-01-01, ClusterDescription20240805 (and 2023-02-01) otherwise."""
    path = f'/api/atlas/v2/groups/{group_id}/clusters/{cluster.name}'
    common = {
        'id': cluster_id(cluster),
        'name': cluster.name,
        'groupId': group_id,
        'clusterType': 'SHARDED' if cluster.kind == SHARDED else 'REPLICASET',
        'mongoDBVersion': MONGO_VERSION,
        'stateName': 'IDLE',
        'links': links(base, path),
    }
    dedicated = cluster.kind not in (FREE, TENANT, FLEX)
    common['pitEnabled'] = cluster.pit_enabled
    if version in ('v1.0', '2023-01-01'):
        region = _region(cluster)
        settings = {'providerName': region['providerName'], 'instanceSizeName': cluster.tier, 'regionName': 'US_EAST_1'}
        if 'backingProviderName' in region:
            settings['backingProviderName'] = region['backingProviderName']
        return dict(common, providerSettings=settings, providerBackupEnabled=dedicated, backupEnabled=False,
                    numShards=cluster.shards if cluster.kind == SHARDED else 1)
    specs = [{'id': f'65c0000000000000000000{index:02d}', 'zoneId': '65c1000000000000000000a0', 'zoneName': 'Zone 1', 'regionConfigs': [_region(cluster)]}
             for index in range(cluster.shards if cluster.kind == SHARDED else 1)]
    return dict(common, backupEnabled=dedicated, replicationSpecs=specs)


def flex_description(cluster: Cluster, base: str, group_id: str) -> dict[str, t.Any]:
    """FlexClusterDescription20241113."""
    return {
        'id': f'65d00000000000000000{sum(map(ord, cluster.name)) % 10000:04d}',
        'name': cluster.name,
        'groupId': group_id,
        'clusterType': 'REPLICASET',
        'mongoDBVersion': MONGO_VERSION,
        'stateName': 'IDLE',
        'providerSettings': {'providerName': 'FLEX', 'backingProviderName': 'AWS', 'regionName': 'US_EAST_1'},
        'backupSettings': {'enabled': True},
        'links': links(base, f'/api/atlas/v2/groups/{group_id}/flexClusters/{cluster.name}'),
    }

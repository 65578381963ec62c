# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Handlers for the shared-tier snapshot APIs: tenant (M2/M5, sunset 2026-01-22) and Flex snapshots, downloads and restore jobs."""
from __future__ import annotations

import typing as t

from atlas_simulator import render
from atlas_simulator.errors import ApiError, bad_attribute, not_found_cluster
from atlas_simulator.routes_common import ID, Context, check_id, find_snapshot, flex_cluster, kind_of, page, parse_body, tenant_cluster
from atlas_simulator.routes_restore import check_not_restoring
from atlas_simulator.state import FREE, SHARDED, Cluster, DownloadJob, Snapshot

ACTIVE_JOB = ('PENDING', 'QUEUED', 'RUNNING')


def _snapshot_doc(ctx: Context, cluster: Cluster, snap: Snapshot, api: str) -> dict[str, t.Any]:
    version = 'v1.0' if api == 'tenant' and ctx.version == 'v1.0' else 'v2'
    prefix = f'/api/atlas/{version}/groups/{ctx.world.group_id}'
    path = f'{prefix}/flexClusters/{cluster.name}/backup/snapshots/{snap.id}' if api == 'flex' else \
        f'{prefix}/clusters/{cluster.name}/backup/tenant/snapshots/{snap.id}'
    return render.shared_tier_snapshot(snap, path, ctx.now, ctx.base)


def _job_doc(ctx: Context, job: DownloadJob) -> dict[str, t.Any]:
    group = ctx.world.group_id
    path = f'/api/atlas/v2/groups/{group}/flexClusters/{job.cluster}/backup/restoreJobs/{job.id}' if job.api == 'flex' else \
        f'/api/atlas/v2/groups/{group}/clusters/{job.cluster}/backup/tenant/restores/{job.id}'
    return render.download_job(job, ctx.now, ctx.base, path, group, ctx.snapshot_url)


def _request_download(ctx: Context, cluster: Cluster, api: str) -> tuple[int, t.Any]:
    """POST .../download: a QUEUED job; 404 unknown snapshot, 409 unfinished snapshot, 400 while one is running."""
    extra = {'targetDeploymentItemName': str, 'targetProjectId': str} if api == 'tenant' else {}
    body = parse_body(ctx, dict({'snapshotId': str}, **extra), required=('snapshotId',))
    if not ID.match(body['snapshotId']):
        raise bad_attribute('snapshotId', f'Invalid snapshotId {body["snapshotId"]}: expected 24 hexadecimal characters.')
    snap = find_snapshot(cluster, body['snapshotId'], 'TENANT_SNAPSHOT_NOT_FOUND' if api == 'tenant' else 'SNAPSHOT_NOT_FOUND')
    if snap.status(ctx.now) != 'completed':
        raise ApiError(409, 'CANNOT_DOWNLOAD_INCOMPLETE_SNAPSHOT', f'Snapshot {snap.id} is not complete and cannot be downloaded.', [snap.id])
    if any(job.snapshot_id == snap.id and job.delivery == 'DOWNLOAD' and job.status(ctx.now) in ACTIVE_JOB for job in ctx.world.jobs_for(cluster.name)):
        raise ApiError(400, 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY', f'Snapshot {snap.id} is already being downloaded.', [snap.id])
    job = ctx.world.request_download(api, cluster, snap.id, ctx.now, body.get('targetDeploymentItemName'), body.get('targetProjectId'))
    return 200, _job_doc(ctx, job)


def _request_restore(ctx: Context, cluster: Cluster, api: str) -> tuple[int, t.Any]:
    """POST flex restoreJobs / tenant restore: a PENDING job (deliveryType RESTORE) that replaces the target's data.

    Flex needs targetProjectId too (400 MISSING_ATTRIBUTE, as seen by the Atlas CLI); the tenant restore defaults it to the project.
    The Atlas CLI's readOnly instanceName is accepted and ignored.
    """
    required = ('snapshotId', 'targetDeploymentItemName') + (('targetProjectId',) if api == 'flex' else ())
    fields = {'snapshotId': str, 'targetDeploymentItemName': str, 'targetProjectId': str}
    body = parse_body(ctx, dict(fields, instanceName=str) if api == 'flex' else fields, required=required)
    for key in ('snapshotId', 'targetProjectId'):
        if key in body and not ID.match(body[key]):
            raise bad_attribute(key, f'Invalid {key} {body[key]}: expected 24 hexadecimal characters.')
    snap = find_snapshot(cluster, body['snapshotId'], 'TENANT_SNAPSHOT_NOT_FOUND' if api == 'tenant' else 'SNAPSHOT_NOT_FOUND')
    if snap.status(ctx.now) != 'completed':
        raise ApiError(409, 'CANNOT_START_RESTORE_JOB_FOR_INCOMPLETE_CLUSTER_SNAPSHOT',
                       f'Cannot start a restore job for snapshot {snap.id}: the snapshot is not complete.', [snap.id])
    project = body.get('targetProjectId', ctx.world.group_id)
    if project != ctx.world.group_id:
        raise ApiError(404, 'GROUP_NOT_FOUND', f'No group with ID {project} exists.', [project])
    target = ctx.world.cluster(body['targetDeploymentItemName'])
    if target is None:
        raise not_found_cluster(body['targetDeploymentItemName'], project)
    if target.kind == SHARDED:
        raise ApiError(400, 'TENANT_RESTORE_INCOMPATIBLE_TOPOLOGY', f'Cannot restore a shared-tier snapshot into sharded cluster {target.name}.',
                       [target.name])
    if kind_of(ctx, target) == FREE:  # unverified: the tenant restore wants an M2 or larger target
        raise ApiError(409, 'INVALID_RESTORE_PROCESS', f'Cluster {target.name} (M0) is not a valid restore target.', [target.name])
    check_not_restoring(ctx, target)
    return 200, _job_doc(ctx, ctx.world.request_shared_restore(api, cluster, snap, ctx.now, target, project))


# The recorded Flex restore-job list came in pages of 100 with a next link; whether Atlas honours
# itemsPerPage=500 there is unknown, so the simulator does the worse: 100 at most, whatever is asked.
FLEX_JOBS_PAGE = 100


def _jobs(ctx: Context, cluster: Cluster, api: str) -> tuple[int, t.Any]:
    doc = page(ctx, [job for job in ctx.world.jobs_for(cluster.name) if job.api == api and ctx.world.listed(job, ctx.now)],
               FLEX_JOBS_PAGE if api == 'flex' else None)
    doc['results'] = [_job_doc(ctx, job) for job in doc['results']]
    return 200, doc


def _one_job(ctx: Context, cluster: Cluster, job_id: str, api: str) -> tuple[int, t.Any]:
    check_id('restoreJobId', job_id)
    job = ctx.world.job(job_id)
    if job is None or job.cluster != cluster.name or job.api != api:
        code = 'TENANT_RESTORE_NOT_FOUND' if api == 'tenant' else 'RESTORE_JOB_NOT_FOUND'
        raise ApiError(404, code, f'No restore job with ID {job_id} exists for cluster {cluster.name}.', [job_id, cluster.name])
    return 200, _job_doc(ctx, job)


# ---------------------------------------------------------------- tenant (M2/M5; also Flex until the sunset)
def tenant_snapshots(ctx: Context, name: str) -> tuple[int, t.Any]:
    cluster = tenant_cluster(ctx, name)
    return 200, page(ctx, [_snapshot_doc(ctx, cluster, snap, 'tenant') for snap in cluster.snapshots])


def tenant_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    cluster = tenant_cluster(ctx, name)
    return 200, _snapshot_doc(ctx, cluster, find_snapshot(cluster, snapshot_id, 'TENANT_SNAPSHOT_NOT_FOUND'), 'tenant')


def tenant_download(ctx: Context, name: str) -> tuple[int, t.Any]:
    return _request_download(ctx, tenant_cluster(ctx, name), 'tenant')


def tenant_restore_create(ctx: Context, name: str) -> tuple[int, t.Any]:
    return _request_restore(ctx, tenant_cluster(ctx, name), 'tenant')


def tenant_restores(ctx: Context, name: str) -> tuple[int, t.Any]:
    return _jobs(ctx, tenant_cluster(ctx, name), 'tenant')


def tenant_restore(ctx: Context, name: str, job_id: str) -> tuple[int, t.Any]:
    return _one_job(ctx, tenant_cluster(ctx, name), job_id, 'tenant')


# ---------------------------------------------------------------- flex
def flex_snapshots(ctx: Context, name: str) -> tuple[int, t.Any]:
    cluster = flex_cluster(ctx, name)
    return 200, page(ctx, [_snapshot_doc(ctx, cluster, snap, 'flex') for snap in cluster.snapshots])


def flex_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    cluster = flex_cluster(ctx, name)
    return 200, _snapshot_doc(ctx, cluster, find_snapshot(cluster, snapshot_id), 'flex')


def flex_download(ctx: Context, name: str) -> tuple[int, t.Any]:
    return _request_download(ctx, flex_cluster(ctx, name), 'flex')


def flex_restore(ctx: Context, name: str) -> tuple[int, t.Any]:
    return _request_restore(ctx, flex_cluster(ctx, name), 'flex')


def flex_jobs(ctx: Context, name: str) -> tuple[int, t.Any]:
    return _jobs(ctx, flex_cluster(ctx, name), 'flex')


def flex_job(ctx: Context, name: str, job_id: str) -> tuple[int, t.Any]:
    return _one_job(ctx, flex_cluster(ctx, name), job_id, 'flex')

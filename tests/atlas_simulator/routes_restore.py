# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Handlers for dedicated-cluster restore jobs (automated, pointInTime, download) and the backup schedule read.

Error codes come from the sources; where no source names code for a situation the choice is marked "unverified" here and in
the README.
"""
from __future__ import annotations

import datetime
import typing as t

from atlas_simulator import render
from atlas_simulator.errors import ApiError, bad_attribute, not_found_cluster, validation
from atlas_simulator.routes_common import ID, Context, backup_cluster, check_id, flex_refusal, kind_of, page, parse_body, snapshot_not_found
from atlas_simulator.downloads import restore_object_path
from atlas_simulator.state import FLEX, FREE, SHARDED, TENANT, Cluster, RestoreJob, Snapshot, iso

DELIVERY_TYPES = ('automated', 'download', 'pointInTime')
BODY_FIELDS: dict[str, type] = {'deliveryType': str, 'snapshotId': str, 'targetClusterName': str, 'targetGroupId': str,
                                'pointInTimeUTCSeconds': int, 'oplogTs': int, 'oplogInc': int}
TARGET_FIELDS = ('targetClusterName', 'targetGroupId')
PIT_FIELDS = ('pointInTimeUTCSeconds', 'oplogTs', 'oplogInc')
EPOCH_MINIMUM = 1199145600   # the spec's minimum for pointInTimeUTCSeconds and oplogTs (2008-01-01)
INT32_MAX = 2 ** 31 - 1       # the spec's format int32
DOWNLOADS_PER_PROJECT = 20   # active download jobs per project (the sources, legacy docs)
LEGACY_PIT_ABSENT = ('targetClusterName', 'targetGroupId', 'targetDeploymentItemName', 'snapshotId')  # with pit_legacy_fields


# ---------------------------------------------------------------- reads
def _doc(ctx: Context, job: RestoreJob) -> dict[str, t.Any]:
    """The job as Atlas answers it; with pit_legacy_fields a pointInTime job loses its target and snapshot fields."""
    doc = render.restore_job(job, ctx.now, ctx.base, ctx.world.group_id, ctx.restore_url)
    if job.delivery_type == 'pointInTime' and ctx.world.config.get('pit_legacy_fields'):
        for key in LEGACY_PIT_ABSENT:
            doc.pop(key, None)
    return doc


def list_restore_jobs(ctx: Context, name: str) -> tuple[int, t.Any]:
    """Newest first; every job whose source is this cluster, whatever its target (a new one only after list_lag_seconds)."""
    cluster = backup_cluster(ctx, name)
    jobs = [job for job in ctx.world.restore_jobs if job.cluster == cluster.name and ctx.world.listed(job, ctx.now)]
    return 200, page(ctx, [_doc(ctx, job) for job in jobs])


def _job_on(ctx: Context, cluster: Cluster, job_id: str) -> RestoreJob:
    check_id('restoreJobId', job_id)
    job = ctx.world.restore_job(job_id)
    if job is None or job.cluster != cluster.name:
        raise ApiError(404, 'RESTORE_JOB_NOT_FOUND', f'No restore job with ID {job_id} exists for cluster {cluster.name}.', [job_id, cluster.name])
    return job


def get_restore_job(ctx: Context, name: str, job_id: str) -> tuple[int, t.Any]:
    return 200, _doc(ctx, _job_on(ctx, backup_cluster(ctx, name), job_id))


def cancel_restore_job(ctx: Context, name: str, job_id: str) -> tuple[int, t.Any]:
    """Only download jobs can be cancelled; a finished, failed, expired or cancelled one answers 204 and stays as it is (unverified)."""
    job = _job_on(ctx, backup_cluster(ctx, name), job_id)
    if job.delivery_type != 'download':
        raise ApiError(400, 'CANNOT_CANCEL_AUTOMATED_RESTORE', f'Restore job {job_id} is an automated restore and cannot be cancelled.', [job_id])
    if not (job.cancelled(ctx.now) or job.failed(ctx.now) or job.expired(ctx.now)):
        job.cancelled_at = ctx.now
    return 204, None


# ---------------------------------------------------------------- create
def create_restore_job(ctx: Context, name: str) -> tuple[int, t.Any]:
    """POST: 200 with the new job; the checks run in the order below."""
    source = backup_cluster(ctx, name)
    body = parse_body(ctx, BODY_FIELDS, required=('deliveryType',))
    kind = body['deliveryType']
    if kind not in DELIVERY_TYPES:
        raise ApiError(400, 'INVALID_ENUM_VALUE', f'Invalid enumeration value {kind} for field deliveryType.', ['deliveryType'])
    for key in ('snapshotId', 'targetGroupId'):
        if key in body and not ID.match(body[key]):
            raise bad_attribute(key, f'Invalid {key} {body[key]}: expected 24 hexadecimal characters.')
    if kind == 'download':
        return 200, _doc(ctx, _download(ctx, source, body))
    unwanted = [key for key in PIT_FIELDS if key in body] if kind == 'automated' else []
    if unwanted:
        raise bad_attribute(unwanted[0], f'Attribute {unwanted[0]} is only valid for pointInTime restores.')
    missing = [key for key in TARGET_FIELDS if key not in body]
    if missing:
        raise ApiError(400, 'MISSING_ATTRIBUTE', f'The required attribute {missing[0]} was not specified.', [missing[0]])
    if kind == 'automated':
        snap = _snapshot(ctx, source, body.get('snapshotId'), automated=True)
        pit: dict[str, int] = {}
    else:
        snap, pit = _point_in_time(ctx, source, body)
    target = _target(ctx, source, body)
    return 200, _doc(ctx, ctx.world.create_restore(_new_job(ctx, source, kind, snap, body, pit), target))


def _new_job(ctx: Context, source: Cluster, kind: str, snap: Snapshot, body: dict[str, t.Any], pit: dict[str, int]) -> RestoreJob:
    config = ctx.world.config
    download = kind == 'download'
    members = snap.member_ids if source.kind == SHARDED else [snap.id]
    return RestoreJob(
        id=ctx.world.ids.next(), cluster=source.name, delivery_type=kind, snapshot_id=snap.id, snapshot_taken=snap.created_at(),
        requested_at=ctx.now, duration=float(config['restore_download_duration' if download else 'restore_duration']),
        link_lifetime=float(config['restore_link_lifetime']), replica_sets=list(zip(source.replica_set_names(), members)),
        sharded=source.kind == SHARDED, target_name=body.get('targetClusterName'), target_group=body.get('targetGroupId'), pit=pit,
    )


def _snapshot(ctx: Context, source: Cluster, snapshot_id: str | None, automated: bool) -> Snapshot:
    """The source's completed snapshot; omitted or unknown: 404 SNAPSHOT_NOT_FOUND; one shard's snapshot: refused for automated."""
    if snapshot_id is None:
        raise ApiError(404, 'SNAPSHOT_NOT_FOUND', f'No snapshot with ID null exists for cluster {source.name}.', [None, source.name])
    snap = next((item for item in source.snapshots if item.id == snapshot_id), None)
    if snap is None:
        if automated and any(snapshot_id in item.member_ids for item in source.snapshots):
            raise ApiError(400, 'AUTOMATED_RESTORE_OF_SHARD_NOT_ALLOWED', 'Automated restore of a single shard snapshot is not allowed.', [snapshot_id])
        raise snapshot_not_found(snapshot_id, source.name)
    if snap.status(ctx.now) != 'completed':
        if automated:
            raise ApiError(409, 'CANNOT_START_RESTORE_JOB_FOR_INCOMPLETE_CLUSTER_SNAPSHOT',
                           f'Cannot start a restore job for snapshot {snap.id}: the snapshot is not complete.', [snap.id])
        raise ApiError(409, 'CANNOT_DOWNLOAD_INCOMPLETE_SNAPSHOT', f'Snapshot {snap.id} is not complete and cannot be downloaded.', [snap.id])
    return snap


def _download(ctx: Context, source: Cluster, body: dict[str, t.Any]) -> RestoreJob:
    """snapshotId only; target and point-in-time fields are refused (unverified: Terraform refuses them client-side)."""
    extra = [key for key in TARGET_FIELDS + PIT_FIELDS if key in body]
    if extra:
        raise bad_attribute(extra[0], f'Attribute {extra[0]} is not valid for a download restore job.')
    snap = _snapshot(ctx, source, body.get('snapshotId'), automated=False)
    active = [job for job in ctx.world.restore_jobs if job.delivery_type == 'download' and _download_active(ctx, job)]
    if any(job.cluster == source.name and job.snapshot_id == snap.id for job in active):
        raise ApiError(400, 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY', f'Snapshot {snap.id} is already being downloaded.', [snap.id])
    if len(active) >= DOWNLOADS_PER_PROJECT:
        raise ApiError(400, 'TOO_MANY_SNAPSHOT_DOWNLOADS', f'The project already has {DOWNLOADS_PER_PROJECT} active snapshot downloads.',
                       [DOWNLOADS_PER_PROJECT])
    return ctx.world.create_restore(_new_job(ctx, source, 'download', snap, body, {}), None)


def _download_active(ctx: Context, job: RestoreJob) -> bool:
    """Being built, or built with at least one link neither expired nor used yet."""
    if job.cancelled(ctx.now) or job.failed(ctx.now) or job.expired(ctx.now):
        return False
    if not job.done(ctx.now):
        return True
    return any(restore_object_path(job.id, member) not in ctx.world.used_links for _name, member in job.replica_sets)


def _point_in_time(ctx: Context, source: Cluster, body: dict[str, t.Any]) -> tuple[Snapshot, dict[str, int]]:
    """pointInTimeUTCSeconds xor oplogTs + oplogInc, inside the restore window, on a source with continuous backup."""
    if not source.pit_enabled:  # unverified code: no source namesne for "continuous backup is off"
        raise ApiError(400, 'UNSUPPORTED_DELIVERY_METHOD', f'Point-in-time restore is not available: continuous cloud backup is not enabled '
                       f'for cluster {source.name}.', ['pointInTime'])
    if 'pointInTimeUTCSeconds' in body and ('oplogTs' in body or 'oplogInc' in body):
        error = validation('Specify either pointInTimeUTCSeconds or oplogTs and oplogInc, not both.')
        error.parameters = ['pointInTimeUTCSeconds', 'oplogTs']
        raise error
    wanted = ('pointInTimeUTCSeconds',) if 'pointInTimeUTCSeconds' in body or 'oplogTs' not in body and 'oplogInc' not in body else \
        ('oplogTs', 'oplogInc')
    for key in wanted:
        if key not in body:
            raise ApiError(400, 'MISSING_ATTRIBUTE', f'The required attribute {key} was not specified.', [key])
        if not (1 if key == 'oplogInc' else EPOCH_MINIMUM) <= body[key] <= INT32_MAX:  # e.g. milliseconds sent as seconds
            raise ApiError(400, 'INVALID_PIT_RESTORE_TIME', f'Invalid point-in-time restore value {key}={body[key]}.', [key, body[key]])
    pit = {key: body[key] for key in wanted}
    moment = datetime.datetime.fromtimestamp(pit.get('pointInTimeUTCSeconds', pit.get('oplogTs', 0)), datetime.timezone.utc)
    oldest = ctx.now - datetime.timedelta(days=source.restore_window_days)
    if not oldest <= moment <= ctx.now:
        raise ApiError(400, 'INVALID_PIT_RESTORE_TIME', f'The restore point {iso(moment)} is outside the restore window of '
                       f'{source.restore_window_days} days.', [iso(moment)])
    if 'snapshotId' in body:
        return _snapshot(ctx, source, body['snapshotId'], automated=True), pit
    before = [snap for snap in source.snapshots if snap.status(ctx.now) == 'completed' and snap.finished_at() <= moment]
    if not before:
        raise ApiError(404, 'UNABLE_T0_FIND_SNAPSHOT_PRIOR_TO_PIT_RESTORE_OPTIME', f'Unable to find a snapshot prior to the restore point '
                       f'{iso(moment)}.', [iso(moment)])
    return max(before, key=lambda snap: snap.finished_at()), pit


def _target(ctx: Context, source: Cluster, body: dict[str, t.Any]) -> Cluster:
    """The target cluster in this project, able to take the source's data, not already being restored."""
    if body['targetGroupId'] != ctx.world.group_id:
        raise ApiError(404, 'GROUP_NOT_FOUND', f'No group with ID {body["targetGroupId"]} exists.', [body['targetGroupId']])
    target = ctx.world.cluster(body['targetClusterName'])
    if target is None:
        raise not_found_cluster(body['targetClusterName'], body['targetGroupId'])
    kind = kind_of(ctx, target)
    if kind == FLEX:  # unverified for a restore target
        raise flex_refusal(target.name)
    if kind in (FREE, TENANT) or (source.kind == SHARDED) != (target.kind == SHARDED) or \
            (source.kind == SHARDED and source.shards != target.shards):  # unverified code (catalogue: INVALID_RESTORE_PROCESS, 409)
        raise ApiError(409, 'INVALID_RESTORE_PROCESS', f'Cluster {target.name} ({target.tier}, {kind}, {target.shards} shard(s)) is not a valid '
                       f'target for a restore of {source.name} ({source.kind}, {source.shards} shard(s)).', [target.name])
    check_not_restoring(ctx, target)
    return target


def check_not_restoring(ctx: Context, target: Cluster) -> None:
    """409 ATLAS_CLUSTER_RESTORE_IN_PROGRESS while any restore (dedicated, Flex or tenant) into `target` runs."""
    running = ctx.world.restore_into(target)
    if running is not None and running.restore_state(ctx.now) == 'restoring':
        raise ApiError(409, 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS', f'Cluster {target.name} is already being restored.', [target.name])

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Handlers for GET cluster, GET flex cluster and the cloud-backup snapshot endpoints (replica set and sharded)."""
from __future__ import annotations

import datetime
import typing as t

from atlas_simulator import render
from atlas_simulator.errors import ApiError
from atlas_simulator.routes_common import (UNFINISHED, Context, backup_cluster, cluster_named, find_snapshot, flex_cluster, flex_refusal,
                                           kind_of, page, parse_body, snapshot_not_found)
from atlas_simulator.state import FLEX, SHARDED, Cluster, Snapshot

RETENTION_UNITS = {'DAYS': 1, 'WEEKS': 7, 'MONTHS': 30, 'YEARS': 365}


# ---------------------------------------------------------------- clusters
def list_clusters(ctx: Context) -> tuple[int, t.Any]:
    """GET /clusters: every cluster the Cluster API serves (dedicated, M0, M2/M5 before the sunset), in the GET cluster shape
    of the version asked for, paged. Flex clusters (and M2/M5 after the tenant sunset) are left out: Atlas's spec says the
    Cluster API serves Flex clusters only until January 2026 and points to the Flex list (UNVERIFIED for the list itself)."""
    items = [render.cluster_description(cluster, ctx.version, ctx.base, ctx.world.group_id)
             for cluster in ctx.world.clusters.values() if kind_of(ctx, cluster) != FLEX]
    return 200, page(ctx, items)


def list_flex_clusters(ctx: Context) -> tuple[int, t.Any]:
    """GET /flexClusters (2024-11-13): every Flex cluster of the project (M2/M5 too after the tenant sunset), paged."""
    items = [render.flex_description(cluster, ctx.base, ctx.world.group_id)
             for cluster in ctx.world.clusters.values() if kind_of(ctx, cluster) == FLEX]
    return 200, page(ctx, items)


def get_cluster(ctx: Context, name: str) -> tuple[int, t.Any]:
    cluster = cluster_named(ctx, name)
    if kind_of(ctx, cluster) == FLEX:
        raise flex_refusal(name)
    return 200, render.cluster_description(cluster, ctx.version, ctx.base, ctx.world.group_id)


def get_flex_cluster(ctx: Context, name: str) -> tuple[int, t.Any]:
    return 200, render.flex_description(flex_cluster(ctx, name), ctx.base, ctx.world.group_id)


# ---------------------------------------------------------------- cloud backup
def _doc(ctx: Context, cluster: Cluster, snap: Snapshot) -> dict[str, t.Any]:
    return render.cloud_snapshot(snap, cluster, ctx.now, ctx.base, ctx.world.group_id)


def list_snapshots(ctx: Context, name: str, sharded: bool = False) -> tuple[int, t.Any]:
    """Newest first. The replica-set list on a sharded cluster (and the sharded list on a replica set) is empty. A new
    on-demand snapshot is listed only list_lag_seconds after it was taken."""
    cluster = backup_cluster(ctx, name)
    snaps = [snap for snap in cluster.snapshots if ctx.world.listed(snap, ctx.now)] if (cluster.kind == SHARDED) == sharded else []
    items = [_doc(ctx, cluster, snap) for snap in snaps]
    return 200, page(ctx, items)


def list_sharded_snapshots(ctx: Context, name: str) -> tuple[int, t.Any]:
    return list_snapshots(ctx, name, sharded=True)


def take_snapshot(ctx: Context, name: str) -> tuple[int, t.Any]:
    cluster = backup_cluster(ctx, name)
    body = parse_body(ctx, {'description': str, 'retentionInDays': int})
    retention = body.get('retentionInDays', 1)
    if retention < 1:
        raise ApiError(400, 'BACKUP_SNAPSHOT_RETENTION_VALUE_INVALID', f'Retention value {retention} is invalid: it must be at least 1.', [retention])
    busy = [snap for snap in cluster.snapshots if snap.snapshot_type == 'onDemand' and snap.status(ctx.now) in UNFINISHED]
    if busy:
        raise ApiError(400, 'UNFINISHED_ON_DEMAND_SNAPSHOT', 'Another on-demand snapshot is queued or in progress.', [busy[0].id])
    snap = ctx.world.take_snapshot(cluster, ctx.now, body.get('description'), retention)
    return 200, _doc(ctx, cluster, snap)


def _on_path(ctx: Context, name: str, snapshot_id: str, sharded_path: bool, any_kind: bool = False) -> tuple[Cluster, Snapshot]:
    """The snapshot, when the path family (replica set or sharded) matches the cluster; else 404 SNAPSHOT_NOT_FOUND."""
    cluster = backup_cluster(ctx, name)
    snap = find_snapshot(cluster, snapshot_id)
    if not any_kind and (cluster.kind == SHARDED) != sharded_path:
        raise snapshot_not_found(snapshot_id, name)
    return cluster, snap


def get_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    return 200, _doc(ctx, *_on_path(ctx, name, snapshot_id, sharded_path=False))


def get_sharded_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    return 200, _doc(ctx, *_on_path(ctx, name, snapshot_id, sharded_path=True))


def patch_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    """Retention changes go through the replica-set path for both cluster types; expiresAt = createdAt + the new retention."""
    cluster, snap = _on_path(ctx, name, snapshot_id, sharded_path=False, any_kind=True)
    body = parse_body(ctx, {'retentionUnit': str, 'retentionValue': int}, required=('retentionUnit', 'retentionValue'))
    if body['retentionUnit'] not in RETENTION_UNITS:
        raise ApiError(400, 'INVALID_ENUM_VALUE', f'Invalid enumeration value {body["retentionUnit"]} for field retentionUnit.', ['retentionUnit'])
    if body['retentionValue'] < 1:
        raise ApiError(400, 'BACKUP_SNAPSHOT_RETENTION_VALUE_INVALID', 'Retention value must be at least 1.', [body['retentionValue']])
    if snap.status(ctx.now) in UNFINISHED:
        raise ApiError(400, 'CANNOT_MODIFY_IN_PROGRESS_SNAPSHOT_RETENTION', 'Cannot modify the retention of a snapshot that is in progress.', [snapshot_id])
    snap.expires_at = snap.created_at() + datetime.timedelta(days=RETENTION_UNITS[body['retentionUnit']] * body['retentionValue'])
    return 200, _doc(ctx, cluster, snap)


def _delete(cluster: Cluster, snap: Snapshot, now: datetime.datetime) -> tuple[int, t.Any]:
    if snap.status(now) in UNFINISHED:
        raise ApiError(400, 'CANNOT_DELETE_IN_PROGRESS_SNAPSHOT', 'Cannot delete a snapshot that is in progress.', [snap.id])
    cluster.snapshots.remove(snap)
    return 204, None


def delete_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    return _delete(*_on_path(ctx, name, snapshot_id, sharded_path=False), ctx.now)


def delete_sharded_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    return _delete(*_on_path(ctx, name, snapshot_id, sharded_path=True), ctx.now)

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Snapshot reads shared by the modules: which API path serves which cluster kind, list, get one, filter."""
from __future__ import annotations

import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._base import FLEX, SHARDED, TENANT, AtlasModule, is_missing
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasApiError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import newest_first, status_of


class SnapshotApi(t.NamedTuple):
    """Where a cluster kind's snapshots live."""

    list_path: str
    item_path: str      # add '/{id}'
    resource: str


def snapshot_api(atlas: AtlasModule, kind: str) -> SnapshotApi:
    """The list and item paths for a cluster kind (replica set, sharded, flex or tenant)."""
    if kind == FLEX:
        base = atlas.flex_path('/backup/snapshots')
        return SnapshotApi(base, base, 'flex')
    if kind == TENANT:
        base = atlas.cluster_path('/backup/tenant/snapshots')
        return SnapshotApi(base, base, 'tenant')
    base = atlas.cluster_path('/backup/snapshots')
    if kind == SHARDED:
        return SnapshotApi(base + '/shardedClusters', base + '/shardedCluster', 'backup')
    return SnapshotApi(base, base, 'backup')


def list_snapshots(atlas: AtlasModule, kind: str) -> list[dict[str, t.Any]]:
    """Every snapshot of the cluster (all pages), newest first by creation time (never trusting the API's order)."""
    api = snapshot_api(atlas, kind)
    try:
        return newest_first(atlas.client.list_all(api.list_path, resource=api.resource))
    except AtlasApiError as err:
        raise atlas.api_error(f'list the snapshots of cluster {atlas.cluster_name}', err) from None


def read_snapshot(atlas: AtlasModule, kind: str, snapshot_id: str) -> dict[str, t.Any] | None:
    """One snapshot, or None when Atlas says it does not exist; other API errors are raised (a waiter may retry them)."""
    api = snapshot_api(atlas, kind)
    try:
        return atlas.client.get(f'{api.item_path}/{snapshot_id}', resource=api.resource)
    except AtlasApiError as err:
        if is_missing(err, 'snapshot'):
            return None
        raise


def get_snapshot(atlas: AtlasModule, kind: str, snapshot_id: str) -> dict[str, t.Any] | None:
    """One snapshot, or None when Atlas says it does not exist; other errors fail the task."""
    try:
        return read_snapshot(atlas, kind, snapshot_id)
    except AtlasApiError as err:
        raise atlas.api_error(f'read snapshot {snapshot_id} of cluster {atlas.cluster_name}', err) from None


def snapshot_type(snapshot: dict[str, t.Any]) -> str:
    """onDemand, scheduled or fallback; Flex and tenant snapshots are all scheduled (daily)."""
    return snapshot.get('snapshotType') or 'scheduled'


def filter_snapshots(snapshots: list[dict[str, t.Any]], status: str | None = None, type_: str | None = None,
                     description: str | None = None) -> list[dict[str, t.Any]]:
    """Keep the snapshots that match every filter given (None means no filter)."""
    return [
        snap for snap in snapshots
        if (status is None or status_of(snap) == status)
        and (type_ is None or snapshot_type(snap) == type_)
        and (description is None or snap.get('description') == description)
    ]

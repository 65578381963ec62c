# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Snapshot reads shared by the modules: list, get one, filter; for any cluster kind, through its Endpoints."""
from __future__ import annotations

import datetime
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import Endpoints
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, is_missing
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import atlas_call
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import created_time, newest_first, status_of, untimed_and_unfinished


@atlas_call('list the snapshots of cluster {cluster}')
def list_snapshots(client: AtlasClient, where: Endpoints) -> list[dict[str, t.Any]]:
    """Every snapshot of the cluster (all pages), newest first by creation time (never trusting the API's order)."""
    return newest_first(client.list_all(where.snapshots, resource=where.resource))


def read_snapshot(client: AtlasClient, where: Endpoints, snapshot_id: str) -> dict[str, t.Any] | None:
    """One snapshot, or None when Atlas says it does not exist; other API errors are raised (a waiter may retry them)."""
    try:
        return client.get(where.snapshot(snapshot_id), resource=where.resource)
    except AtlasApiError as err:
        if is_missing(err, 'snapshot'):
            return None
        raise


@atlas_call('read snapshot {snapshot_id} of cluster {cluster}', missing='snapshot')
def get_snapshot(client: AtlasClient, where: Endpoints, snapshot_id: str) -> dict[str, t.Any] | None:
    """One snapshot, or None when Atlas says it does not exist; other errors fail the task."""
    return client.get(where.snapshot(snapshot_id), resource=where.resource)


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


def young_enough(snapshot: dict[str, t.Any], max_age: int, now: datetime.datetime) -> bool:
    """Created within max_age minutes of now (Atlas's clock). A queued or running snapshot without a creation time yet
    counts (Atlas writes createdAt only on completion: it is the newest snapshot there is); a creation time that cannot
    be read never does."""
    created = created_time(snapshot)
    if created is None:  # never "fresh" on a time we cannot read
        return untimed_and_unfinished(snapshot)
    return (now - created).total_seconds() <= max_age * 60

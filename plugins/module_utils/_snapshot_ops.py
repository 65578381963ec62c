# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""On-demand snapshot operations: find a reusable one, take one safely (no duplicates), wait, re-date, delete."""
from __future__ import annotations

import datetime
import math
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import FLEX, NO_BACKUP, TENANT, Endpoints
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import atlas_call
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import (
    COMPLETED, IN_PROGRESS, QUEUED, UNFINISHED, created_time, expires_time, newest_first, status_of,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshots import get_snapshot, list_snapshots, read_snapshot, young_enough
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import POLL_FACTOR, POLL_INITIAL, POLL_MAX, Deadline, poll_intervals, wait_or_raise
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._writes import PostPlan, post_without_duplicates

USABLE = (QUEUED, IN_PROGRESS, COMPLETED)
DAY = 86400.0
SLACK = 60.0  # seconds of rounding between Atlas's timestamps that never move a retention to another day


def is_on_demand(snapshot: dict[str, t.Any]) -> bool:
    return snapshot.get('snapshotType') == 'onDemand'


def is_unfinished(snapshot: dict[str, t.Any]) -> bool:
    return status_of(snapshot) in UNFINISHED


def check_on_demand_capable(cluster_name: str, kind: str, tier: str | None) -> None:
    """Flex, tenant and M0 clusters cannot take on-demand snapshots: fail before any write, saying what to use instead."""
    if kind in (FLEX, TENANT):
        label = 'a Flex cluster' if kind == FLEX else f'a shared-tier {tier} cluster'
        raise TaskError(f'Cluster {cluster_name} is {label}, which takes one automatic snapshot a day and cannot take on-demand snapshots. '
                        'Use mongodb_atlas.backup.atlas_snapshot_info to list its snapshots and mongodb_atlas.backup.atlas_tenant_download '
                        'to download one.')
    if kind == NO_BACKUP:
        raise TaskError(f'Cluster {cluster_name} is a free {tier} cluster, which has no backups. '
                        'Upgrade it to a dedicated tier (M10 or larger) or to Flex to get snapshots.')


def find_reusable_snapshot(snapshots: list[dict[str, t.Any]], description: str | None, max_age: int | None,
                           now: datetime.datetime) -> dict[str, t.Any] | None:
    """The newest on-demand snapshot with this description that is queued, in progress or completed (and young enough).

    Newest by creation time, whatever order Atlas listed them in. With max_age, a snapshot counts as young only when its
    creation time is known and recent; a queued or running one that has no creation time yet (Atlas writes it on
    completion) counts, so a re-run while last night's snapshot is still running reuses it instead of taking another.
    """
    for snap in newest_first(snapshots):
        if not is_on_demand(snap) or snap.get('description') != description or status_of(snap) not in USABLE:
            continue
        if max_age is not None and not young_enough(snap, max_age, now):
            continue
        return snap
    return None


def retention_days(snapshot: dict[str, t.Any], now: datetime.datetime) -> int | None:
    """The snapshot's retention in whole days, or None when Atlas did not say (or unreadably).

    Atlas counts the retention of a finished snapshot from its completion while createdAt says when it started (recorded:
    createdAt 03:28:08, expiresAt the next day 03:29:21 for one day), so expiry minus creation is the retention plus the
    snapshot's own duration: read down, tolerating up to a day of it (rounding would add a day for a snapshot that ran over
    12 hours and trigger a needless re-date). While the snapshot runs the expiry is counted from the request, before
    createdAt (or now, when there is none yet): read up, tolerating up to a day since the request.
    """
    expires = expires_time(snapshot)
    if expires is None:
        return None
    created = created_time(snapshot)
    span = (expires - (created or now)).total_seconds()
    if status_of(snapshot) in UNFINISHED:
        return int(math.ceil((span - SLACK) / DAY))
    if created is None:  # finished, but no readable creation time: the best guess there is
        return int(round(span / DAY))
    return int(math.floor((span + SLACK) / DAY))


def diff_view(snapshot: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """What --diff shows: identity, description, status and expiry, without links and sizes."""
    if not snapshot:
        return {}
    fields = (('id', 'id'), ('description', 'description'), ('status', 'status'), ('expires_at', 'expiresAt'))
    return {key: snapshot.get(src) for key, src in fields if snapshot.get(src) is not None}


class SnapshotOps:
    """The write side of atlas_snapshot, for one cluster of a known kind.

    wait and wait_timeout are the task's: one wait_timeout covers the whole task (waiting for a blocking snapshot,
    then for ours). warn reports what the task should tell the user without failing.
    """

    def __init__(self, client: AtlasClient, where: Endpoints, *, wait: bool, deadline: Deadline, warn: t.Callable[[str], None]) -> None:
        self.client = client
        self.where = where
        self.cluster_name = where.cluster_name
        self.wait = wait
        self.deadline = deadline
        self.warn = warn

    def list_snapshots(self) -> list[dict[str, t.Any]]:
        return list_snapshots(self.client, self.where)

    def read(self, snapshot_id: str) -> dict[str, t.Any] | None:
        return get_snapshot(self.client, self.where, snapshot_id)

    def wait_until_finished(self, snapshot: dict[str, t.Any], why: str) -> dict[str, t.Any]:
        """Poll until the snapshot is completed or failed; fail the task on timeout or if it disappears."""
        snapshot_id = snapshot['id']

        def fetch() -> dict[str, t.Any]:
            current = read_snapshot(self.client, self.where, snapshot_id)
            if current is None:
                raise TaskError(f'Snapshot {snapshot_id} of cluster {self.cluster_name} disappeared while waiting for it {why}.')
            return current

        try:
            return wait_or_raise(self.client, fetch, lambda snap: not is_unfinished(snap), what=f'snapshot {snapshot_id} of cluster '
                                 f'{self.cluster_name} {why}', first=snapshot, deadline=self.deadline, snapshot_id=snapshot_id)
        except AtlasApiError as err:
            raise self.where.failure(f'read snapshot {snapshot_id} of cluster {self.cluster_name}', err) from None

    def take(self, description: str | None, retention: int, known: list[dict[str, t.Any]]) -> dict[str, t.Any]:
        """POST one snapshot. After an ambiguous failure, re-read and adopt the snapshot Atlas did take; never a duplicate.

        When another on-demand snapshot blocks ours (UNFINISHED_ON_DEMAND_SNAPSHOT), without wait the task fails at once;
        with wait it waits for the blocker, or, when the list does not show it yet, asks again on the waiter's backoff
        schedule until wait_timeout.
        """
        body: dict[str, t.Any] = {'retentionInDays': retention}
        if description is not None:
            body['description'] = description
        known_ids = {snap.get('id') for snap in known}
        conflict_pauses = poll_intervals(POLL_INITIAL, POLL_FACTOR, POLL_MAX)

        def refused(err: AtlasApiError) -> dict[str, t.Any] | None:
            if err.error_code != 'UNFINISHED_ON_DEMAND_SNAPSHOT':
                raise err
            # A new on-demand snapshot with this description is ours (an earlier attempt whose answer was lost) or as good
            # as ours: it is used, never marked as someone else's and followed by a second one.
            ours = self._adopt_new(description, known_ids)
            if ours is not None:
                return ours
            self._wait_for_blocker(err, conflict_pauses)
            ours = self._adopt_new(description, known_ids)
            if ours is not None:
                return ours
            known_ids.update(snap.get('id') for snap in self.list_snapshots())  # the blocker is not ours to adopt
            return None

        plan = PostPlan('snapshot', lambda: self.client.post(t.cast(str, self.where.take), body),
                        lambda: self._adopt_new(description, known_ids), refused, self.cluster_name)
        try:
            return post_without_duplicates(self.client, plan, deadline=self.deadline, warn=self.warn)
        except AtlasApiError as err:
            raise self.where.failure(f'take a snapshot of cluster {self.cluster_name}', err) from None

    def _adopt_new(self, description: str | None, known_ids: set[t.Any]) -> dict[str, t.Any] | None:
        for snap in self.list_snapshots():  # newest first
            if snap.get('id') and snap['id'] not in known_ids and is_on_demand(snap) and snap.get('description') == description:
                return snap
        return None

    def _wait_for_blocker(self, err: AtlasApiError, pauses: t.Iterator[float]) -> None:
        """Another on-demand snapshot is in flight: wait for it (with wait), else fail naming it, or naming the conflict."""
        blockers = [snap for snap in self.list_snapshots() if is_on_demand(snap) and is_unfinished(snap) and snap.get('id')]
        cluster = self.cluster_name
        if not self.wait:
            if blockers:
                blocker = blockers[0]
                name = f'{blocker["id"]} ({blocker.get("description") or "no description"}, {blocker.get("status")})'
                raise TaskError(f'Cannot take a snapshot of cluster {cluster}: another on-demand snapshot is queued or in progress: '
                                f'{name}. Run again once it has finished, or set wait: true to wait for it ({err.error_code}).',
                                error_code=err.error_code, blocking_snapshot_id=blocker['id'])
            raise TaskError(f'Cannot take a snapshot of cluster {cluster}: Atlas says another on-demand snapshot is queued or in progress, '
                            f'though none is listed yet. Run again later, or set wait: true to wait for it ({err.error_code}).',
                            error_code=err.error_code)
        if blockers:
            self.wait_until_finished(blockers[0], 'to finish before taking a new one')
            return
        # Atlas knows of a blocker its list does not show (yet, or any more): ask again on the waiter's schedule.
        if not self.deadline.pause(next(pauses), self.client, err.reason()):
            raise TaskError(f'Timed out (wait_timeout {self.deadline.seconds:g} s) waiting to take a snapshot of cluster {cluster}: '
                            f'Atlas kept answering that another on-demand snapshot is queued or in progress ({err.error_code}).',
                            error_code=err.error_code)

    @atlas_call('change the retention of snapshot {snapshot_id}')
    def set_retention(self, snapshot_id: str, days: int) -> dict[str, t.Any]:
        """PATCH the expiry; Atlas changes retention through the replica-set path for every cluster type."""
        return self.client.patch(self.where.retention(snapshot_id), {'retentionUnit': 'DAYS', 'retentionValue': days}) or {}

    @atlas_call('delete snapshot {snapshot_id}', missing='snapshot')  # already gone: the goal is met, as a read would say
    def delete(self, snapshot_id: str) -> None:
        self.client.delete(self.where.snapshot(snapshot_id))

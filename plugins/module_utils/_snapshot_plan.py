# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""What atlas_snapshot does, as a service: reuse or take an on-demand snapshot, re-date one, or delete on-demand
snapshots, for one dedicated cluster (or the present-task on each cluster of a list); check mode decides exactly as a
real run and writes and waits for nothing.
"""
from __future__ import annotations

import datetime
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import ClusterInfo
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import FAILED, created_time, normalized, snake_result, status_of
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshot_ops import (
    SnapshotOps, diff_view, find_reusable_snapshot, is_on_demand, is_unfinished, retention_days,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._time import iso


class SnapshotOptions(t.NamedTuple):
    """The task's options, as plain values."""

    cluster_name: str
    description: str | None = None
    retention_in_days: int | None = None
    snapshot_id: str | None = None
    max_age: int | None = None
    wait: bool = True
    check_mode: bool = False


class Outcome(t.NamedTuple):
    changed: bool
    before: t.Optional[dict]
    after: t.Optional[dict]


class ClusterOutcome(t.NamedTuple):
    """One cluster of a task over several clusters, as the result reports it: what the task did there, or why it could not."""

    name: str
    kind: str
    changed: bool
    snapshot: dict              # shown(): the snapshot that satisfies the task there, or that the failure names; {} if none
    diff: t.Optional[tuple]     # (before, after) diff views when changed
    error: t.Optional[str] = None


def shown(snapshot: dict) -> dict:
    """A snapshot as results show it: snake_case, normalized created_at/expires_at/status, no empty fields."""
    return snake_result({k: v for k, v in normalized(snapshot).items() if v is not None})


class SnapshotPlan:
    """One atlas_snapshot task on a cluster that can take on-demand snapshots."""

    def __init__(self, ops: SnapshotOps, options: SnapshotOptions) -> None:
        self.ops = ops
        self.client = ops.client
        self.opts = options

    def ensure_present(self) -> Outcome:
        """Reuse a matching on-demand snapshot (re-dated to retention_in_days when that differs), or take one; wait when asked."""
        snapshots = self.ops.list_snapshots()
        found = find_reusable_snapshot(snapshots, self.opts.description, self.opts.max_age, self.client.now())
        if found is None:
            if self.opts.retention_in_days is None:
                raise TaskError(f'No on-demand snapshot of cluster {self.opts.cluster_name} matches description {self.opts.description!r}'
                                f'{" and max_age" if self.opts.max_age is not None else ""}, and retention_in_days is required to take one.')
            if self.opts.check_mode:
                expires = self.client.now() + datetime.timedelta(days=self.opts.retention_in_days)
                return Outcome(True, None, {'description': self.opts.description, 'status': 'queued', 'snapshotType': 'onDemand',
                                            'expiresAt': iso(expires)})
            found = self.ops.take(self.opts.description, self.opts.retention_in_days, snapshots)
            before = None
        else:
            before = found
        if self.opts.wait and not self.opts.check_mode and is_unfinished(found):
            found = self.ops.wait_until_finished(found, 'to complete')
        if status_of(found) == FAILED:
            raise TaskError(f'Snapshot {found["id"]} of cluster {self.opts.cluster_name} failed.', snapshot=shown(found))
        if before is not None and self.opts.retention_in_days is not None:
            return self.redate(found, self.opts.retention_in_days)
        return Outcome(before is None, before, found)

    def ensure_retention(self) -> Outcome:
        """Make an existing snapshot's expiry creation time + retention_in_days."""
        snapshot = self.existing_snapshot(self.opts.snapshot_id)
        if self.opts.retention_in_days is None:
            return Outcome(False, snapshot, snapshot)
        return self.redate(snapshot, self.opts.retention_in_days)

    def redate(self, snapshot: dict, days: int) -> Outcome:
        """Keep the snapshot `days` days from its creation (PATCH) when it is kept for another number of days."""
        if retention_days(snapshot, self.client.now()) == days:
            return Outcome(False, snapshot, snapshot)
        if is_unfinished(snapshot):
            snapshot = self.wait_until_finished_or_fail(snapshot, f'change its retention to {days} days')
            if retention_days(snapshot, self.client.now()) == days:
                return Outcome(False, snapshot, snapshot)
        if self.opts.check_mode:
            created = created_time(snapshot) or self.client.now()
            return Outcome(True, snapshot, dict(snapshot, expiresAt=iso(created + datetime.timedelta(days=days))))
        updated = self.ops.set_retention(snapshot['id'], days)
        return Outcome(True, snapshot, dict(snapshot, **updated))

    def ensure_absent(self) -> tuple[bool, list[dict]]:
        """Delete the snapshot by id, or every on-demand snapshot with the description; never scheduled ones."""
        if self.opts.snapshot_id:
            found = self.ops.read(self.opts.snapshot_id)
            if found is not None and not is_on_demand(found):
                raise TaskError(f'Snapshot {found["id"]} of cluster {self.opts.cluster_name} is a {found.get("snapshotType", "scheduled")} '
                                'snapshot; this module only deletes on-demand snapshots.')
            doomed = [found] if found else []
        else:
            doomed = [snap for snap in self.ops.list_snapshots() if is_on_demand(snap) and snap.get('description') == self.opts.description]
        unfinished = [snap for snap in doomed if is_unfinished(snap)]
        if unfinished and not self.opts.wait:
            names = ', '.join(f'{snap["id"]} ({snap.get("status")})' for snap in unfinished)
            raise TaskError(f'Cannot delete: snapshot(s) {names} of cluster {self.opts.cluster_name} are still running and Atlas cannot '
                            'delete them until they finish. Nothing was deleted. Set wait: true to wait for them, or run again later.')
        if not self.opts.check_mode:
            doomed = [self.wait_until_finished_or_fail(snap, 'delete it') if is_unfinished(snap) else snap for snap in doomed]
            for snap in doomed:
                self.ops.delete(snap['id'])
        return bool(doomed), doomed

    def existing_snapshot(self, snapshot_id: str | None) -> dict:
        snapshot = self.ops.read(t.cast(str, snapshot_id))
        if snapshot is None:
            raise TaskError(f'Snapshot {snapshot_id} does not exist in cluster {self.opts.cluster_name} (SNAPSHOT_NOT_FOUND).')
        return snapshot

    def wait_until_finished_or_fail(self, snapshot: dict, purpose: str) -> dict:
        """An unfinished snapshot: wait for it when allowed (not in check mode, which does not wait), else fail saying so."""
        if self.opts.wait and self.opts.check_mode:
            return snapshot
        if not self.opts.wait:
            raise TaskError(f'Snapshot {snapshot["id"]} of cluster {self.opts.cluster_name} is still {snapshot.get("status")}; '
                            f'Atlas cannot {purpose} until it finishes. Set wait: true to wait for it, or run again later.')
        return self.ops.wait_until_finished(snapshot, f'to finish so as to {purpose}')


def present_on_each(clusters: t.Iterable[ClusterInfo], plan_of: t.Callable[[ClusterInfo], SnapshotPlan],
                    warn: t.Callable[[str], None]) -> list[ClusterOutcome]:
    """ensure_present on each cluster in turn, each exactly as a task naming that cluster would (the same reads, the same
    one POST at most). One cluster's failure does not stop the others: its error is kept for the report, with the snapshot
    it names (one that failed) and whether Atlas was written to for it. A cluster deleted since the list was read is left
    out, with a warning."""
    done: list[ClusterOutcome] = []
    for cluster in clusters:
        plan = plan_of(cluster)
        writes = plan.client.writes
        try:
            changed, before, after = plan.ensure_present()
            diff = (diff_view(before), diff_view(after)) if changed else None
            done.append(ClusterOutcome(cluster.name, cluster.kind, changed, shown(after) if after else {}, diff))
        except (TaskError, AtlasApiError) as exc:
            err = plan.ops.where.failure(f'take a snapshot of cluster {cluster.name}', exc) if isinstance(exc, AtlasApiError) else exc
            if err.result.get('error_code') == 'CLUSTER_NOT_FOUND' and plan.client.writes == writes:
                warn(f'Cluster {cluster.name} was listed but no longer exists; it is left out.')
                continue
            done.append(ClusterOutcome(cluster.name, cluster.kind, plan.client.writes > writes, err.result.get('snapshot') or {}, None, err.msg))
    return done

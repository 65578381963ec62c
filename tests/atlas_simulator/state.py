# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulated world: the clock, clusters, snapshots and download jobs, and their state machines.

Statuses are computed lazily from the simulator clock, so no background threads are needed and a
test can jump the clock forward instead of sleeping.
"""
from __future__ import annotations

import dataclasses
import datetime
import itertools
import threading
import time
import typing as t

UTC = datetime.timezone.utc

# Cluster kinds.
REPLICA_SET = 'replicaSet'
SHARDED = 'sharded'
FREE = 'free'
TENANT = 'tenant'
FLEX = 'flex'


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


class Clock:
    """Simulator time: starts at real now, runs at `scale` times real speed, and can jump forward."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._anchor_real = time.monotonic()
        self._anchor_sim = datetime.datetime.now(UTC).replace(microsecond=0)
        self.scale = 1.0

    def now(self) -> datetime.datetime:
        with self._lock:
            return self._anchor_sim + datetime.timedelta(seconds=(time.monotonic() - self._anchor_real) * self.scale)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._anchor_sim += datetime.timedelta(seconds=seconds)

    def set_scale(self, scale: float) -> None:
        current = self.now()
        with self._lock:
            self._anchor_real = time.monotonic()
            self._anchor_sim = current
            self.scale = scale


class Ids:
    """Deterministic 24-hex ids for everything the simulator creates after start."""

    def __init__(self, prefix: str = '6a') -> None:
        self._counter = itertools.count(1)
        self._prefix = prefix

    def next(self) -> str:
        return f'{self._prefix}{next(self._counter):022x}'


@dataclasses.dataclass
class Snapshot:
    """A cloud-backup, tenant or flex snapshot."""

    id: str
    requested_at: datetime.datetime
    retention: datetime.timedelta
    snapshot_type: str = 'scheduled'          # onDemand | scheduled
    frequency_type: str = 'daily'
    description: str | None = None
    queued_for: float = 0.0
    running_for: float = 0.0
    fails: bool = False
    expires_at: datetime.datetime | None = None  # set by PATCH
    member_ids: list[str] = dataclasses.field(default_factory=list)

    def status(self, now: datetime.datetime) -> str:
        elapsed = (now - self.requested_at).total_seconds()
        if elapsed < self.queued_for:
            return 'queued'
        if elapsed < self.queued_for + self.running_for:
            return 'inProgress'
        return 'failed' if self.fails else 'completed'

    def created_at(self) -> datetime.datetime:
        """When the snapshot started (the point in time it holds): the end of its queued time. Cloud backup shows it as
        createdAt only once the snapshot has completed (recorded by the Atlas CLI, 2026-08-10)."""
        return self.requested_at + datetime.timedelta(seconds=self.queued_for)

    def finished_at(self) -> datetime.datetime:
        return self.created_at() + datetime.timedelta(seconds=self.running_for)

    def expiry(self, now: datetime.datetime) -> datetime.datetime:
        """expiresAt: a PATCHed expiry; else retention counted from the request while the snapshot runs, and from its
        completion once it has completed (recorded: requested 03:26:42, createdAt 03:28:08, expiresAt next day 03:29:21)."""
        if self.expires_at is not None:
            return self.expires_at
        if self.status(now) == 'completed':
            return self.finished_at() + self.retention
        return self.requested_at + self.retention


@dataclasses.dataclass
class Cluster:
    name: str
    kind: str                 # REPLICA_SET | SHARDED | FREE | TENANT | FLEX
    tier: str                 # M10, M30, M0, M2, FLEX
    shards: int = 1
    snapshots: list[Snapshot] = dataclasses.field(default_factory=list)
    pit_enabled: bool = False            # continuous cloud backup (point-in-time restores)
    restore_window_days: int = 7         # the schedule's restoreWindowDays
    restore: tuple[str, str] | None = None  # (api, job id) of the latest restore INTO this cluster

    def replica_set_names(self) -> list[str]:
        """One per shard, then the config server, for a sharded cluster; else the one replica set (as in snapshot members)."""
        if self.kind != SHARDED:
            return [f'{self.name}-shard-0']
        return [f'{self.name}-shard-{index}' for index in range(self.shards)] + [f'{self.name}-config-0']

    def effective_kind(self, tenant_gone: bool) -> str:
        """In the 2026 world (after the tenant sunset) an M2/M5 cluster is the Flex cluster it was migrated to, under the same name."""
        if self.kind == TENANT and tenant_gone:
            return FLEX
        return self.kind


@dataclasses.dataclass
class DownloadJob:
    """A tenant or flex restore job: deliveryType DOWNLOAD (POST .../download) or RESTORE (POST .../restore, .../restoreJobs)."""

    id: str
    api: str                  # tenant | flex
    cluster: str
    snapshot_id: str
    requested_at: datetime.datetime
    duration: float
    link_lifetime: float
    fails: bool = False
    target_name: str | None = None     # targetDeploymentItemName as sent (tenant), else the source cluster
    target_project: str | None = None  # targetProjectId as sent (tenant), else the project
    delivery: str = 'DOWNLOAD'         # DOWNLOAD | RESTORE
    snapshot_finished: datetime.datetime | None = None

    def status(self, now: datetime.datetime) -> str:
        """DOWNLOAD: QUEUED, RUNNING, COMPLETED|FAILED; RESTORE: PENDING (as recorded, the sources), RUNNING, COMPLETED|FAILED."""
        elapsed = (now - self.requested_at).total_seconds()
        if elapsed < self.duration / 3:
            return 'PENDING' if self.delivery == 'RESTORE' else 'QUEUED'
        if elapsed < self.duration:
            return 'RUNNING'
        return 'FAILED' if self.fails else 'COMPLETED'

    def link_expires(self) -> datetime.datetime:
        return self.requested_at + datetime.timedelta(seconds=self.link_lifetime)

    def finished_at(self) -> datetime.datetime:
        return self.requested_at + datetime.timedelta(seconds=self.duration)

    def restore_state(self, now: datetime.datetime) -> str:
        status = self.status(now)
        return {'COMPLETED': 'restored', 'FAILED': 'failed'}.get(status, 'restoring')


@dataclasses.dataclass
class RestoreJob:
    """A dedicated-cluster cloud-backup restore job: automated, pointInTime or download.

    No status is stored: the flags and URLs are derived from the clock, as Atlas presents them.
    """

    id: str
    cluster: str                  # the source cluster (the list lives under it)
    delivery_type: str            # automated | pointInTime | download
    snapshot_id: str
    snapshot_taken: datetime.datetime
    requested_at: datetime.datetime
    duration: float               # automated/PIT: until finishedAt; download: until the URLs exist
    link_lifetime: float          # download: expiresAt = URLs ready + this
    replica_sets: list[tuple[str, str]]   # (replicaSetName, snapshot id of that member) for the archives
    sharded: bool = False
    fails: bool = False
    target_name: str | None = None
    target_group: str | None = None
    pit: dict[str, int] = dataclasses.field(default_factory=dict)   # pointInTimeUTCSeconds or oplogTs + oplogInc as sent
    cancelled_at: datetime.datetime | None = None

    def ready_at(self) -> datetime.datetime:
        return self.requested_at + datetime.timedelta(seconds=self.duration)

    def done(self, now: datetime.datetime) -> bool:
        return now >= self.ready_at()

    def cancelled(self, now: datetime.datetime) -> bool:
        return self.cancelled_at is not None and self.cancelled_at <= now

    def failed(self, now: datetime.datetime) -> bool:
        return self.fails and self.done(now) and not self.cancelled(now)

    def expires_at(self) -> datetime.datetime | None:
        return self.ready_at() + datetime.timedelta(seconds=self.link_lifetime) if self.delivery_type == 'download' else None

    def expired(self, now: datetime.datetime) -> bool:
        expires = self.expires_at()
        return expires is not None and now >= expires and not self.cancelled(now) and not self.fails

    def links_ready(self, now: datetime.datetime) -> bool:
        """A download's URLs exist: built, not failed, not cancelled (they stay listed once expired; the host refuses them)."""
        return self.delivery_type == 'download' and self.done(now) and not self.fails and not self.cancelled(now)

    def finished(self, now: datetime.datetime) -> bool:
        """automated / pointInTime: the target holds the restored data (finishedAt is set)."""
        return self.delivery_type != 'download' and self.done(now) and not self.fails

    def restore_state(self, now: datetime.datetime) -> str:
        if self.failed(now):
            return 'failed'
        return 'restored' if self.finished(now) else 'restoring'


class World:
    """Everything the API serves, guarded by one lock (handlers hold it while they read or write)."""

    def __init__(self, group_id: str, clusters: list[Cluster], config: dict[str, t.Any], ids: Ids | None = None) -> None:
        self.lock = threading.RLock()
        self.group_id = group_id
        self.clusters = {cluster.name: cluster for cluster in clusters}
        self.jobs: list[DownloadJob] = []
        self.restore_jobs: list[RestoreJob] = []
        self.used_links: set[str] = set()   # object paths of one-time restore download links fully served
        self.schedules: dict[str, dict[str, t.Any]] = {}  # backup schedules by cluster name, created on first use (routes_schedule)
        self.config = config
        self.ids = ids or Ids()  # the fleet's projects share one counter: an id is unique in the whole organization

    def cluster(self, name: str) -> Cluster | None:
        return self.clusters.get(name)

    def take_snapshot(self, cluster: Cluster, now: datetime.datetime, description: str | None, retention_days: int) -> Snapshot:
        durations = self.config['snapshot_durations']
        snap = Snapshot(
            id=self.ids.next(), requested_at=now, retention=datetime.timedelta(days=retention_days),
            snapshot_type='onDemand', frequency_type='ondemand', description=description,
            queued_for=float(durations['queued']), running_for=float(durations['in_progress']),
            fails=cluster.name in self.config['failing_clusters'],
        )
        if cluster.kind == SHARDED:
            snap.member_ids = [self.ids.next() for _member in range(cluster.shards + 1)]
        cluster.snapshots.insert(0, snap)
        return snap

    def request_download(self, api: str, cluster: Cluster, snapshot_id: str, now: datetime.datetime,
                         target_name: str | None = None, target_project: str | None = None) -> DownloadJob:
        job = DownloadJob(
            id=self.ids.next(), api=api, cluster=cluster.name, snapshot_id=snapshot_id, requested_at=now,
            duration=float(self.config['download_duration']), link_lifetime=float(self.config['link_lifetime']),
            fails=cluster.name in self.config['failing_downloads'], target_name=target_name, target_project=target_project,
        )
        self.jobs.insert(0, job)
        return job

    def next_restore_fails(self) -> bool:
        """Consume one of `fail_next_restores` (a control setting): the job being created will fail."""
        if self.config.get('fail_next_restores', 0) > 0:
            self.config['fail_next_restores'] -= 1
            return True
        return False

    def request_shared_restore(self, api: str, cluster: Cluster, snap: Snapshot, now: datetime.datetime, target: Cluster,
                               target_project: str) -> DownloadJob:
        """A tenant or flex restore (deliveryType RESTORE) of `snap` into `target`; the link field expirationDate is +6 h."""
        job = DownloadJob(
            id=self.ids.next(), api=api, cluster=cluster.name, snapshot_id=snap.id, requested_at=now,
            duration=float(self.config['restore_duration']), link_lifetime=6 * 3600.0, fails=self.next_restore_fails(),
            target_name=target.name, target_project=target_project, delivery='RESTORE', snapshot_finished=snap.finished_at(),
        )
        self.jobs.insert(0, job)
        target.restore = (api, job.id)
        return job

    def create_restore(self, job: RestoreJob, target: Cluster | None) -> RestoreJob:
        job.fails = self.next_restore_fails()
        self.restore_jobs.insert(0, job)
        if target is not None:
            target.restore = ('cloudBackup', job.id)
        return job

    def listed(self, item: Snapshot | RestoreJob | DownloadJob, now: datetime.datetime) -> bool:
        """Whether LIST answers show `item` yet: a restore job (any kind) or an on-demand snapshot stays out of them until
        list_lag_seconds after it was created (a GET by id finds it at once); everything else is always listed."""
        lag = float(self.config.get('list_lag_seconds', 0))
        if lag <= 0 or (isinstance(item, Snapshot) and item.snapshot_type != 'onDemand'):
            return True
        return (now - item.requested_at).total_seconds() >= lag

    def restore_job(self, job_id: str) -> RestoreJob | None:
        return next((job for job in self.restore_jobs if job.id == job_id), None)

    def restore_into(self, cluster: Cluster) -> RestoreJob | DownloadJob | None:
        """The latest restore job whose target is `cluster`."""
        if cluster.restore is None:
            return None
        api, job_id = cluster.restore
        return self.restore_job(job_id) if api == 'cloudBackup' else self.job(job_id)

    def jobs_for(self, cluster: str) -> list[DownloadJob]:
        return [job for job in self.jobs if job.cluster == cluster]

    def job(self, job_id: str) -> DownloadJob | None:
        return next((job for job in self.jobs if job.id == job_id), None)

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Download jobs of Flex and legacy M2/M5 (tenant) clusters: pick the snapshot, reuse a job whose link is still good,
request one without duplicates, wait for its link.
"""
from __future__ import annotations

import datetime
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import Endpoints
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError, is_missing
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import (
    COMPLETED, FAILED, UNFINISHED, created_time, expires_of, newest, newest_first, status_of,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._jobs import LINK_MARGIN, link_valid
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import Deadline, wait_or_raise
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._writes import PostPlan, post_without_duplicates
# Only jobs requested this recently (Atlas's clock) can still be reused or adopted: a Flex or tenant download link lives 4 h
# from the request , a Flex restore job's expirationDate is 6 h after it, and a download job takes minutes.
# Older ones are neither read nor handed out, so a project with thousands of old jobs costs a page or two per task.
REUSE_WINDOW = datetime.timedelta(hours=24)
# How far out of time order a newest-first list may be (jobs listed by id, requested within the same moments) and still
# be read as newest first; a list found more out of order is read to its end.
ORDER_SLACK = datetime.timedelta(hours=1)


class NewestFirstBound:
    """When to stop paging a list of jobs that Atlas lists newest first (the legacy docs say so, and the recorded Flex list
    of 2026 is): once a job older than the reuse window (less the slack) has been seen, every later job is older still.

    Checked, not trusted: a job newer than one listed before it by more than ORDER_SLACK shows the list is in another order,
    and then paging goes on to the end (out_of_order tells the caller, who warns).
    """

    def __init__(self, cutoff: datetime.datetime) -> None:
        self.cutoff = cutoff
        self.oldest: datetime.datetime | None = None
        self.out_of_order = False
        self.seen = 0

    def enough(self, items: list[dict[str, t.Any]]) -> bool:
        for job in items[self.seen:]:
            when = created_time(job) if isinstance(job, dict) else None
            if when is None:
                continue
            if self.oldest is not None and when > self.oldest + ORDER_SLACK:
                self.out_of_order = True
            self.oldest = when if self.oldest is None or when < self.oldest else self.oldest
        self.seen = len(items)
        return not self.out_of_order and self.oldest is not None and self.oldest + ORDER_SLACK < self.cutoff

    def recent(self, job: dict[str, t.Any]) -> bool:
        """Requested within the window; a job without a readable time is kept (it may be one just queued)."""
        when = created_time(job)
        return when is None or when >= self.cutoff


class DownloadApi:
    """One download API (tenant or flex) of one cluster: its Endpoints, read and written at its API version."""

    def __init__(self, client: AtlasClient, where: Endpoints) -> None:
        self.client = client
        self.where = where

    def get(self, path: str) -> t.Any:
        return self.client.get(path, resource=self.where.resource)

    def post(self, path: str, body: dict) -> t.Any:
        return self.client.post(path, body, resource=self.where.resource)

    def list_all(self, path: str) -> list[dict[str, t.Any]]:
        """Every item, newest first by creation time (never by the API's order)."""
        return newest_first(self.client.list_all(path, resource=self.where.resource))

    def recent_jobs(self) -> tuple[list[dict[str, t.Any]], bool]:
        """The jobs requested within REUSE_WINDOW, newest first, reading no further than the bound allows; and whether the
        list turned out not to be newest first (so every page was read)."""
        bound = NewestFirstBound(self.client.now() - REUSE_WINDOW)
        jobs = self.client.list_all(t.cast(str, self.where.jobs), resource=self.where.resource, enough=bound.enough)
        return newest_first(job for job in jobs if isinstance(job, dict) and bound.recent(job)), bound.out_of_order


def newest_completed(snapshots: list[dict[str, t.Any]]) -> dict[str, t.Any] | None:
    """The completed snapshot taken last, judged by its creation time, not by list position."""
    return newest(snap for snap in snapshots if status_of(snap) == COMPLETED and snap.get('id'))


def usable_job(job: dict[str, t.Any], snapshot_id: str, now: datetime.datetime) -> bool:
    """A download job of this snapshot that is still being made, or completed with a link valid long enough."""
    if not job.get('id') or job.get('snapshotId') != snapshot_id or job.get('deliveryType', 'DOWNLOAD') != 'DOWNLOAD':
        return False
    status = status_of(job)
    if status in UNFINISHED:
        return expires_of(job) is None or link_valid(job, now)  # no link yet: its expiry is checked again when it has one
    return status == COMPLETED and bool(job.get('snapshotUrl')) and link_valid(job, now)


def reusable_job(jobs: list[dict[str, t.Any]], snapshot_id: str, now: datetime.datetime) -> dict[str, t.Any] | None:
    """The newest usable download job for this snapshot (by request time, whatever the list order)."""
    return next((job for job in newest_first(jobs) if usable_job(job, snapshot_id, now)), None)


def job_ready(job: dict[str, t.Any]) -> bool:
    status = status_of(job)
    return status == FAILED or (status == COMPLETED and bool(job.get('snapshotUrl')))


class DownloadJobs:
    """Find, request and wait for a download job on one API; wait_timeout is the task's, warn tells the user."""

    def __init__(self, client: AtlasClient, api: DownloadApi, *, deadline: Deadline, warn: t.Callable[[str], None]) -> None:
        self.client = client
        self.api = api
        self.where = api.where
        self.deadline = deadline
        self.warn = warn
        self.warned_order = False

    def jobs(self) -> list[dict[str, t.Any]]:
        """The cluster's recent jobs (those that could be reused or adopted), newest first; one warning if Atlas did not list
        them newest first and every page had to be read."""
        jobs, out_of_order = self.api.recent_jobs()
        if out_of_order and not self.warned_order:
            self.warned_order = True
            self.warn(f'Atlas did not list the restore jobs of cluster {self.where.cluster_name} newest first, so every page of the '
                      'list was read to find a reusable download job; with many old jobs this costs many requests.')
        return jobs

    def snapshot(self, snapshot_id: str | None) -> dict[str, t.Any]:
        """The snapshot asked for (which must be completed), or the newest completed one."""
        name = self.where.cluster_name
        if snapshot_id is None:
            snap = newest_completed(self.api.list_all(self.where.snapshots))
            if snap is None:
                raise TaskError(f'Cluster {name} has no completed snapshot to download yet.')
            return snap
        try:
            snap = self.api.get(self.where.snapshot(snapshot_id)) or {}
        except AtlasApiError as err:
            if is_missing(err, 'snapshot'):
                raise TaskError(f'Snapshot {snapshot_id} does not exist in cluster {name} ({err.error_code}).', error_code=err.error_code) from None
            raise
        if status_of(snap) != COMPLETED:
            raise TaskError(f'Snapshot {snapshot_id} of cluster {name} is {snap.get("status")}, not completed; '
                            'only completed snapshots can be downloaded. Run again once it has completed.')
        return dict(snap, id=snap.get('id') or snapshot_id)

    def find(self, snapshot_id: str) -> tuple[dict[str, t.Any] | None, set[str]]:
        jobs = self.jobs()
        return reusable_job(jobs, snapshot_id, self.client.now()), {job['id'] for job in jobs if job.get('id')}

    def request(self, snapshot_id: str, known_ids: set[str]) -> dict[str, t.Any]:
        """POST a download request; after an ambiguous failure, re-read and adopt the job Atlas made instead of asking twice."""
        def refused(err: AtlasApiError) -> dict[str, t.Any]:
            if err.error_code != 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY':
                raise err
            return self._adopt_concurrent(snapshot_id, err)

        plan = PostPlan('download job', lambda: self.api.post(t.cast(str, self.where.download), {'snapshotId': snapshot_id}),
                        lambda: self._adopt(snapshot_id, known_ids), refused, self.where.cluster_name)
        return post_without_duplicates(self.client, plan, deadline=self.deadline, warn=self.warn)

    def _adopt(self, snapshot_id: str, known_ids: set[str]) -> dict[str, t.Any] | None:
        """The newest job for this snapshot that was not there before our request and has not failed."""
        for job in self.jobs():
            if job.get('id') and job['id'] not in known_ids and job.get('snapshotId') == snapshot_id and status_of(job) != FAILED:
                return job
        return None

    def _adopt_concurrent(self, snapshot_id: str, err: AtlasApiError) -> dict[str, t.Any]:
        """Atlas says a download of this snapshot is under way: use that job if it is in flight, or done with a link valid long
        enough (Atlas's clock), newest first; never an expired link."""
        now = self.client.now()
        for job in self.jobs():
            if usable_job(job, snapshot_id, now):
                return job
        raise TaskError(f'Atlas refused a new download of snapshot {snapshot_id} because another one is under way '
                        f'({err.error_code}), but no job for it is in flight or has a link valid for at least '
                        f'{int(LINK_MARGIN.total_seconds() // 60)} more minutes. Run again in a few minutes.', error_code=err.error_code)

    def wait(self, job: dict[str, t.Any]) -> dict[str, t.Any]:
        """Poll the job until COMPLETED with a link (or FAILED); fail the task on FAILED or timeout."""
        job_id = job['id']
        if not job_ready(job):
            job = wait_or_raise(self.client, lambda: self.api.get(self.where.job(job_id)) or {}, job_ready,
                                what=f'download job {job_id} of snapshot {job.get("snapshotId")}', first=job,
                                deadline=self.deadline, job_id=job_id)
        if status_of(job) == FAILED:
            raise TaskError(f'Download job {job_id} for snapshot {job.get("snapshotId")} of cluster {self.where.cluster_name} FAILED on Atlas; '
                            'run the task again to request a new one.', job_id=job_id)
        return dict(job, id=job.get('id') or job_id)

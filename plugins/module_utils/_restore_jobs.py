# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Restore jobs of every cluster kind: one state vocabulary for them (dedicated jobs have no status field), which
existing job satisfies a request, starting one without duplicates, waiting, cancelling, and how results show them.
"""
from __future__ import annotations

import datetime
import time
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import FLEX, TENANT, Endpoints
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError, TenantApiGone, is_missing, is_sunset
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import (
    COMPLETED, FAILED, IN_PROGRESS, QUEUED, expires_time, snake_result, status_of,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._time import iso, parse_time
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import poll_intervals, wait_or_raise
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._writes import post_without_duplicates

CANCELLED = 'cancelled'
EXPIRED = 'expired'
FINISHED = (COMPLETED, FAILED, CANCELLED, EXPIRED)
AUTOMATED, DOWNLOAD, POINT_IN_TIME = 'automated', 'download', 'point_in_time'
API_DELIVERY = {AUTOMATED: 'automated', DOWNLOAD: 'download', POINT_IN_TIME: 'pointInTime'}
LINK_MARGIN = datetime.timedelta(minutes=10)  # a download link must stay valid this long to be used again
_OLDEST = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)

# What Atlas's refusals of a restore request mean, for the person who has to fix the task.
REFUSALS = {
    'SNAPSHOT_NOT_FOUND': 'snapshot {snapshot} does not exist in this cluster (a snapshot of another cluster cannot be restored from '
                          'this one; list them with mongodb_atlas.backup.atlas_snapshot_info)',
    'CANNOT_START_RESTORE_JOB_FOR_INCOMPLETE_CLUSTER_SNAPSHOT': 'snapshot {snapshot} has not completed yet; run again once it has',
    'CANNOT_DOWNLOAD_INCOMPLETE_SNAPSHOT': 'snapshot {snapshot} has not completed yet; run again once it has',
    'CANNOT_START_RESTORE_JOB_FOR_DELETED_SNAPSHOT': 'snapshot {snapshot} was deleted',
    'INVALID_RESTORE_PROCESS': 'cluster {target} cannot receive this restore (a sharded snapshot needs a sharded target with as '
                               'many shards, a replica set a replica set, and free clusters take none)',
    'AUTOMATED_RESTORE_OF_SHARD_NOT_ALLOWED': 'snapshot {snapshot} is one shard\'s snapshot; restore the whole sharded snapshot',
    'INVALID_PIT_RESTORE_TIME': 'the restore point is outside the continuous-backup restore window, or in the future',
    'UNABLE_T0_FIND_SNAPSHOT_PRIOR_TO_PIT_RESTORE_OPTIME': 'no snapshot was taken before the restore point',
    'NO_CHECKPOINT_FOR_PIT_RESTORE': 'Atlas has no checkpoint it can restore to that point from',
    'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY': 'a download of snapshot {snapshot} is already active; cancel it (state: absent) or use it',
    'TOO_MANY_SNAPSHOT_DOWNLOADS': 'the project has as many active downloads as Atlas allows; cancel some (state: absent)',
    'CLUSTER_PAUSED_CANNOT_RESTORE': 'cluster {target} is paused; resume it first',
    'TENANT_RESTORE_INCOMPATIBLE_TOPOLOGY': 'cluster {target} is sharded; a Flex snapshot restores only into a replica set',
}


class RestoreRequest(t.NamedTuple):
    """What the task asks for. target_* are None for downloads; PIT gives seconds, or oplog ts and inc."""

    delivery: str
    snapshot_id: str | None
    target_group: str | None = None
    target_name: str | None = None
    pit_seconds: int | None = None
    oplog_ts: int | None = None
    oplog_inc: int | None = None

    def body(self, kind: str) -> dict[str, t.Any]:
        """The POST body for the source's API: dedicated restoreJobs, or the Flex/tenant restore (target by name)."""
        if kind in (FLEX, TENANT):
            return {'snapshotId': self.snapshot_id, 'targetDeploymentItemName': self.target_name, 'targetProjectId': self.target_group}
        fields = {'deliveryType': API_DELIVERY[self.delivery], 'snapshotId': self.snapshot_id, 'targetClusterName': self.target_name,
                  'targetGroupId': self.target_group, 'pointInTimeUTCSeconds': self.pit_seconds, 'oplogTs': self.oplog_ts,
                  'oplogInc': self.oplog_inc}
        return {key: value for key, value in fields.items() if value is not None}


# --------------------------------------------------------------------------------------------- reading a job
def delivery_of(job: dict[str, t.Any]) -> str:
    """automated, download or point_in_time, from any API's deliveryType (Flex and tenant say RESTORE or DOWNLOAD)."""
    value = str(job.get('deliveryType') or '').lower()
    return {'download': DOWNLOAD, 'pointintime': POINT_IN_TIME}.get(value, AUTOMATED)


def target_of(job: dict[str, t.Any]) -> tuple[str | None, str | None]:
    """(project, cluster) a restore writes into."""
    return (job.get('targetGroupId') or job.get('targetProjectId'), job.get('targetClusterName') or job.get('targetDeploymentItemName'))


def delivery_urls(job: dict[str, t.Any]) -> list[dict[str, str]]:
    """The download links of a ready job: [{name, url}], one per shard and config server for a sharded cluster."""
    components = [part for part in job.get('components') or [] if isinstance(part, dict) and part.get('downloadUrl')]
    if components:
        return [{'name': str(part.get('replicaSetName') or f'part-{index}'), 'url': part['downloadUrl']} for index, part in enumerate(components)]
    urls = [url for url in job.get('deliveryUrl') or [] if isinstance(url, str) and url]
    return [{'name': f'part-{index}' if len(urls) > 1 else 'restore', 'url': url} for index, url in enumerate(urls)]


def restore_status(job: dict[str, t.Any]) -> str:
    """queued, inProgress, completed, failed, cancelled or expired, for any restore job.

    Flex and tenant jobs carry a status; dedicated jobs do not, so it is derived as Atlas's own CLI does: the failed,
    cancelled and expired flags, then a download is completed once it has its links, a restore once it has finishedAt.
    """
    if job.get('status'):
        return status_of(job)
    for flag, status in (('failed', FAILED), ('cancelled', CANCELLED), ('expired', EXPIRED)):
        if job.get(flag):
            return status
    if delivery_of(job) == DOWNLOAD:
        return COMPLETED if delivery_urls(job) else IN_PROGRESS
    return COMPLETED if job.get('finishedAt') else IN_PROGRESS


def created_time(job: dict[str, t.Any]) -> datetime.datetime | None:
    """When the job was requested; Flex and tenant jobs say so, dedicated jobs do not (None)."""
    return parse_time(job.get('restoreScheduledDate'))


def finished_time(job: dict[str, t.Any]) -> datetime.datetime | None:
    return parse_time(job.get('finishedAt') or job.get('restoreFinishedDate'))


def newest_jobs(jobs: t.Iterable[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Newest first: by request time where Atlas gives one, else by id (Atlas ids are ObjectIds, which grow with time)."""
    return sorted(jobs, key=lambda job: (created_time(job) or _OLDEST, str(job.get('id') or '')), reverse=True)


def job_view(job: dict[str, t.Any], with_links: bool) -> dict[str, t.Any]:
    """A job as results show it: snake_case, with status, created_at, finished_at and expires_at (where Atlas says), and
    without its download links unless they are what the task asks for (a link is a bearer secret)."""
    doc = {key: value for key, value in job.items() if key != 'links'}
    doc['status'] = restore_status(job)
    for key, moment in (('createdAt', created_time(job)), ('finishedAt', finished_time(job)), ('expiresAt', expires_time(job))):
        if moment is not None:
            doc[key] = iso(moment)
    if not with_links:
        for key in ('deliveryUrl', 'snapshotUrl', 'privateDownloadDeliveryUrls'):
            doc.pop(key, None)
        doc['components'] = [{k: v for k, v in part.items() if k not in ('downloadUrl', 'privateDownloadDeliveryUrls')}
                             for part in job.get('components') or [] if isinstance(part, dict)]
        if not doc['components']:
            doc.pop('components')
    return snake_result(doc)


def needs_cancel(job: dict[str, t.Any]) -> bool:
    """Not over yet: a download job that has not failed, been cancelled or expired (its links may be live), or a restore
    still running. A finished job needs nothing."""
    status = restore_status(job)
    if status in (FAILED, CANCELLED, EXPIRED):
        return False
    return delivery_of(job) == DOWNLOAD or status != COMPLETED


def matches(job: dict[str, t.Any], request: RestoreRequest) -> bool:
    """The job does what the request asks: same delivery, snapshot and target (and restore point)."""
    if delivery_of(job) != request.delivery or not job.get('id'):
        return False
    if request.snapshot_id is not None and job.get('snapshotId') != request.snapshot_id:
        return False
    if request.delivery != DOWNLOAD and target_of(job) != (request.target_group, request.target_name):
        return False
    if request.delivery == POINT_IN_TIME:
        return (job.get('pointInTimeUTCSeconds'), job.get('oplogTs'), job.get('oplogInc')) == (
            request.pit_seconds, request.oplog_ts, request.oplog_inc)
    return True


def satisfies(job: dict[str, t.Any], request: RestoreRequest, now: datetime.datetime, max_age: int | None) -> bool:
    """A job that makes a new one unnecessary: running, or finished well (a download whose links are still good; a
    restore finished within max_age minutes, when given). Failed, cancelled and expired jobs never do."""
    if not matches(job, request):
        return False
    status = restore_status(job)
    if status in (QUEUED, IN_PROGRESS):
        return True
    if status != COMPLETED:
        return False
    if request.delivery == DOWNLOAD:
        expires = expires_time(job)
        return expires is not None and expires - now >= LINK_MARGIN
    if max_age is None:
        return True
    finished = finished_time(job)
    return finished is not None and (now - finished).total_seconds() <= max_age * 60


# --------------------------------------------------------------------------------------------- talking to Atlas
def restore_jobs_of(client: AtlasClient, group_id: str, cluster_name: str, kind: str, *, wait: bool, wait_timeout: int,
                    warn: t.Callable[[str], None]) -> RestoreJobs:
    """The jobs API of a source cluster: its own kind's, except a tenant (M2/M5) source whose API Atlas retired, which
    moves to Flex (every M2/M5 cluster became a Flex cluster on 2026-01-22) with a warning. The list made to find that
    out is the first answer of list_jobs, not fetched again."""
    def jobs_of(which: str) -> RestoreJobs:
        return RestoreJobs(client, Endpoints(group_id, cluster_name, which), wait=wait, wait_timeout=wait_timeout, warn=warn)

    jobs_api = jobs_of(kind)
    if kind != TENANT:
        return jobs_api
    try:
        jobs_api.list_ahead()
    except TenantApiGone:
        warn('The tenant backup API is gone (retired 2026-01-22); using the Flex API.')
        return jobs_of(FLEX)
    return jobs_api


class RestoreJobs:
    """List, start (without duplicates), wait for and cancel the restore jobs of one source cluster."""

    def __init__(self, client: AtlasClient, where: Endpoints, *, wait: bool, wait_timeout: int, warn: t.Callable[[str], None]) -> None:
        self.client = client
        self.where = where
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.warn = warn
        self.deadline = time.monotonic() + float(wait_timeout)
        self._unread: list[dict[str, t.Any]] | None = None  # a list already fetched (to pick the API) and not yet handed out

    def list_ahead(self) -> None:
        """List now (to learn whether the API answers) and hand that list out at the next list_jobs."""
        self._unread = self.list_jobs()

    def list_jobs(self) -> list[dict[str, t.Any]]:
        """Every job of the source cluster, newest first. On a tenant source whose API is gone: TenantApiGone."""
        if self._unread is not None:
            jobs, self._unread = self._unread, None
            return jobs
        try:
            return newest_jobs(self.client.list_all(t.cast(str, self.where.jobs), resource=self.where.resource))
        except AtlasApiError as err:
            if self.where.kind == TENANT and is_sunset(err):
                raise TenantApiGone(str(err)) from None
            raise self.where.failure(f'list the restore jobs of cluster {self.where.cluster_name}', err) from None

    def read(self, job_id: str) -> dict[str, t.Any] | None:
        """One job, or None when Atlas says there is no such job."""
        try:
            return self.client.get(self.where.job(job_id), resource=self.where.resource) or {}
        except AtlasApiError as err:
            if is_missing(err, 'job'):
                return None
            raise self.where.failure(f'read restore job {job_id} of cluster {self.where.cluster_name}', err) from None

    def start(self, request: RestoreRequest, known_ids: set[str]) -> dict[str, t.Any]:
        """POST the restore; after an ambiguous failure re-read and adopt the job Atlas made, never a second restore.
        A target already being restored (409) is waited for with wait, else the task fails saying so."""
        pauses = poll_intervals(2.0, 1.5, 30.0)

        def refused(err: AtlasApiError) -> None:
            if err.error_code in REFUSALS:
                raise TaskError(f'Atlas refused the restore of cluster {self.where.cluster_name} ({err.error_code}): '
                                f'{REFUSALS[err.error_code].format(snapshot=request.snapshot_id, target=request.target_name)}. '
                                'Nothing was started.', error_code=err.error_code, status=err.status)
            if err.error_code != 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS':
                raise err
            target = request.target_name or self.where.cluster_name
            remaining = self.deadline - time.monotonic()
            if not self.wait or remaining <= 0:
                raise TaskError(f'Cannot restore into cluster {target}: Atlas says another restore into it is in progress '
                                f'({err.error_code}). Nothing was started. Run again once it has finished'
                                f'{", or set wait: true to wait for it" if not self.wait else f" (wait_timeout {self.wait_timeout} s ran out)"}.',
                                error_code=err.error_code)
            pause = min(next(pauses), remaining)
            self.client.note_retry(err.reason(), pause)
            time.sleep(pause)

        try:
            return post_without_duplicates(self.client, 'restore job', lambda: self.client.post(
                t.cast(str, self.where.restore), request.body(self.where.kind), resource=self.where.resource),
                lambda: self._adopt(request, known_ids), refused, cluster_name=self.where.cluster_name, warn=self.warn)
        except AtlasApiError as err:
            raise self.where.failure(f'start a restore job of cluster {self.where.cluster_name}', err) from None

    def _adopt(self, request: RestoreRequest, known_ids: set[str]) -> dict[str, t.Any] | None:
        for job in self.list_jobs():
            if job['id'] not in known_ids and matches(job, request) and restore_status(job) not in (FAILED, CANCELLED):
                return job
        return None

    def wait_until_finished(self, job: dict[str, t.Any], accept_failure: bool = False) -> dict[str, t.Any]:
        """Poll until the job is finished; one that failed, was cancelled or expired fails the task (unless accept_failure)."""
        job_id = job['id']

        def done(current: dict[str, t.Any]) -> bool:
            return restore_status(current) in FINISHED

        def fetch() -> dict[str, t.Any]:
            current = self.read(job_id)
            if current is None:
                raise TaskError(f'Restore job {job_id} of cluster {self.where.cluster_name} disappeared while waiting for it.', job_id=job_id)
            return dict(current, id=current.get('id') or job_id)

        if not done(job):
            try:
                job = wait_or_raise(self.client, fetch, done, what=f'restore job {job_id} of cluster {self.where.cluster_name}', first=job,
                                    timeout=max(self.deadline - time.monotonic(), 0.0), wait_timeout=self.wait_timeout, job_id=job_id)
            except AtlasApiError as err:
                raise self.where.failure(f'read restore job {job_id} of cluster {self.where.cluster_name}', err) from None
        status = restore_status(job)
        if status in (FAILED, CANCELLED, EXPIRED) and not accept_failure:
            reason = job.get('statusReason') or job.get('reason') or job.get('errorMessage')
            raise TaskError(f'Restore job {job_id} of cluster {self.where.cluster_name} {status} on Atlas'
                            f'{f": {reason}" if reason else ""}. Run the task again to start a new one.', job_id=job_id, status=status,
                            restore_job=job_view(job, with_links=False))
        return job

    def check_cancellable(self, job: dict[str, t.Any]) -> None:
        """Atlas cancels only download jobs: a running restore is refused here, before any request."""
        if delivery_of(job) != DOWNLOAD:
            raise TaskError(f'Restore job {job["id"]} of cluster {self.where.cluster_name} is an {delivery_of(job).replace("_", "-")} restore, '
                            'which Atlas cannot cancel (only download jobs can be cancelled). Nothing was changed.', job_id=job['id'])

    def cancel(self, job: dict[str, t.Any]) -> None:
        """DELETE a download job."""
        self.check_cancellable(job)
        try:
            self.client.delete(self.where.job(job['id']), resource=self.where.resource)
        except AtlasApiError as err:
            raise self.where.failure(f'cancel restore job {job["id"]} of cluster {self.where.cluster_name}', err) from None

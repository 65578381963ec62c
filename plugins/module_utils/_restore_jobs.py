# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The restore jobs of one source cluster: which existing job satisfies a request, which blocks its target, starting one
(a restore POST is sent at most once per task), waiting and cancelling. The job model itself is _jobs.
"""
from __future__ import annotations

import datetime
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import FLEX, TENANT, ClusterInfo, Endpoints
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import atlas_call
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._jobs import (
    API_DELIVERY, CANCELLED, DOWNLOAD, EXPIRED, FINISHED, POINT_IN_TIME, delivery_of, finished_time, is_running, job_status, job_view,
    links_whole, newest_jobs, same_target, target_of,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import COMPLETED, FAILED
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import Deadline, atlas_seconds, settle, wait_or_raise
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._writes import SETTLE_SECONDS, PostPlan, post_without_duplicates

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


def restore_point(job: dict[str, t.Any]) -> tuple[t.Any, t.Any, t.Any]:
    """(seconds, oplog ts, oplog inc) of a point-in-time job, from its own fields or from desiredTimestamp."""
    desired: dict[str, t.Any] = job['desiredTimestamp'] if isinstance(job.get('desiredTimestamp'), dict) else {}
    ts, inc = job.get('oplogTs'), job.get('oplogInc')
    seconds = job.get('pointInTimeUTCSeconds')
    if seconds is None and ts is None and desired.get('time') is not None:
        if desired.get('increment') is not None:
            ts, inc = desired.get('time'), desired.get('increment')
        else:
            seconds = desired.get('time')
    return seconds, ts, inc


def matches(job: dict[str, t.Any], request: RestoreRequest) -> bool:
    """The job does what the request asks: same delivery, snapshot and target (and restore point). A point-in-time job
    that Atlas answers without its target (or snapshot) fields matches on the restore point alone: treating it as ours
    can cost a needed restore, never a second one."""
    if delivery_of(job) != request.delivery or not job.get('id'):
        return False
    snapshot = job.get('snapshotId')
    if request.snapshot_id is not None and snapshot != request.snapshot_id and not (snapshot is None and request.delivery == POINT_IN_TIME):
        return False
    if request.delivery == DOWNLOAD:
        return True
    if target_of(job) != (None, None) and not same_target(job, request.target_group, request.target_name):
        return False
    if target_of(job) == (None, None) and request.delivery != POINT_IN_TIME:
        return False
    if request.delivery == POINT_IN_TIME:
        return restore_point(job) == (request.pit_seconds, request.oplog_ts, request.oplog_inc)
    return True


def satisfies(job: dict[str, t.Any], request: RestoreRequest, now: datetime.datetime, max_age: int | None, fetch: bool) -> bool:
    """A job that makes a new one unnecessary: running, or finished well (a download whose links are still good, all of
    them when they are to be fetched; a restore finished within max_age minutes, when given). Failed, cancelled and
    expired jobs never do."""
    if not matches(job, request):
        return False
    status = job_status(job)
    if is_running(job):
        return True
    if status != COMPLETED:
        return False
    if request.delivery == DOWNLOAD:
        return links_whole(job, now) if fetch else job_status(job) == COMPLETED and not job.get('expired')
    if max_age is None:
        return True
    finished = finished_time(job)
    return finished is not None and (now - finished).total_seconds() <= max_age * 60


def busy_target(jobs: list[dict[str, t.Any]], request: RestoreRequest) -> dict[str, t.Any] | None:
    """Another restore into the same target that has not finished. A running restore whose target Atlas does not name
    (the legacy point-in-time answer) may be writing into any target of this source, so it counts too."""
    for job in jobs:
        if delivery_of(job) == DOWNLOAD or job_status(job) in FINISHED:
            continue
        if target_of(job) == (None, None) or same_target(job, request.target_group, request.target_name):
            return job
    return None


def restore_jobs_of(client: AtlasClient, group_id: str, cluster: ClusterInfo, *, deadline: Deadline,
                    warn: t.Callable[[str], None]) -> RestoreJobs:
    """The jobs API of a source cluster as the cluster model resolved it (backup_cluster: the tenant sunset met there)."""
    return RestoreJobs(client, Endpoints(group_id, cluster.name, cluster.kind), deadline=deadline, warn=warn)


class RestoreJobs:
    """List, start (never twice), wait for and cancel the restore jobs of one source cluster."""

    def __init__(self, client: AtlasClient, where: Endpoints, *, deadline: Deadline, warn: t.Callable[[str], None]) -> None:
        self.client = client
        self.where = where
        self.deadline = deadline
        self.warn = warn

    @atlas_call('list the restore jobs of cluster {cluster}')
    def list_jobs(self) -> list[dict[str, t.Any]]:
        """Every job of the source cluster, newest first."""
        return newest_jobs(self.client.list_all(t.cast(str, self.where.jobs), resource=self.where.resource))

    @atlas_call('read restore job {job_id} of cluster {cluster}', missing='job')
    def read(self, job_id: str) -> dict[str, t.Any] | None:
        """One job (with its id), or None when Atlas says there is no such job."""
        job = self.client.get(self.where.job(job_id), resource=self.where.resource) or {}
        return dict(job, id=job.get('id') or job_id)

    def start(self, request: RestoreRequest, known_ids: set[str], replaces: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        """POST the job once. After an ambiguous failure, or a refusal our own attempt may have caused, the lists are read
        again until the settling time has passed, and the job Atlas made is adopted. A restore is never requested twice:
        when none is found the task fails saying what to check. A download job (it changes no cluster) may be asked for
        again; `replaces` is a download job of the same snapshot whose links are spent, cancelled when Atlas refuses a
        second active download."""
        restore = request.delivery != DOWNLOAD

        def find_new() -> dict[str, t.Any] | None:
            return next((job for job in self.list_jobs() if job['id'] not in known_ids and matches(job, request)
                         and job_status(job) not in (FAILED, CANCELLED, EXPIRED)), None)

        def refused(err: AtlasApiError) -> dict[str, t.Any] | None:
            if err.error_code in REFUSALS:
                raise TaskError(f'Atlas refused the {"restore" if restore else "download"} of cluster {self.where.cluster_name} '
                                f'({err.error_code}): {REFUSALS[err.error_code].format(snapshot=request.snapshot_id, target=request.target_name)}. '
                                'Nothing was started.', error_code=err.error_code, status=err.status)
            if err.error_code == 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY' and not restore:
                if replaces is not None and not replaces.get('cancelled'):
                    self.cancel(replaces)
                    replaces['cancelled'] = True
                    return None  # ask again, once: the spent job was in the way
                raise TaskError(f'Atlas refused a download of snapshot {request.snapshot_id} ({err.error_code}): another download of '
                                'it is active. Cancel it (state: absent) or run again once its links have expired.', error_code=err.error_code)
            if err.error_code == 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS':
                ours = settle(find_new, self.deadline, SETTLE_SECONDS, atlas_seconds(self.client))  # a job of an earlier run that the list did not show yet
                if ours is not None:
                    self.warn(f'Atlas refused the restore ({err.error_code}) because restore job {ours["id"]}, which does what this task '
                              'asks, is already running; using it.')
                    return ours
                raise TaskError(f'Cannot restore into cluster {request.target_name}: Atlas says another restore into it is in progress '
                                f'({err.error_code}), and no job of this request is listed under cluster {self.where.cluster_name}. '
                                'Nothing was started. It may be a restore from another cluster or project: check the target\'s restore '
                                'jobs and state, and run again once it has finished.', error_code=err.error_code)
            raise err

        plan = PostPlan('restore job' if restore else 'download job',
                        lambda: self.client.post(t.cast(str, self.where.restore), request.body(self.where.kind), resource=self.where.resource),
                        find_new, refused, self.where.cluster_name, repeat=not restore)
        try:
            return post_without_duplicates(self.client, plan, deadline=self.deadline, warn=self.warn)
        except AtlasApiError as err:
            raise self.where.failure(f'start a restore job of cluster {self.where.cluster_name}', err) from None

    def wait_until_finished(self, job: dict[str, t.Any], accept_failure: bool = False) -> dict[str, t.Any]:
        """Poll until the job is finished; one that failed, was cancelled or expired fails the task (unless accept_failure)."""
        job_id = job['id']

        def done(current: dict[str, t.Any]) -> bool:
            return job_status(current) in FINISHED

        def fetch() -> dict[str, t.Any]:
            current = self.read(job_id)
            if current is None:
                raise TaskError(f'Restore job {job_id} of cluster {self.where.cluster_name} disappeared while waiting for it.', job_id=job_id)
            return current

        if not done(job):
            try:
                job = wait_or_raise(self.client, fetch, done, what=f'restore job {job_id} of cluster {self.where.cluster_name}', first=job,
                                    deadline=self.deadline, describe=job_status, job_id=job_id)
            except AtlasApiError as err:
                raise self.where.failure(f'read restore job {job_id} of cluster {self.where.cluster_name}', err) from None
        status = job_status(job)
        if status in (FAILED, CANCELLED, EXPIRED) and not accept_failure:
            reason = job.get('statusReason') or job.get('reason') or job.get('errorMessage')
            raise TaskError(f'Restore job {job_id} of cluster {self.where.cluster_name} {status} on Atlas'
                            f'{f": {reason}" if reason else ""}. Run the task again to start a new one.', job_id=job_id, status=status,
                            restore_job=job_view(job, with_links=False))
        return job

    def check_cancellable(self, job: dict[str, t.Any] | None = None) -> None:
        """Atlas cancels only dedicated clusters' download jobs: Flex restore jobs have no cancel, and a running restore is
        refused; both before any write."""
        if self.where.kind in (FLEX, TENANT):
            raise TaskError(f'Cluster {self.where.cluster_name} is a Flex cluster: Atlas cannot cancel its restore or download jobs (its API '
                            'has no cancel for them). Nothing was changed. A Flex restore runs to its end; a Flex download link expires by '
                            'itself (see expiration_date in mongodb_atlas.backup.atlas_restore_job_info).')
        if job is not None and delivery_of(job) != DOWNLOAD:
            raise TaskError(f'Restore job {job["id"]} of cluster {self.where.cluster_name} is an {delivery_of(job).replace("_", "-")} restore, '
                            'which Atlas cannot cancel (only download jobs can be cancelled). Nothing was changed.', job_id=job['id'])

    @atlas_call('cancel restore job {job[id]} of cluster {cluster}')
    def cancel(self, job: dict[str, t.Any]) -> None:
        """DELETE a download job."""
        self.check_cancellable(job)
        self.client.delete(self.where.job(job['id']), resource=self.where.resource)

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""What atlas_restore_job does, as a service: check everything Atlas would refuse before any write, find the job that
already does what is asked, start one (never two restores), wait, fetch a download's archive set, or cancel.

Check mode reads and decides exactly as a real run, and never writes, waits or touches a download link.
"""
from __future__ import annotations

import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive_set import ArchiveSet, LinkRefused
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import FLEX, SHARDED, TENANT, NO_BACKUP, ClusterInfo, get_cluster
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._jobs import (
    DOWNLOAD, POINT_IN_TIME, delivery_of, job_view, links_whole, needs_cancel,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import COMPLETED, status_of
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._restore_jobs import RestoreJobs, RestoreRequest, busy_target, satisfies
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshots import get_snapshot

DAY = 86400


class RestoreOptions(t.NamedTuple):
    """The task's options, as plain values."""

    group_id: str
    cluster_name: str
    request: RestoreRequest
    allow_restore_to_source: bool = False
    max_age: int | None = None
    wait: bool = True
    force: bool = False
    validate_archive: bool = True
    check_mode: bool = False
    diff: bool = False
    parallel_downloads: int = 4


class RestorePlan:
    """One atlas_restore_job task with state present, on a source cluster whose kind is known."""

    def __init__(self, client: AtlasClient, source: ClusterInfo, jobs_api: RestoreJobs, options: RestoreOptions,
                 archives: ArchiveSet | None, warn: t.Callable[[str], None]) -> None:
        self.client = client
        self.source = source
        self.jobs = jobs_api
        self.opts = options
        self.request = options.request
        self.archives = archives
        self.warn = warn

    # ------------------------------------------------------------------------------------------- checks before any write
    def check_source(self) -> None:
        name, kind, delivery = self.opts.cluster_name, self.source.kind, self.request.delivery
        label = 'Flex' if kind == FLEX else 'shared-tier'
        if kind in (FLEX, TENANT) and delivery == DOWNLOAD:
            raise TaskError(f'Cluster {name} is a {label} cluster: download its snapshots with mongodb_atlas.backup.atlas_tenant_download. '
                            'delivery_type download is for dedicated (M10+) clusters.')
        if kind in (FLEX, TENANT) and delivery == POINT_IN_TIME:
            raise TaskError(f'Cluster {name} has no continuous cloud backup (a {label} cluster): point-in-time restores need a dedicated '
                            'cluster with continuous backup. Use delivery_type automated.')
        if delivery == POINT_IN_TIME and not self.source.pit_enabled:
            raise TaskError(f'Cluster {name} does not have continuous cloud backup enabled, so it cannot be restored to a point in time. '
                            'Enable it in the backup policy, or use delivery_type automated with a snapshot.')
        if delivery != DOWNLOAD:
            self.check_not_source(self.request.target_name or '')

    def check_not_source(self, target_name: str) -> None:
        """Source and target compared as Atlas compares names (case aside), project ids as ids."""
        same = (str(self.request.target_group).lower(), target_name.lower()) == (self.opts.group_id.lower(), self.source.name.lower())
        if same and not self.opts.allow_restore_to_source:
            raise TaskError(f'The target is the source cluster {self.source.name} itself: the restore would overwrite it with its own '
                            'snapshot. Set allow_restore_to_source: true if that is what you mean.')

    def check_snapshot(self, snapshot_id: str) -> dict[str, t.Any]:
        snapshot = get_snapshot(self.client, self.jobs.where, snapshot_id)
        if snapshot is None:
            raise TaskError(f'Snapshot {snapshot_id} does not exist in cluster {self.opts.cluster_name} (SNAPSHOT_NOT_FOUND). Snapshots of '
                            'other clusters cannot be restored from this one; list them with mongodb_atlas.backup.atlas_snapshot_info.')
        if status_of(snapshot) != COMPLETED:
            raise TaskError(f'Snapshot {snapshot_id} of cluster {self.opts.cluster_name} is {snapshot.get("status")}, not completed; '
                            'only completed snapshots can be restored. Run again once it has completed.')
        return snapshot

    def check_target(self) -> ClusterInfo:
        """The target exists and can take this restore (and, by the name Atlas gives it, is not the source)."""
        group, name = t.cast(str, self.request.target_group), t.cast(str, self.request.target_name)
        target = get_cluster(self.client, group, name)
        source = self.source
        self.check_not_source(target.name)
        if target.kind in (NO_BACKUP, TENANT):
            raise TaskError(f'Cluster {name} is a {target.tier} cluster, which cannot receive a restore. Restore into a dedicated (M10+) cluster.')
        if target.kind == FLEX and source.kind not in (FLEX, TENANT):
            raise TaskError(f'Cluster {name} is a Flex cluster; a dedicated cluster\'s snapshot can only go into a dedicated (M10+) cluster.')
        if (source.kind == SHARDED) != (target.kind == SHARDED) or (source.kind == SHARDED and source.shards != target.shards):
            raise TaskError(f'Cluster {name} cannot receive a snapshot of {self.opts.cluster_name}: a sharded cluster restores only into a '
                            f'sharded cluster with as many shards ({source.shards or 0} here, {target.shards or 0} there), and a replica set '
                            'only into a replica set.')
        return target

    def check_restore_point(self) -> None:
        """The moment lies inside the source's restore window (on Atlas's clock)."""
        schedule = self.client.get(t.cast(str, self.jobs.where.schedule), resource='schedule') or {}
        days = schedule.get('restoreWindowDays')
        moment = self.request.pit_seconds if self.request.pit_seconds is not None else self.request.oplog_ts
        now = self.client.now().timestamp()
        if moment is not None and isinstance(days, (int, float)) and not now - days * DAY <= moment <= now:
            raise TaskError(f'The restore point {moment} is outside the restore window of cluster {self.opts.cluster_name}: continuous '
                            f'backup keeps the last {days:g} days, up to now.')

    # ------------------------------------------------------------------------------------------- the task
    def diff(self, found: dict[str, t.Any] | None) -> dict[str, t.Any]:
        request = self.request
        if found is not None:
            return {'before': {}, 'after': {}}
        if request.delivery == DOWNLOAD:
            return {'before': {}, 'after': {'download': f'snapshot {request.snapshot_id} of {self.opts.cluster_name}'}}
        what = f'snapshot {request.snapshot_id}' if request.snapshot_id else f'the state at {request.pit_seconds or request.oplog_ts}'
        target = f'{request.target_group}/{request.target_name}'
        return {'before': {'target': target, 'data': 'its current data'},
                'after': {'target': target, 'data': f'{what} of cluster {self.opts.cluster_name} ({request.delivery}); every current document is lost'}}

    def ensure_present(self) -> tuple[bool, dict[str, t.Any]]:
        """(changed, result). A whole archive set already in dest, or a job that does what is asked, satisfies the task;
        else everything Atlas would refuse is checked and one job is started, waited for, and its archives fetched."""
        self.check_source()
        result: dict[str, t.Any] = {}
        if self.archives is not None and not self.opts.force:
            kept = self.archives.whole()
            if kept is not None:
                result.update(restore_job={}, files=kept, manifest=self.archives.manifest_path,
                              msg='the whole archive set is in dest (its manifest and every file agree); set force: true to download again')
                return any(item['changed'] for item in kept), result
        jobs = self.jobs.list_jobs()
        now = self.client.now()
        fetching = self.archives is not None
        candidate = next((job for job in jobs if satisfies(job, self.request, now, self.opts.max_age, fetching)), None)
        renew = self.opts.force and self.request.delivery == DOWNLOAD  # force: Atlas prepares a new download (fresh links)
        found = None if renew else candidate
        if self.opts.diff:
            result['diff'] = self.diff(found)
        if self.opts.check_mode:
            return self._predict(found, jobs, result)
        created = found is None
        if found is None:
            found = self._start(jobs, replaces=candidate if renew else None)
        if self.opts.wait:
            found = self.jobs.wait_until_finished(found)
        result['restore_job'] = job_view(found, with_links=self.archives is None)
        if self.request.delivery == DOWNLOAD and not created and self.archives is None:
            result['links_may_be_used'] = True
            self.warn(f'Restore job {found["id"]} was requested earlier; Atlas download links are one-time links, so its links may already '
                      'have been used by an earlier run. Set force: true to have Atlas prepare a new download.')
        if self.archives is not None:
            found, files = self._fetch(found, created, jobs)
            result.update(restore_job=job_view(found, with_links=False), files=files, manifest=self.archives.manifest_path)
        changed = created or any(item['changed'] for item in result.get('files', [])) or self.client.wrote
        return changed, result

    def _predict(self, found: dict[str, t.Any] | None, jobs: list[dict[str, t.Any]], result: dict[str, t.Any]) -> tuple[bool, dict[str, t.Any]]:
        """Check mode: check what a real run would check, predict the files, and stop: no write, no wait, no link touched."""
        if found is None:
            self._checks_before_start(check_mode=True)
        result['restore_job'] = job_view(found, with_links=False) if found is not None else {}
        if self.archives is None:
            return found is None, result
        replica_sets = []
        if found is None or not links_whole(found, self.client.now()):
            snapshot = get_snapshot(self.client, self.jobs.where, t.cast(str, self.request.snapshot_id)) or {}
            replica_sets = [str(member.get('replicaSetName') or '') for member in snapshot.get('members') or [] if isinstance(member, dict)]
        result['files'] = self.archives.predicted(found, replica_sets)
        result['manifest'] = self.archives.manifest_path
        return True, result

    def _checks_before_start(self, check_mode: bool) -> None:
        if self.request.delivery != DOWNLOAD:
            self.check_target()
        if self.request.delivery == POINT_IN_TIME:
            self.check_restore_point()
        if check_mode and self.request.snapshot_id:
            self.check_snapshot(self.request.snapshot_id)  # a real run learns it from Atlas's refusal

    def _start(self, jobs: list[dict[str, t.Any]], replaces: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        """Check what only Atlas knows, wait for (or refuse) a restore still running into the target, then start the job."""
        self._checks_before_start(check_mode=False)
        blocker = busy_target(jobs, self.request) if self.request.delivery != DOWNLOAD else None
        if blocker is not None:
            unnamed = blocker.get('targetClusterName') is None and blocker.get('targetDeploymentItemName') is None
            where = 'may be restoring into it (Atlas does not say its target)' if unnamed else 'is still restoring into it'
            if not self.opts.wait:
                raise TaskError(f'Cannot restore into cluster {self.request.target_name}: restore job {blocker["id"]} (snapshot '
                                f'{blocker.get("snapshotId")}) {where}. Nothing was started. Run again once it has finished, or set '
                                'wait: true to wait for it.', blocking_job_id=blocker['id'])
            self.jobs.wait_until_finished(blocker, accept_failure=True)  # a blocker that failed frees the target all the same
        return self.jobs.start(self.request, {job['id'] for job in jobs}, replaces=replaces)

    def _fetch(self, job: dict[str, t.Any], created: bool, jobs: list[dict[str, t.Any]]) -> tuple[dict[str, t.Any], list[dict[str, t.Any]]]:
        """The job's archives into dest. Links of a job requested earlier may have been used (one-time links): when the
        download host refuses one, one new download job is requested (it changes no cluster) and the rest fetched from it."""
        archives = t.cast(ArchiveSet, self.archives)
        try:
            return job, archives.fetch(self.client, job, validate=self.opts.validate_archive, force=self.opts.force,
                                       parallel=self.opts.parallel_downloads)
        except LinkRefused as refused:
            if created:
                raise TaskError(f'The download host refused the new link of {refused.part.replica_set or "the archive"} of restore job '
                                f'{job["id"]}: {refused.reason}. {archives.progress_message(job)}', job_id=job['id']) from None
            self.warn(f'A link of restore job {job["id"]} (requested earlier) no longer works ({refused.reason}): Atlas links are one-time '
                      'links. Requesting a new download of the snapshot.')
        fresh = self.jobs.wait_until_finished(self._start(self.jobs.list_jobs(), replaces=job))
        try:
            return fresh, archives.fetch(self.client, fresh, validate=self.opts.validate_archive, force=False,
                                         parallel=self.opts.parallel_downloads)
        except LinkRefused as refused:
            raise TaskError(f'The download host refused the new link of {refused.part.replica_set or "the archive"} of restore job '
                            f'{fresh["id"]}: {refused.reason}. {archives.progress_message(fresh)}', job_id=fresh['id']) from None


def cancel(jobs_api: RestoreJobs, restore_job_id: str | None, snapshot_id: str | None, check_mode: bool) -> tuple[bool, list[dict[str, t.Any]]]:
    """Cancel the download job named, or the live download jobs of the snapshot; a finished job needs nothing. Returns
    (changed, the jobs as they are after the cancel: read back from Atlas, or as a real run would leave them)."""
    jobs_api.check_cancellable()
    if restore_job_id:
        job = jobs_api.read(restore_job_id)
        if job is None:
            raise TaskError(f'Restore job {restore_job_id} does not exist in cluster {jobs_api.where.cluster_name} (RESTORE_JOB_NOT_FOUND).')
        candidates = [job]
    else:
        candidates = [job for job in jobs_api.list_jobs() if job.get('snapshotId') == snapshot_id and delivery_of(job) == DOWNLOAD]
    doomed = [job for job in candidates if needs_cancel(job)]
    for job in doomed:
        jobs_api.check_cancellable(job)  # a running restore is refused, in check mode too, before any write
    after = []
    for job in doomed:
        if check_mode:
            after.append(dict(job, cancelled=True))
            continue
        jobs_api.cancel(job)
        after.append(jobs_api.read(job['id']) or dict(job, cancelled=True))
    return bool(doomed), [job_view(job, with_links=False) for job in after]

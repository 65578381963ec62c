# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""What atlas_tenant_download does, as a service: pick the download API of a Flex or M2/M5 cluster (the cluster model
says which one serves it since the tenant sunset), reuse or request a download job, wait for its link, and download the archive into
dest, verified. A dest already there is a result, not an exception; check mode requests, waits for and fetches nothing.
"""
from __future__ import annotations

import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive import Destination, DownloadFailed
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import FLEX, NO_BACKUP, TENANT, Endpoints, get_cluster, served
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._download_jobs import DownloadApi, DownloadJobs
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import expires_time, normalized, snake_result
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._time import iso
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import Deadline


class DownloadOptions(t.NamedTuple):
    """The task's options, as plain values."""

    group_id: str
    cluster_name: str
    snapshot_id: str | None = None
    download_api: str = 'auto'
    wait: bool = True
    force: bool = False
    validate_archive: bool = True
    check_mode: bool = False


class Obtained(t.NamedTuple):
    """A snapshot and its download job on one API; job None in check mode when a job would be requested."""

    download_api: str
    snapshot: dict[str, t.Any]
    job: dict[str, t.Any] | None
    changed: bool
    kept: dict[str, t.Any] | None = None   # dest already there (force off): the task's result, nothing requested


def shown_job(job: dict[str, t.Any], with_link: bool) -> dict[str, t.Any]:
    """The job as results show it: snake_case, normalized; without its signed link unless the link is what was asked for."""
    shown = snake_result(normalized(job))
    if not with_link:
        shown.pop('snapshot_url', None)
    return shown


class FlexDownload:
    """One atlas_tenant_download task."""

    def __init__(self, client: AtlasClient, options: DownloadOptions, *, deadline: Deadline, warn: t.Callable[[str], None],
                 destination: Destination | None) -> None:
        self.client = client
        self.opts = options
        self.deadline = deadline
        self.warn = warn
        self.destination = destination

    def choose_api(self) -> str:
        """Which download API serves this cluster (auto: the cluster model's answer, the tenant sunset resolved there), or
        the forced one; other cluster kinds fail saying what fits."""
        name = self.opts.cluster_name
        cluster = get_cluster(self.client, self.opts.group_id, name)
        if cluster.kind == NO_BACKUP:
            raise TaskError(f'Cluster {name} is a free {cluster.tier} cluster, which has no backups to download.')
        if cluster.kind not in (FLEX, TENANT):
            raise TaskError(f'Cluster {name} is a dedicated {cluster.tier} cluster; its backups are cloud backup snapshots. '
                            'Use mongodb_atlas.backup.atlas_snapshot to take one, and mongodb_atlas.backup.atlas_restore_job with '
                            'delivery_type: download and dest to download it. This module serves Flex and legacy M2/M5 clusters.')
        forced = None if self.opts.download_api == 'auto' else self.opts.download_api
        if forced == FLEX:
            return FLEX
        kind = served(self.client, self.opts.group_id, cluster, warn=self.warn, forced=forced).kind  # a forced tenant API that is gone fails here
        return forced or kind

    def obtain(self) -> Obtained:
        """Snapshot and (waited-for) job on the API that serves the cluster."""
        return self._on(self.choose_api())

    def _on(self, which: str) -> Obtained:
        api = DownloadApi(self.client, Endpoints(self.opts.group_id, self.opts.cluster_name, which))
        jobs = DownloadJobs(self.client, api, deadline=self.deadline, warn=self.warn)
        try:
            snapshot = jobs.snapshot(self.opts.snapshot_id)
            kept = self.destination.existing(snapshot['id'], self.opts.force) if self.destination else None
            if kept is not None:
                return Obtained(which, snapshot, None, False, kept)
            job, known = jobs.find(snapshot['id'])
            changed = job is None
            if job is None and self.opts.check_mode:
                return Obtained(which, snapshot, None, True)
            if job is None:
                job = jobs.request(snapshot['id'], known)
            if self.opts.wait and not self.opts.check_mode:
                job = jobs.wait(job)
            return Obtained(which, snapshot, job, changed)
        except AtlasApiError as err:
            raise api.where.failure(f'get a download of a snapshot of cluster {self.opts.cluster_name}', err) from None

    def run(self) -> tuple[bool, dict[str, t.Any]]:
        """(changed, result)."""
        got = self.obtain()
        if got.kept is not None:
            kept = dict(got.kept)
            return bool(kept.pop('changed')), kept
        result: dict[str, t.Any] = {'download_api': got.download_api}
        path = self.destination.path_for(got.snapshot['id']) if self.destination else None
        changed = got.changed
        if got.job is None:  # check mode, a new job would be requested
            result['restore_job'] = {'snapshot_id': got.snapshot['id']}
        else:
            result['restore_job'] = shown_job(got.job, with_link=path is None)
            expires = expires_time(got.job)
            if expires is not None and got.job.get('snapshotUrl'):
                result['link_expires_at'] = iso(expires)
        if self.destination is not None and path:
            result['dest'] = path
            changed = True  # dest is missing or force is set: a file is (or would be) written
            if not self.opts.check_mode:
                result.update(self.save(t.cast(dict, got.job), path))
        return changed, result

    def save(self, job: dict[str, t.Any], path: str) -> dict[str, t.Any]:
        """Download, verify and move into place; dest is untouched on any failure, and no temp file survives one."""
        try:
            saved = t.cast(Destination, self.destination).save(self.client, job['snapshotUrl'], path, self.opts.validate_archive,
                                                               expires_time(job))
        except DownloadFailed as failure:
            raise TaskError(f'Failed to download snapshot {job.get("snapshotId")} of cluster {self.opts.cluster_name}: {failure}. '
                            f'{path} was left as it was. Re-running the task requests a fresh download link.', job_id=job.get('id')) from None
        if saved['trailing_bytes']:
            self.warn(f'{saved["trailing_bytes"]} bytes follow the end of the gzip stream in {path}; they were ignored, '
                      'as gzip -t and tar do. The archive itself checked out.')
        return dict(size=saved['size'], checksum=saved['checksum'])

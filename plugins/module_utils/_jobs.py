# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The one job model: restore jobs of every kind and the download jobs of Flex and tenant clusters.

Flex and tenant jobs carry a status, restoreScheduledDate and expirationDate; dedicated (cloud backup) jobs carry none
of these, so their state is derived as Atlas's own CLI does (failed, cancelled, expired, then the links or finishedAt).
What a job delivers (its parts and their links), when its links stop working (one margin), newest first, and how results
show a job all live here.
"""
from __future__ import annotations

import datetime
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import (
    COMPLETED, FAILED, IN_PROGRESS, QUEUED, created_time, expires_time, snake_result, status_of,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._time import iso, parse_time

CANCELLED = 'cancelled'
EXPIRED = 'expired'
FINISHED = (COMPLETED, FAILED, CANCELLED, EXPIRED)
AUTOMATED, DOWNLOAD, POINT_IN_TIME = 'automated', 'download', 'point_in_time'
API_DELIVERY = {AUTOMATED: 'automated', DOWNLOAD: 'download', POINT_IN_TIME: 'pointInTime'}
# A download link must stay valid at least this long to be used again (a large archive takes minutes to fetch).
LINK_MARGIN = datetime.timedelta(minutes=10)
_OLDEST = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
_LINK_KEYS = ('deliveryUrl', 'snapshotUrl', 'privateDownloadDeliveryUrls')


class Part(t.NamedTuple):
    """One archive a download job delivers: the replica set it holds ('' when Atlas does not say) and its link (None
    while not built, or once used or expired)."""

    replica_set: str
    url: str | None


def delivery_of(job: dict[str, t.Any]) -> str:
    """automated, download or point_in_time, from any API's deliveryType (Flex and tenant say RESTORE or DOWNLOAD)."""
    value = str(job.get('deliveryType') or '').lower()
    return {'download': DOWNLOAD, 'pointintime': POINT_IN_TIME}.get(value, AUTOMATED)


def target_of(job: dict[str, t.Any]) -> tuple[str | None, str | None]:
    """(project, cluster) a restore writes into, as Atlas names them; (None, None) when the job does not say (the legacy
    answer of a point-in-time job)."""
    return (job.get('targetGroupId') or job.get('targetProjectId'), job.get('targetClusterName') or job.get('targetDeploymentItemName'))


def same_target(job: dict[str, t.Any], group: str | None, name: str | None) -> bool:
    """The job restores into this cluster: project ids compared as ids, names as Atlas compares them (case aside)."""
    job_group, job_name = target_of(job)
    return (str(job_group or '').lower(), str(job_name or '').lower()) == (str(group or '').lower(), str(name or '').lower())


def parts_of(job: dict[str, t.Any]) -> list[Part]:
    """Every archive the job delivers, in Atlas's order: one per shard and config server (components) for a sharded
    cluster, else one per deliveryUrl. When the components have no links but deliveryUrl holds one per component, the
    links are taken from there in order (that Atlas fills both is unverified)."""
    components = [part for part in job.get('components') or [] if isinstance(part, dict)]
    urls = [url for url in job.get('deliveryUrl') or [] if isinstance(url, str) and url]
    if components:
        if not any(part.get('downloadUrl') for part in components) and len(urls) == len(components):
            return [Part(str(part.get('replicaSetName') or ''), url) for part, url in zip(components, urls)]
        return [Part(str(part.get('replicaSetName') or ''), part.get('downloadUrl') or None) for part in components]
    return [Part('', url) for url in urls]


def links_issued(job: dict[str, t.Any]) -> bool:
    """Atlas has built the download: it gives expiresAt together with the links (a part without its link after that was
    used or expired), or every part has its link."""
    parts = parts_of(job)
    return expires_time(job) is not None or (bool(parts) and all(part.url for part in parts))


def links_whole(job: dict[str, t.Any], now: datetime.datetime) -> bool:
    """Every part has its link, and they stay valid LINK_MARGIN more (Atlas's clock); only then can a set be fetched."""
    parts = parts_of(job)
    return bool(parts) and all(part.url for part in parts) and link_valid(job, now)


def link_valid(job: dict[str, t.Any], now: datetime.datetime) -> bool:
    """The job's links stay valid for at least LINK_MARGIN more; an unreadable expiry never does."""
    expires = expires_time(job)
    return expires is not None and expires - now >= LINK_MARGIN


def job_status(job: dict[str, t.Any]) -> str:
    """queued, inProgress, completed, failed, cancelled or expired, for any job.

    Flex and tenant jobs carry a status; dedicated jobs do not: the failed, cancelled and expired flags, then a download is
    completed once Atlas has built it (links_issued), a restore once it has finishedAt."""
    if job.get('status'):
        return status_of(job)
    for flag, status in (('failed', FAILED), ('cancelled', CANCELLED), ('expired', EXPIRED)):
        if job.get(flag):
            return status
    if delivery_of(job) == DOWNLOAD:
        return COMPLETED if links_issued(job) else IN_PROGRESS
    return COMPLETED if job.get('finishedAt') else IN_PROGRESS


def is_running(job: dict[str, t.Any]) -> bool:
    return job_status(job) in (QUEUED, IN_PROGRESS)


def finished_time(job: dict[str, t.Any]) -> datetime.datetime | None:
    return parse_time(job.get('finishedAt') or job.get('restoreFinishedDate'))


def newest_jobs(jobs: t.Iterable[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """Newest first: by request time where Atlas gives one, else by id (Atlas ids are ObjectIds, which grow with time)."""
    return sorted(jobs, key=lambda job: (created_time(job) or _OLDEST, str(job.get('id') or '')), reverse=True)


def job_view(job: dict[str, t.Any], with_links: bool) -> dict[str, t.Any]:
    """A job as results show it: snake_case, with status, created_at, finished_at and expires_at (where Atlas says), and
    without its download links unless they are what the task asks for (a link is a bearer secret)."""
    doc = {key: value for key, value in job.items() if key != 'links'}
    doc['status'] = job_status(job)
    for key, moment in (('createdAt', created_time(job)), ('finishedAt', finished_time(job)), ('expiresAt', expires_time(job))):
        if moment is not None:
            doc[key] = iso(moment)
    if not with_links:
        for key in _LINK_KEYS:
            doc.pop(key, None)
        doc['components'] = [{k: v for k, v in part.items() if k not in ('downloadUrl', 'privateDownloadDeliveryUrls')}
                             for part in job.get('components') or [] if isinstance(part, dict)]
        if not doc['components']:
            doc.pop('components')
    return snake_result(doc)


def needs_cancel(job: dict[str, t.Any]) -> bool:
    """Not over yet: a download job that has not failed, been cancelled or expired (its links may be live), or a restore
    still running. A finished job needs nothing."""
    status = job_status(job)
    if status in (FAILED, CANCELLED, EXPIRED):
        return False
    return delivery_of(job) == DOWNLOAD or status != COMPLETED

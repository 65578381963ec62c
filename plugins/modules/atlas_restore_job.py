#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: atlas_restore_job
short_description: Restore a MongoDB Atlas snapshot into a cluster, or download a dedicated cluster's snapshot
version_added: 0.3.0
description:
  - Starts an Atlas restore job for a snapshot of the source cluster O(cluster_name), waits for it and, for a download,
    fetches every archive Atlas prepares into O(dest), verified.
  - V(automated) restores a snapshot into O(target_cluster_name), in this project or another. V(point_in_time) restores
    to a moment (O(point_in_time_utc_seconds), or O(oplog_ts) and O(oplog_inc)) on a cluster with continuous cloud
    backup. Both B(replace all data of the target cluster); the target is never defaulted and must be named.
  - V(download) has Atlas prepare a dedicated (M10+) cluster's snapshot as C(.tar.gz) archives of its data files, one
    per shard and config server for a sharded cluster; restore them with C(mongod --dbpath). Flex snapshots are
    downloaded with M(mongodb_atlas.backup.atlas_tenant_download).
  - Flex sources use the Flex restore API; M2/M5 sources the tenant restore API (retired by Atlas on 2026-01-22, when
    every M2/M5 cluster became a Flex cluster) with a fall-back to the Flex API.
  - Idempotent. A job for the same snapshot, delivery type and target (and restore point) that is running, or that
    finished well (within O(max_age) minutes, when set; for a download, with links valid for at least 10 more minutes)
    satisfies the task. Failed, cancelled and expired jobs never do. After an ambiguous failure of the request (timeout,
    reset, 5xx) the job Atlas made is found and used; a second restore is never started.
  - Checked before anything is written, each failing with a message that says what to fix - the snapshot exists in the
    source cluster and is completed; the target exists and can take it (a dedicated cluster, sharded only from sharded
    with as many shards); point in time needs continuous backup and a moment inside the restore window; the target is
    not the source unless O(allow_restore_to_source=true).
  - O(state=absent) cancels a download job (O(restore_job_id), or the download jobs of O(snapshot_id)); Atlas cannot
    cancel automated or point-in-time restores, and the task says so without changing anything.
extends_documentation_fragment:
  - mongodb_atlas.backup.atlas
  - mongodb_atlas.backup.atlas.wait
  - mongodb_atlas.backup.atlas.attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: Reads Atlas and checks everything a real run would; starts, cancels and downloads nothing.
  diff_mode:
    support: full
    details: Shows which snapshot goes into which cluster, and that the target loses its current data.
options:
  cluster_name:
    description:
      - The source cluster, whose snapshot is restored or downloaded.
  state:
    description:
      - V(present) makes sure the restore (or download) has been done. V(absent) cancels download jobs.
    type: str
    default: present
    choices: [present, absent]
  delivery_type:
    description:
      - What to do with the snapshot. Required with O(state=present).
      - The option's values are snake_case; the result gives Atlas's own name in RV(restore_job.delivery_type), so
        O(delivery_type=point_in_time) comes back as C(pointInTime).
    type: str
    choices: [automated, download, point_in_time]
  snapshot_id:
    description:
      - The snapshot of O(cluster_name) to restore or download (24 lowercase hexadecimal characters). Required for
        V(automated) and V(download); optional for V(point_in_time) (Atlas picks the snapshot before the moment).
    type: str
  target_cluster_name:
    description:
      - The cluster to restore into, for V(automated) and V(point_in_time). It loses all its current data.
      - Never defaulted. The source cluster itself is refused unless O(allow_restore_to_source=true).
    type: str
  target_group_id:
    description:
      - The project of O(target_cluster_name). Defaults to O(group_id).
    type: str
  point_in_time_utc_seconds:
    description:
      - For V(point_in_time), the moment to restore to, in seconds since the epoch (UTC).
    type: int
  oplog_ts:
    description:
      - For V(point_in_time), instead of O(point_in_time_utc_seconds), the oplog timestamp (seconds) to restore to,
        with O(oplog_inc).
    type: int
  oplog_inc:
    description:
      - The increment that goes with O(oplog_ts).
    type: int
  allow_restore_to_source:
    description:
      - Allow O(target_cluster_name) to be the source cluster itself (overwriting it with its own snapshot).
    type: bool
    default: false
  max_age:
    description:
      - Minutes, on Atlas's clock. For V(automated) and V(point_in_time), only a restore that finished within this many
        minutes satisfies the task; an older one is done again (a restore drill with V(720) restores once a night).
        When not set, any finished restore of the same snapshot (and restore point) into the same target does.
      - For V(download), ignored. A download job satisfies the task while it is running, or when it completed and its
        links are valid for at least 10 more minutes; once they expire, a new job is started. Files already in
        O(dest) are left alone whatever their age (see O(force)).
      - A job still running always satisfies the task, whatever O(max_age).
    type: int
  restore_job_id:
    description:
      - With O(state=absent), the download job to cancel.
    type: str
  wait_timeout:
    default: 3600
  dest:
    description:
      - For V(download), an existing directory that receives the archives, one per replica set, named
        C(<cluster_name>-<snapshot_id>-<replica set>.tar.gz). Needs O(wait=true).
      - Each is streamed into a temporary file beside it, verified (gzip and tar) unless O(validate_archive=false),
        hashed with SHA-256 and moved into place; an interrupted transfer resumes while the link is valid. A file that
        of this snapshot that is already there is left alone unless O(force=true), and then nothing is requested.
      - When set, the result holds no download link.
    type: path
  force:
    description:
      - Download again even if the files in O(dest) exist.
    type: bool
    default: false
  validate_archive:
    description:
      - Read each archive as a gzip'd tar before moving it into place.
    type: bool
    default: true
  mode:
    description:
      - For V(download), the permissions of the archives in O(dest).
      - When not set, archives are written C(0600) (they hold a whole database), whatever the umask.
      - The other file options (O(owner), O(group), O(seuser), O(serole), O(setype), O(selevel), O(attributes),
        O(unsafe_writes)) also apply to the archives only, and only for V(download) with O(dest); they are ignored
        otherwise. O(owner) and O(group) usually matter; the SELinux ones and O(attributes) only where the
        filesystem uses them. O(group) is a Unix group of the archive files, not an Atlas project (that is O(group_id)).
    type: raw
notes:
  - Download links are bearer secrets (anyone holding one gets the data files). They are never in an error message or
    a warning, and not in the result when O(dest) is set. Without O(dest) they are returned in
    RV(restore_job.delivery_url); set C(no_log) on such a task.
  - Atlas's download links are valid for about an hour, and Atlas documents them as one-time links.
author:
  - mongodb_atlas.backup maintainers (@mongodb-atlas-backup)
seealso:
  - module: mongodb_atlas.backup.atlas_restore_job_info
  - module: mongodb_atlas.backup.atlas_snapshot_info
  - module: mongodb_atlas.backup.atlas_tenant_download
"""

EXAMPLES = r"""
- name: Find last night's snapshot of Cluster0
  mongodb_atlas.backup.atlas_snapshot_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    status: completed
  register: snapshots

- name: See first, in a --check --diff run, what Staging0 would receive and lose (nothing is started)
  mongodb_atlas.backup.atlas_restore_job:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    delivery_type: automated
    snapshot_id: "{{ snapshots.snapshots[0].id }}"
    target_cluster_name: Staging0
    max_age: 720
  check_mode: true
  diff: true

- name: Restore drill - restore it into Staging0 and wait (a re-run the same night does nothing)
  mongodb_atlas.backup.atlas_restore_job:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    delivery_type: automated
    snapshot_id: "{{ snapshots.snapshots[0].id }}"
    target_cluster_name: Staging0
    max_age: 720
  register: drill

- name: Restore Cluster0 as it was an hour ago (UTC seconds since the epoch, whatever the controller's time zone) into Staging0
  mongodb_atlas.backup.atlas_restore_job:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    delivery_type: point_in_time
    point_in_time_utc_seconds: "{{ (now(utc=true) - ('1970-01-01' | to_datetime('%Y-%m-%d'))).total_seconds() | int - 3600 }}"
    target_cluster_name: Staging0

- name: The newest completed snapshot of a sharded cluster
  mongodb_atlas.backup.atlas_snapshot_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Sharded0
    status: completed
  register: sharded

- name: A private directory for its archives (dest must exist)
  ansible.builtin.file:
    path: /srv/backups/sharded0
    state: directory
    mode: "0700"

- name: Download it, verified - one archive per shard and config server, and a manifest, written 0600
  mongodb_atlas.backup.atlas_restore_job:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Sharded0
    delivery_type: download
    snapshot_id: "{{ sharded.snapshots[0].id }}"
    dest: /srv/backups/sharded0/
  register: archives

- name: Where they went (Sharded0-<snapshot_id>-<replica set>.tar.gz)
  ansible.builtin.debug:
    msg: "{{ archives.files | default([]) | map(attribute='path') | list }}"

- name: Cancel the download jobs of that snapshot that are still running (automated restores cannot be cancelled)
  mongodb_atlas.backup.atlas_restore_job:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Sharded0
    state: absent
    snapshot_id: "{{ sharded.snapshots[0].id }}"
"""

RETURN = r"""
retries_used:
  description:
    - How many retries the task spent (of requests, of polls, and of download transfers), over all its requests.
  returned: always, once the options are valid
  type: int
  sample: 0
restore_job:
  description:
    - The restore job, snake_case, with a normalized RV(restore_job.status) (dedicated jobs have no status of their
      own), and without download links when O(dest) is set. V({}) in check mode when a job would be started.
  returned: success
  type: dict
  contains:
    id:
      description: Restore job ID.
      type: str
      sample: 6a0000000000000000000007
    delivery_type:
      description: Atlas's delivery type (C(automated), C(download), C(pointInTime); C(RESTORE) for Flex).
      type: str
      sample: automated
    snapshot_id:
      description: The snapshot restored.
      type: str
      sample: 65a000000000000000000101
    status:
      description: C(queued), C(inProgress), C(completed), C(failed), C(cancelled) or C(expired).
      type: str
      sample: completed
    target_cluster_name:
      description: The cluster restored into (automated and point in time).
      type: str
      sample: Staging0
    finished_at:
      description: When the restore finished, in UTC.
      type: str
      sample: "2026-11-28T03:20:00Z"
    expires_at:
      description: When a download job's links stop working, in UTC.
      type: str
      sample: "2026-11-28T04:20:00Z"
    delivery_url:
      description: The download links; only for V(download) without O(dest). Secrets.
      type: list
      elements: str
restore_jobs:
  description: With O(state=absent), the jobs that were (or in check mode would be) cancelled.
  returned: when O(state=absent)
  type: list
  elements: dict
files:
  description: With O(dest), each archive downloaded (or already there).
  returned: when O(dest) is set and not in check mode
  type: list
  elements: dict
  contains:
    path:
      description: Where the archive is.
      type: str
      sample: /srv/backups/sharded0/Sharded0-65a000000000000000000201-shard-0.tar.gz
    size:
      description: Its size in bytes.
      type: int
      sample: 1048576
    sha256:
      description: Its SHA-256.
      type: str
      sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    changed:
      description: Whether this run wrote it.
      type: bool
      sample: true
"""

import os
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive import Destination, DownloadFailed
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import (
    FLEX, NO_BACKUP, SHARDED, TENANT, ClusterInfo, Endpoints, get_cluster,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._module import AnsibleFiles, AtlasModule, wait_argument_spec
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import COMPLETED, expires_time, status_of
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._restore_jobs import (
    AUTOMATED, DOWNLOAD, FINISHED, POINT_IN_TIME, RestoreJobs, RestoreRequest, delivery_of, delivery_urls, job_view, needs_cancel,
    restore_jobs_of, restore_status, satisfies, target_of,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshots import get_snapshot

DAY = 86400


def request_from(atlas: AtlasModule) -> RestoreRequest:
    params = atlas.params
    restores = params['delivery_type'] != DOWNLOAD
    return RestoreRequest(params['delivery_type'], params['snapshot_id'], (params['target_group_id'] or atlas.group_id) if restores else None,
                          params['target_cluster_name'] if restores else None, params['point_in_time_utc_seconds'],
                          params['oplog_ts'], params['oplog_inc'])


def check_params(atlas: AtlasModule) -> None:
    """What the argument spec cannot say, before any request."""
    params = atlas.params
    for option in ('snapshot_id', 'target_group_id', 'restore_job_id'):
        atlas.check_id(option, params[option])
    delivery = params['delivery_type']
    if params['state'] == 'absent':
        if not (params['restore_job_id'] or params['snapshot_id']):
            raise TaskError('state=absent needs restore_job_id (one download job) or snapshot_id (its download jobs).')
        return
    if delivery == DOWNLOAD and (params['target_cluster_name'] or params['target_group_id']):
        raise TaskError('delivery_type download takes no target_cluster_name or target_group_id: the archives come to you (dest).')
    if delivery != POINT_IN_TIME and any(params[name] is not None for name in ('point_in_time_utc_seconds', 'oplog_ts', 'oplog_inc')):
        raise TaskError('point_in_time_utc_seconds, oplog_ts and oplog_inc go with delivery_type point_in_time only.')
    if delivery == POINT_IN_TIME and (params['point_in_time_utc_seconds'] is None) == (params['oplog_ts'] is None):
        raise TaskError('delivery_type point_in_time needs point_in_time_utc_seconds, or oplog_ts and oplog_inc (not both).')
    if params['dest'] and (delivery != DOWNLOAD or not params['wait']):
        raise TaskError('dest goes with delivery_type download and wait: true (the archives can only be fetched once ready).')
    if params['max_age'] is not None and params['max_age'] < 0:
        raise TaskError(f'max_age must be 0 or more, got {params["max_age"]}.')


def check_source(atlas: AtlasModule, source: ClusterInfo, request: RestoreRequest) -> None:
    name = atlas.cluster_name
    if source.kind == NO_BACKUP:
        raise TaskError(f'Cluster {name} is a free {source.tier} cluster, which has no backups to restore.')
    if source.kind in (FLEX, TENANT) and request.delivery == DOWNLOAD:
        raise TaskError(f'Cluster {name} is a {"Flex" if source.kind == FLEX else "shared-tier"} cluster: download its snapshots with '
                        'mongodb_atlas.backup.atlas_tenant_download. delivery_type download is for dedicated (M10+) clusters.')
    if source.kind in (FLEX, TENANT) and request.delivery == POINT_IN_TIME:
        raise TaskError(f'Cluster {name} has no continuous cloud backup (a {"Flex" if source.kind == FLEX else "shared-tier"} cluster): '
                        'point-in-time restores need a dedicated cluster with continuous backup. Use delivery_type automated.')
    if request.delivery == POINT_IN_TIME and not source.pit_enabled:
        raise TaskError(f'Cluster {name} does not have continuous cloud backup enabled, so it cannot be restored to a point in time. '
                        'Enable it in the backup policy, or use delivery_type automated with a snapshot.')


def check_snapshot(atlas: AtlasModule, where: Endpoints, snapshot_id: str) -> dict:
    snapshot = get_snapshot(atlas.client, where, snapshot_id)
    if snapshot is None:
        raise TaskError(f'Snapshot {snapshot_id} does not exist in cluster {atlas.cluster_name} (SNAPSHOT_NOT_FOUND). Snapshots of other '
                        'clusters cannot be restored from this one; list them with mongodb_atlas.backup.atlas_snapshot_info.')
    if status_of(snapshot) != COMPLETED:
        raise TaskError(f'Snapshot {snapshot_id} of cluster {atlas.cluster_name} is {snapshot.get("status")}, not completed; '
                        'only completed snapshots can be restored. Run again once it has completed.')
    return snapshot


def check_not_source(atlas: AtlasModule, request: RestoreRequest) -> None:
    if (request.target_group, request.target_name) == (atlas.group_id, atlas.cluster_name) and not atlas.params['allow_restore_to_source']:
        raise TaskError(f'The target is the source cluster {atlas.cluster_name} itself: the restore would overwrite it with its own '
                        'snapshot. Set allow_restore_to_source: true if that is what you mean.')


def check_target(atlas: AtlasModule, source: ClusterInfo, request: RestoreRequest) -> ClusterInfo:
    """The target exists and can take this restore."""
    group, name = t.cast(str, request.target_group), t.cast(str, request.target_name)
    target = get_cluster(atlas.client, group, name)
    if target.kind in (NO_BACKUP, TENANT):
        raise TaskError(f'Cluster {name} is a {target.tier} cluster, which cannot receive a restore. Restore into a dedicated '
                        '(M10+) cluster.')
    if target.kind == FLEX and source.kind not in (FLEX, TENANT):
        raise TaskError(f'Cluster {name} is a Flex cluster; a dedicated cluster\'s snapshot can only go into a dedicated (M10+) cluster.')
    if (source.kind == SHARDED) != (target.kind == SHARDED) or (source.kind == SHARDED and source.shards != target.shards):
        raise TaskError(f'Cluster {name} cannot receive a snapshot of {atlas.cluster_name}: a sharded cluster restores only into a sharded '
                        f'cluster with as many shards ({source.shards or 0} here, {target.shards or 0} there), and a replica set '
                        'only into a replica set.')
    return target


def check_restore_point(atlas: AtlasModule, where: Endpoints, request: RestoreRequest) -> None:
    """The moment lies inside the source's restore window (on Atlas's clock)."""
    schedule = atlas.client.get(t.cast(str, where.schedule)) or {}
    days = schedule.get('restoreWindowDays')
    moment = request.pit_seconds if request.pit_seconds is not None else request.oplog_ts
    now = atlas.client.now().timestamp()
    if moment is not None and isinstance(days, (int, float)) and not now - days * DAY <= moment <= now:
        raise TaskError(f'The restore point {moment} is outside the restore window of cluster {atlas.cluster_name}: continuous backup '
                        f'keeps the last {days:g} days, up to now.')


def busy_target(jobs: list[dict], request: RestoreRequest) -> dict | None:
    """Another restore into the same target that has not finished (only this source's jobs are visible here)."""
    for job in jobs:
        if delivery_of(job) != DOWNLOAD and target_of(job) == (request.target_group, request.target_name) and \
                restore_status(job) not in FINISHED:
            return job
    return None


def diff_of(atlas: AtlasModule, request: RestoreRequest) -> dict:
    if request.delivery == DOWNLOAD:
        return {'before': {}, 'after': {'download': f'snapshot {request.snapshot_id} of {atlas.cluster_name}'}}
    what = f'snapshot {request.snapshot_id}' if request.snapshot_id else f'the state at {request.pit_seconds or request.oplog_ts}'
    return {'before': {'target': f'{request.target_group}/{request.target_name}', 'data': 'its current data'},
            'after': {'target': f'{request.target_group}/{request.target_name}',
                      'data': f'{what} of cluster {atlas.cluster_name} ({request.delivery}); every current document is lost'}}


def ensure_present(atlas: AtlasModule, source: ClusterInfo, jobs_api: RestoreJobs, result: dict) -> bool:
    """Find a job that already does what is asked (a re-run costs the cluster read and one list), else check what Atlas
    would refuse and start one; wait, and fetch the archives into dest."""
    request = request_from(atlas)
    check_source(atlas, source, request)
    if request.delivery != DOWNLOAD:
        check_not_source(atlas, request)
    destination = Destination(atlas.params['dest'], AnsibleFiles(atlas.module)) if atlas.params['dest'] else None
    if destination is not None:
        warning = destination.check_directory(atlas.check_mode)
        if warning:
            atlas.warn(warning)
        kept = kept_archives(atlas, destination)
        if kept:
            result.update(restore_job={}, files=kept, msg='the archives are in dest; set force: true to download again')
            return any(item['changed'] for item in kept)
    jobs = jobs_api.list_jobs()
    found = next((job for job in jobs if satisfies(job, request, atlas.client.now(), atlas.params['max_age'])), None)
    if atlas.module._diff:
        result['diff'] = diff_of(atlas, request) if found is None else {'before': {}, 'after': {}}
    changed = found is None
    if found is None:
        found = start_restore(atlas, source, jobs_api, request, jobs)
        if found is None:  # check mode: everything checked, nothing started
            result['restore_job'] = {}
            return True
    if atlas.params['wait']:
        found = jobs_api.wait_until_finished(found)
    result['restore_job'] = job_view(found, with_links=destination is None)
    if destination is not None:
        result['files'] = save_archives(atlas, destination, found)
        changed = changed or any(item['changed'] for item in result['files'])
    return changed


def start_restore(atlas: AtlasModule, source: ClusterInfo, jobs_api: RestoreJobs, request: RestoreRequest, jobs: list[dict]) -> dict | None:
    """Check what only Atlas knows (the target, the restore window, in check mode the snapshot), wait for or refuse a
    restore still running into the target, then start the job (None in check mode)."""
    if request.delivery != DOWNLOAD:
        check_target(atlas, source, request)
    if request.delivery == POINT_IN_TIME:
        check_restore_point(atlas, jobs_api.where, request)
    if atlas.check_mode:
        if request.snapshot_id:
            check_snapshot(atlas, jobs_api.where, request.snapshot_id)  # a real run learns it from Atlas's refusal
        return None
    blocker = busy_target(jobs, request) if request.delivery != DOWNLOAD else None
    if blocker is not None:
        if not atlas.params['wait']:
            raise TaskError(f'Cannot restore into cluster {request.target_name}: restore job {blocker["id"]} (snapshot '
                            f'{blocker.get("snapshotId")}) is still restoring into it. Nothing was started. Run again once it has '
                            'finished, or set wait: true to wait for it.', blocking_job_id=blocker['id'])
        jobs_api.wait_until_finished(blocker, accept_failure=True)  # a blocker that failed frees the target all the same
    return jobs_api.start(request, {job['id'] for job in jobs})


def archive_path(atlas: AtlasModule, destination: Destination, snapshot_id: str | None, part: str) -> str:
    return os.path.join(destination.dest, f'{atlas.cluster_name}-{snapshot_id}-{part}.tar.gz')


def kept_archives(atlas: AtlasModule, destination: Destination) -> list[dict]:
    """Without force, archives of this snapshot already in dest: left alone (only their attributes follow the task)."""
    if atlas.params['force'] or not os.path.isdir(destination.dest):
        return []
    prefix = os.path.basename(archive_path(atlas, destination, atlas.params['snapshot_id'], ''))[:-len('.tar.gz')]
    kept = []
    for name in sorted(os.listdir(destination.dest)):
        if name.startswith(prefix) and name.endswith('.tar.gz'):
            path = os.path.join(destination.dest, name)
            existing = t.cast(dict, Destination(path, destination.files).existing(None, False))
            kept.append({'path': path, 'size': existing['size'], 'sha256': existing['checksum'], 'changed': existing['changed']})
    return kept


def save_archives(atlas: AtlasModule, destination: Destination, job: dict) -> list[dict]:
    """Every archive of the job into dest under a stable name; files already there are kept unless force."""
    files = []
    for part in delivery_urls(job):
        path = archive_path(atlas, destination, job.get('snapshotId'), part['name'])
        try:
            saved = destination.save(atlas.client, part['url'], path, atlas.params['validate_archive'], expires_time(job))
        except DownloadFailed as failure:
            raise TaskError(f'Failed to download {part["name"]} of snapshot {job.get("snapshotId")} of cluster {atlas.cluster_name} '
                            f'(restore job {job["id"]}): {failure}. {path} was left as it was. Atlas download links are one-time links: '
                            'cancel the job (state: absent) and run the task again to get new ones.', job_id=job['id']) from None
        files.append({'path': path, 'size': saved['size'], 'sha256': saved['checksum'], 'changed': True})
    return files


def ensure_absent(atlas: AtlasModule, jobs_api: RestoreJobs, result: dict) -> bool:
    """Cancel the download job named, or the live download jobs of the snapshot; a finished job needs nothing."""
    params = atlas.params
    if params['restore_job_id']:
        job = jobs_api.read(params['restore_job_id'])
        if job is None:
            raise TaskError(f'Restore job {params["restore_job_id"]} does not exist in cluster {atlas.cluster_name} (RESTORE_JOB_NOT_FOUND).')
        candidates = [dict(job, id=job.get('id') or params['restore_job_id'])]
    else:
        candidates = [job for job in jobs_api.list_jobs() if job.get('snapshotId') == params['snapshot_id'] and delivery_of(job) == DOWNLOAD]
    doomed = [job for job in candidates if needs_cancel(job)]
    for job in doomed:
        jobs_api.check_cancellable(job)  # a running restore is refused, in check mode too, before any write
    if not atlas.check_mode:
        for job in doomed:
            jobs_api.cancel(job)
    result['restore_jobs'] = [job_view(job, with_links=False) for job in doomed]
    return bool(doomed)


def restore_api(atlas: AtlasModule, source: ClusterInfo) -> RestoreJobs:
    if source.kind == NO_BACKUP:
        raise TaskError(f'Cluster {atlas.cluster_name} is a free {source.tier} cluster, which has no backups to restore.')
    return restore_jobs_of(atlas.client, atlas.group_id, atlas.cluster_name, source.kind, wait=atlas.params['wait'],
                           wait_timeout=atlas.params['wait_timeout'], warn=atlas.warn)


def run(atlas: AtlasModule) -> None:
    check_params(atlas)
    source = get_cluster(atlas.client, atlas.group_id, atlas.cluster_name)
    jobs_api = restore_api(atlas, source)
    result: dict[str, t.Any] = {}
    if atlas.params['state'] == 'absent':
        changed = ensure_absent(atlas, jobs_api, result)
    else:
        changed = ensure_present(atlas, source, jobs_api, result)
    atlas.exit(changed=changed, **result)


def main() -> None:
    atlas = AtlasModule(
        argument_spec=dict(
            state=dict(type='str', default='present', choices=['present', 'absent']),
            delivery_type=dict(type='str', choices=[AUTOMATED, DOWNLOAD, POINT_IN_TIME]),
            snapshot_id=dict(type='str'),
            target_cluster_name=dict(type='str'),
            target_group_id=dict(type='str'),
            point_in_time_utc_seconds=dict(type='int'),
            oplog_ts=dict(type='int'),
            oplog_inc=dict(type='int'),
            allow_restore_to_source=dict(type='bool', default=False),
            max_age=dict(type='int'),
            restore_job_id=dict(type='str'),
            **wait_argument_spec(timeout=3600),
            dest=dict(type='path'),
            force=dict(type='bool', default=False),
            validate_archive=dict(type='bool', default=True),
        ),
        required_if=[
            ('state', 'present', ('delivery_type',)),
            ('delivery_type', AUTOMATED, ('snapshot_id', 'target_cluster_name')),
            ('delivery_type', DOWNLOAD, ('snapshot_id',)),
            ('delivery_type', POINT_IN_TIME, ('target_cluster_name',)),
        ],
        required_together=[('oplog_ts', 'oplog_inc')],
        mutually_exclusive=[('point_in_time_utc_seconds', 'oplog_ts')],
        supports_check_mode=True,
        add_file_common_args=True,
    )
    atlas.run(lambda: run(atlas))


if __name__ == '__main__':
    main()

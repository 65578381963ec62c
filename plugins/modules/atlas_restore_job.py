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
    details: Reads Atlas and checks everything a real run would; starts, cancels, waits for and downloads nothing, and
      never touches a download link (they are one-time links). With O(dest) it returns the files a real run would write.
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
      - For V(download), an existing, writable directory that receives the archive set, checked (with the file
        attributes) before Atlas is asked anything. Needs O(wait=true).
      - One archive per replica set, named C(<cluster_name>-<snapshot_id>.tar.gz) for a replica set and
        C(<cluster_name>-<snapshot_id>-<replica set>.tar.gz) for each shard and the config server of a sharded cluster
        (the replica-set name as Atlas gives it, reduced to letters, digits, C(.), C(_) and C(-)), plus a manifest
        C(<cluster_name>-<snapshot_id>.manifest.json) that records the job, and each archive's size and SHA-256.
      - Each archive is streamed into a temporary file beside it, verified (gzip and tar) unless O(validate_archive=false),
        hashed, written to disk in full (fsync) and moved into place; an interrupted transfer resumes while the link is
        valid. The manifest is written after each archive and marked complete after the last, so a set is reported as
        in O(dest) only when the manifest is complete and every archive agrees with it in size and modification time; a
        re-run fetches only what is missing, and a whole set is left alone unless O(force=true).
      - Atlas download links are one-time links. When a link of a job requested earlier no longer works (an earlier run
        used it, for example an AWX job into another container's O(dest)), one new download job is requested (it changes
        no cluster) and the archives are fetched from it.
      - Archives and the manifest are written C(0600) whatever the umask, unless O(mode) says otherwise; O(owner),
        O(group) and the SELinux options apply to them too. The result holds no download link.
    type: path
  force:
    description:
      - For V(download), have Atlas prepare a new download (fresh links) even when a job of the snapshot exists, and with
        O(dest) download every archive again.
    type: bool
    default: false
  validate_archive:
    description:
      - Read each archive as a gzip'd tar before moving it into place.
    type: bool
    default: true
  parallel_downloads:
    description:
      - For V(download) with O(dest), how many archives of the set are fetched at once (a sharded cluster has one per
        shard and config server; a replica set has one). From 1 to 16; V(1) fetches them one after another.
      - Each archive takes the same path whatever this number - its own temporary file, verified, synced and moved into
        place - and they are moved into place and recorded in the manifest in the set's order. When one fails, the
        others stop at their next chunk and their temporary files are removed; archives already whole are kept and
        recorded in a manifest marked incomplete, and the task fails naming the archive and the cause.
      - Storage services limit the speed of each connection, so fetching several archives at once is usually faster
        by about as many times, up to the number of archives, until the network or the disk is the limit.
    type: int
    default: 4
    version_added: 0.4.0
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
  - A restore replaces the whole target cluster. A restore request is sent at most once per task; when Atlas's answer is
    lost, the task lists the jobs again for up to a minute (Atlas may list a new job late) and uses the one Atlas made,
    or fails saying what to check, never sending a second. In a play over several hosts, run restore tasks with
    C(run_once=true) (or in a play on C(localhost)), so that one task, not one per host, asks for the restore.
  - Download links are bearer secrets (anyone holding one gets the data files). They are never in an error message or
    a warning, and not in the result when O(dest) is set. Without O(dest) they are returned in
    RV(restore_job.delivery_url); set C(no_log) on such a task.
  - Atlas's download links are valid for about an hour, and Atlas documents them as one-time links. Without O(dest), a job
    requested earlier is returned with RV(links_may_be_used=true); set O(force=true) for fresh links.
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
  description:
    - With O(state=absent), the jobs cancelled, as Atlas shows them after the cancel (in check mode, as a real run would
      leave them).
  returned: when O(state=absent)
  type: list
  elements: dict
links_may_be_used:
  description:
    - For V(download) without O(dest), true when the job was requested earlier, so its one-time links may already have
      been used. O(force=true) asks Atlas for a new download.
  returned: when a download job requested earlier is returned without O(dest)
  type: bool
  sample: true
manifest:
  description: With O(dest), the path of the archive set's manifest (in check mode, where it would be).
  returned: when O(dest) is set
  type: str
  sample: /srv/backups/sharded0/Sharded0-65a000000000000000000201.manifest.json
files:
  description:
    - With O(dest), each archive of the set, downloaded or already there; in check mode, the archives a real run would
      write (RV(files[].downloaded=false), no size or checksum).
  returned: when O(dest) is set
  type: list
  elements: dict
  contains:
    path:
      description: Where the archive is.
      type: str
      sample: /srv/backups/sharded0/Sharded0-65a000000000000000000201-Sharded0-shard-0.tar.gz
    replica_set:
      description: The replica set it holds (a shard or the config server); null for a replica set's one archive.
      type: str
      sample: Sharded0-shard-0
    size:
      description: Its size in bytes.
      type: int
      sample: 1048576
    sha256:
      description: Its SHA-256.
      type: str
      sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    changed:
      description: Whether this run wrote it (or its attributes).
      type: bool
      sample: true
    downloaded:
      description: In check mode, false (nothing is fetched).
      type: bool
      sample: false
"""

import os
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive import Destination
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._archive_set import ArchiveSet, check_dest_directory
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import NO_BACKUP, backup_cluster
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._jobs import AUTOMATED, DOWNLOAD, POINT_IN_TIME
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._module import AnsibleFiles, AtlasModule, wait_argument_spec
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._restore_jobs import RestoreRequest, restore_jobs_of
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._restore_plan import RestoreOptions, RestorePlan, cancel


def check_params(atlas: AtlasModule) -> None:
    """What the argument spec cannot say, before any request."""
    params = atlas.params
    for option in ('snapshot_id', 'target_group_id', 'restore_job_id'):
        atlas.check_id(option, params[option])
    atlas.check_cluster_name('target_cluster_name', params['target_cluster_name'])
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
    if not 1 <= params['parallel_downloads'] <= 16:
        raise TaskError(f'parallel_downloads must be between 1 and 16, got {params["parallel_downloads"]}.')


def check_dest(atlas: AtlasModule, files: AnsibleFiles) -> None:
    """dest is an existing, writable directory and the file attributes work there, before Atlas is asked anything."""
    warning = check_dest_directory(atlas.params['dest'], atlas.check_mode)
    if warning:
        atlas.warn(warning)
    else:
        Destination(os.path.join(atlas.params['dest'], ''), files).probe_attributes(files.requested)


def options(atlas: AtlasModule) -> RestoreOptions:
    params = atlas.params
    restores = params['delivery_type'] != DOWNLOAD
    request = RestoreRequest(params['delivery_type'], params['snapshot_id'], (params['target_group_id'] or atlas.group_id) if restores else None,
                             params['target_cluster_name'] if restores else None, params['point_in_time_utc_seconds'],
                             params['oplog_ts'], params['oplog_inc'])
    return RestoreOptions(atlas.group_id, atlas.cluster_name, request, params['allow_restore_to_source'], params['max_age'], params['wait'],
                          params['force'], params['validate_archive'], atlas.check_mode, atlas.module._diff, params['parallel_downloads'])


def run(atlas: AtlasModule) -> None:
    check_params(atlas)
    files = AnsibleFiles(atlas.module)
    present = atlas.params['state'] == 'present'
    if present and atlas.params['dest']:
        check_dest(atlas, files)
    source = backup_cluster(atlas.client, atlas.group_id, atlas.cluster_name, warn=atlas.warn)
    if source.kind == NO_BACKUP:
        raise TaskError(f'Cluster {atlas.cluster_name} is a free {source.tier} cluster, which has no backups to restore.')
    jobs_api = restore_jobs_of(atlas.client, atlas.group_id, source, deadline=atlas.deadline, warn=atlas.warn)
    if not present:
        changed, jobs = cancel(jobs_api, atlas.params['restore_job_id'], atlas.params['snapshot_id'], atlas.check_mode)
        atlas.exit(changed=changed, restore_jobs=jobs)
    archives = None
    if atlas.params['dest']:
        archives = ArchiveSet(atlas.params['dest'], source.name or atlas.cluster_name, t.cast(str, atlas.params['snapshot_id']), files)
    changed, result = RestorePlan(atlas.client, source, jobs_api, options(atlas), archives, atlas.warn).ensure_present()
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
            parallel_downloads=dict(type='int', default=4),
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

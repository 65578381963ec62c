#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: atlas_restore_job_info
short_description: List or read the restore jobs of a MongoDB Atlas cluster
version_added: 0.3.0
description:
  - Reads the restore jobs of one Atlas cluster (the jobs restoring its snapshots, into it or elsewhere, and its
    download jobs), or one job by its ID, for every cluster kind.
  - Every job has a RV(restore_jobs[].status) in one vocabulary (V(queued), V(inProgress), V(completed), V(failed),
    V(cancelled), V(expired)). Dedicated jobs have no status of their own; it is derived from Atlas's C(failed),
    C(cancelled) and C(expired) flags, C(finishedAt) and the download links, as the Atlas CLI does.
  - Newest first - by request time where Atlas gives one (Flex and tenant jobs), else by ID (Atlas IDs grow with time).
  - Download links are left out unless O(include_links=true), since a link is a bearer secret.
extends_documentation_fragment:
  - mongodb_atlas.backup.atlas
  - mongodb_atlas.backup.atlas.attributes
attributes:
  check_mode:
    support: full
    details: This module only reads.
  diff_mode:
    support: none
options:
  restore_job_id:
    description:
      - ID of one restore job to read. When it does not exist, RV(restore_jobs) is empty.
      - When not set, every restore job of the cluster is returned (all pages).
    type: str
  include_links:
    description:
      - Return the download links (C(delivery_url), C(components[].download_url), C(snapshot_url)). They are secrets;
        set C(no_log) on a task that asks for them.
    type: bool
    default: false
author:
  - mongodb_atlas.backup maintainers (@mongodb-atlas-backup)
seealso:
  - module: mongodb_atlas.backup.atlas_restore_job
"""

EXAMPLES = r"""
- name: Every restore job of Cluster0, newest first
  mongodb_atlas.backup.atlas_restore_job_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
  register: jobs

- name: The restores into Staging0 that did not complete
  ansible.builtin.debug:
    msg: "{{ jobs.restore_jobs | selectattr('target_cluster_name', 'defined') | selectattr('target_cluster_name', 'eq', 'Staging0')
             | rejectattr('status', 'eq', 'completed') | list }}"

- name: The newest job, with its download links (a secret, hence no_log)
  mongodb_atlas.backup.atlas_restore_job_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    restore_job_id: "{{ jobs.restore_jobs[0].id }}"
    include_links: true
  register: one
  no_log: true
  when: jobs.restore_jobs | length > 0
"""

RETURN = r"""
retries_used:
  description: How many retries the task spent.
  returned: always, once the options are valid
  type: int
  sample: 0
cluster_kind:
  description: What kind of cluster this is, which decides the API used.
  returned: success
  type: str
  sample: replicaSet
restore_jobs:
  description:
    - The jobs, snake_case (Atlas's fields without hypermedia links and, unless O(include_links), without download links).
    - Newest first.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Restore job ID.
      type: str
      sample: 6a0000000000000000000007
    delivery_type:
      description: C(automated), C(download) or C(pointInTime) (dedicated); C(RESTORE) or C(DOWNLOAD) (Flex, tenant).
      type: str
      sample: automated
    snapshot_id:
      description: The snapshot restored or downloaded.
      type: str
      sample: 65a000000000000000000101
    status:
      description: C(queued), C(inProgress), C(completed), C(failed), C(cancelled) or C(expired).
      type: str
      sample: completed
    created_at:
      description: When the job was requested, in UTC (Flex and tenant jobs; Atlas does not say for dedicated jobs).
      type: str
      sample: "2026-11-28T03:16:04Z"
    finished_at:
      description: When the restore finished, in UTC.
      type: str
      sample: "2026-11-28T03:20:00Z"
    expires_at:
      description: When a download job's links stop working, in UTC.
      type: str
      sample: "2026-11-28T04:16:04Z"
  sample:
    - id: 6a0000000000000000000007
      delivery_type: automated
      snapshot_id: 65a000000000000000000101
      target_cluster_name: Staging0
      target_group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
      status: completed
      finished_at: "2026-11-28T03:20:00Z"
      cancelled: false
      failed: false
      expired: false
"""

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import NO_BACKUP, backup_cluster
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._jobs import job_view
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._module import AtlasModule
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._restore_jobs import restore_jobs_of


def run(atlas: AtlasModule) -> None:
    atlas.check_id('restore_job_id', atlas.params['restore_job_id'])
    cluster = backup_cluster(atlas.client, atlas.group_id, atlas.cluster_name, warn=atlas.warn)
    if cluster.kind == NO_BACKUP:
        raise TaskError(f'Cluster {atlas.cluster_name} is a free {cluster.tier} cluster, which has no backups and no restore jobs.')
    jobs_api = restore_jobs_of(atlas.client, atlas.group_id, cluster, deadline=atlas.deadline, warn=atlas.warn)
    job_id = atlas.params['restore_job_id']
    if job_id:
        job = jobs_api.read(job_id)
        jobs = [dict(job, id=job.get('id') or job_id)] if job is not None else []
    else:
        jobs = jobs_api.list_jobs()
    atlas.exit(changed=False, cluster_kind=cluster.kind, restore_jobs=[job_view(job, atlas.params['include_links']) for job in jobs])


def main() -> None:
    atlas = AtlasModule(
        argument_spec=dict(
            restore_job_id=dict(type='str'),
            include_links=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    atlas.run(lambda: run(atlas))


if __name__ == '__main__':
    main()

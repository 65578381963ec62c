#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: atlas_snapshot_info
short_description: List or read MongoDB Atlas backup snapshots
version_added: 0.1.0
description:
  - Reads the backup snapshots of one Atlas cluster, or one snapshot by its ID.
  - Without O(cluster_name), reads the snapshots of every cluster of the project in one task and returns them in
    RV(clusters) (since 0.3.0).
  - Works for every cluster kind without being told which one it is (dedicated replica sets and
    sharded clusters (cloud backup), Flex clusters, and legacy M2/M5 tenant clusters).
  - With O(cluster_name), costs one request to learn the cluster's kind, then one request per page of 500 snapshots
    (plus one HTTP Digest challenge per task).
  - Without O(cluster_name), costs one request per page of the project's cluster list (Cluster API), one per page of its
    Flex cluster list, then one per page of 500 snapshots of each cluster that has backups (plus one HTTP Digest
    challenge for the whole task). The kinds are read from those lists on every run, never cached, so a cluster whose
    kind changed (an M2 migrated to Flex, an M0 upgraded to M10) is read through the API that serves it now.
  - Every snapshot has the same shape whatever the cluster kind. RV(snapshots[].status) uses one vocabulary
    (V(queued), V(inProgress), V(completed), V(failed)), and RV(snapshots[].created_at) and RV(snapshots[].expires_at)
    are set for Flex and tenant snapshots too, next to Atlas's own fields. The list is sorted newest first by creation
    time, whatever order Atlas returned it in.
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
  cluster_name:
    description:
      - Name of the cluster (dedicated, Flex, or legacy M2/M5). Checked before any request.
      - When not set, every cluster of the project is read, and the result is RV(clusters) instead of RV(cluster_kind)
        and RV(snapshots).
    type: str
    required: false
    version_added: 0.3.0
  snapshot_id:
    description:
      - ID of one snapshot to read (24 lowercase hexadecimal characters). Requires O(cluster_name).
      - When the snapshot does not exist, RV(snapshots) is empty.
      - When not set, every snapshot of the cluster is returned (all pages).
    type: str
  max_age:
    description:
      - Return only snapshots created within this many minutes, on Atlas's clock. V(0) or more.
      - The same test as O(mongodb_atlas.backup.atlas_snapshot#module:max_age) uses to decide that a snapshot is recent
        enough; a queued snapshot that has no creation time yet was just requested and counts; a creation time that
        cannot be read never does.
    type: int
    version_added: 0.3.0
  status:
    description:
      - Return only snapshots with this status.
      - Flex and tenant snapshots report C(PENDING)/C(QUEUED) (matched by V(queued)), C(RUNNING)
        (matched by V(inProgress)), C(COMPLETED) and C(FAILED).
    type: str
    choices: [queued, inProgress, completed, failed]
  snapshot_type:
    description:
      - Return only snapshots of this type. Flex and tenant snapshots are all V(scheduled).
    type: str
    choices: [onDemand, scheduled, fallback]
  description:
    description:
      - Return only snapshots whose description is exactly this text (on-demand snapshots carry one).
    type: str
  cluster_kinds:
    description:
      - Without O(cluster_name), report only the clusters of these kinds (as the project's cluster lists give them) and
        read the snapshots of no other cluster.
      - Without V(flex), the project's Flex cluster list is not read either, so a nightly job over the dedicated
        clusters costs one request for the cluster list and one per dedicated cluster (plus paging).
      - When not set, every cluster is reported.
    type: list
    elements: str
    choices: [replicaSet, shardedCluster, flex, tenant, noBackup]
    version_added: 0.4.0
author:
  - mongodb_atlas.backup maintainers (@mongodb-atlas-backup)
seealso:
  - module: mongodb_atlas.backup.atlas_snapshot
  - module: mongodb_atlas.backup.atlas_tenant_download
"""

EXAMPLES = r"""
- name: Every dedicated cluster of the project, with the nightly snapshots each took in the last 12 hours (one task)
  mongodb_atlas.backup.atlas_snapshot_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_kinds: [replicaSet, shardedCluster]
    snapshot_type: onDemand
    description: nightly
    max_age: 720
  register: nightly

- name: Take tonight's snapshot only on the dedicated clusters that have none yet (a re-run takes none)
  mongodb_atlas.backup.atlas_snapshot:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: "{{ item.name }}"
    description: nightly
    retention_in_days: 7
    max_age: 720
  loop: "{{ nightly.clusters }}"
  loop_control:
    label: "{{ item.name }}"
  when: item.snapshots | rejectattr('status', 'eq', 'failed') | list | length == 0

- name: Read credentials from the environment and list every snapshot of Cluster0
  mongodb_atlas.backup.atlas_snapshot_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
  register: all_snapshots

- name: Only completed on-demand snapshots taken before upgrades
  mongodb_atlas.backup.atlas_snapshot_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    status: completed
    snapshot_type: onDemand
    description: pre-upgrade
  register: pre_upgrade

- name: One snapshot by ID (here the newest of the list above)
  mongodb_atlas.backup.atlas_snapshot_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    snapshot_id: "{{ all_snapshots.snapshots[0].id }}"
  register: one

- name: The newest completed snapshot of a Flex cluster
  mongodb_atlas.backup.atlas_snapshot_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Flex0
    status: completed
  register: flex

- name: Show it (the list is newest first, for every cluster kind)
  ansible.builtin.debug:
    msg: "{{ flex.snapshots[0].id }}"

- name: The newest completed snapshot of any cluster kind, by the normalized created_at
  ansible.builtin.set_fact:
    newest_snapshot: "{{ (flex.snapshots | selectattr('status', 'eq', 'completed') | sort(attribute='created_at') | last).id }}"
"""

RETURN = r"""
retries_used:
  description:
    - How many retries the task spent (of requests, of polls, and of download transfers), over all its requests.
    - Retries that succeed are not warned about unless they cost more than 10 seconds in all.
  returned: always, once the options are valid
  type: int
  sample: 0
cluster_kind:
  description: What kind of cluster this is, which decides the API used.
  returned: success, when O(cluster_name) is set
  type: str
  choices: [replicaSet, shardedCluster, flex, tenant]
  sample: replicaSet
snapshots:
  description:
    - The matching snapshots with snake_case keys (Atlas's fields, without hypermedia links); an empty list when none match.
    - Newest first, by creation time.
    - The fields differ by cluster kind; the common ones, which every kind has, are listed here.
  returned: success, when O(cluster_name) is set
  type: list
  elements: dict
  contains:
    id:
      description: Snapshot ID.
      type: str
      sample: 5f1a2b3c4d5e6f7a8b9c0d20
    status:
      description:
        - C(queued), C(inProgress), C(completed) or C(failed), for every cluster kind.
        - Flex and tenant C(PENDING) and C(QUEUED) become C(queued), C(RUNNING) becomes C(inProgress) (changed in 0.2.0).
      type: str
      sample: completed
    snapshot_type:
      description: C(onDemand), C(scheduled) or C(fallback). Cloud backup only.
      type: str
      sample: onDemand
    description:
      description: The description given when an on-demand snapshot was taken.
      type: str
      sample: pre-upgrade
    created_at:
      description:
        - When the snapshot was taken, in UTC. Cloud backup's C(createdAt); for Flex and tenant snapshots their
          C(startTime) (or C(scheduledTime)). Absent while a cloud backup snapshot is queued.
      type: str
      sample: "2026-11-21T03:00:00Z"
    expires_at:
      description: When Atlas deletes the snapshot, in UTC. Cloud backup's C(expiresAt); Flex and tenant C(expiration).
      type: str
      sample: "2026-11-28T03:00:00Z"
    type:
      description: C(replicaSet) or C(shardedCluster) (cloud backup).
      type: str
      sample: replicaSet
    members:
      description: For sharded clusters, one entry per shard and config server.
      type: list
      elements: dict
      sample: [{"cloud_provider": "AWS", "id": "5f1a2b3c4d5e6f7a8b9c0d31", "replica_set_name": "shard-0"}]
    snapshot_ids:
      description: For sharded clusters, the IDs of the member snapshots.
      type: list
      elements: str
      sample: ["5f1a2b3c4d5e6f7a8b9c0d31"]
    finish_time:
      description: When the snapshot finished (Flex and tenant).
      type: str
      sample: "2026-11-21T03:04:10Z"
    mongo_db_version:
      description: MongoDB version of the snapshot (Flex and tenant).
      type: str
      sample: "8.0.4"
  sample:
    - id: 5f1a2b3c4d5e6f7a8b9c0d20
      status: completed
      snapshot_type: scheduled
      frequency_type: daily
      type: replicaSet
      created_at: "2026-11-21T03:00:00Z"
      expires_at: "2026-11-28T03:00:00Z"
      replica_set_name: Cluster0-shard-0
      cloud_provider: AWS
      storage_size_bytes: 104857600
clusters:
  description:
    - Every cluster of the project, sorted by name, each with its kind and its snapshots that match the filters (newest
      first, in the shape of RV(snapshots)).
    - Free (M0) clusters are listed with kind C(noBackup) and no snapshots (no request is spent on them), so the list is
      the whole project; select the kinds you need.
  returned: success, when O(cluster_name) is not set
  type: list
  elements: dict
  version_added: 0.3.0
  contains:
    name:
      description: Cluster name.
      type: str
      sample: Cluster0
    kind:
      description:
        - C(replicaSet), C(shardedCluster), C(flex), C(tenant) or C(noBackup), as RV(cluster_kind).
        - A C(tenant) cluster whose tenant API is gone (the 2026 sunset) is read through the Flex API and reported C(flex),
          with a warning.
      type: str
      sample: replicaSet
    tier:
      description: Instance size (C(M10), C(M0), C(M2)...); null for Flex clusters.
      type: str
      sample: M10
    snapshots:
      description: The cluster's snapshots that match the filters; empty when none match, and for C(noBackup) clusters.
      type: list
      elements: dict
  sample:
    - name: Cluster0
      kind: replicaSet
      tier: M10
      snapshots:
        - id: 6a0000000000000000000001
          status: completed
          snapshot_type: onDemand
          description: nightly
          created_at: "2026-11-28T01:00:00Z"
    - name: Flex0
      kind: flex
      tier: null
      snapshots: []
"""

import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import (
    NO_BACKUP, ClusterInfo, Endpoints, backup_cluster, list_clusters, serving,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError, is_missing
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import task_error
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._module import AtlasModule
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import newest_first, normalized, snake_result
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshots import filter_snapshots, get_snapshot, list_snapshots, young_enough


def read_snapshots(atlas: AtlasModule, where: Endpoints) -> list[dict]:
    """The snapshot asked for, or all of them (newest first), before filtering."""
    snapshot_id = atlas.params['snapshot_id']
    if snapshot_id:
        snapshot = get_snapshot(atlas.client, where, snapshot_id)
        return [snapshot] if snapshot else []
    return list_snapshots(atlas.client, where)


def matching(atlas: AtlasModule, snapshots: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """The snapshots that pass every filter of the task, in the module's result shape."""
    params = atlas.params
    kept = filter_snapshots(snapshots, params['status'], params['snapshot_type'], params['description'])
    if params['max_age'] is not None:
        now = atlas.client.now()
        kept = [snap for snap in kept if young_enough(snap, params['max_age'], now)]
    return [snake_result(normalized(snap)) for snap in kept]


def one_cluster(atlas: AtlasModule) -> None:
    cluster = backup_cluster(atlas.client, atlas.group_id, atlas.cluster_name, warn=atlas.warn)
    if cluster.kind == NO_BACKUP:
        raise TaskError(f'Cluster {cluster.name} is a free {cluster.tier} cluster, which has no backup snapshots. '
                        'Snapshots exist for dedicated (M10 and up), Flex and legacy M2/M5 clusters.')
    where = Endpoints(atlas.group_id, atlas.cluster_name, cluster.kind)
    atlas.exit(changed=False, cluster_kind=cluster.kind, snapshots=matching(atlas, read_snapshots(atlas, where)))


def cluster_snapshots(atlas: AtlasModule, cluster: ClusterInfo) -> tuple[str, list[dict[str, t.Any]] | None]:
    """The kind that serves the cluster's backups and every snapshot of it (one request per page), or None when it was
    deleted since the list."""
    try:
        cluster = serving(atlas.client, atlas.group_id, cluster, warn=atlas.warn)
        where = Endpoints(atlas.group_id, cluster.name, cluster.kind)
        return cluster.kind, newest_first(atlas.client.list_all(where.snapshots, resource=where.resource))
    except AtlasApiError as err:
        if not is_missing(err, 'cluster'):
            raise task_error(f'list the snapshots of cluster {cluster.name}', err, atlas.group_id, cluster.name) from None
    atlas.warn(f'Cluster {cluster.name} was listed but no longer exists; it is left out of the report.')
    return cluster.kind, None


def every_cluster(atlas: AtlasModule) -> None:
    report = []
    for cluster in list_clusters(atlas.client, atlas.group_id, kinds=atlas.params['cluster_kinds'] or None):
        kind, snapshots = cluster.kind, []
        if kind != NO_BACKUP:
            kind, listed = cluster_snapshots(atlas, cluster)
            if listed is None:
                continue
            snapshots = matching(atlas, listed)
        report.append(dict(name=cluster.name, kind=kind, tier=cluster.tier, snapshots=snapshots))
    atlas.exit(changed=False, clusters=report)


def run(atlas: AtlasModule) -> None:
    params = atlas.params
    atlas.check_id('snapshot_id', params['snapshot_id'])
    if params['max_age'] is not None and params['max_age'] < 0:
        raise TaskError(f'max_age must be 0 or more, got {params["max_age"]}.')
    if atlas.cluster_name:
        one_cluster(atlas)
    else:
        every_cluster(atlas)


def main() -> None:
    atlas = AtlasModule(
        argument_spec=dict(
            cluster_name=dict(type='str'),  # optional here only: without it, every cluster of the project
            snapshot_id=dict(type='str'),
            status=dict(type='str', choices=['queued', 'inProgress', 'completed', 'failed']),
            snapshot_type=dict(type='str', choices=['onDemand', 'scheduled', 'fallback']),
            description=dict(type='str'),
            max_age=dict(type='int'),
            cluster_kinds=dict(type='list', elements='str', choices=['replicaSet', 'shardedCluster', 'flex', 'tenant', 'noBackup']),
        ),
        required_by=dict(snapshot_id='cluster_name'),
        mutually_exclusive=[('cluster_name', 'cluster_kinds')],
        supports_check_mode=True,
    )
    atlas.run(lambda: run(atlas))


if __name__ == '__main__':
    main()

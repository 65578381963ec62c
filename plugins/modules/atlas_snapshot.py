#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: atlas_snapshot
short_description: Take, wait for, re-date and delete on-demand MongoDB Atlas cloud backup snapshots
version_added: 0.1.0
description:
  - Ensures an on-demand cloud backup snapshot of a dedicated Atlas cluster (replica set or sharded) exists,
    changes how long a snapshot is kept, or deletes on-demand snapshots.
  - Idempotent. An on-demand snapshot with the same O(description) that is queued, in progress or
    completed (and, with O(max_age), started recently enough) satisfies the task; otherwise one snapshot is taken.
    Failed and scheduled snapshots never count.
  - Never takes a second snapshot after an ambiguous failure. When the request times out, the connection drops or
    Atlas answers 5xx, the module reads the cluster's snapshots again before deciding whether to ask again.
  - Flex, legacy M2/M5 and free M0 clusters cannot take on-demand snapshots; the module fails before any write
    and says what to use instead.
  - With O(wait), waits until the snapshot is completed, and also for another on-demand snapshot that is in flight
    before taking this one, and for an unfinished snapshot before re-dating or deleting it; one O(wait_timeout) covers
    all of it. Without O(wait), those cases fail at once with a clear message.
  - Costs, with O(wait=false), at most 4 HTTP requests to take a snapshot and 3 when one already exists.
  - With O(cluster_kinds) instead of O(cluster_name), does the same on every cluster of those kinds in the project, one
    after another, in one task. It costs one read of the project's cluster list, then, per cluster, one read of its snapshots and
    at most one POST (a nightly job over a project in one task, as cheap in requests as hand-written calls). A cluster
    that fails does not stop the others; the task then fails naming each one, and RV(clusters) says what was done.
extends_documentation_fragment:
  - mongodb_atlas.backup.atlas
  - mongodb_atlas.backup.atlas.wait
  - mongodb_atlas.backup.atlas.attributes
attributes:
  check_mode:
    support: full
    details: Reads Atlas and reports what a real run would change; sends no POST, PATCH or DELETE and does not wait.
  diff_mode:
    support: full
    details: Shows the snapshot's id, description, status and expiry before and after (with O(cluster_kinds), by cluster name, for the clusters that change).
options:
  cluster_name:
    description:
      - Name of the dedicated cluster. Checked before any request.
      - Required unless O(cluster_kinds) is set; the two cannot be used together.
    type: str
    required: false
  cluster_kinds:
    description:
      - Instead of O(cluster_name), every cluster of the project of these kinds (as the project's cluster list gives them,
        read fresh on every run), V(replicaSet), V(shardedCluster) or both.
      - Only for O(state=present) with O(description), without O(snapshot_id). Each cluster is handled exactly as a task
        naming it would be (an existing matching snapshot satisfies it, otherwise one is taken).
      - With O(wait), the clusters are handled one after another, each waited for before the next, within one
        O(wait_timeout); for nightly jobs set O(wait=false).
      - The result is RV(clusters) instead of RV(snapshot).
    type: list
    elements: str
    choices: [replicaSet, shardedCluster]
    version_added: 0.4.0
  state:
    description:
      - V(present) ensures an on-demand snapshot exists (or, with O(snapshot_id) and O(retention_in_days), that it is kept that long).
      - V(absent) deletes the on-demand snapshot O(snapshot_id), or every on-demand snapshot whose description is O(description).
        Scheduled snapshots are never deleted.
    type: str
    default: present
    choices: [present, absent]
  description:
    description:
      - Description of the on-demand snapshot; identifies it for idempotency and for O(state=absent).
      - With O(state=present), O(description) or O(snapshot_id) is required.
    type: str
  retention_in_days:
    description:
      - How many days Atlas keeps the snapshot (at least 1).
      - Required when a new snapshot must be taken.
      - The task states the desired retention. When an existing snapshot satisfies the task (found by O(description)
        or named by O(snapshot_id)) but is kept for another number of days, its expiry is changed (PATCH) to creation
        time plus this many days, and the task reports changed, with a diff. An unfinished snapshot is re-dated once it
        has completed (with O(wait)); without O(wait) that case fails, since Atlas cannot re-date a running snapshot.
    type: int
  snapshot_id:
    description:
      - ID of an existing snapshot (24 lowercase hexadecimal characters), to re-date it or delete it.
    type: str
  max_age:
    description:
      - With O(state=present), only an existing snapshot started within this many minutes (on Atlas's clock) satisfies the task.
      - V(0) or more. When not set, any matching snapshot does, whatever its age.
      - A snapshot whose creation time Atlas gave in a form that cannot be read never counts as recent enough (a new one is
        taken); a queued snapshot that has no creation time yet does, since it was just requested.
    type: int
  wait_timeout:
    default: 3600
author:
  - mongodb_atlas.backup maintainers (@mongodb-atlas-backup)
seealso:
  - module: mongodb_atlas.backup.atlas_snapshot_info
  - module: mongodb_atlas.backup.atlas_tenant_download
"""

EXAMPLES = r"""
- name: First, in check mode with --diff, see whether tonight's snapshot still has to be taken (nothing is written)
  mongodb_atlas.backup.atlas_snapshot:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    description: nightly
    retention_in_days: 7
    max_age: 720
  check_mode: true
  diff: true
  register: nightly_plan

- name: Tonight's snapshot on every dedicated cluster of the project that has none from the last 12 hours (one task)
  mongodb_atlas.backup.atlas_snapshot:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_kinds: [replicaSet, shardedCluster]
    description: nightly
    retention_in_days: 7
    max_age: 720
    wait: false
  register: tonight

- name: The clusters it took one on
  ansible.builtin.debug:
    msg: "{{ tonight.clusters | selectattr('changed') | map(attribute='name') | list }}"

- name: Nightly snapshot, kept a week; a re-run within 12 hours does nothing
  mongodb_atlas.backup.atlas_snapshot:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    description: nightly
    retention_in_days: 7
    max_age: 720
    wait: false

- name: Before an upgrade, take a snapshot and block until it is completed
  mongodb_atlas.backup.atlas_snapshot:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    description: pre-upgrade
    retention_in_days: 30
    wait: true
    wait_timeout: 7200
  register: pre_upgrade

- name: Keep that snapshot for 90 days instead
  mongodb_atlas.backup.atlas_snapshot:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    snapshot_id: "{{ pre_upgrade.snapshot.id }}"
    retention_in_days: 90

- name: Before deleting, see in check mode which on-demand snapshots called pre-upgrade would go
  mongodb_atlas.backup.atlas_snapshot:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    description: pre-upgrade
    state: absent
  check_mode: true
  diff: true
  register: would_delete

- name: Delete one snapshot by id
  mongodb_atlas.backup.atlas_snapshot:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    snapshot_id: "{{ pre_upgrade.snapshot.id }}"
    state: absent

- name: Delete every on-demand snapshot called pre-upgrade, whatever its age (scheduled snapshots are never touched)
  mongodb_atlas.backup.atlas_snapshot:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    description: pre-upgrade
    state: absent
  register: cleaned

- name: The ids it deleted
  ansible.builtin.debug:
    msg: "{{ cleaned.deleted }}"
"""

RETURN = r"""
retries_used:
  description:
    - How many retries the task spent (of requests, of polls, and of download transfers), over all its requests.
    - Retries that succeed are not warned about unless they cost more than 10 seconds in all.
  returned: always, once the options are valid
  type: int
  sample: 0
snapshot:
  description:
    - The snapshot, snake_case, as Atlas returns it (without hypermedia links), with RV(snapshot.status) in the
      one vocabulary V(queued), V(inProgress), V(completed), V(failed).
    - For O(state=absent), what was deleted (the first one when several were); V({}) when there was nothing to delete.
    - In check mode, when a snapshot would be taken, the would-be snapshot without an id.
  returned: with O(cluster_name)
  type: dict
  contains:
    id:
      description: Snapshot ID.
      type: str
      sample: 6a0000000000000000000001
    status:
      description: C(queued), C(inProgress), C(completed) or C(failed).
      type: str
      sample: completed
    description:
      description: The description given when the snapshot was taken.
      type: str
      sample: nightly
    created_at:
      description: When the snapshot started; absent while queued.
      type: str
      sample: "2026-11-22T03:00:01Z"
    expires_at:
      description: When Atlas deletes the snapshot.
      type: str
      sample: "2026-11-29T03:00:00Z"
    type:
      description: C(replicaSet) or C(shardedCluster).
      type: str
      sample: replicaSet
    snapshot_type:
      description: C(onDemand) for the snapshots this module takes.
      type: str
      sample: onDemand
    members:
      description: For sharded clusters, one entry per shard and config server.
      type: list
      elements: dict
      sample: [{"cloud_provider": "AWS", "id": "6a0000000000000000000002", "replica_set_name": "Sharded0-shard-0"}]
    snapshot_ids:
      description: For sharded clusters, the IDs of the member snapshots.
      type: list
      elements: str
      sample: ["6a0000000000000000000002"]
clusters:
  description:
    - With O(cluster_kinds), one entry per cluster of those kinds, sorted by name.
    - Also returned when the task fails because some clusters failed; the others were done as said.
  returned: with O(cluster_kinds)
  type: list
  elements: dict
  version_added: 0.4.0
  contains:
    name:
      description: Cluster name.
      type: str
      sample: Cluster0
    kind:
      description: C(replicaSet) or C(shardedCluster).
      type: str
      sample: replicaSet
    changed:
      description:
        - Whether a snapshot was taken (or, in check mode, would be) or re-dated on this cluster; also on a cluster that
          then failed, when Atlas had been written to for it (a snapshot taken that failed while waited for).
      type: bool
      sample: true
    snapshot:
      description:
        - The snapshot that satisfies the task on this cluster, in the shape of RV(snapshot).
        - On a cluster that failed, the snapshot the failure is about (one that failed), or V({}).
      type: dict
      sample: {"id": "6a0000000000000000000001", "status": "queued", "description": "nightly", "snapshot_type": "onDemand"}
    error:
      description: Why the task could not be done on this cluster; only on clusters that failed.
      type: str
      sample: "Failed to take a snapshot of cluster Cluster0: ..."
  sample: [{"name": "Cluster0", "kind": "replicaSet", "changed": true, "snapshot": {"id": "6a0000000000000000000001", "status": "queued"}}]
deleted:
  description: IDs of the snapshots deleted (or, in check mode, that would be).
  returned: when O(state=absent)
  type: list
  elements: str
  sample: ["6a0000000000000000000001"]
"""

import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import ClusterInfo, Endpoints, get_cluster, list_clusters
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._module import AtlasModule, wait_argument_spec
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshot_ops import SnapshotOps, check_on_demand_capable, diff_view
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshot_plan import SnapshotOptions, SnapshotPlan, present_on_each, shown


def check_params(atlas: AtlasModule) -> None:
    """Everything that can be wrong with the options, before any request."""
    params = atlas.params
    atlas.check_id('snapshot_id', params['snapshot_id'])
    for option, minimum in (('retention_in_days', 1), ('max_age', 0)):
        if params[option] is not None and params[option] < minimum:
            raise TaskError(f'{option} must be at least {minimum}, got {params[option]}.')
    if params['cluster_kinds'] is not None:
        if not params['cluster_kinds']:
            raise TaskError('cluster_kinds must name at least one kind: replicaSet, shardedCluster or both.')
        if params['state'] == 'absent':
            raise TaskError('cluster_kinds takes snapshots on every cluster of those kinds; it does not delete. '
                            'Name the cluster with cluster_name to delete its snapshots.')


def plan_of(atlas: AtlasModule, cluster: ClusterInfo) -> SnapshotPlan:
    """The task's plan on one cluster whose kind is known."""
    params = atlas.params
    ops = SnapshotOps(atlas.client, Endpoints(atlas.group_id, cluster.name, cluster.kind), wait=params['wait'], deadline=atlas.deadline,
                      warn=atlas.warn)
    return SnapshotPlan(ops, SnapshotOptions(cluster.name, params['description'], params['retention_in_days'], params['snapshot_id'],
                                             params['max_age'], params['wait'], atlas.check_mode))


def one_cluster(atlas: AtlasModule) -> None:
    cluster = get_cluster(atlas.client, atlas.group_id, atlas.cluster_name)
    check_on_demand_capable(atlas.cluster_name, cluster.kind, cluster.tier)
    params = atlas.params
    plan = plan_of(atlas, cluster._replace(name=atlas.cluster_name))
    result: dict[str, t.Any] = {}
    if params['state'] == 'absent':
        changed, deleted = plan.ensure_absent()
        before, after = (deleted[0] if deleted else None), None
        result['deleted'] = [snap['id'] for snap in deleted]
        result['snapshot'] = shown(before) if before else {}
    else:
        changed, before, after = plan.ensure_retention() if params['snapshot_id'] else plan.ensure_present()
        result['snapshot'] = shown(after) if after else {}
    if atlas.module._diff:
        result['diff'] = {'before': diff_view(before), 'after': diff_view(after)}
    atlas.exit(changed=changed, **result)


def every_cluster(atlas: AtlasModule) -> None:
    """The present-task on each cluster of the wanted kinds, from one read of the project's cluster list."""
    clusters = list_clusters(atlas.client, atlas.group_id, kinds=atlas.params['cluster_kinds'])
    done = present_on_each(clusters, lambda cluster: plan_of(atlas, cluster), atlas.warn)
    report = [dict(name=each.name, kind=each.kind, changed=each.changed, snapshot=each.snapshot, **({'error': each.error} if each.error else {}))
              for each in done]
    result: dict[str, t.Any] = dict(changed=any(each.changed for each in done), clusters=report)
    if atlas.module._diff:
        result['diff'] = {'before': {each.name: each.diff[0] for each in done if each.diff},
                          'after': {each.name: each.diff[1] for each in done if each.diff}}
    failed = [each for each in done if each.error]
    if failed:
        atlas.fail(f'{len(failed)} of {len(done)} clusters failed (the others were done; see clusters): '
                   + ' '.join(f'{each.name}: {each.error}' for each in failed), **result)
    atlas.exit(**result)


def run(atlas: AtlasModule) -> None:
    check_params(atlas)
    if atlas.cluster_name:
        one_cluster(atlas)
    else:
        every_cluster(atlas)


def main() -> None:
    atlas = AtlasModule(
        argument_spec=dict(
            state=dict(type='str', default='present', choices=['present', 'absent']),
            description=dict(type='str'),
            retention_in_days=dict(type='int'),
            snapshot_id=dict(type='str'),
            max_age=dict(type='int'),
            cluster_name=dict(type='str'),  # optional here only: cluster_kinds instead names every cluster of those kinds
            cluster_kinds=dict(type='list', elements='str', choices=['replicaSet', 'shardedCluster']),
            **wait_argument_spec(timeout=3600),
        ),
        required_one_of=[('description', 'snapshot_id'), ('cluster_name', 'cluster_kinds')],
        mutually_exclusive=[('cluster_name', 'cluster_kinds'), ('cluster_kinds', 'snapshot_id')],
        supports_check_mode=True,
    )
    atlas.run(lambda: run(atlas))


if __name__ == '__main__':
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: atlas_backup_schedule_info
short_description: Read the cloud backup schedules of MongoDB Atlas clusters and the project's Backup Compliance Policy
version_added: 0.4.0
description:
  - Reads the backup schedule of one dedicated cluster, or of every dedicated (replica set or sharded) cluster of the
    project in one task, in the terms M(mongodb_atlas.backup.atlas_backup_schedule) takes, so a schedule read here can be
    fed back to it; plus when the next snapshot is due.
  - Also reports the project's Backup Compliance Policy (state, policy items, whether it may be deleted). Reading it needs
    Project Owner; with lesser roles RV(compliance_policy) is null and a warning says why.
  - For every cluster, the cost is one request for the cluster lists, one per dedicated cluster and one for the policy.
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
      - Name of the cluster. When left out, every dedicated cluster of the project is read (Flex, shared and free
        clusters have no schedule and are skipped).
      - Unlike the other modules, optional here.
    type: str
    required: false
author:
  - mongodb_atlas.backup maintainers (@mongodb-atlas-backup)
seealso:
  - module: mongodb_atlas.backup.atlas_backup_schedule
"""

EXAMPLES = r"""
- name: Every dedicated cluster's schedule and the compliance policy
  mongodb_atlas.backup.atlas_backup_schedule_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
  register: info

- name: The clusters without a weekly snapshot
  ansible.builtin.debug:
    msg: "{{ info.schedules | rejectattr('schedule.policy_items', 'search', 'weekly') | map(attribute='name') | list }}"

- name: One cluster
  mongodb_atlas.backup.atlas_backup_schedule_info:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
  register: one
"""

RETURN = r"""
retries_used:
  description: How many retries the task spent.
  returned: always, once the options are valid
  type: int
  sample: 0
schedules:
  description: One entry per cluster read, sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: The cluster's name.
      type: str
      sample: Cluster0
    kind:
      description: C(replicaSet) or C(shardedCluster) (when every cluster was read).
      type: str
      sample: replicaSet
    schedule:
      description:
        - The schedule in the options of M(mongodb_atlas.backup.atlas_backup_schedule) - C(reference_hour_of_day),
          C(reference_minute_of_hour), C(restore_window_days), C(policy_items), C(copy_settings), C(auto_export).
      type: dict
      sample:
        reference_hour_of_day: 3
        reference_minute_of_hour: 0
        restore_window_days: 7
        policy_items: [{frequency: hourly, every: 6, keep: 2, unit: days}, {frequency: daily, every: 1, keep: 7, unit: days}]
        copy_settings: []
        auto_export: {enabled: false}
    next_snapshot:
      description: When Atlas takes the next scheduled snapshot (UTC).
      type: str
      sample: "2026-12-05T03:00:00Z"
compliance_policy:
  description: The project's Backup Compliance Policy; null when it has none, or it could not be read (see the warnings).
  returned: success
  type: dict
  contains:
    state:
      description: C(ACTIVE), C(ENABLING), C(UPDATING) or C(DISABLING).
      type: str
      sample: ACTIVE
    deletable:
      description: Whether the policy may be removed (MongoDB support must allow it first).
      type: bool
      sample: false
    policy_items:
      description: The least every cluster's schedule must keep, in the same terms as the schedules' C(policy_items).
      type: list
      elements: dict
      sample: [{frequency: daily, every: 1, keep: 7, unit: days}]
    restore_window_days:
      description: The least restore window for clusters with continuous backup.
      type: int
      sample: 2
    pit_enabled:
      description: Whether the policy requires continuous cloud backup.
      type: bool
      sample: false
    copy_protection_enabled:
      description: Whether copies in other regions are protected from deletion.
      type: bool
      sample: false
    encryption_at_rest_enabled:
      description: Whether encryption at rest with customer key management is required.
      type: bool
      sample: false
    on_demand_policy_item:
      description: The least retention of on-demand snapshots.
      type: dict
      sample: null
    updated_date:
      description: When the policy was last changed.
      type: str
      sample: "2026-11-01T10:00:00Z"
"""

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._module import AtlasModule
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._schedule import report


def main() -> None:
    atlas = AtlasModule(
        argument_spec=dict(
            cluster_name=dict(type='str'),  # optional here only: without it, every dedicated cluster of the project
        ),
        supports_check_mode=True,
    )
    atlas.run(lambda: atlas.exit(changed=False, **report(atlas.client, atlas.group_id, atlas.cluster_name or None, atlas.warn)))


if __name__ == '__main__':
    main()

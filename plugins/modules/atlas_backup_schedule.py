#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

DOCUMENTATION = r"""
module: atlas_backup_schedule
short_description: Declare the cloud backup schedule (backup policy) of a dedicated MongoDB Atlas cluster
version_added: 0.4.0
description:
  - Sets when Atlas takes scheduled snapshots of a dedicated (M10 and up) replica set or sharded cluster and how long it
    keeps them, the copies in other regions, automatic export, and the continuous backup restore window.
  - Idempotent and order-free. The desired policy items are matched to Atlas's by frequency and interval, never by list
    position, so listing them in another order changes nothing. A schedule that already matches costs one GET request
    and no write.
  - Only what differs is sent, and every policy item that replaces an existing one carries that item's ID, so
    O(apply_to_existing_snapshots) reaches the snapshots Atlas already took.
  - Options left out keep their current value. O(policy_items) and O(copy_settings), when given, are the complete lists.
  - Everything is checked before any write, with messages that say what to change (intervals, retentions, restore window,
    copy regions), and so is the project's Backup Compliance Policy when the credentials may read it (Project Owner). A
    schedule that breaks it fails without writing, naming each rule and the policy's value. Enabling or changing the policy
    itself is out of scope; it cannot be undone through the API.
  - Flex clusters keep a fixed daily schedule and free M0 clusters have no backups; both are refused.
extends_documentation_fragment:
  - mongodb_atlas.backup.atlas
  - mongodb_atlas.backup.atlas.attributes
attributes:
  check_mode:
    support: full
    details: Reads the schedule, the cluster and the compliance policy, runs every check, and reports the change without writing.
  diff_mode:
    support: full
    details: The schedule before and after, in this module's own terms (no Atlas IDs).
options:
  state:
    description:
      - V(present) makes the schedule match the options.
      - V(absent) removes every policy item (Atlas's DELETE of the schedule). Cloud backup stays enabled on the cluster,
        but Atlas takes no more scheduled snapshots until policy items are set again; existing snapshots are kept until
        they expire. Fails, without writing, when the project's Backup Compliance Policy requires items.
    type: str
    choices: [present, absent]
    default: present
  reference_hour_of_day:
    description: Hour of the day (UTC, 0-23) at which Atlas takes the daily and less frequent snapshots.
    type: int
  reference_minute_of_hour:
    description: Minute (0-59) of O(reference_hour_of_day).
    type: int
  restore_window_days:
    description:
      - How many days back a point-in-time restore can go. Only for clusters with continuous cloud backup, and not longer
        than the hourly snapshots are kept.
    type: int
  policy_items:
    description:
      - The complete list of scheduled snapshot rules, in any order. Items missing from the list are removed.
      - A less frequent item must keep its snapshots at least as long as a more frequent one.
    type: list
    elements: dict
    suboptions:
      frequency:
        description: How often the snapshot is taken.
        type: str
        required: true
        choices: [hourly, daily, weekly, monthly, yearly]
      every:
        description:
          - V(hourly) - every 1, 2, 4, 6, 8 or 12 hours.
          - V(daily) - 1 (the default for daily items).
          - V(weekly) - the day of the week, 1 (Monday) to 7 (Sunday).
          - V(monthly) - the day of the month, 1 to 28, or 40 for the last day of the month.
          - V(yearly) - the month, 1 (January) to 12 (December).
        type: int
      keep:
        description: How long snapshots of this item are kept, in O(policy_items[].unit).
        type: int
        required: true
      unit:
        description: Unit of O(policy_items[].keep).
        type: str
        choices: [days, weeks, months, years]
        default: days
  copy_settings:
    description:
      - The complete list of regions snapshots are copied to (Atlas's copy settings with C(copyPolicyItems); the deprecated
        C(frequencies) form is read but never written). V([]) removes every copy setting.
      - Copies stay in the cluster's cloud provider, in a region the cluster does not run in. Needs O(api_version=v2).
    type: list
    elements: dict
    suboptions:
      cloud_provider:
        description: The cluster's cloud provider.
        type: str
        required: true
        choices: [AWS, AZURE, GCP]
      region_name:
        description: Atlas's name of the region the copies go to, for example C(US_WEST_2) (AWS) or C(EUROPE_NORTH) (Azure).
        type: str
        required: true
      should_copy_oplogs:
        description: Copy the oplogs too, so point-in-time restores work from the copy region.
        type: bool
        default: false
      policy_items:
        description: Which snapshots are copied (by frequency; the schedule must have an item of that frequency) and how long copies are kept.
        type: list
        elements: dict
        required: true
        suboptions:
          frequency:
            description: Frequency of the snapshots copied.
            type: str
            required: true
            choices: [hourly, daily, weekly, monthly, yearly]
          keep:
            description: How long the copies are kept.
            type: int
            required: true
          unit:
            description: Unit of O(copy_settings[].policy_items[].keep).
            type: str
            choices: [days, weeks, months, years]
            default: days
  auto_export:
    description: Automatic export of snapshots to an export bucket of the project.
    type: dict
    suboptions:
      enabled:
        description: Export automatically. V(false) turns automatic export off.
        type: bool
        default: true
      export_bucket_id:
        description: ID of the export bucket (see Atlas's export buckets). Required when O(auto_export.enabled=true).
        type: str
      frequency:
        description: Which snapshots are exported. Required when O(auto_export.enabled=true).
        type: str
        choices: [daily, weekly, monthly, yearly]
  apply_to_existing_snapshots:
    description:
      - Apply retention changes to the snapshots Atlas already took (Atlas's C(updateSnapshots), and C(updateCopySnapshots)
        for copies), not only to new ones. Atlas never reports this setting back, so it only acts when something else changes.
    type: bool
    default: false
notes:
  - Retentions are compared across units as 1 week = 7 days, 1 month = 30 days, 1 year = 365 days.
  - API version C(2024-08-05) of the schedule; the compliance policy is read with C(2023-10-01) and exists in v2 only, so
    with O(api_version=v1.0) the schedule is not checked against it before writing (Atlas still enforces it).
author:
  - mongodb_atlas.backup maintainers (@mongodb-atlas-backup)
seealso:
  - module: mongodb_atlas.backup.atlas_backup_schedule_info
  - name: Cloud backup schedule (Atlas Administration API)
    description: The API resource this module manages.
    link: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-updatebackupschedule
"""

EXAMPLES = r"""
- name: Hourly for 2 days, daily for 7, weekly for 4 weeks, monthly for 12 months, 2 days of point in time
  mongodb_atlas.backup.atlas_backup_schedule:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    reference_hour_of_day: 3
    reference_minute_of_hour: 0
    restore_window_days: 2
    policy_items:
      - {frequency: hourly, every: 6, keep: 2, unit: days}
      - {frequency: daily, keep: 7, unit: days}
      - {frequency: weekly, every: 6, keep: 4, unit: weeks}
      - {frequency: monthly, every: 40, keep: 12, unit: months}
    apply_to_existing_snapshots: true

- name: Copy daily and weekly snapshots to a second AWS region
  mongodb_atlas.backup.atlas_backup_schedule:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Cluster0
    copy_settings:
      - cloud_provider: AWS
        region_name: US_WEST_2
        should_copy_oplogs: true
        policy_items:
          - {frequency: daily, keep: 7, unit: days}
          - {frequency: weekly, keep: 4, unit: weeks}

- name: Feed one cluster's schedule (from atlas_backup_schedule_info) to another
  mongodb_atlas.backup.atlas_backup_schedule:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Staging0
    policy_items: "{{ info.schedules[0].schedule.policy_items }}"
    reference_hour_of_day: "{{ info.schedules[0].schedule.reference_hour_of_day }}"

- name: Remove every policy item (backup stays enabled, no more scheduled snapshots)
  mongodb_atlas.backup.atlas_backup_schedule:
    group_id: 5f1a2b3c4d5e6f7a8b9c0d1e
    cluster_name: Scratch0
    state: absent
"""

RETURN = r"""
retries_used:
  description: How many retries the task spent.
  returned: always, once the options are valid
  type: int
  sample: 0
schedule:
  description:
    - The schedule after the task (in check mode, as it would be), in this module's terms; it can be fed back as options.
    - Lists are sorted, most frequent first.
  returned: success
  type: dict
  contains:
    reference_hour_of_day:
      description: Hour of the day (UTC) of the daily and less frequent snapshots.
      type: int
      sample: 3
    reference_minute_of_hour:
      description: Minute of that hour.
      type: int
      sample: 0
    restore_window_days:
      description: The continuous backup restore window, as Atlas reports it.
      type: int
      sample: 2
    policy_items:
      description: The policy items, each with C(frequency), C(every), C(keep) and C(unit).
      type: list
      elements: dict
      sample: [{frequency: hourly, every: 6, keep: 2, unit: days}, {frequency: daily, every: 1, keep: 7, unit: days}]
    copy_settings:
      description: The copy settings, each with C(cloud_provider), C(region_name), C(should_copy_oplogs) and C(policy_items).
      type: list
      elements: dict
      sample: []
    auto_export:
      description: C(enabled), and when enabled C(export_bucket_id) and C(frequency).
      type: dict
      sample: {enabled: false}
next_snapshot:
  description: When Atlas takes the next scheduled snapshot (UTC), as read (before the change in check mode).
  returned: success
  type: str
  sample: "2026-12-05T03:00:00Z"
changes:
  description: The settings that differed and were (or in check mode would be) changed.
  returned: success
  type: list
  elements: str
  sample: [policy_items]
breaches:
  description: The Backup Compliance Policy rules the schedule would break, when the task failed for that reason.
  returned: failure
  type: list
  elements: str
  sample: ["the policy requires a weekly item kept at least 4 weeks; the schedule would have none"]
"""

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._module import AtlasModule
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._schedule import apply
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._schedule_policy import EXPORT_FREQUENCIES, FREQUENCIES, PROVIDERS, UNITS

ITEM = dict(frequency=dict(type='str', required=True, choices=list(FREQUENCIES)), every=dict(type='int'),
            keep=dict(type='int', required=True), unit=dict(type='str', choices=list(UNITS), default='days'))
COPY_ITEM = dict(frequency=dict(type='str', required=True, choices=list(FREQUENCIES)), keep=dict(type='int', required=True),
                 unit=dict(type='str', choices=list(UNITS), default='days'))
COPY = dict(cloud_provider=dict(type='str', required=True, choices=list(PROVIDERS)), region_name=dict(type='str', required=True),
            should_copy_oplogs=dict(type='bool', default=False),
            policy_items=dict(type='list', elements='dict', required=True, options=COPY_ITEM))
EXPORT = dict(enabled=dict(type='bool', default=True), export_bucket_id=dict(type='str'),
              frequency=dict(type='str', choices=list(EXPORT_FREQUENCIES)))


def run(atlas: AtlasModule) -> None:
    export = atlas.params['auto_export'] or {}
    atlas.check_id('auto_export.export_bucket_id', export.get('export_bucket_id'))
    result = apply(atlas.client, atlas.group_id, atlas.cluster_name, atlas.params, atlas.check_mode, atlas.warn)
    if not atlas.module._diff:
        result.pop('diff')
    atlas.exit(**result)


def main() -> None:
    atlas = AtlasModule(
        argument_spec=dict(
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            reference_hour_of_day=dict(type='int'),
            reference_minute_of_hour=dict(type='int'),
            restore_window_days=dict(type='int'),
            policy_items=dict(type='list', elements='dict', options=ITEM),
            copy_settings=dict(type='list', elements='dict', options=COPY),
            auto_export=dict(type='dict', options=EXPORT),
            apply_to_existing_snapshots=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    atlas.run(lambda: run(atlas))


if __name__ == '__main__':
    main()

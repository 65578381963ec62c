# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""atlas_backup_schedule and atlas_backup_schedule_info as Ansible runs them: options, check mode, diff, the result."""
from __future__ import annotations

import responses

from ansible_collections.mongodb_atlas.backup.plugins.modules import atlas_backup_schedule, atlas_backup_schedule_info
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.modules.atlas_test_utils import API, connection_args

SCHEDULE = f'{API}/clusters/Cluster0/backup/schedule'
DOC = {'referenceHourOfDay': 3, 'referenceMinuteOfHour': 0, 'restoreWindowDays': 7, 'copySettings': [], 'autoExportEnabled': False,
       'nextSnapshot': '2026-12-05T03:00:00Z', 'policies': [{'id': 'e' * 24, 'policyItems': [
           {'id': 'b' * 24, 'frequencyType': 'daily', 'frequencyInterval': 1, 'retentionUnit': 'days', 'retentionValue': 7}]}]}


@responses.activate
def test_unchanged_schedule_in_check_mode_reads_once(run_module):
    responses.get(SCHEDULE, json=DOC)
    result = run_module(atlas_backup_schedule.main, connection_args(policy_items=[{'frequency': 'daily', 'keep': 7}], _ansible_check_mode=True))
    assert result['changed'] is False and result['schedule']['policy_items'] == [{'frequency': 'daily', 'every': 1, 'keep': 7, 'unit': 'days'}]
    assert result['next_snapshot'] == '2026-12-05T03:00:00Z' and 'diff' not in result
    assert len(responses.calls) == 1


@responses.activate
def test_invalid_items_and_export_bucket_fail_before_any_request(run_module):
    result = run_module(atlas_backup_schedule.main, connection_args(policy_items=[{'frequency': 'hourly', 'every': 5, 'keep': 1}]))
    assert result['failed'] and 'hourly: every 1, 2, 4, 6, 8 or 12 hours' in result['msg']
    result = run_module(atlas_backup_schedule.main, connection_args(auto_export={'export_bucket_id': 'nope', 'frequency': 'daily'}))
    assert result['failed'] and 'auto_export.export_bucket_id' in result['msg']
    assert len(responses.calls) == 0


@responses.activate
def test_info_of_one_cluster_is_in_the_modules_terms(run_module):
    responses.get(SCHEDULE, json=DOC)
    responses.get(f'{API}/backupCompliancePolicy', json={'state': 'ACTIVE', 'deletable': False, 'scheduledPolicyItems': []})
    result = run_module(atlas_backup_schedule_info.main, connection_args())
    assert result['changed'] is False
    assert result['schedules'] == [{'name': 'Cluster0', 'next_snapshot': '2026-12-05T03:00:00Z', 'schedule': {
        'reference_hour_of_day': 3, 'reference_minute_of_hour': 0, 'restore_window_days': 7, 'copy_settings': [], 'auto_export': {'enabled': False},
        'policy_items': [{'frequency': 'daily', 'every': 1, 'keep': 7, 'unit': 'days'}]}}]
    assert result['compliance_policy']['state'] == 'ACTIVE' and result['compliance_policy']['deletable'] is False

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup schedule service: normal form, order-free matching, the smallest PATCH, validation, compliance, request counts."""
from __future__ import annotations

import json

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._schedule import Compliance, apply, compliance_breaches, normalize_policy, report
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._schedule_policy import (
    desired_from, differences, match_items, normalize, patch_body, validate_items,
)

G = '5f1a2b3c4d5e6f7a8b9c0d1e'
BASE = 'https://atlas.test'
API = f'{BASE}/api/atlas/v2/groups/{G}'
SCHEDULE = f'{API}/clusters/C/backup/schedule'
CLUSTER = f'{API}/clusters/C'
POLICY = f'{API}/backupCompliancePolicy'


def item(kind, every, unit, keep, id_):
    return {'id': id_, 'frequencyType': kind, 'frequencyInterval': every, 'retentionUnit': unit, 'retentionValue': keep}


ITEMS = [item('hourly', 6, 'days', 2, 'a' * 24), item('daily', 1, 'days', 7, 'b' * 24), item('weekly', 6, 'weeks', 4, 'c' * 24),
         item('monthly', 40, 'months', 12, 'd' * 24)]


def schedule_doc(items=None, **extra):
    doc = {'referenceHourOfDay': 3, 'referenceMinuteOfHour': 0, 'restoreWindowDays': 7, 'copySettings': [], 'autoExportEnabled': False,
           'policies': [{'id': 'e' * 24, 'policyItems': list(ITEMS if items is None else items)}], 'nextSnapshot': '2026-12-05T03:00:00Z'}
    doc.update(extra)
    return doc


USER_ITEMS = [{'frequency': 'hourly', 'every': 6, 'keep': 2, 'unit': 'days'}, {'frequency': 'daily', 'every': None, 'keep': 7, 'unit': 'days'},
              {'frequency': 'weekly', 'every': 6, 'keep': 4, 'unit': 'weeks'}, {'frequency': 'monthly', 'every': 40, 'keep': 12, 'unit': 'months'}]
CLUSTER_DOC = {'name': 'C', 'clusterType': 'REPLICASET', 'pitEnabled': False,
               'replicationSpecs': [{'zoneId': 'f' * 24, 'regionConfigs': [{'providerName': 'AWS', 'regionName': 'US_EAST_1',
                                                                            'electableSpecs': {'instanceSize': 'M10'}}]}]}


def client(version='v2'):
    return AtlasClient(base_url=BASE, api_version=version, retries=0)


# ------------------------------------------------------------------ normal form and matching
def test_normal_form_ignores_order_and_ids():
    shuffled = schedule_doc([ITEMS[2], ITEMS[0], ITEMS[3], ITEMS[1]])
    assert normalize(shuffled) == normalize(schedule_doc())
    assert [i['frequency'] for i in normalize(shuffled)['policy_items']] == ['hourly', 'daily', 'weekly', 'monthly']
    assert 'id' not in normalize(shuffled)['policy_items'][0]


def test_same_items_in_another_order_differ_in_nothing():
    current = normalize(schedule_doc())
    wanted = desired_from({'policy_items': list(reversed(USER_ITEMS))}, current)
    assert differences(current, wanted) == []


def test_items_are_matched_by_frequency_and_interval_never_by_position():
    wanted = [{'frequency': 'weekly', 'every': 7, 'keep': 8, 'unit': 'weeks'}, {'frequency': 'daily', 'every': 1, 'keep': 14, 'unit': 'days'},
              {'frequency': 'yearly', 'every': 1, 'keep': 2, 'unit': 'years'}]
    pairs = {w['frequency']: (old or {}).get('id') for w, old in match_items(wanted, ITEMS)}
    # weekly changed its day and still carries the old weekly id; daily keeps its own; yearly is new
    assert pairs == {'daily': 'b' * 24, 'weekly': 'c' * 24, 'yearly': None}


def test_patch_carries_ids_and_only_what_differs():
    doc = schedule_doc()
    current = normalize(doc)
    wanted = desired_from({'policy_items': [dict(USER_ITEMS[0]), dict(USER_ITEMS[1], keep=10), USER_ITEMS[2], USER_ITEMS[3]]}, current)
    changed = differences(current, wanted)
    assert changed == ['policy_items']
    body = patch_body(wanted, doc, changed, True, 'f' * 24)
    assert sorted(body) == ['policies', 'updateSnapshots']
    assert body['policies'][0]['id'] == 'e' * 24
    assert sorted(i['id'] for i in body['policies'][0]['policyItems']) == sorted(i['id'] for i in ITEMS)
    assert next(i for i in body['policies'][0]['policyItems'] if i['frequencyType'] == 'daily')['retentionValue'] == 10
    assert 'updateSnapshots' not in patch_body(wanted, doc, changed, False, None)


def test_copy_settings_are_sent_as_copy_policy_items_with_the_zone():
    doc = schedule_doc()
    wanted = desired_from({'copy_settings': [{'cloud_provider': 'AWS', 'region_name': 'US_WEST_2', 'should_copy_oplogs': True,
                                              'policy_items': [{'frequency': 'daily', 'keep': 7, 'unit': 'days'}]}]}, normalize(doc))
    body = patch_body(wanted, doc, ['copy_settings'], False, 'f' * 24)
    assert body == {'copyPolicyItemsEnabled': True, 'copySettings': [
        {'cloudProvider': 'AWS', 'regionName': 'US_WEST_2', 'zoneId': 'f' * 24, 'shouldCopyOplogs': True,
         'copyPolicyItems': [{'frequencyType': 'daily', 'retentionUnit': 'days', 'retentionValue': 7}]}]}


def test_deprecated_frequencies_read_as_copy_items_with_the_schedules_retention():
    doc = schedule_doc(copySettings=[{'cloudProvider': 'AWS', 'regionName': 'US_WEST_2', 'frequencies': ['DAILY'], 'shouldCopyOplogs': False}])
    assert normalize(doc)['copy_settings'][0]['policy_items'] == [{'frequency': 'daily', 'keep': 7, 'unit': 'days'}]


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize('bad, words', [
    ({'frequency': 'hourly', 'every': 3, 'keep': 2, 'unit': 'days'}, 'every 1, 2, 4, 6, 8 or 12 hours'),
    ({'frequency': 'weekly', 'every': 0, 'keep': 2, 'unit': 'weeks'}, '1 (Monday) to 7 (Sunday)'),
    ({'frequency': 'monthly', 'every': 29, 'keep': 2, 'unit': 'months'}, '1 to 28, or 40 for the last day'),
    ({'frequency': 'yearly', 'every': 13, 'keep': 2, 'unit': 'years'}, '1 (January) to 12 (December)'),
    ({'frequency': 'weekly', 'every': None, 'keep': 2, 'unit': 'weeks'}, 'a weekly item needs every'),
    ({'frequency': 'daily', 'every': 1, 'keep': 0, 'unit': 'days'}, 'keep must be 1 or more'),
])
def test_each_interval_rule_says_what_is_allowed(bad, words):
    assert any(words in problem for problem in validate_items([bad]))


def test_a_less_frequent_item_keeps_at_least_as_long():
    problems = validate_items([{'frequency': 'daily', 'every': 1, 'keep': 14, 'unit': 'days'},
                               {'frequency': 'weekly', 'every': 6, 'keep': 1, 'unit': 'weeks'}])
    assert problems == ['policy_items: the weekly item keeps snapshots 1 weeks, less than the daily item (14 days); a less frequent item '
                        'must keep its snapshots at least as long as a more frequent one.']
    assert validate_items([{'frequency': 'daily', 'every': 1, 'keep': 7, 'unit': 'days'},
                           {'frequency': 'weekly', 'every': 6, 'keep': 1, 'unit': 'weeks'}]) == []


# ------------------------------------------------------------------ compliance
def test_breaches_name_each_rule_and_the_policys_value():
    policy = normalize_policy({'state': 'ACTIVE', 'restoreWindowDays': 3,
                               'scheduledPolicyItems': [item('daily', 1, 'days', 7, None), item('weekly', 6, 'weeks', 4, None)]})
    wanted = {'policy_items': [{'frequency': 'daily', 'every': 1, 'keep': 3, 'unit': 'days'}], 'restore_window_days': 2}
    from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import ClusterInfo
    pit = ClusterInfo('C', 'replicaSet', 'M10', True)
    assert compliance_breaches(policy, wanted, pit) == [
        'the policy requires a daily item kept at least 7 days; the schedule would keep daily snapshots 3 days',
        'the policy requires a weekly item kept at least 4 weeks; the schedule would have none',
        'the policy requires a restore window of at least 3 days; the schedule would have 2']
    assert len(compliance_breaches(policy, None, pit)) == 2
    assert compliance_breaches(None, wanted, pit) == []
    assert normalize_policy({}) is None


# ------------------------------------------------------------------ request counts
def params(**extra):
    base = {'state': 'present', 'reference_hour_of_day': None, 'reference_minute_of_hour': None, 'restore_window_days': None,
            'policy_items': None, 'copy_settings': None, 'auto_export': None, 'apply_to_existing_snapshots': False}
    base.update(extra)
    return base


@responses.activate
def test_an_unchanged_schedule_costs_one_get_and_no_write():
    responses.get(SCHEDULE, json=schedule_doc())
    result = apply(client(), G, 'C', params(policy_items=list(reversed(USER_ITEMS)), reference_hour_of_day=3), False, print)
    assert result['changed'] is False and result['changes'] == []
    assert [call.request.method for call in responses.calls] == ['GET']
    assert responses.calls[0].request.headers['Accept'] == 'application/vnd.atlas.2024-08-05+json'


@responses.activate
def test_a_change_reads_cluster_and_policy_then_patches_only_the_difference():
    responses.get(SCHEDULE, json=schedule_doc())
    responses.get(CLUSTER, json=CLUSTER_DOC)
    responses.get(POLICY, status=404, json={'error': 404, 'errorCode': 'RESOURCE_NOT_FOUND', 'detail': 'none'})
    responses.patch(SCHEDULE, json=schedule_doc(referenceHourOfDay=5))
    result = apply(client(), G, 'C', params(reference_hour_of_day=5), False, print)
    assert result['changed'] and result['changes'] == ['reference_hour_of_day']
    assert [(c.request.method, c.request.url.split('/v2/')[1]) for c in responses.calls] == [
        ('GET', f'groups/{G}/clusters/C/backup/schedule'), ('GET', f'groups/{G}/clusters/C'), ('GET', f'groups/{G}/backupCompliancePolicy'),
        ('PATCH', f'groups/{G}/clusters/C/backup/schedule')]
    assert responses.calls[2].request.headers['Accept'] == 'application/vnd.atlas.2023-10-01+json'
    assert json.loads(responses.calls[3].request.body) == {'referenceHourOfDay': 5}
    assert result['diff']['before']['reference_hour_of_day'] == 3 and result['diff']['after']['reference_hour_of_day'] == 5


@responses.activate
def test_check_mode_and_a_compliance_breach_write_nothing():
    responses.get(SCHEDULE, json=schedule_doc())
    responses.get(CLUSTER, json=CLUSTER_DOC)
    responses.get(POLICY, json={'state': 'ACTIVE', 'scheduledPolicyItems': [item('daily', 1, 'days', 7, None)]})
    planned = apply(client(), G, 'C', params(reference_hour_of_day=5), True, print)
    assert planned['changed'] and planned['schedule']['reference_hour_of_day'] == 5
    with pytest.raises(TaskError) as caught:
        apply(client(), G, 'C', params(policy_items=[{'frequency': 'daily', 'every': 1, 'keep': 2, 'unit': 'days'}]), False, print)
    assert 'kept at least 7 days' in caught.value.msg and 'nothing was written' in caught.value.msg
    with pytest.raises(TaskError):
        apply(client(), G, 'C', params(state='absent'), False, print)
    assert [c.request.method for c in responses.calls if c.request.method != 'GET'] == []


@responses.activate
def test_the_policy_is_read_once_per_task_and_an_unreadable_policy_is_a_warning():
    responses.get(POLICY, status=401, json={'error': 401, 'errorCode': 'USER_UNAUTHORIZED', 'detail': 'no'})
    warnings = []
    compliance = Compliance(client(), G, warnings.append)
    assert compliance.get() is None and compliance.get() is None
    assert len(responses.calls) == 1 and len(warnings) == 1 and 'Project Owner' in warnings[0]


@responses.activate
def test_flex_and_free_clusters_are_refused_with_reasons():
    responses.get(SCHEDULE, status=400, json={'error': 400, 'errorCode': 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API', 'detail': 'flex'})
    with pytest.raises(TaskError, match='fixed schedule'):
        apply(client(), G, 'C', params(policy_items=USER_ITEMS[1:2]), False, print)
    responses.replace(responses.GET, SCHEDULE, status=400, json={'error': 400, 'errorCode': 'PROVIDER_BACKUP_NOT_SUPPORTED', 'detail': 'no'})
    responses.get(CLUSTER, json=dict(CLUSTER_DOC, replicationSpecs=[{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M0'}}]}]))
    with pytest.raises(TaskError, match='no backups'):
        apply(client(), G, 'C', params(policy_items=USER_ITEMS[1:2]), False, print)


@responses.activate
def test_a_refusal_for_compliance_is_explained():
    responses.get(SCHEDULE, json=schedule_doc())
    responses.get(CLUSTER, json=CLUSTER_DOC)
    responses.get(POLICY, status=401, json={'error': 401, 'errorCode': 'USER_UNAUTHORIZED', 'detail': 'no'})
    responses.patch(SCHEDULE, status=400, json={'error': 400, 'errorCode': 'BACKUP_POLICY_VIOLATES_COMPLIANCE_POLICY', 'detail': 'below it'})
    with pytest.raises(TaskError) as caught:
        apply(client(), G, 'C', params(reference_hour_of_day=4), False, print)
    assert 'Backup Compliance Policy (BACKUP_POLICY_VIOLATES_COMPLIANCE_POLICY)' in caught.value.msg
    assert caught.value.result['error_code'] == 'BACKUP_POLICY_VIOLATES_COMPLIANCE_POLICY'


@responses.activate
def test_report_reads_every_dedicated_cluster_once():
    responses.get(f'{API}/clusters', json={'results': [dict(CLUSTER_DOC, name='A'), dict(CLUSTER_DOC, name='B'),
                                                       {'name': 'F', 'providerSettings': {'instanceSizeName': 'M0'}}], 'links': []})
    responses.get(f'{API}/flexClusters', json={'results': [{'name': 'X'}], 'links': []})
    for name in ('A', 'B'):
        responses.get(f'{API}/clusters/{name}/backup/schedule', json=schedule_doc())
    responses.get(POLICY, json={})
    found = report(client(), G, None, print)
    assert [s['name'] for s in found['schedules']] == ['A', 'B'] and found['compliance_policy'] is None
    assert len(responses.calls) == 5
    assert found['schedules'][0]['schedule'] == normalize(schedule_doc())


@responses.activate
def test_a_restore_window_atlas_already_holds_does_not_block_an_unrelated_change():
    # Cluster with continuous backup, a 7-day window and hourly snapshots kept 2 days (Atlas's defaults): a new reference
    # hour is not the task's business with the window; shortening the hourly retention further is.
    responses.get(SCHEDULE, json=schedule_doc())
    responses.get(CLUSTER, json=dict(CLUSTER_DOC, pitEnabled=True))
    responses.get(POLICY, json={})
    planned = apply(client(), G, 'C', params(reference_hour_of_day=4), True, print)
    assert planned['changes'] == ['reference_hour_of_day']
    with pytest.raises(TaskError, match='restore_window_days 7 is longer than the hourly snapshots are kept'):
        apply(client(), G, 'C', params(policy_items=[dict(USER_ITEMS[0], keep=1)] + USER_ITEMS[1:]), True, print)


def test_absent_warns_about_the_options_it_ignores():
    warnings = []
    with responses.RequestsMock() as mocked:
        mocked.get(SCHEDULE, json=schedule_doc(items=[]))
        result = apply(client(), G, 'C', params(state='absent', reference_hour_of_day=4), False, warnings.append)
    assert result['changed'] is False and warnings == ['state is absent, so reference_hour_of_day is ignored: every policy item is removed.']

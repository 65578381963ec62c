# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backup schedule (the sources: GET/PATCH/DELETE, the default four items, ids, updateSnapshots, validation) and the Backup
Compliance Policy (the sources: seed configuration, Project Owner only, refusals)."""
from __future__ import annotations

import datetime

from conftest import GROUP_ID, session_for
from spec_check import assert_conforms

V2024 = 'application/vnd.atlas.2024-08-05+json'
V2023 = 'application/vnd.atlas.2023-01-01+json'
COMPLIANCE = 'application/vnd.atlas.2023-10-01+json'
PATH = '/clusters/Staging0/backup/schedule'


def call(session, method, url, body=None, accept=V2024):
    headers = {'Accept': accept}
    if body is not None:
        headers['Content-Type'] = accept if accept.startswith('application/vnd') else 'application/json'
    return session.request(method, url, json=body, headers=headers, timeout=10)


def items(doc):
    return doc['policies'][0]['policyItems']


def by_type(doc, kind):
    return next(item for item in items(doc) if item['frequencyType'] == kind)


def error_code(response):
    return response.status_code, response.json()['errorCode']


def test_default_schedule_has_four_items_with_stable_ids(sim, reader):
    first = call(reader, 'GET', sim.v2(PATH)).json()
    assert_conforms(first, 'DiskBackupSnapshotSchedule20240805')
    assert [(i['frequencyType'], i['frequencyInterval'], i['retentionValue'], i['retentionUnit']) for i in items(first)] == [
        ('hourly', 6, 2, 'days'), ('daily', 1, 7, 'days'), ('weekly', 6, 4, 'weeks'), ('monthly', 40, 12, 'months')]
    assert call(reader, 'GET', sim.v2(PATH)).json()['policies'] == first['policies']
    assert first['nextSnapshot'].endswith('T03:00:00Z')


def test_patch_keeps_sent_ids_gives_new_ones_and_drops_the_rest(sim, owner):
    doc = call(owner, 'GET', sim.v2(PATH)).json()
    daily = dict(by_type(doc, 'daily'), retentionValue=10)
    new = {'frequencyType': 'yearly', 'frequencyInterval': 1, 'retentionUnit': 'years', 'retentionValue': 1}
    response = call(owner, 'PATCH', sim.v2(PATH), {'policies': [{'id': doc['policies'][0]['id'], 'policyItems': [daily, new]}]})
    assert response.status_code == 200, response.text
    after = response.json()
    assert_conforms(after, 'DiskBackupSnapshotSchedule20240805')
    assert by_type(after, 'daily')['id'] == daily['id'] and by_type(after, 'daily')['retentionValue'] == 10
    assert by_type(after, 'yearly')['id'] not in {item['id'] for item in items(doc)}
    assert len(items(after)) == 2 and after['policies'][0]['id'] == doc['policies'][0]['id']
    assert 'updateSnapshots' not in after


def test_update_snapshots_redates_only_with_the_flag_and_the_items_id(sim, owner):
    doc = call(owner, 'GET', sim.v2(PATH)).json()

    def expiry():
        snap = sim.control('GET', 'state').json()['clusters']['Staging0']['snapshots'][0]
        return snap['createdAt'], snap['expiresAt']

    created, seeded = expiry()
    daily = by_type(doc, 'daily')
    others = [item for item in items(doc) if item is not daily]
    no_id = {k: v for k, v in daily.items() if k != 'id'}
    # without an id the daily item is a new one: nothing re-dated even with updateSnapshots (Terraform PR #1357's trap)
    call(owner, 'PATCH', sim.v2(PATH), {'policies': [{'policyItems': others + [dict(no_id, retentionValue=9)]}], 'updateSnapshots': True})
    assert expiry()[1] == seeded
    doc = call(owner, 'GET', sim.v2(PATH)).json()
    daily = by_type(doc, 'daily')
    others = [item for item in items(doc) if item['id'] != daily['id']]
    call(owner, 'PATCH', sim.v2(PATH), {'policies': [{'policyItems': others + [dict(daily, retentionValue=12)]}]})
    assert expiry()[1] == seeded
    call(owner, 'PATCH', sim.v2(PATH), {'policies': [{'policyItems': others + [dict(daily, retentionValue=20)]}], 'updateSnapshots': True})
    moved = datetime.datetime.strptime(expiry()[1], '%Y-%m-%dT%H:%M:%SZ') - datetime.datetime.strptime(created, '%Y-%m-%dT%H:%M:%SZ')
    assert moved.days == 20


def test_validation_refusals(sim, owner):
    def patch(body, path=PATH):
        return call(owner, 'PATCH', sim.v2(path), body)

    def one(kind, every, unit, keep):
        return {'policies': [{'policyItems': [{'frequencyType': kind, 'frequencyInterval': every, 'retentionUnit': unit, 'retentionValue': keep}]}]}

    assert error_code(patch(one('hourly', 3, 'days', 2))) == (400, 'BACKUP_POLICY_INVALID')
    assert error_code(patch(one('monthly', 29, 'months', 2))) == (400, 'BACKUP_POLICY_INVALID')
    assert error_code(patch(one('fortnightly', 1, 'days', 2))) == (400, 'INVALID_ENUM_VALUE')
    pair = one('daily', 1, 'days', 14)['policies'][0]['policyItems'] + one('weekly', 1, 'weeks', 1)['policies'][0]['policyItems']
    two = {'policies': [{'policyItems': pair}]}
    assert error_code(patch(two)) == (400, 'BACKUP_POLICY_INVALID')
    daily = one('daily', 1, 'days', 7)['policies'][0]['policyItems'][0]
    ghost = {'policies': [{'policyItems': [dict(daily, id='0' * 24)]}]}
    assert error_code(patch(ghost)) == (400, 'BACKUP_POLICY_ITEM_NOT_FOUND')
    assert error_code(patch({'restoreWindowDays': 3})) == (400, 'CONTINUOUS_BACKUP_NOT_ENABLED')
    assert error_code(patch({'restoreWindowDays': 5}, '/clusters/Cluster0/backup/schedule')) == (400, 'BACKUP_POLICY_INVALID')  # hourly kept 2 days
    assert error_code(patch({'clusterName': 'x'})) == (400, 'INVALID_ATTRIBUTE')
    copy = {'copyPolicyItemsEnabled': True, 'copySettings': [{'cloudProvider': 'AWS', 'regionName': 'US_WEST_2',
                                                              'copyPolicyItems': [{'frequencyType': 'daily', 'retentionUnit': 'days', 'retentionValue': 7}]}]}
    assert error_code(patch(copy)) == (400, 'MISSING_ATTRIBUTE')  # no zoneId
    copy['copySettings'][0]['zoneId'] = '65c1000000000000000000a0'
    assert patch(copy).status_code == 200
    assert call(owner, 'GET', sim.v2(PATH), accept=V2023).json()['copySettings'][0]['frequencies'] == ['DAILY']
    assert error_code(call(owner, 'PATCH', sim.v2(PATH), {'copyPolicyItemsEnabled': True}, accept=V2023)) == (400, 'INVALID_ATTRIBUTE')
    flex = call(owner, 'PATCH', sim.v2('/clusters/Flex0/backup/schedule'), {'referenceHourOfDay': 1})
    assert error_code(flex) == (400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API')
    assert error_code(call(session_for('reader-public', 'reader-private'), 'PATCH', sim.v2(PATH), {'referenceHourOfDay': 1}))[0] == 401


def test_delete_removes_every_item_and_backup_stays(sim, owner):
    response = call(owner, 'DELETE', sim.v2(PATH))
    assert response.status_code == 200 and items(response.json()) == []
    assert call(owner, 'GET', sim.v2(PATH)).json()['policies'][0]['policyItems'] == []
    assert sim.control('GET', 'state').json()['clusters']['Staging0']['snapshots']  # the snapshots are still there


def test_v1_schedule_is_patchable(sim, owner):
    response = owner.request('PATCH', sim.v1(PATH), json={'referenceHourOfDay': 7}, timeout=10)
    assert response.status_code == 200 and response.json()['referenceHourOfDay'] == 7
    assert 'copyPolicyItemsEnabled' not in response.json()


def test_compliance_policy_is_seed_configuration_and_owner_only(sim, owner, reader):
    assert error_code(call(owner, 'GET', sim.v2('/backupCompliancePolicy'), accept=COMPLIANCE)) == (404, 'RESOURCE_NOT_FOUND')
    assert owner.get(sim.v1('/backupCompliancePolicy'), timeout=10).status_code == 404  # v2 only
    rule = {'frequencyType': 'daily', 'frequencyInterval': 1, 'retentionUnit': 'days', 'retentionValue': 7}
    assert sim.control('PATCH', 'config', {'compliance_policy': {'scheduledPolicyItems': [rule]}}).status_code == 200
    doc = call(owner, 'GET', sim.v2('/backupCompliancePolicy'), accept=COMPLIANCE).json()
    assert doc['state'] == 'ACTIVE' and doc['deletable'] is False and doc['projectId'] == GROUP_ID and doc['scheduledPolicyItems'] == [rule]
    assert call(reader, 'GET', sim.v2('/backupCompliancePolicy'), accept=COMPLIANCE).status_code == 401
    below = {'policies': [{'policyItems': [dict(rule, retentionValue=3)]}]}
    assert error_code(call(owner, 'PATCH', sim.v2(PATH), below)) == (400, 'BACKUP_POLICY_VIOLATES_COMPLIANCE_POLICY')
    assert error_code(call(owner, 'DELETE', sim.v2(PATH))) == (400, 'BACKUP_POLICY_VIOLATES_COMPLIANCE_POLICY')
    assert len(items(call(owner, 'GET', sim.v2(PATH)).json())) == 4
    assert call(owner, 'PATCH', sim.v2(PATH), {'policies': [{'policyItems': [dict(rule, retentionValue=9)]}]}).status_code == 200
    assert sim.control('PATCH', 'config', {'compliance_policy': 'on'}).status_code == 400

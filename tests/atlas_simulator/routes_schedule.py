# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The cloud backup schedule of dedicated clusters (GET, PATCH, DELETE) and the project's Backup Compliance
Policy (GET), which is seed configuration (`compliance_policy`, off by default) and refuses schedules below it.

The sources give the fields and rules but not Atlas's error codes for them: every code below that is not INVALID_ATTRIBUTE is an
unverified choice, listed in the README.
"""
from __future__ import annotations

import copy
import datetime
import typing as t

from atlas_simulator import render
from atlas_simulator.errors import ApiError, bad_attribute
from atlas_simulator.routes_common import ID, Context, backup_cluster
from atlas_simulator.state import Cluster, iso

FREQUENCIES = ('hourly', 'daily', 'weekly', 'monthly', 'yearly')
UNITS = {'days': 1, 'weeks': 7, 'months': 30, 'years': 365}
INTERVALS = {'hourly': (1, 2, 4, 6, 8, 12), 'daily': (1,), 'weekly': tuple(range(1, 8)), 'monthly': tuple(range(1, 29)) + (40,),
             'yearly': tuple(range(1, 13))}
# Enabling backup creates four items (the sources, TF docs; the exact defaults are unverified): every 6 h kept 2 days, daily 7 days,
# Saturdays 4 weeks, the last day of the month 12 months.
DEFAULT_ITEMS = (('hourly', 6, 'days', 2), ('daily', 1, 'days', 7), ('weekly', 6, 'weeks', 4), ('monthly', 40, 'months', 12))
WRITABLE = {'referenceHourOfDay': int, 'referenceMinuteOfHour': int, 'restoreWindowDays': int, 'policies': list, 'copySettings': list,
            'copyPolicyItemsEnabled': bool, 'autoCopySettingsEnabled': bool, 'export': dict, 'autoExportEnabled': bool,
            'extraRetentionSettings': list, 'useOrgAndGroupNamesInExportPrefix': bool, 'updateSnapshots': bool, 'updateCopySnapshots': bool,
            'deleteCopiedBackups': list, 'deleteCopySnapshots': bool, 'deleteSnapshots': bool}
READ_ONLY = ('clusterId', 'clusterName', 'nextSnapshot', 'links')
POLICY_CODE = 'BACKUP_POLICY_INVALID'                       # unverified
COMPLIANCE_CODE = 'BACKUP_POLICY_VIOLATES_COMPLIANCE_POLICY'  # unverified


def _days(item: dict[str, t.Any]) -> int:
    return int(item['retentionValue']) * UNITS[item['retentionUnit']]


def schedule_of(ctx: Context, cluster: Cluster) -> dict[str, t.Any]:
    """The cluster's stored schedule, created with the default items on first use (ids derived from the cluster)."""
    schedules = ctx.world.schedules
    if cluster.name not in schedules:
        base = f'65f{sum(map(ord, cluster.name)) % 10000:019d}'
        schedules[cluster.name] = {
            'referenceHourOfDay': 3, 'referenceMinuteOfHour': 0, 'autoExportEnabled': False, 'copySettings': [],
            'extraRetentionSettings': [], 'useOrgAndGroupNamesInExportPrefix': False, 'copyPolicyItemsEnabled': False,
            'policies': [{'id': f'{base}00', 'policyItems': [
                {'id': f'{base}{number:02d}', 'frequencyType': kind, 'frequencyInterval': every, 'retentionUnit': unit, 'retentionValue': keep}
                for number, (kind, every, unit, keep) in enumerate(DEFAULT_ITEMS, start=1)]}],
        }
    return schedules[cluster.name]


def _next_snapshot(stored: dict[str, t.Any], now: datetime.datetime) -> str:
    following = now.replace(hour=stored['referenceHourOfDay'], minute=stored['referenceMinuteOfHour'], second=0, microsecond=0)
    if following <= now:
        following += datetime.timedelta(days=1)
    return iso(following)


def _render(ctx: Context, cluster: Cluster) -> dict[str, t.Any]:
    stored = copy.deepcopy(schedule_of(ctx, cluster))
    path = f'/api/atlas/v2/groups/{ctx.world.group_id}/clusters/{cluster.name}/backup/schedule'
    doc = dict(stored, clusterId=render.cluster_id(cluster), clusterName=cluster.name, restoreWindowDays=cluster.restore_window_days,
               nextSnapshot=_next_snapshot(stored, ctx.now), links=render.links(ctx.base, path))
    if ctx.version == '2024-08-05':
        doc['autoCopySettingsEnabled'] = bool(stored.get('autoCopySettingsEnabled'))
    else:  # the older shape: copy settings with the deprecated frequencies only
        doc.pop('copyPolicyItemsEnabled', None)
        doc.pop('autoCopySettingsEnabled', None)
        for setting in doc['copySettings']:
            setting['frequencies'] = [item['frequencyType'].upper() for item in setting.pop('copyPolicyItems', [])]
    if not stored.get('copyPolicyItemsEnabled'):
        for setting in doc['copySettings']:
            if 'copyPolicyItems' in setting:
                setting['frequencies'] = [item['frequencyType'].upper() for item in setting.pop('copyPolicyItems')]
    return doc


# ---------------------------------------------------------------- compliance policy
def active_policy(ctx: Context) -> dict[str, t.Any] | None:
    policy = ctx.world.config.get('compliance_policy')
    return policy if policy and policy.get('state', 'ACTIVE') in ('ACTIVE', 'ENABLING', 'UPDATING') else None


def get_compliance_policy(ctx: Context) -> tuple[int, t.Any]:
    """DataProtectionSettings20231001; no policy: 404 (unverified: Atlas may answer 200 with an empty document)."""
    policy = ctx.world.config.get('compliance_policy')
    if not policy:
        raise ApiError(404, 'RESOURCE_NOT_FOUND', f'No Backup Compliance Policy exists for group {ctx.world.group_id}.', [ctx.world.group_id])
    doc = dict({'projectId': ctx.world.group_id, 'state': 'ACTIVE', 'deletable': False, 'pitEnabled': False, 'copyProtectionEnabled': False,
                'encryptionAtRestEnabled': False, 'scheduledPolicyItems': [], 'updatedDate': iso(ctx.now), 'updatedUser': 'owner@example.com',
                'authorizedEmail': 'owner@example.com', 'authorizedUserFirstName': 'Ada', 'authorizedUserLastName': 'Owner'}, **policy)
    return 200, doc


def _compliance_refusal(ctx: Context, cluster: Cluster, items: list[dict[str, t.Any]], window: int) -> None:
    policy = active_policy(ctx)
    if policy is None:
        return
    for rule in policy.get('scheduledPolicyItems') or []:
        mine = [item for item in items if item['frequencyType'] == rule['frequencyType']]
        if not mine or max(_days(item) for item in mine) < _days(rule):
            raise ApiError(400, COMPLIANCE_CODE, f'The backup policy of cluster {cluster.name} does not meet the Backup Compliance Policy: '
                                                 f'{rule["frequencyType"]} snapshots must be kept at least {rule["retentionValue"]} {rule["retentionUnit"]}.',
                           [cluster.name])
    if cluster.pit_enabled and policy.get('restoreWindowDays') and window < policy['restoreWindowDays']:
        raise ApiError(400, COMPLIANCE_CODE, f'The restore window of cluster {cluster.name} is below the Backup Compliance Policy '
                                             f'({policy["restoreWindowDays"]} days).', [cluster.name])


# ---------------------------------------------------------------- handlers
def get_schedule(ctx: Context, name: str) -> tuple[int, t.Any]:
    return 200, _render(ctx, backup_cluster(ctx, name))


def _check_items(items: t.Any, old: list[dict[str, t.Any]], ids: t.Callable[[], str]) -> list[dict[str, t.Any]]:
    if not isinstance(items, list):
        raise bad_attribute('policyItems')
    known = {item['id']: item for item in old}
    result = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {'id', 'frequencyType', 'frequencyInterval', 'retentionUnit', 'retentionValue'}:
            raise bad_attribute('policyItems')
        for key in ('frequencyType', 'frequencyInterval', 'retentionUnit', 'retentionValue'):
            if key not in item:
                raise ApiError(400, 'MISSING_ATTRIBUTE', f'The required attribute {key} was not specified.', [key])
        if item['frequencyType'] not in FREQUENCIES or item['retentionUnit'] not in UNITS:
            raise ApiError(400, 'INVALID_ENUM_VALUE', 'Invalid frequencyType or retentionUnit.', ['frequencyType'])
        if item['frequencyInterval'] not in INTERVALS[item['frequencyType']]:
            raise ApiError(400, POLICY_CODE, f'Invalid frequencyInterval {item["frequencyInterval"]} for a {item["frequencyType"]} policy item.',
                           ['frequencyInterval'])
        if not isinstance(item['retentionValue'], int) or item['retentionValue'] < 1:
            raise ApiError(400, POLICY_CODE, 'retentionValue must be a positive integer.', ['retentionValue'])
        if 'id' in item and item['id'] not in known:
            raise ApiError(400, 'BACKUP_POLICY_ITEM_NOT_FOUND', f'No backup policy item with ID {item["id"]} exists.', [item['id']])  # unverified
        result.append(dict(item, id=item.get('id') or ids()))
    for often in result:
        for rarer in result:
            if FREQUENCIES.index(rarer['frequencyType']) > FREQUENCIES.index(often['frequencyType']) and _days(rarer) < _days(often):
                raise ApiError(400, POLICY_CODE, f'The {rarer["frequencyType"]} policy item must keep snapshots at least as long as the '
                                                 f'{often["frequencyType"]} one.', ['retentionValue'])
    return result


def _check_copies(ctx: Context, cluster: Cluster, body: dict[str, t.Any], stored: dict[str, t.Any], items: list[dict[str, t.Any]]) -> list:
    settings = body['copySettings']
    enabled = body.get('copyPolicyItemsEnabled', stored.get('copyPolicyItemsEnabled', False))
    old_items = {item['id']: item for setting in stored.get('copySettings') or [] for item in setting.get('copyPolicyItems') or []}
    result = []
    for setting in settings:
        if not isinstance(setting, dict):
            raise bad_attribute('copySettings')
        if not setting.get('zoneId') or not ID.match(str(setting['zoneId'])):
            raise ApiError(400, 'MISSING_ATTRIBUTE', 'The required attribute zoneId was not specified.', ['zoneId'])
        if setting.get('cloudProvider') != 'AWS' or setting.get('regionName') in (None, 'US_EAST_1'):
            raise ApiError(400, 'INVALID_COPY_SETTING_REGION', f'Cannot copy snapshots of cluster {cluster.name} to '  # unverified
                           f'{setting.get("cloudProvider")} {setting.get("regionName")}.', ['regionName'])
        if enabled and 'frequencies' in setting or not enabled and 'copyPolicyItems' in setting:
            raise ApiError(400, 'INVALID_ATTRIBUTE', 'copyPolicyItems goes with copyPolicyItemsEnabled true, frequencies with false.', ['copySettings'])
        copied = []
        for item in setting.get('copyPolicyItems') or []:
            if item.get('frequencyType') not in [own['frequencyType'] for own in items]:
                raise ApiError(400, POLICY_CODE, f'No {item.get("frequencyType")} policy item to copy.', ['copyPolicyItems'])
            if 'id' in item and item['id'] not in old_items:
                raise ApiError(400, 'BACKUP_POLICY_ITEM_NOT_FOUND', f'No copy policy item with ID {item["id"]} exists.', [item['id']])
            copied.append(dict(item, id=item.get('id') or ctx.world.ids.next()))
        result.append(dict({key: value for key, value in setting.items() if key != 'frequencies'}, copyPolicyItems=copied))
    return result


def _redate(ctx: Context, cluster: Cluster, before: list[dict[str, t.Any]], after: list[dict[str, t.Any]]) -> None:
    """updateSnapshots: scheduled snapshots of an item whose retention changed (matched by id only) expire at creation + new retention."""
    old = {item['id']: item for item in before}
    for item in after:
        previous = old.get(item['id'])
        if previous is None or _days(previous) == _days(item):
            continue
        for snap in cluster.snapshots:
            if snap.snapshot_type == 'scheduled' and snap.frequency_type == item['frequencyType']:
                snap.expires_at = snap.created_at() + datetime.timedelta(days=_days(item))


def patch_schedule(ctx: Context, name: str) -> tuple[int, t.Any]:
    cluster = backup_cluster(ctx, name)
    body = {} if ctx.body is None else ctx.body
    if not isinstance(body, dict):
        raise ApiError(400, 'INVALID_JSON', 'The request body must be a JSON object.')
    for key, value in body.items():
        if key in READ_ONLY or key not in WRITABLE or not isinstance(value, WRITABLE[key]) or (WRITABLE[key] is int and isinstance(value, bool)):
            raise bad_attribute(key)
    if ctx.version != '2024-08-05' and ('copyPolicyItemsEnabled' in body or 'autoCopySettingsEnabled' in body):
        raise bad_attribute('copyPolicyItemsEnabled')
    stored = schedule_of(ctx, cluster)
    old_items = stored['policies'][0]['policyItems'] if stored['policies'] else []
    items = old_items
    if 'policies' in body:
        policies = body['policies']
        if len(policies) != 1 or not isinstance(policies[0], dict) or set(policies[0]) - {'id', 'policyItems'}:
            raise bad_attribute('policies')
        if 'id' in policies[0] and stored['policies'] and policies[0]['id'] != stored['policies'][0]['id']:
            raise ApiError(400, 'BACKUP_POLICY_NOT_FOUND', f'No backup policy with ID {policies[0]["id"]} exists.', [policies[0]['id']])  # unverified
        items = _check_items(policies[0].get('policyItems', []), old_items, ctx.world.ids.next)
    for key, low, high in (('referenceHourOfDay', 0, 23), ('referenceMinuteOfHour', 0, 59)):
        if key in body and not low <= body[key] <= high:
            raise ApiError(400, 'INVALID_ATTRIBUTE', f'{key} must be {low}-{high}.', [key])
    window = body.get('restoreWindowDays', cluster.restore_window_days)
    if 'restoreWindowDays' in body:
        if not cluster.pit_enabled:  # unverified: Atlas may ignore it instead
            raise ApiError(400, 'CONTINUOUS_BACKUP_NOT_ENABLED', f'Cluster {name} does not use continuous cloud backup.', [name])
        if window < 1:
            raise ApiError(400, 'INVALID_ATTRIBUTE', 'restoreWindowDays must be a positive integer.', ['restoreWindowDays'])
    hourly = [_days(item) for item in items if item['frequencyType'] == 'hourly']
    if cluster.pit_enabled and hourly and window > max(hourly) and ('restoreWindowDays' in body or 'policies' in body):
        raise ApiError(400, POLICY_CODE, 'restoreWindowDays cannot exceed the hourly retention.', ['restoreWindowDays'])
    copies = _check_copies(ctx, cluster, body, stored, items) if 'copySettings' in body else None
    if body.get('autoExportEnabled') and not (body.get('export') or stored.get('export') or {}).get('exportBucketId'):
        raise ApiError(400, 'MISSING_ATTRIBUTE', 'The required attribute export.exportBucketId was not specified.', ['export'])
    _compliance_refusal(ctx, cluster, items, window)
    # everything checked: apply
    for key in ('referenceHourOfDay', 'referenceMinuteOfHour', 'autoExportEnabled', 'export', 'copyPolicyItemsEnabled', 'autoCopySettingsEnabled',
                'extraRetentionSettings', 'useOrgAndGroupNamesInExportPrefix'):
        if key in body:
            stored[key] = copy.deepcopy(body[key])
    if 'restoreWindowDays' in body:
        cluster.restore_window_days = window
    if 'policies' in body:
        if body.get('updateSnapshots'):
            _redate(ctx, cluster, old_items, items)
        policy_id = stored['policies'][0]['id'] if stored['policies'] else ctx.world.ids.next()
        stored['policies'] = [{'id': policy_id, 'policyItems': items}]
    if copies is not None:
        stored['copySettings'] = copies
        stored['copyPolicyItemsEnabled'] = body.get('copyPolicyItemsEnabled', stored.get('copyPolicyItemsEnabled', False))
    return 200, _render(ctx, cluster)


def delete_schedule(ctx: Context, name: str) -> tuple[int, t.Any]:
    """Every policy item (and copy setting) removed; backup stays on. Refused under a compliance policy with items (unverified code)."""
    cluster = backup_cluster(ctx, name)
    _compliance_refusal(ctx, cluster, [], cluster.restore_window_days)
    stored = schedule_of(ctx, cluster)
    for policy in stored['policies']:
        policy['policyItems'] = []
    stored['copySettings'] = []
    return 200, _render(ctx, cluster)

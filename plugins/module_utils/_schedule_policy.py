# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""A cloud backup schedule as policy, without talking to Atlas: the module terms and Atlas's, the normal form that makes
two equal schedules compare equal whatever their order, the rules a schedule must meet, and the smallest PATCH body.

The module terms (what atlas_backup_schedule takes and atlas_backup_schedule_info returns, so one feeds the other):
  reference_hour_of_day, reference_minute_of_hour, restore_window_days,
  policy_items: [{frequency, every, keep, unit}], copy_settings: [{cloud_provider, region_name, should_copy_oplogs,
  policy_items: [{frequency, keep, unit}]}], auto_export: {enabled, export_bucket_id, frequency}.
Lists are sorted (most frequent first), so two equal schedules compare equal whatever order Atlas or the user lists them in.
"""
from __future__ import annotations

import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import ClusterInfo

Doc = t.Dict[str, t.Any]

FREQUENCIES = ('hourly', 'daily', 'weekly', 'monthly', 'yearly')
UNITS = ('days', 'weeks', 'months', 'years')
EXPORT_FREQUENCIES = ('daily', 'weekly', 'monthly', 'yearly')
PROVIDERS = ('AWS', 'AZURE', 'GCP')
UNIT_DAYS = {'days': 1, 'weeks': 7, 'months': 30, 'years': 365}   # to compare retentions across units (Atlas's own arithmetic unverified)
HOURLY_INTERVALS = (1, 2, 4, 6, 8, 12)
INTERVALS = {
    'hourly': (HOURLY_INTERVALS, 'hourly: every 1, 2, 4, 6, 8 or 12 hours'),
    'daily': ((1,), 'daily: every 1 (each day)'),
    'weekly': (tuple(range(1, 8)), 'weekly: the day of the week, 1 (Monday) to 7 (Sunday)'),
    'monthly': (tuple(range(1, 29)) + (40,), 'monthly: the day of the month, 1 to 28, or 40 for the last day'),
    'yearly': (tuple(range(1, 13)), 'yearly: the month, 1 (January) to 12 (December)'),
}
DEFAULT_EVERY = {'daily': 1}
ACTIVE_POLICY_STATES = ('ACTIVE', 'ENABLING', 'UPDATING')

# Atlas region names per provider, to catch a copy region of the wrong provider before Atlas does. A name in no table is
# left to Atlas (the lists grow), with a warning.
REGIONS = {
    'AWS': ('US_EAST_1 US_EAST_2 US_WEST_1 US_WEST_2 CA_CENTRAL_1 CA_WEST_1 MX_CENTRAL_1 SA_EAST_1 EU_WEST_1 EU_WEST_2 EU_WEST_3 '
            'EU_CENTRAL_1 EU_CENTRAL_2 EU_NORTH_1 EU_SOUTH_1 EU_SOUTH_2 AP_EAST_1 AP_SOUTH_1 AP_SOUTH_2 AP_SOUTHEAST_1 AP_SOUTHEAST_2 '
            'AP_SOUTHEAST_3 AP_SOUTHEAST_4 AP_SOUTHEAST_5 AP_SOUTHEAST_7 AP_NORTHEAST_1 AP_NORTHEAST_2 AP_NORTHEAST_3 ME_SOUTH_1 '
            'ME_CENTRAL_1 AF_SOUTH_1 IL_CENTRAL_1 US_GOV_WEST_1 US_GOV_EAST_1').split(),
    'GCP': ('CENTRAL_US EASTERN_US US_EAST_4 US_EAST_5 WESTERN_US US_WEST_2 US_WEST_3 US_WEST_4 US_SOUTH_1 NORTH_AMERICA_NORTHEAST_1 '
            'NORTH_AMERICA_NORTHEAST_2 NORTH_AMERICA_SOUTH_1 SOUTH_AMERICA_EAST_1 SOUTH_AMERICA_WEST_1 WESTERN_EUROPE EUROPE_NORTH_1 '
            'EUROPE_WEST_2 EUROPE_WEST_3 EUROPE_WEST_4 EUROPE_WEST_6 EUROPE_WEST_8 EUROPE_WEST_9 EUROPE_WEST_10 EUROPE_WEST_12 '
            'EUROPE_SOUTHWEST_1 EUROPE_CENTRAL_2 MIDDLE_EAST_CENTRAL_1 MIDDLE_EAST_CENTRAL_2 MIDDLE_EAST_WEST_1 AUSTRALIA_SOUTHEAST_1 '
            'AUSTRALIA_SOUTHEAST_2 AFRICA_SOUTH_1 EASTERN_ASIA_PACIFIC NORTHEASTERN_ASIA_PACIFIC SOUTHEASTERN_ASIA_PACIFIC ASIA_EAST_2 '
            'ASIA_NORTHEAST_2 ASIA_NORTHEAST_3 ASIA_SOUTH_1 ASIA_SOUTH_2 ASIA_SOUTHEAST_2').split(),
    'AZURE': ('US_CENTRAL US_EAST US_EAST_2 US_NORTH_CENTRAL US_WEST US_SOUTH_CENTRAL US_WEST_CENTRAL US_WEST_2 US_WEST_3 CANADA_EAST '
              'CANADA_CENTRAL BRAZIL_SOUTH BRAZIL_SOUTHEAST MEXICO_CENTRAL EUROPE_NORTH EUROPE_WEST UK_SOUTH UK_WEST FRANCE_CENTRAL '
              'FRANCE_SOUTH GERMANY_WEST_CENTRAL GERMANY_NORTH SWEDEN_CENTRAL SWEDEN_SOUTH SWITZERLAND_NORTH SWITZERLAND_WEST NORWAY_EAST '
              'NORWAY_WEST POLAND_CENTRAL ITALY_NORTH SPAIN_CENTRAL ISRAEL_CENTRAL UAE_CENTRAL UAE_NORTH QATAR_CENTRAL SOUTH_AFRICA_NORTH '
              'SOUTH_AFRICA_WEST INDIA_CENTRAL INDIA_SOUTH INDIA_WEST ASIA_EAST ASIA_SOUTH_EAST JAPAN_EAST JAPAN_WEST KOREA_CENTRAL '
              'KOREA_SOUTH AUSTRALIA_CENTRAL AUSTRALIA_CENTRAL_2 AUSTRALIA_EAST AUSTRALIA_SOUTH_EAST NEW_ZEALAND_NORTH').split(),
}


# ------------------------------------------------------------------------------------------------ normal form
def retention_days(item: Doc) -> int:
    return int(item['keep']) * UNIT_DAYS[item['unit']]


def item_key(item: Doc) -> tuple:
    return (FREQUENCIES.index(item['frequency']) if item['frequency'] in FREQUENCIES else 99, item.get('every') or 0,
            retention_days(item) if item.get('unit') in UNIT_DAYS else 0)


def policy_item(doc: Doc) -> Doc:
    return {'frequency': doc.get('frequencyType'), 'every': doc.get('frequencyInterval'), 'keep': doc.get('retentionValue'),
            'unit': doc.get('retentionUnit')}


def atlas_items(doc: Doc) -> list[Doc]:
    """Atlas's policy items (with their ids), from every policy of the schedule (in practice one)."""
    return [item for policy in doc.get('policies') or [] for item in policy.get('policyItems') or [] if isinstance(item, dict)]


def _copy_setting(doc: Doc, items: list[Doc]) -> Doc:
    if doc.get('copyPolicyItems') is not None:
        copied = [{'frequency': item.get('frequencyType'), 'keep': item.get('retentionValue'), 'unit': item.get('retentionUnit')}
                  for item in doc['copyPolicyItems']]
    else:  # the deprecated frequencies: copies kept as long as the schedule keeps that frequency (its first item)
        copied = []
        for frequency in doc.get('frequencies') or []:
            source = next((item for item in items if item['frequency'] == str(frequency).lower()), None)
            copied.append({'frequency': str(frequency).lower(), 'keep': source and source['keep'], 'unit': source and source['unit']})
    return {'cloud_provider': doc.get('cloudProvider'), 'region_name': doc.get('regionName'),
            'should_copy_oplogs': bool(doc.get('shouldCopyOplogs')), 'policy_items': sorted(copied, key=item_key)}


def normalize(doc: Doc) -> Doc:
    """A schedule from Atlas in the module's terms (no ids, lists sorted)."""
    items = sorted((policy_item(item) for item in atlas_items(doc)), key=item_key)
    export = doc.get('export') or {}
    return {
        'reference_hour_of_day': doc.get('referenceHourOfDay'),
        'reference_minute_of_hour': doc.get('referenceMinuteOfHour'),
        'restore_window_days': doc.get('restoreWindowDays'),
        'policy_items': items,
        'copy_settings': sorted((_copy_setting(copy, items) for copy in doc.get('copySettings') or []),
                                key=lambda copy: (copy['cloud_provider'] or '', copy['region_name'] or '')),
        'auto_export': export_settings(bool(doc.get('autoExportEnabled')), export.get('exportBucketId'), export.get('frequencyType')),
    }


def export_settings(enabled: bool, bucket: str | None, frequency: str | None) -> Doc:
    """auto_export in module terms: {enabled: false} when off (no nulls, so it can be fed back as an option)."""
    return {'enabled': True, 'export_bucket_id': bucket, 'frequency': frequency} if enabled else {'enabled': False}


def desired_from(params: Doc, current: Doc) -> Doc:
    """The schedule the task asks for, in normal form: options left out keep their current value."""
    wanted = dict(current)
    for key in ('reference_hour_of_day', 'reference_minute_of_hour', 'restore_window_days'):
        if params.get(key) is not None:
            wanted[key] = params[key]
    if params.get('policy_items') is not None:
        wanted['policy_items'] = sorted((user_item(item) for item in params['policy_items']), key=item_key)
    if params.get('copy_settings') is not None:
        wanted['copy_settings'] = sorted(({'cloud_provider': copy['cloud_provider'], 'region_name': copy['region_name'],
                                           'should_copy_oplogs': bool(copy.get('should_copy_oplogs')),
                                           'policy_items': sorted(({'frequency': i['frequency'], 'keep': i['keep'], 'unit': i.get('unit') or 'days'}
                                                                   for i in copy.get('policy_items') or []), key=item_key)}
                                          for copy in params['copy_settings']), key=lambda copy: (copy['cloud_provider'], copy['region_name']))
    if params.get('auto_export') is not None:
        export = params['auto_export']
        enabled = export.get('enabled', True) is not False
        wanted['auto_export'] = export_settings(enabled, export.get('export_bucket_id'), export.get('frequency'))
    return wanted


def user_item(item: Doc) -> Doc:
    every = item.get('every')
    return {'frequency': item['frequency'], 'every': DEFAULT_EVERY.get(item['frequency']) if every is None else every,
            'keep': item['keep'], 'unit': item.get('unit') or 'days'}


def differences(before: Doc, after: Doc) -> list[str]:
    """The top-level settings that differ (auto_export compares only what an enabled export uses)."""
    changed = [key for key in ('reference_hour_of_day', 'reference_minute_of_hour', 'restore_window_days', 'policy_items', 'copy_settings')
               if before.get(key) != after.get(key)]
    export_before, export_after = before['auto_export'], after['auto_export']
    if export_before['enabled'] != export_after['enabled'] or (export_after['enabled'] and export_before != export_after):
        changed.append('auto_export')
    return changed


# ------------------------------------------------------------------------------------------------ validation
def validate_items(items: list[Doc], where: str = 'policy_items') -> list[str]:
    """What is wrong with a list of policy items in normal form, one actionable sentence each."""
    problems = []
    seen: set[tuple] = set()
    for item in items:
        frequency = item['frequency']
        allowed, rule = INTERVALS[frequency]
        if item['every'] is None:
            problems.append(f'{where}: a {frequency} item needs every ({rule}).')
        elif item['every'] not in allowed:
            problems.append(f'{where}: every {item["every"]} is not possible for a {frequency} item ({rule}).')
        if item['keep'] < 1:
            problems.append(f'{where}: keep must be 1 or more for the {frequency} item, got {item["keep"]}.')
        if (frequency, item['every']) in seen:
            problems.append(f'{where}: two {frequency} items with every {item["every"]}; give each frequency and interval once.')
        seen.add((frequency, item['every']))
    valid = [item for item in items if item['keep'] >= 1]
    for often in valid:
        for rarer in valid:
            if FREQUENCIES.index(rarer['frequency']) > FREQUENCIES.index(often['frequency']) and retention_days(rarer) < retention_days(often):
                problems.append(f'{where}: the {rarer["frequency"]} item keeps snapshots {rarer["keep"]} {rarer["unit"]}, less than the '
                                f'{often["frequency"]} item ({often["keep"]} {often["unit"]}); a less frequent item must keep its '
                                'snapshots at least as long as a more frequent one.')
    return problems


def validate_static(wanted: Doc) -> list[str]:
    """Checks that need nothing but the desired schedule (run before any request)."""
    problems = validate_items(wanted['policy_items'])
    for name, low, high in (('reference_hour_of_day', 0, 23), ('reference_minute_of_hour', 0, 59)):
        if wanted.get(name) is not None and not low <= wanted[name] <= high:
            problems.append(f'{name} must be {low}-{high} (UTC), got {wanted[name]}.')
    if wanted.get('restore_window_days') is not None and wanted['restore_window_days'] < 1:
        problems.append(f'restore_window_days must be 1 or more, got {wanted["restore_window_days"]}.')
    for copy in wanted['copy_settings']:
        label = f'copy_settings ({copy["cloud_provider"]} {copy["region_name"]})'
        if not copy['policy_items']:
            problems.append(f'{label}: give policy_items, the frequencies to copy and how long copies are kept.')
        for item in copy['policy_items']:
            if item['keep'] < 1:
                problems.append(f'{label}: keep must be 1 or more for the copied {item["frequency"]} snapshots.')
            if not any(own['frequency'] == item['frequency'] for own in wanted['policy_items']):
                problems.append(f'{label}: copies {item["frequency"]} snapshots, but the schedule has no {item["frequency"]} item.')
    export = wanted['auto_export']
    if export['enabled'] and not (export.get('export_bucket_id') and export.get('frequency')):
        problems.append('auto_export needs export_bucket_id and frequency when enabled (or set enabled false).')
    return problems


def cluster_provider(cluster_doc: Doc) -> tuple[str | None, list[str], str | None]:
    """(provider, regions, zone id) of a dedicated cluster from GET cluster (v2; v1.0 gives no zone id)."""
    providers, regions, zone = [], [], None
    settings = cluster_doc.get('providerSettings') or {}
    if settings.get('providerName'):
        providers.append(settings['providerName'])
        regions.append(settings.get('regionName'))
    for spec in cluster_doc.get('replicationSpecs') or []:
        zone = zone or spec.get('zoneId')
        for region in spec.get('regionConfigs') or []:
            providers.append(region.get('providerName'))
            regions.append(region.get('regionName'))
    provider = next((name for name in providers if name), None)
    return provider, [name for name in regions if name], zone


def validate_for_cluster(wanted: Doc, cluster: ClusterInfo, cluster_doc: Doc, changed: list[str],
                         warn: t.Callable[[str], None]) -> list[str]:
    """Checks that need the cluster: continuous backup for a restore window, the window within the hourly retention, copy regions."""
    problems = []
    window = wanted.get('restore_window_days')
    if 'restore_window_days' in changed and not cluster.pit_enabled:
        problems.append(f'restore_window_days applies to continuous cloud backup only, which cluster {cluster.name} does not use; '
                        'leave restore_window_days out, or turn continuous cloud backup on for the cluster first.')
    hourly = [item for item in wanted['policy_items'] if item['frequency'] == 'hourly']
    touched = 'restore_window_days' in changed or 'policy_items' in changed  # a window Atlas already holds is its business
    if touched and cluster.pit_enabled and window and hourly and window > max(retention_days(item) for item in hourly):
        longest = max(hourly, key=retention_days)
        problems.append(f'restore_window_days {window} is longer than the hourly snapshots are kept ({longest["keep"]} {longest["unit"]}); '
                        'shorten the window or keep hourly snapshots longer.')
    if 'copy_settings' in changed:
        provider, regions, _zone = cluster_provider(cluster_doc)
        for copy in wanted['copy_settings']:
            label = f'copy_settings ({copy["cloud_provider"]} {copy["region_name"]})'
            if provider and copy['cloud_provider'] != provider:
                problems.append(f'{label}: cluster {cluster.name} runs on {provider}; copies go to another region of the same provider.')
            elif copy['region_name'] in regions:
                problems.append(f'{label}: the cluster already runs in {copy["region_name"]}; copy to another region.')
            elif copy['region_name'] not in REGIONS.get(copy['cloud_provider'], ()):
                others = [name for name, known in REGIONS.items() if copy['region_name'] in known]
                if others:
                    problems.append(f'{label}: {copy["region_name"]} is a {others[0]} region, not a {copy["cloud_provider"]} one.')
                else:
                    warn(f'{label}: {copy["region_name"]} is not a {copy["cloud_provider"]} region this collection knows; Atlas decides.')
    return problems


# ------------------------------------------------------------------------------------------------ the PATCH body
def match_items(wanted: list[Doc], existing: list[Doc]) -> list[tuple[Doc, Doc | None]]:
    """Pair each desired item with an existing Atlas item: same frequency and interval first, then same frequency; never by position."""
    left = list(existing)
    pairs: list[tuple[Doc, Doc | None]] = []
    pending = []
    for item in wanted:
        hit = next((old for old in left if old.get('frequencyType') == item['frequency'] and old.get('frequencyInterval') == item['every']), None)
        if hit is None:
            pending.append(item)
            continue
        left.remove(hit)
        pairs.append((item, hit))
    for item in pending:
        hit = next((old for old in left if old.get('frequencyType') == item['frequency']), None)
        if hit is not None:
            left.remove(hit)
        pairs.append((item, hit))
    return sorted(pairs, key=lambda pair: item_key(pair[0]))


def _atlas_item(item: Doc, old: Doc | None) -> Doc:
    doc = {'frequencyType': item['frequency'], 'frequencyInterval': item['every'], 'retentionUnit': item['unit'], 'retentionValue': item['keep']}
    if old and old.get('id'):
        doc['id'] = old['id']
    return doc


def _atlas_copy(copy: Doc, existing: list[Doc], zone: str | None) -> Doc:
    old = next((doc for doc in existing if doc.get('cloudProvider') == copy['cloud_provider'] and doc.get('regionName') == copy['region_name']), {})
    old_items = list(old.get('copyPolicyItems') or [])
    items = []
    for item in copy['policy_items']:
        hit = next((doc for doc in old_items if doc.get('frequencyType') == item['frequency']), None)
        if hit is not None:
            old_items.remove(hit)
        items.append(dict({'frequencyType': item['frequency'], 'retentionUnit': item['unit'], 'retentionValue': item['keep']},
                          **({'id': hit['id']} if hit and hit.get('id') else {})))
    return {'cloudProvider': copy['cloud_provider'], 'regionName': copy['region_name'], 'zoneId': old.get('zoneId') or zone,
            'shouldCopyOplogs': copy['should_copy_oplogs'], 'copyPolicyItems': items}


def patch_body(wanted: Doc, doc: Doc, changed: list[str], apply_to_existing: bool, zone: str | None) -> Doc:
    """Only what differs; policy items with the ids of the items they replace, so Atlas can re-date their snapshots."""
    body: Doc = {}
    for key, field in (('reference_hour_of_day', 'referenceHourOfDay'), ('reference_minute_of_hour', 'referenceMinuteOfHour'),
                       ('restore_window_days', 'restoreWindowDays')):
        if key in changed:
            body[field] = wanted[key]
    if 'policy_items' in changed:
        policy: Doc = {'policyItems': [_atlas_item(item, old) for item, old in match_items(wanted['policy_items'], atlas_items(doc))]}
        policies = doc.get('policies') or []
        if policies and policies[0].get('id'):
            policy = dict({'id': policies[0]['id']}, **policy)
        body['policies'] = [policy]
        if apply_to_existing:
            body['updateSnapshots'] = True
    if 'copy_settings' in changed:
        body['copyPolicyItemsEnabled'] = True
        body['copySettings'] = [_atlas_copy(copy, doc.get('copySettings') or [], zone) for copy in wanted['copy_settings']]
        if apply_to_existing:
            body['updateCopySnapshots'] = True
    if 'auto_export' in changed:
        export = wanted['auto_export']
        body['autoExportEnabled'] = export['enabled']
        if export['enabled']:
            body['export'] = {'exportBucketId': export['export_bucket_id'], 'frequencyType': export['frequency']}
    return body

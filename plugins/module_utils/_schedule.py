# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The cloud backup schedule of a dedicated cluster, with Atlas: read it in the modules' own terms, apply a desired
schedule with the smallest PATCH (the policy itself: _schedule_policy), and check it first against the project's Backup
Compliance Policy (read once per task).
"""
from __future__ import annotations

import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import (
    FLEX, NO_BACKUP, REPLICA_SET, SHARDED, TENANT, ClusterInfo, Endpoints, cluster_path, compliance_policy_path, kind_from_description, list_clusters,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError, is_missing
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._schedule_policy import (
    ACTIVE_POLICY_STATES, cluster_provider, desired_from, differences, item_key, normalize, patch_body, policy_item, retention_days, user_item,
    validate_for_cluster, validate_items, validate_static,
)

Doc = t.Dict[str, t.Any]


# ------------------------------------------------------------------------------------------------ compliance policy
def normalize_policy(doc: Doc | None) -> Doc | None:
    """The project's Backup Compliance Policy in module terms, or None when the project has none."""
    if not doc or not (doc.get('state') or doc.get('scheduledPolicyItems')):
        return None
    on_demand = doc.get('onDemandPolicyItem')
    return {
        'state': doc.get('state'),
        'deletable': bool(doc.get('deletable')),
        'pit_enabled': bool(doc.get('pitEnabled')),
        'restore_window_days': doc.get('restoreWindowDays'),
        'copy_protection_enabled': bool(doc.get('copyProtectionEnabled')),
        'encryption_at_rest_enabled': bool(doc.get('encryptionAtRestEnabled')),
        'policy_items': sorted((policy_item(item) for item in doc.get('scheduledPolicyItems') or []), key=item_key),
        'on_demand_policy_item': policy_item(on_demand) if isinstance(on_demand, dict) else None,
        'updated_date': doc.get('updatedDate'),
    }


def compliance_breaches(policy: Doc | None, wanted: Doc | None, cluster: ClusterInfo | None) -> list[str]:
    """Each rule of an active policy the schedule would break (wanted None: every policy item removed), naming the policy's value."""
    if policy is None or (policy['state'] and policy['state'] not in ACTIVE_POLICY_STATES):
        return []
    items = wanted['policy_items'] if wanted else []
    broken = []
    for rule in policy['policy_items']:
        mine = [item for item in items if item['frequency'] == rule['frequency']]
        need = f'a {rule["frequency"]} item kept at least {rule["keep"]} {rule["unit"]}'
        if not mine:
            broken.append(f'the policy requires {need}; the schedule would have none')
            continue
        best = max(mine, key=retention_days)
        if retention_days(best) < retention_days(rule):
            broken.append(f'the policy requires {need}; the schedule would keep {rule["frequency"]} snapshots {best["keep"]} {best["unit"]}')
        if rule['frequency'] == 'hourly' and rule['every'] and min(item['every'] or 99 for item in mine) > rule['every']:
            broken.append(f'the policy requires hourly snapshots at least every {rule["every"]} hours; the schedule would take them every '
                          f'{min(item["every"] for item in mine)} hours')
    window = policy.get('restore_window_days')
    if wanted and window and cluster is not None and cluster.pit_enabled and (wanted.get('restore_window_days') or 0) < window:
        broken.append(f'the policy requires a restore window of at least {window} days; the schedule would have '
                      f'{wanted.get("restore_window_days")}')
    if policy['pit_enabled'] and cluster is not None and not cluster.pit_enabled:
        broken.append('the policy requires continuous cloud backup (point in time), which the cluster does not use')
    return broken


class Compliance:
    """The project's Backup Compliance Policy, read once per task (GET needs Project Owner: a refusal is a warning, not a failure)."""

    def __init__(self, client: AtlasClient, group_id: str, warn: t.Callable[[str], None]) -> None:
        self.client, self.group_id, self.warn = client, group_id, warn
        self.read = False
        self.policy: Doc | None = None
        self.readable = True

    def get(self) -> Doc | None:
        if self.read:
            return self.policy
        self.read = True
        if self.client.api_version != 'v2':
            self.readable = False
            return None
        try:
            self.policy = normalize_policy(self.client.get(compliance_policy_path(self.group_id), resource='compliance'))
        except AtlasApiError as err:
            if err.status == 404 and not is_missing(err, 'project'):
                return None
            if err.status in (401, 403):
                self.readable = False
                self.warn('The Backup Compliance Policy of the project could not be read (reading it needs Project Owner), so the schedule '
                          'was not checked against it before writing; Atlas still enforces it.')
                return None
            raise TaskError(f'Failed to read the Backup Compliance Policy of project {self.group_id}: {err.detail} '
                            f'(HTTP {err.status}{", " + err.error_code if err.error_code else ""}).') from None
        return self.policy


def compliance_refusal(action: str, err: AtlasApiError, cluster_name: str) -> TaskError | None:
    """A TaskError explaining Atlas's refusal of a schedule write because of the Backup Compliance Policy, else None."""
    code = err.error_code or ''
    if err.status not in (400, 403, 409) or not ('COMPLIANCE' in code or 'BCP' in code or 'compliance' in (err.detail or '').lower()):
        return None
    return TaskError(f'Atlas refused to {action} of cluster {cluster_name} because of the project\'s Backup Compliance Policy ({code}): '
                     f'{err.detail}. The policy sets the least a schedule may keep; only MongoDB support can relax or remove it.',
                     status=err.status, error_code=code)


# ------------------------------------------------------------------------------------------------ reading
def refuse_kind(cluster: ClusterInfo) -> None:
    if cluster.kind == FLEX:
        raise TaskError(f'Cluster {cluster.name} is a Flex cluster: Flex keeps a fixed schedule (a daily snapshot, the last 8 kept) '
                        'that cannot be changed. Backup schedules are for dedicated (M10 and up) clusters.')
    if cluster.kind == NO_BACKUP:
        raise TaskError(f'Cluster {cluster.name} is a free {cluster.tier} cluster, which has no backups and so no backup schedule.')
    if cluster.kind == TENANT:
        raise TaskError(f'Cluster {cluster.name} is a shared {cluster.tier} cluster with a fixed daily backup; it has no backup schedule.')


def read_cluster(client: AtlasClient, group_id: str, cluster_name: str) -> tuple[ClusterInfo, Doc]:
    """The cluster's kind and description (one GET), refusing kinds that have no schedule."""
    try:
        doc = client.get(cluster_path(group_id, cluster_name), resource='cluster') or {}
    except AtlasApiError as err:
        if err.error_code == 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API':
            refuse_kind(ClusterInfo(cluster_name, FLEX, None))
        raise Endpoints(group_id, cluster_name, '').failure(f'read cluster {cluster_name}', err) from None
    info = kind_from_description(doc)
    info = info._replace(name=info.name or cluster_name)
    refuse_kind(info)
    return info, doc


def read_schedule(client: AtlasClient, group_id: str, cluster_name: str) -> Doc:
    """GET the schedule (one request); Flex and shared-tier refusals become the module's own explanation."""
    where = Endpoints(group_id, cluster_name, '')
    try:
        return client.get(t.cast(str, where.schedule), resource='schedule') or {}
    except AtlasApiError as err:
        if err.error_code == 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API':
            refuse_kind(ClusterInfo(cluster_name, FLEX, None))
        if err.error_code in ('PROVIDER_BACKUP_NOT_SUPPORTED', 'TENANT_CLUSTER_NOT_SUPPORTED', 'CLUSTER_NOT_BACKUP_ENABLED'):
            read_cluster(client, group_id, cluster_name)  # says which kind; a dedicated cluster falls through
            raise TaskError(f'Cluster {cluster_name} has cloud backup turned off, so it has no backup schedule: turn backup on for the '
                            f'cluster first ({err.error_code}).', status=err.status, error_code=err.error_code) from None
        raise where.failure(f'read the backup schedule of cluster {cluster_name}', err) from None


def write_schedule(client: AtlasClient, group_id: str, cluster_name: str, body: Doc | None) -> Doc:
    """PATCH the body, or DELETE every policy item (body None); Atlas's compliance refusals explained."""
    where = Endpoints(group_id, cluster_name, '')
    action = 'update the backup schedule' if body is not None else 'remove the backup policy items'
    try:
        if body is None:  # DELETE answers with the schedule (2024-08-05); an empty answer is read again
            return client.request('DELETE', t.cast(str, where.schedule), resource='schedule') or read_schedule(client, group_id, cluster_name)
        return client.patch(t.cast(str, where.schedule), body, resource='schedule') or {}
    except AtlasApiError as err:
        refusal = compliance_refusal(action, err, cluster_name)
        if refusal is not None:
            raise refusal from None
        raise where.failure(f'{action} of cluster {cluster_name}', err) from None


# ------------------------------------------------------------------------------------------------ the two tasks
def result_of(doc: Doc) -> Doc:
    return {'schedule': normalize(doc), 'next_snapshot': doc.get('nextSnapshot')}


def apply(client: AtlasClient, group_id: str, cluster_name: str, params: Doc, check_mode: bool, warn: t.Callable[[str], None],
          compliance: Compliance | None = None) -> Doc:
    """Bring the cluster's schedule to what params ask (state present) or remove its policy items (absent).

    Costs one GET when nothing differs. Otherwise: GET cluster (checks), GET compliance policy (once per task), then the
    PATCH of what differs (or the DELETE); check mode stops before the write. Every check runs before any write.
    """
    absent = params.get('state') == 'absent'
    ignored = [key for key in ('reference_hour_of_day', 'reference_minute_of_hour', 'restore_window_days', 'policy_items', 'copy_settings',
                               'auto_export') if absent and params.get(key) is not None]
    if ignored:
        warn(f'state is absent, so {", ".join(ignored)} {"is" if len(ignored) == 1 else "are"} ignored: every policy item is removed.')
    if not absent and params.get('policy_items') is not None:
        problems = validate_items([user_item(item) for item in params['policy_items']])
        if problems:
            raise TaskError(f'The backup schedule for cluster {cluster_name} cannot be applied: {" ".join(problems)}')
    doc = read_schedule(client, group_id, cluster_name)
    before = normalize(doc)
    if absent:
        wanted = None
        after = dict(before, policy_items=[], copy_settings=[])
        changed = ['policy_items'] if before['policy_items'] else []
    else:
        wanted = after = desired_from(params, before)
        changed = differences(before, wanted)
    result: Doc = dict(result_of(doc), changed=bool(changed), changes=changed, diff={'before': before, 'after': after})
    if not changed:
        return result
    problems = [] if wanted is None else validate_static(wanted)
    cluster, cluster_doc = read_cluster(client, group_id, cluster_name)
    if wanted is not None:
        problems += validate_for_cluster(wanted, cluster, cluster_doc, changed, warn)
        if 'copy_settings' in changed and client.api_version != 'v2':
            problems.append('copy_settings can only be set with api_version v2 (copy policy items do not exist in v1.0).')
    if problems:
        raise TaskError(f'The backup schedule for cluster {cluster_name} cannot be applied: {" ".join(problems)}')
    compliance = compliance or Compliance(client, group_id, warn)
    breaches = compliance_breaches(compliance.get(), wanted, cluster)
    if breaches:
        what = 'Removing every policy item' if wanted is None else 'This schedule'
        raise TaskError(f'{what} would break the Backup Compliance Policy of project {group_id}, so nothing was written to cluster '
                        f'{cluster_name}: {"; ".join(breaches)}. Change the task to meet the policy (only MongoDB support can relax it).',
                        breaches=breaches)
    result['schedule'] = after
    if check_mode:
        return result
    body = None if wanted is None else patch_body(wanted, doc, changed, bool(params.get('apply_to_existing_snapshots')),
                                                  cluster_provider(cluster_doc)[2])
    written = write_schedule(client, group_id, cluster_name, body)
    result.update(result_of(written))
    result['diff']['after'] = result['schedule']
    return result


def report(client: AtlasClient, group_id: str, cluster_name: str | None, warn: t.Callable[[str], None]) -> Doc:
    """The schedule of one cluster, or of every dedicated cluster of the project, and the project's compliance policy."""
    compliance = Compliance(client, group_id, warn)
    if cluster_name:
        found = dict(result_of(read_schedule(client, group_id, cluster_name)), name=cluster_name)
        return {'schedules': [found], 'compliance_policy': compliance.get()}
    schedules = []
    for cluster in list_clusters(client, group_id):
        if cluster.kind not in (REPLICA_SET, SHARDED):
            continue
        try:
            doc = read_schedule(client, group_id, cluster.name)
        except TaskError as err:
            if err.result.get('error_code') == 'CLUSTER_NOT_FOUND':
                warn(f'Cluster {cluster.name} was listed but no longer exists; it is left out of the report.')
                continue
            raise
        schedules.append(dict(result_of(doc), name=cluster.name, kind=cluster.kind))
    return {'schedules': schedules, 'compliance_policy': compliance.get()}

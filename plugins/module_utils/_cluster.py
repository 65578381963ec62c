# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The cluster model: the kinds of cluster (replica set, sharded, flex, tenant, free), how to tell them apart with one
request, and every API path that follows from a kind. The only file that spells an Atlas path.

Cluster names and ids are validated by the module base before they get here, so they are safe in a URL path.
"""
from __future__ import annotations

import difflib
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError, is_missing, is_sunset
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import task_error

# Cluster kinds, as atlas_snapshot_info returns them in cluster_kind.
REPLICA_SET = 'replicaSet'
SHARDED = 'shardedCluster'
FLEX = 'flex'
TENANT = 'tenant'
NO_BACKUP = 'noBackup'

TENANT_TIERS = ('M2', 'M5')
FREE_TIER = 'M0'


class ClusterInfo(t.NamedTuple):
    """What the modules need to know about a cluster."""

    name: str
    kind: str                   # REPLICA_SET, SHARDED, FLEX, TENANT or NO_BACKUP
    tier: str | None            # instance size, e.g. M10; None for flex
    pit_enabled: bool = False   # continuous cloud backup: point-in-time restores possible
    shards: int | None = None   # replica sets of a sharded cluster (its replication specs); None when not said


def cluster_path(group_id: str, cluster_name: str) -> str:
    return f'/groups/{group_id}/clusters/{cluster_name}'


def clusters_path(group_id: str) -> str:
    return f'/groups/{group_id}/clusters'


def flex_clusters_path(group_id: str) -> str:
    return f'/groups/{group_id}/flexClusters'


def compliance_policy_path(group_id: str) -> str:
    """The project's Backup Compliance Policy (GET; v2 only)."""
    return f'/groups/{group_id}/backupCompliancePolicy'


def kind_from_description(doc: dict[str, t.Any]) -> ClusterInfo:
    """Work out a dedicated or shared-tier cluster's kind from GET cluster (v2 2024-08-05 or v1.0 legacy shape)."""
    tier = None
    provider_settings = doc.get('providerSettings') or {}
    if provider_settings.get('instanceSizeName'):
        tier = provider_settings['instanceSizeName']
    for spec in doc.get('replicationSpecs') or []:
        for region in spec.get('regionConfigs') or []:
            tier = tier or (region.get('electableSpecs') or {}).get('instanceSize')
    name = doc.get('name', '')
    if tier == FREE_TIER:
        return ClusterInfo(name, NO_BACKUP, tier)
    if tier in TENANT_TIERS:
        return ClusterInfo(name, TENANT, tier)
    kind = SHARDED if doc.get('clusterType') in ('SHARDED', 'GEOSHARDED') else REPLICA_SET
    shards = doc.get('numShards') if isinstance(doc.get('numShards'), int) else len(doc.get('replicationSpecs') or []) or None
    return ClusterInfo(name, kind, tier, bool(doc.get('pitEnabled')), shards if kind == SHARDED else None)


def get_cluster(client: AtlasClient, group_id: str, cluster_name: str) -> ClusterInfo:
    """Find out the cluster's kind with one request: GET cluster, which refuses Flex clusters with a telling code."""
    try:
        doc = client.get(cluster_path(group_id, cluster_name), resource='cluster') or {}
    except AtlasApiError as err:
        if err.error_code == 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API':
            return ClusterInfo(cluster_name, FLEX, None)
        error = task_error(f'read cluster {cluster_name}', err, group_id, cluster_name)
        if is_missing(err, 'cluster'):
            error = TaskError(error.msg + nearest_names_hint(client, group_id, cluster_name), **error.result)
        raise error from None
    info = kind_from_description(doc)
    return info._replace(name=info.name or cluster_name)


SUNSET_WARNING = ('Cluster {name} is listed as {tier} but the tenant backup API is gone (retired 2026-01-22, when every M2/M5 '
                  'cluster became a Flex cluster): its backups are served by the Flex API, which this task uses.')


def backup_cluster(client: AtlasClient, group_id: str, cluster_name: str, *, warn: t.Callable[[str], None]) -> ClusterInfo:
    """The cluster as its backups are served: get_cluster, then the tenant sunset resolved (see served)."""
    return served(client, group_id, get_cluster(client, group_id, cluster_name), warn=warn)


def served(client: AtlasClient, group_id: str, cluster: ClusterInfo, *, warn: t.Callable[[str], None],
           forced: str | None = None) -> ClusterInfo:
    """serving, with any other answer of its read turned into the task's failure."""
    try:
        return serving(client, group_id, cluster, warn=warn, forced=forced)
    except AtlasApiError as err:
        raise task_error(f'list the snapshots of cluster {cluster.name}', err, group_id, cluster.name) from None


def serving(client: AtlasClient, group_id: str, cluster: ClusterInfo, *, warn: t.Callable[[str], None],
            forced: str | None = None) -> ClusterInfo:
    """The one place the 2026 tenant sunset is met. A cluster the Cluster API still calls M2/M5 costs one read of its
    tenant snapshot list: where that answers like a removed API (410, or a 404 naming no resource: is_sunset), the
    cluster is the Flex cluster Atlas migrated it to (kind FLEX, its tier kept for messages), with a warning; services
    then get Flex Endpoints and never see the tenant kind or the removed API. forced='tenant' (a user who asked for
    the tenant API, whatever the kind) fails instead of moving. Any other answer of that read is raised as it came."""
    if cluster.kind != TENANT and forced != TENANT:
        return cluster
    where = Endpoints(group_id, cluster.name, TENANT)
    try:
        client.get(where.snapshots, resource=where.resource)
    except AtlasApiError as err:
        if not is_sunset(err):
            raise
        if forced == TENANT:
            raise TaskError('The tenant (M2/M5) backup API answered as removed: Atlas retired it on 2026-01-22 and every M2/M5 '
                            'cluster is now a Flex cluster. Use download_api: auto or flex.') from None
        warn(SUNSET_WARNING.format(name=cluster.name, tier=cluster.tier))
        return cluster._replace(kind=FLEX)
    return cluster


def nearest_names(wanted: str, names: list[str]) -> list[str]:
    """Up to three existing names nearest to a name that was not found: the ones equal but for case first, then the
    closest spellings (difflib, compared without case)."""
    same_but_case = [name for name in names if name.lower() == wanted.lower()]
    by_lower: dict[str, list[str]] = {}
    for name in names:
        by_lower.setdefault(name.lower(), []).append(name)
    close = [name for lower in difflib.get_close_matches(wanted.lower(), list(by_lower), n=3, cutoff=0.6) for name in by_lower[lower]]
    return (same_but_case + [name for name in close if name not in same_but_case])[:3]


def nearest_names_hint(client: AtlasClient, group_id: str, cluster_name: str) -> str:
    """' The nearest existing names: ...' for a cluster that was not found, from one extra GET of the project's cluster
    list (the failure path only); '' when that read fails or finds nothing near."""
    try:
        doc = client.get(clusters_path(group_id), resource='cluster', params={'itemsPerPage': 500}) or {}
    except AtlasApiError:
        return ''
    names = [item['name'] for item in doc.get('results') or [] if isinstance(item, dict) and isinstance(item.get('name'), str)]
    near = nearest_names(cluster_name, names)
    if not near:
        return ''
    if near[0].lower() == cluster_name.lower():
        return f' Cluster names are case-sensitive: did you mean {near[0]}?' + (f' Other near names: {", ".join(near[1:])}.' if near[1:] else '')
    return f' The nearest existing names: {", ".join(near)}.'


def is_flex_description(doc: dict[str, t.Any]) -> bool:
    """A Flex cluster as the Cluster API describes it (Atlas listed such clusters there until January 2026)."""
    if (doc.get('providerSettings') or {}).get('providerName') == 'FLEX':
        return True
    return any((region or {}).get('providerName') == 'FLEX'
               for spec in doc.get('replicationSpecs') or [] for region in spec.get('regionConfigs') or [])


def list_clusters(client: AtlasClient, group_id: str, kinds: t.Collection[str] | None = None) -> list[ClusterInfo]:
    """Every cluster of the project with its kind, sorted by name, read fresh (never cached, so a kind change shows).

    Two lists: the Cluster API's (dedicated and shared-tier clusters, in the GET cluster shape, so the kinds come from
    kind_from_description) and the Flex API's (Flex clusters, M2/M5 after their migration). A name on both lists, or a
    Cluster API document that says FLEX, is a Flex cluster: the Flex API is the one that serves its backups. With kinds,
    only the clusters of those kinds; without FLEX among them the Flex list is not read (a Flex cluster the Cluster API
    lists is still known as one, and left out).
    """
    try:
        docs = client.list_all(clusters_path(group_id), resource='cluster')
        flex_docs = client.list_all(flex_clusters_path(group_id), resource='flex') if kinds is None or FLEX in kinds else []
    except AtlasApiError as err:
        raise task_error('list the clusters of the project', err, group_id) from None
    found: dict[str, ClusterInfo] = {}
    for doc in docs:
        if isinstance(doc, dict) and doc.get('name'):
            info = ClusterInfo(doc['name'], FLEX, None) if is_flex_description(doc) else kind_from_description(doc)
            found[info.name] = info
    for doc in flex_docs:
        if isinstance(doc, dict) and doc.get('name'):
            found[doc['name']] = ClusterInfo(doc['name'], FLEX, None)
    return [found[name] for name in sorted(found) if kinds is None or found[name].kind in kinds]


class Endpoints:
    """Every API path of one cluster, for the API that serves its kind (or the download API asked for).

    resource picks the API version (backup, flex or tenant: see AtlasClient). Paths that the kind does not have are None.
    """

    def __init__(self, group_id: str, cluster_name: str, kind: str) -> None:
        self.group_id = group_id
        self.cluster_name = cluster_name
        self.kind = kind
        cluster = cluster_path(group_id, cluster_name)
        self.retention_base = f'{cluster}/backup/snapshots'  # Atlas re-dates through the replica-set path for every kind
        self.take: str | None = None        # POST an on-demand snapshot (dedicated)
        self.download: str | None = None    # POST a download job (flex, tenant)
        self.schedule: str | None = None    # GET, PATCH, DELETE the backup schedule (dedicated)
        self.compliance = compliance_policy_path(group_id)  # the project's Backup Compliance Policy, beside every kind
        if kind == FLEX:
            flex = f'/groups/{group_id}/flexClusters/{cluster_name}/backup'
            self.resource = 'flex'
            self.snapshots = self.snapshot_base = f'{flex}/snapshots'
            self.jobs: str | None = f'{flex}/restoreJobs'
            self.download = f'{flex}/download'
            self.restore: str | None = self.jobs
        elif kind == TENANT:
            self.resource = 'tenant'
            self.snapshots = self.snapshot_base = f'{cluster}/backup/tenant/snapshots'
            self.jobs = f'{cluster}/backup/tenant/restores'
            self.download = f'{cluster}/backup/tenant/download'
            self.restore = f'{cluster}/backup/tenant/restore'
        else:
            self.resource = 'backup'
            self.snapshots = self.snapshot_base = self.take = f'{cluster}/backup/snapshots'
            if kind == SHARDED:
                self.snapshots = f'{cluster}/backup/snapshots/shardedClusters'
                self.snapshot_base = f'{cluster}/backup/snapshots/shardedCluster'
            self.jobs = self.restore = f'{cluster}/backup/restoreJobs'
            self.schedule = f'{cluster}/backup/schedule'

    def snapshot(self, snapshot_id: str) -> str:
        """One snapshot: GET, and DELETE for on-demand ones."""
        return f'{self.snapshot_base}/{snapshot_id}'

    def retention(self, snapshot_id: str) -> str:
        """PATCH a snapshot's expiry."""
        return f'{self.retention_base}/{snapshot_id}'

    def job(self, job_id: str) -> str:
        """One restore job (download jobs of Flex and tenant clusters included): GET, and DELETE to cancel."""
        return f'{t.cast(str, self.jobs)}/{job_id}'

    def failure(self, action: str, err: AtlasApiError) -> TaskError:
        """The task's failure for an Atlas error met while trying to <action> on this cluster."""
        return task_error(action, err, self.group_id, self.cluster_name)

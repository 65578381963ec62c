# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The default seed: one project, three API keys, three service accounts, six clusters and their snapshots, with fixed ids."""
from __future__ import annotations

import datetime
import ipaddress
import re
import typing as t

from atlas_simulator import GROUP_ID
from atlas_simulator.config import ConfigError
from atlas_simulator.state import FLEX, FREE, REPLICA_SET, SHARDED, TENANT, Cluster, DownloadJob, Snapshot

OWNER = 'Project Owner'
READ_ONLY = 'Project Read Only'

DEFAULT_KEYS: list[dict[str, t.Any]] = [
    {'public': 'owner-public', 'private': 'owner-private', 'roles': [OWNER], 'access_list': []},
    {'public': 'reader-public', 'private': 'reader-private', 'roles': [READ_ONLY], 'access_list': []},
    {'public': 'blocked-public', 'private': 'blocked-private', 'roles': [OWNER], 'access_list': ['203.0.113.0/24']},
]

# The same three grants as the keys, as service accounts (OAuth 2.0 client credentials formats).
DEFAULT_SERVICE_ACCOUNTS: list[dict[str, t.Any]] = [
    {'client_id': 'mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01', 'client_secret': 'mdb_sa_sk_owner-secret-0001', 'roles': [OWNER], 'access_list': []},
    {'client_id': 'mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a02', 'client_secret': 'mdb_sa_sk_reader-secret-0002', 'roles': [READ_ONLY], 'access_list': []},
    {'client_id': 'mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a03', 'client_secret': 'mdb_sa_sk_blocked-secret-0003', 'roles': [OWNER],
     'access_list': ['203.0.113.0/24']},
]
CLIENT_ID = re.compile(r'^mdb_sa_id_[a-fA-F\d]{24}$')
SECRET_PREFIX = 'mdb_sa_sk_'

# name, kind, tier, number of completed daily snapshots, id block; pit = continuous cloud backup (restore window in days)
DEFAULT_CLUSTERS: list[dict[str, t.Any]] = [
    {'name': 'Cluster0', 'kind': REPLICA_SET, 'tier': 'M10', 'snapshots': 3, 'pit': True, 'restore_window_days': 7},
    {'name': 'Sharded0', 'kind': SHARDED, 'tier': 'M30', 'snapshots': 1, 'shards': 2},
    {'name': 'Free0', 'kind': FREE, 'tier': 'M0', 'snapshots': 0},
    {'name': 'Tenant0', 'kind': TENANT, 'tier': 'M2', 'snapshots': 3},
    {'name': 'Flex0', 'kind': FLEX, 'tier': 'FLEX', 'snapshots': 3},
    {'name': 'Staging0', 'kind': REPLICA_SET, 'tier': 'M10', 'snapshots': 2},  # the restore target
]
KINDS = (REPLICA_SET, SHARDED, FREE, TENANT, FLEX)
ROLES = ('Project Owner', 'Project Read Only', 'Project Backup Manager', 'Project Backup Creator', 'Project Backup Export Operator',
         'Project Backup Recovery Operator', 'Organization Owner')
CLUSTER_FIELDS: dict[str, type] = {'name': str, 'kind': str, 'tier': str, 'snapshots': int, 'shards': int, 'in_progress': bool, 'pit': bool,
                                   'restore_window_days': int}
KEY_FIELDS: dict[str, type] = {'public': str, 'private': str, 'roles': list, 'access_list': list}
SERVICE_ACCOUNT_FIELDS: dict[str, type] = {'client_id': str, 'client_secret': str, 'roles': list, 'access_list': list}


def _check_fields(what: str, spec: t.Any, fields: dict[str, type], required: tuple[str, ...]) -> None:
    if not isinstance(spec, dict):
        raise ConfigError(f'each of {what} must be an object, got {spec!r}')
    for key, value in spec.items():
        if key not in fields:
            raise ConfigError(f'{what}: unknown field {key!r}; known: {sorted(fields)}')
        if (isinstance(value, bool) and fields[key] is not bool) or not isinstance(value, fields[key]):
            raise ConfigError(f'{what}: {key} must be of type {fields[key].__name__}, got {value!r}')
    missing = [key for key in required if key not in spec]
    if missing:
        raise ConfigError(f'{what}: missing {missing} in {spec!r}')


def seed_snapshot_id(cluster_index: int, number: int) -> str:
    """Seed ids: 65a0000000000000000 + cluster (1-5) + 0 + snapshot number; e.g. Cluster0's first is 65a000000000000000000101."""
    return f'65a0000000000000000{cluster_index:03d}{number:02d}'


def build_clusters(now: datetime.datetime, specs: list[dict[str, t.Any]] | None = None) -> list[Cluster]:
    """Clusters with completed daily snapshots taken at 03:00 UTC on the latest days, newest first (ids: seed_snapshot_id)."""
    clusters = []
    latest = now.replace(hour=3, minute=0, second=0, microsecond=0)
    if latest + datetime.timedelta(minutes=10) > now:  # today's 03:00 snapshot must be finished by the clock start
        latest -= datetime.timedelta(days=1)
    for index, spec in enumerate(specs or DEFAULT_CLUSTERS, start=1):
        _check_fields('clusters', spec, CLUSTER_FIELDS, ('name', 'kind'))
        if spec['kind'] not in KINDS:
            raise ConfigError(f'clusters: kind must be one of {list(KINDS)}, got {spec["kind"]!r}')
        if not 0 <= spec.get('snapshots', 0) <= 99 or not 1 <= spec.get('shards', 1) <= 40:
            raise ConfigError(f'clusters: snapshots must be 0-99 and shards 1-40: {spec!r}')
        if not 1 <= spec.get('restore_window_days', 7) <= 365 or (spec.get('pit') and spec['kind'] not in (REPLICA_SET, SHARDED)):
            raise ConfigError(f'clusters: restore_window_days must be 1-365 and pit needs a replicaSet or sharded cluster: {spec!r}')
        cluster = Cluster(name=spec['name'], kind=spec['kind'], tier=spec.get('tier', 'M10'), shards=int(spec.get('shards', 1)),
                          pit_enabled=bool(spec.get('pit', False)), restore_window_days=int(spec.get('restore_window_days', 7)))
        if spec.get('in_progress'):  # a scheduled snapshot that started at the clock start and runs for an hour
            cluster.snapshots.append(Snapshot(id=seed_snapshot_id(index, 0), requested_at=now, retention=datetime.timedelta(days=7),
                                              running_for=3600.0))
        for number in range(1, int(spec.get('snapshots', 0)) + 1):
            taken = latest - datetime.timedelta(days=number - 1)
            cluster.snapshots.append(Snapshot(id=seed_snapshot_id(index, number), requested_at=taken, retention=datetime.timedelta(days=7),
                                              running_for=240.0))
        if cluster.kind == SHARDED:  # member snapshots (one per shard, then the config server): 65e + zeros + cluster, member, number
            for snap in cluster.snapshots:
                snap.member_ids = [f'65e000000000000000{index:02d}{member:02d}{snap.id[-2:]}' for member in range(cluster.shards + 1)]
        clusters.append(cluster)
    return clusters


def build_flex_restore_jobs(now: datetime.datetime, clusters: list[Cluster], count: int) -> list[DownloadJob]:
    """`count` old finished jobs of Flex0, newest first, as the recorded Flex list of 2,160 jobs spanning weeks:
    one every 15 minutes going back from a day and a minute before the clock start, RESTORE and DOWNLOAD in turn, COMPLETED,
    their links long expired (4 h for downloads, 6 h for restores). Ids: 6c + 22 hex digits of the job's number."""
    if not count:
        return []
    flex = next((cluster for cluster in clusters if cluster.name == 'Flex0' and cluster.kind in (FLEX, TENANT)), None)
    if flex is None:
        raise ConfigError('flex_restore_jobs needs a Flex (or tenant) cluster named Flex0 in the seed')
    snapshot_ids = [snap.id for snap in flex.snapshots] or ['65a0000000000000000f0f01']
    jobs = []
    for number in range(count):
        asked = now - datetime.timedelta(days=1, minutes=1 + 15 * number)
        download = number % 2 == 1
        jobs.append(DownloadJob(id=f'6c{number:022x}', api='flex', cluster=flex.name, snapshot_id=snapshot_ids[number % len(snapshot_ids)],
                                requested_at=asked, duration=60.0, link_lifetime=(4 if download else 6) * 3600.0,
                                target_name=None if download else f'cluster-{number % 1000}', delivery='DOWNLOAD' if download else 'RESTORE',
                                snapshot_finished=asked - datetime.timedelta(days=1)))
    return jobs


def _grant(what: str, spec: dict[str, t.Any]) -> dict[str, t.Any]:
    """The roles and access list of a key or service account spec (checked), as the auth code reads them."""
    unknown = [role for role in spec.get('roles', []) if role not in ROLES]
    if unknown:
        raise ConfigError(f'{what}: unknown role(s) {unknown}; known: {list(ROLES)}')
    for network in spec.get('access_list', []):
        try:
            ipaddress.ip_network(network, strict=False)
        except (TypeError, ValueError):
            raise ConfigError(f'{what}: access_list entry {network!r} is not an IP address or CIDR block') from None
    return {'roles': list(spec.get('roles', [OWNER])), 'access_list': list(spec.get('access_list', []))}


def _groups(spec: dict[str, t.Any], home: str | None) -> frozenset[str] | None:
    """The projects a key or service account may call: None (every project of the organization) for an Organization Owner,
    else the one project it belongs to (the home project, unless a fleet project's)."""
    if 'Organization Owner' in spec.get('roles', []):
        return None
    return frozenset((home,)) if home else frozenset()


def build_keys(specs: list[dict[str, t.Any]] | None = None, home: str | None = None) -> dict[str, dict[str, t.Any]]:
    """Public key -> {private, roles, access_list, groups}; a spec that cannot work raises ConfigError."""
    keys = {}
    for spec in specs or DEFAULT_KEYS:
        _check_fields('api_keys', spec, KEY_FIELDS, ('public', 'private'))
        keys[spec['public']] = dict(_grant('api_keys', spec), private=spec['private'], groups=_groups(spec, home))
    return keys


def build_service_accounts(specs: list[dict[str, t.Any]] | None = None, home: str | None = None) -> dict[str, dict[str, t.Any]]:
    """Client id -> {secret, roles, access_list, groups}: a service account is checked like an API key once it holds a token."""
    accounts = {}
    for spec in specs or DEFAULT_SERVICE_ACCOUNTS:
        _check_fields('service_accounts', spec, SERVICE_ACCOUNT_FIELDS, ('client_id', 'client_secret'))
        if not CLIENT_ID.match(spec['client_id']):
            raise ConfigError(f'service_accounts: client_id must be mdb_sa_id_ followed by 24 hexadecimal characters, got {spec["client_id"]!r}')
        if not spec['client_secret'].startswith(SECRET_PREFIX) or len(spec['client_secret']) == len(SECRET_PREFIX):
            raise ConfigError(f'service_accounts: the client_secret of {spec["client_id"]} must start with {SECRET_PREFIX} and go on')
        accounts[spec['client_id']] = dict(_grant('service_accounts', spec), secret=spec['client_secret'], groups=_groups(spec, home))
    return accounts


__all__ = ['GROUP_ID', 'build_clusters', 'build_flex_restore_jobs', 'build_keys', 'build_service_accounts', 'seed_snapshot_id']

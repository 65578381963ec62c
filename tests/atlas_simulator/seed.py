# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The default seed: one project, three API keys, five clusters and their snapshots, with fixed ids."""
from __future__ import annotations

import datetime
import typing as t

from atlas_simulator import GROUP_ID
from atlas_simulator.state import FLEX, FREE, REPLICA_SET, SHARDED, TENANT, Cluster, Snapshot

OWNER = 'Project Owner'
READ_ONLY = 'Project Read Only'

DEFAULT_KEYS: list[dict[str, t.Any]] = [
    {'public': 'owner-public', 'private': 'owner-private', 'roles': [OWNER], 'access_list': []},
    {'public': 'reader-public', 'private': 'reader-private', 'roles': [READ_ONLY], 'access_list': []},
    {'public': 'blocked-public', 'private': 'blocked-private', 'roles': [OWNER], 'access_list': ['203.0.113.0/24']},
]

# name, kind, tier, number of completed daily snapshots, id block
DEFAULT_CLUSTERS: list[dict[str, t.Any]] = [
    {'name': 'Cluster0', 'kind': REPLICA_SET, 'tier': 'M10', 'snapshots': 3},
    {'name': 'Sharded0', 'kind': SHARDED, 'tier': 'M30', 'snapshots': 1, 'shards': 2},
    {'name': 'Free0', 'kind': FREE, 'tier': 'M0', 'snapshots': 0},
    {'name': 'Tenant0', 'kind': TENANT, 'tier': 'M2', 'snapshots': 3},
    {'name': 'Flex0', 'kind': FLEX, 'tier': 'FLEX', 'snapshots': 3},
]
KINDS = (REPLICA_SET, SHARDED, FREE, TENANT, FLEX)


def seed_snapshot_id(cluster_index: int, number: int) -> str:
    """Seed ids: 65a0000000000000000 + cluster (1-5) + 0 + snapshot number; e.g. Cluster0's first is 65a000000000000000000101."""
    return f'65a0000000000000000{cluster_index:03d}{number:02d}'


def build_clusters(now: datetime.datetime, specs: list[dict[str, t.Any]] | None = None) -> list[Cluster]:
    """Clusters with completed daily snapshots taken at 03:00 on the previous days, newest first."""
    clusters = []
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for index, spec in enumerate(specs or DEFAULT_CLUSTERS, start=1):
        if spec.get('kind') not in KINDS or not isinstance(spec.get('name'), str):
            raise ValueError(f'cluster spec needs a name and a kind in {KINDS}: {spec!r}')
        cluster = Cluster(name=spec['name'], kind=spec['kind'], tier=spec.get('tier', 'M10'), shards=int(spec.get('shards', 1)))
        for number in range(1, int(spec.get('snapshots', 0)) + 1):
            taken = midnight - datetime.timedelta(days=number - 1) + datetime.timedelta(hours=3)
            if taken > now:
                taken -= datetime.timedelta(days=1)
            snap = Snapshot(id=seed_snapshot_id(index, number), requested_at=taken, retention=datetime.timedelta(days=7),
                            running_for=240.0)
            if cluster.kind == SHARDED:
                snap.member_ids = [f'{snap.id[:-2]}{50 + member:02d}' for member in range(cluster.shards + 1)]
            cluster.snapshots.append(snap)
        clusters.append(cluster)
    return clusters


def build_keys(specs: list[dict[str, t.Any]] | None = None) -> dict[str, dict[str, t.Any]]:
    keys = {}
    for spec in specs or DEFAULT_KEYS:
        if not isinstance(spec.get('public'), str) or not isinstance(spec.get('private'), str):
            raise ValueError(f'api key spec needs public and private strings: {spec!r}')
        keys[spec['public']] = {'private': spec['private'], 'roles': list(spec.get('roles', [OWNER])),
                                'access_list': list(spec.get('access_list', []))}
    return keys


__all__ = ['GROUP_ID', 'build_clusters', 'build_keys', 'seed_snapshot_id']

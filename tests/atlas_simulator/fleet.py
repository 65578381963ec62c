# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet of projects in the simulator's organization (seed key `fleet`): N projects of M clusters each, beside the home
project, with deterministic ids, a project-scoped API key and service account per project and one org-wide service account.

Ids (24 hex characters, all digits here): project n (from 1) is `6f1ee7` + n on 18 digits; its cluster c (from 0) holds the
scheduled snapshots `65b` + n (4 digits) + zeros + c (3 digits) + the snapshot number (2 digits); a sharded cluster's member
snapshots `65c` + n + zeros + c + member (2 digits) + number. Kinds cycle every five clusters: replica set, replica set,
sharded, replica set, Flex (so 10 clusters are 6 replica sets, 2 sharded, 2 Flex).
"""
from __future__ import annotations

import datetime
import typing as t

from atlas_simulator.state import FLEX, REPLICA_SET, SHARDED, Cluster, Snapshot

ORG_OWNER = 'Organization Owner'
# The org-wide service account: Organization Owner, so every project of the organization (the home project too).
ORG_SERVICE_ACCOUNT: dict[str, t.Any] = {'client_id': 'mdb_sa_id_0f1ee7000000000000000000', 'client_secret': 'mdb_sa_sk_fleet-org-secret',
                                         'roles': [ORG_OWNER], 'access_list': []}
KIND_CYCLE = (REPLICA_SET, REPLICA_SET, SHARDED, REPLICA_SET, FLEX)
PREFIX = {REPLICA_SET: 'App', SHARDED: 'Shard', FLEX: 'Flex'}
SNAPSHOTS = 2  # completed scheduled snapshots per cluster


def project_id(number: int) -> str:
    return f'6f1ee7{number:018d}'


def project_key(number: int) -> dict[str, t.Any]:
    """Project n's API key: Project Owner of that project only."""
    return {'public': f'fleet-{number:02d}-public', 'private': f'fleet-{number:02d}-private', 'roles': ['Project Owner'], 'access_list': []}


def project_service_account(number: int) -> dict[str, t.Any]:
    """Project n's service account: Project Owner of that project only."""
    return {'client_id': f'mdb_sa_id_{project_id(number)}', 'client_secret': f'mdb_sa_sk_fleet-{number:02d}-secret',
            'roles': ['Project Owner'], 'access_list': []}


def cluster_name(index: int) -> str:
    kind = KIND_CYCLE[index % len(KIND_CYCLE)]
    return f'{PREFIX[kind]}{index:02d}'


def build_project(now_latest: datetime.datetime, number: int, count: int) -> list[Cluster]:
    """Project n's clusters, each with SNAPSHOTS completed daily snapshots (newest first, 03:00 UTC, as the home seed's)."""
    clusters = []
    for index in range(count):
        kind = KIND_CYCLE[index % len(KIND_CYCLE)]
        cluster = Cluster(name=cluster_name(index), kind=kind, tier={SHARDED: 'M30', FLEX: 'FLEX'}.get(kind, 'M10'),
                          shards=2 if kind == SHARDED else 1)
        for snap_number in range(1, SNAPSHOTS + 1):
            snap = Snapshot(id=f'65b{number:04d}000000000000{index:03d}{snap_number:02d}',
                            requested_at=now_latest - datetime.timedelta(days=snap_number - 1),
                            retention=datetime.timedelta(days=7), running_for=240.0)
            if kind == SHARDED:
                snap.member_ids = [f'65c{number:04d}0000000000{index:03d}{member:02d}{snap_number:02d}' for member in range(cluster.shards + 1)]
            cluster.snapshots.append(snap)
        clusters.append(cluster)
    return clusters


class Project(t.NamedTuple):
    """One project of the fleet: its id, its clusters, its own API key and service account (specs as the seed takes them)."""

    group_id: str
    clusters: list[Cluster]
    key: dict[str, t.Any]
    service_account: dict[str, t.Any]


def build(now: datetime.datetime, spec: dict[str, t.Any] | None) -> list[Project]:
    """The fleet's projects, in order (none without a `fleet` seed key)."""
    if not spec:
        return []
    latest = now.replace(hour=3, minute=0, second=0, microsecond=0)
    if latest + datetime.timedelta(minutes=10) > now:
        latest -= datetime.timedelta(days=1)
    return [Project(project_id(n), build_project(latest, n, spec['clusters_per_project']), project_key(n), project_service_account(n))
            for n in range(1, spec['projects'] + 1)]

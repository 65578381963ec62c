# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Which project role Atlas requires for each call this collection makes, so a refusal can name the role it lacked.

The roles are the official spec's x-rolesRequirements per operation (any one listed role is enough; Project Owner can do
everything). The deprecated tenant operations carry none, so theirs come from the spec's description text; the two cluster
lists are not in the spec excerpt the collection is checked against (see ROLES). Keys are the method and the spec's path
template after /api/atlas/<version>; the legacy v1.0 paths are the same operations and get the same roles.
tests/unit/plugins/module_utils/roles_requirements.json is the copy of the spec this table is tested against.
"""
from __future__ import annotations

import re
import typing as t

READ_ONLY = 'Project Read Only'
BACKUP_CREATOR = 'Project Backup Creator'
BACKUP_MANAGER = 'Project Backup Manager'
EXPORT_OPERATOR = 'Project Backup Export Operator'
RECOVERY_OPERATOR = 'Project Backup Recovery Operator'
OWNER = 'Project Owner'

_GROUP = '/groups/{groupId}'
_CLUSTER = _GROUP + '/clusters/{clusterName}'
_SNAPSHOTS = _CLUSTER + '/backup/snapshots'
_JOBS = _CLUSTER + '/backup/restoreJobs'
_TENANT = _CLUSTER + '/backup/tenant'
_FLEX = _GROUP + '/flexClusters/{name}'


class Requirement(t.NamedTuple):
    """What a call does, in words, and the roles any one of which allows it."""

    what: str
    roles: tuple[str, ...]


ROLES: dict[tuple[str, str], Requirement] = {
    # Clusters. The two lists are not in the spec excerpt: Project Read Only, as for reading one cluster (unverified).
    ('GET', _GROUP + '/clusters'): Requirement('listing the clusters', (READ_ONLY,)),
    ('GET', _GROUP + '/flexClusters'): Requirement('listing the Flex clusters', (READ_ONLY,)),
    ('GET', _CLUSTER): Requirement('reading a cluster', (READ_ONLY,)),
    ('GET', _FLEX): Requirement('reading a Flex cluster', (READ_ONLY,)),
    # Cloud-backup snapshots (dedicated clusters): replica set, and the sharded paths.
    ('GET', _SNAPSHOTS): Requirement('listing snapshots', (READ_ONLY,)),
    ('POST', _SNAPSHOTS): Requirement('taking an on-demand snapshot', (BACKUP_CREATOR,)),
    ('GET', _SNAPSHOTS + '/{snapshotId}'): Requirement('reading a snapshot', (READ_ONLY,)),
    ('PATCH', _SNAPSHOTS + '/{snapshotId}'): Requirement("changing a snapshot's expiry", (BACKUP_MANAGER,)),
    ('DELETE', _SNAPSHOTS + '/{snapshotId}'): Requirement('deleting a snapshot', (BACKUP_MANAGER,)),
    ('GET', _SNAPSHOTS + '/shardedClusters'): Requirement('listing sharded-cluster snapshots', (READ_ONLY,)),
    ('GET', _SNAPSHOTS + '/shardedCluster/{snapshotId}'): Requirement('reading a sharded-cluster snapshot', (READ_ONLY,)),
    ('DELETE', _SNAPSHOTS + '/shardedCluster/{snapshotId}'): Requirement('deleting a sharded-cluster snapshot', (BACKUP_MANAGER,)),
    # Restore jobs (dedicated): the spec asks more for reading them than for reading snapshots.
    ('GET', _JOBS): Requirement('listing restore jobs', (BACKUP_MANAGER,)),
    ('POST', _JOBS): Requirement('starting a restore job', (EXPORT_OPERATOR, RECOVERY_OPERATOR)),
    ('GET', _JOBS + '/{restoreJobId}'): Requirement('reading a restore job', (BACKUP_MANAGER,)),
    ('DELETE', _JOBS + '/{restoreJobId}'): Requirement('cancelling a restore job', (EXPORT_OPERATOR, RECOVERY_OPERATOR)),
    # Backup policy: the schedule and the Backup Compliance Policy.
    ('GET', _CLUSTER + '/backup/schedule'): Requirement('reading the backup schedule', (READ_ONLY,)),
    ('PATCH', _CLUSTER + '/backup/schedule'): Requirement('changing the backup schedule', (BACKUP_MANAGER,)),
    ('DELETE', _CLUSTER + '/backup/schedule'): Requirement("deleting the backup schedule's policies", (BACKUP_MANAGER,)),
    ('GET', _GROUP + '/backupCompliancePolicy'): Requirement('reading the Backup Compliance Policy', (OWNER,)),
    # Flex clusters (there is no DELETE of a Flex restore job).
    ('GET', _FLEX + '/backup/snapshots'): Requirement('listing Flex snapshots', (READ_ONLY,)),
    ('GET', _FLEX + '/backup/snapshots/{snapshotId}'): Requirement('reading a Flex snapshot', (READ_ONLY,)),
    ('POST', _FLEX + '/backup/download'): Requirement('requesting a Flex snapshot download', (EXPORT_OPERATOR,)),
    ('GET', _FLEX + '/backup/restoreJobs'): Requirement('listing Flex restore and download jobs', (READ_ONLY,)),
    ('POST', _FLEX + '/backup/restoreJobs'): Requirement('starting a Flex restore', (RECOVERY_OPERATOR,)),
    ('GET', _FLEX + '/backup/restoreJobs/{restoreJobId}'): Requirement('reading a Flex restore or download job', (READ_ONLY,)),
    # M2/M5 (tenant) paths, gone since 2026-01-22; the role is in each operation's description, not x-rolesRequirements.
    ('GET', _TENANT + '/snapshots'): Requirement('listing M2/M5 snapshots', (READ_ONLY,)),
    ('GET', _TENANT + '/snapshots/{snapshotId}'): Requirement('reading an M2/M5 snapshot', (READ_ONLY,)),
    ('POST', _TENANT + '/download'): Requirement('requesting an M2/M5 snapshot download', (OWNER,)),
    ('POST', _TENANT + '/restore'): Requirement('starting an M2/M5 restore', (OWNER,)),
    ('GET', _TENANT + '/restores'): Requirement('listing M2/M5 restore and download jobs', (READ_ONLY,)),
    ('GET', _TENANT + '/restores/{restoreId}'): Requirement('reading an M2/M5 restore or download job', (READ_ONLY,)),
}

API_PREFIX = re.compile(r'^/api/atlas/[^/]+(?=/)')


def _pattern(template: str) -> re.Pattern:
    return re.compile(re.sub(r'\\\{[^}]*\\\}', '[^/]+', re.escape(template)))


# Most literal first, so .../snapshots/shardedClusters is never read as the snapshot with id "shardedClusters".
_MATCHERS = sorted(((method, _pattern(template), requirement, template.count('{')) for (method, template), requirement in ROLES.items()),
                   key=lambda row: row[3])


def requirement(method: str, path: str) -> Requirement | None:
    """What `method path` needs: path as the client sends it (/api/atlas/<version>/groups/...) or without the prefix.

    None for a call outside the table: the token endpoint, the download host, an operation Atlas does not have.
    """
    path = API_PREFIX.sub('', path.split('?', 1)[0])
    return next((found for wanted, pattern, found, _count in _MATCHERS if wanted == method.upper() and pattern.fullmatch(path)), None)


def any_of(roles: t.Sequence[str]) -> str:
    """'Project Backup Manager (or Project Owner)'; 'A or B (or Project Owner)'; 'Project Owner'."""
    names = ' or '.join(roles)
    return names if tuple(roles) == (OWNER,) else f'{names} (or {OWNER})'

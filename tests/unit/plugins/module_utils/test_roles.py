# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The operation -> role table follows the spec's x-rolesRequirements (the copy beside this file, never a file outside the repository at run
time), covers every call the collection makes, and a refusal names the role of the call that was refused."""
from __future__ import annotations

import json
import os
import re

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils import _roles
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import (
    FLEX, REPLICA_SET, SHARDED, TENANT, Endpoints, cluster_path, clusters_path, flex_clusters_path)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import explain_error

COPY = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'roles_requirements.json')
GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e'
SNAPSHOT = '65a000000000000000000101'
JOB = '6a0000000000000000000001'
V2 = '/api/atlas/v2'


def spec_roles() -> dict[tuple[str, str], tuple[str, ...]]:
    """(method, path after /api/atlas/v2) -> roles, as the copy of the spec says."""
    with open(COPY, encoding='utf-8') as handle:
        copy = json.load(handle)
    found = {}
    for op in copy['operations']:
        roles = op.get('x-rolesRequirements')
        if roles is None:  # the deprecated tenant operations: the role is in their description
            roles = re.fullmatch(r'To use this resource, the requesting Service Account or API Key must have the (.+) role\.',
                                 op['description_role_sentence']).group(1).split(' or ')
        found[(op['method'], op['path'][len(V2):])] = tuple(roles)
    for op in copy['not_in_the_excerpt']:
        assert op['why']
        found[(op['method'], op['path'][len(V2):])] = tuple(op['roles'])
    return found


def test_the_table_is_the_spec():
    """Fails when a role differs from the spec, or an operation is in one and not the other."""
    table = {key: requirement.roles for key, requirement in _roles.ROLES.items()}
    expected = spec_roles()
    assert {key: roles for key, roles in table.items() if expected.get(key) != roles} == {}
    assert sorted(set(expected) - set(table)) == []


def test_reading_restore_jobs_needs_backup_manager():
    """The spec's x-rolesRequirements (issue 20): not Project Read Only, as 0.3.0's message said."""
    where = Endpoints(GROUP, 'Cluster0', REPLICA_SET)
    for method, path in (('GET', where.jobs), ('GET', where.job(JOB))):
        assert _roles.requirement(method, V2 + path).roles == (_roles.BACKUP_MANAGER,)
    flex = Endpoints(GROUP, 'Flex0', FLEX)
    assert _roles.requirement('GET', V2 + flex.jobs).roles == (_roles.READ_ONLY,)


def calls(kind: str) -> list[tuple[str, str]]:
    """Every (method, path) the services and modules send for a cluster of this kind (the paths come from _cluster)."""
    where = Endpoints(GROUP, 'Cluster0', kind)
    found = [('GET', where.snapshots), ('GET', where.snapshot(SNAPSHOT)), ('GET', where.jobs), ('GET', where.job(JOB)), ('POST', where.restore)]
    if kind in (REPLICA_SET, SHARDED):
        found += [('POST', where.take), ('PATCH', where.retention(SNAPSHOT)), ('DELETE', where.snapshot(SNAPSHOT)), ('DELETE', where.job(JOB)),
                  ('GET', where.schedule), ('PATCH', where.schedule), ('DELETE', where.schedule)]
    else:
        found.append(('POST', where.download))
    return found


@pytest.mark.parametrize('kind', [REPLICA_SET, SHARDED, FLEX, TENANT])
def test_every_call_has_a_role(kind):
    missing = [f'{method} {path}' for method, path in calls(kind) if _roles.requirement(method, V2 + path) is None]
    assert missing == []


def test_every_path_of_the_cluster_model_has_a_role():
    """A path added to _cluster (an Endpoints attribute, a project-level path) fails here until the table has its role."""
    paths = [cluster_path(GROUP, 'Cluster0'), clusters_path(GROUP), flex_clusters_path(GROUP),
             f'/groups/{GROUP}/backupCompliancePolicy']  # read by the backup-policy module
    for kind in (REPLICA_SET, SHARDED, FLEX, TENANT):
        where = Endpoints(GROUP, 'Cluster0', kind)
        paths += [value for value in vars(where).values() if isinstance(value, str) and value.startswith('/groups/')]
        paths += [where.snapshot(SNAPSHOT), where.retention(SNAPSHOT), where.job(JOB)]
    unknown = [path for path in paths if not any(_roles.requirement(method, path) for method in ('GET', 'POST', 'PATCH', 'DELETE'))]
    assert unknown == []


def test_lookup_by_full_path_any_version_and_the_literal_segment_first():
    base = f'/groups/{GROUP}/clusters/Cluster0/backup/snapshots'
    assert _roles.requirement('GET', f'/api/atlas/v2{base}/shardedClusters').what == 'listing sharded-cluster snapshots'
    assert _roles.requirement('GET', f'/api/atlas/v1.0{base}/{SNAPSHOT}').what == 'reading a snapshot'
    assert _roles.requirement('get', f'{base}?pageNum=2').what == 'listing snapshots'
    assert _roles.requirement('POST', base).roles == (_roles.BACKUP_CREATOR,)
    assert _roles.requirement('POST', '/api/oauth/token') is None
    assert _roles.requirement('GET', f'/backup-downloads/{JOB}/restore-{SNAPSHOT}.tar.gz') is None
    assert _roles.requirement('DELETE', f'/api/atlas/v2/groups/{GROUP}/flexClusters/Flex0/backup/restoreJobs/{JOB}') is None  # no such operation
    assert _roles.requirement('GET', f'/api/atlas/v2/groups/{GROUP}/clusters').what == 'listing the clusters'


def test_any_of():
    assert _roles.any_of((_roles.READ_ONLY,)) == 'Project Read Only (or Project Owner)'
    assert _roles.any_of((_roles.EXPORT_OPERATOR, _roles.RECOVERY_OPERATOR)) == \
        'Project Backup Export Operator or Project Backup Recovery Operator (or Project Owner)'
    assert _roles.any_of((_roles.OWNER,)) == 'Project Owner'


def refused(status, code, method, path, who=None):
    err = AtlasApiError(status, code, 'Current user is not authorized to perform this action.', method, V2 + path)
    err.who = who
    return explain_error('do the thing', err, GROUP, 'Cluster0')


@pytest.mark.parametrize('method, path, says', [
    ('GET', '/backup/restoreJobs', 'listing restore jobs needs Project Backup Manager (or Project Owner)'),
    ('GET', f'/backup/restoreJobs/{JOB}', 'reading a restore job needs Project Backup Manager (or Project Owner)'),
    ('POST', '/backup/restoreJobs', 'starting a restore job needs Project Backup Export Operator or Project Backup Recovery Operator (or Project Owner)'),
    ('POST', '/backup/snapshots', 'taking an on-demand snapshot needs Project Backup Creator (or Project Owner)'),
    ('PATCH', f'/backup/snapshots/{SNAPSHOT}', "changing a snapshot's expiry needs Project Backup Manager (or Project Owner)"),
    ('DELETE', f'/backup/snapshots/shardedCluster/{SNAPSHOT}', 'deleting a sharded-cluster snapshot needs Project Backup Manager (or Project Owner)'),
    ('POST', '/backup/tenant/download', 'requesting an M2/M5 snapshot download needs Project Owner'),
])
def test_a_401_for_want_of_a_role_names_the_role_of_the_refused_call(method, path, says):
    message = refused(401, 'USER_UNAUTHORIZED', method, f'/groups/{GROUP}/clusters/Cluster0{path}', who='the service account')
    assert message == f'Failed to do the thing: the service account does not have a project role that allows this: {says} (USER_UNAUTHORIZED).'


def test_a_403_names_the_role_too_and_falls_back_when_the_call_is_unknown():
    flex = f'/groups/{GROUP}/flexClusters/Flex0/backup/download'
    assert refused(403, None, 'POST', flex) == ('Failed to do the thing: Atlas refused the request (HTTP 403): Current user is not authorized to '
                                                'perform this action. Requesting a Flex snapshot download needs Project Backup Export Operator '
                                                '(or Project Owner): check the roles of the API key.')
    policy = refused(403, 'USER_UNAUTHORIZED', 'GET', f'/groups/{GROUP}/backupCompliancePolicy')
    assert 'Reading the Backup Compliance Policy needs Project Owner: check the roles of the API key (USER_UNAUTHORIZED).' in policy
    unknown = refused(403, None, 'GET', '/groups/x/somethingElse')
    assert unknown.endswith('(HTTP 403): Current user is not authorized to perform this action. Check the roles of the API key.')
    assert refused(401, 'USER_UNAUTHORIZED', 'GET', '/groups/x/somethingElse').endswith(
        'the API key does not have a project role that allows this. Check its project roles (USER_UNAUTHORIZED).')

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Atlas API route table: for each endpoint its handler, resource versions, required permission and rate-limit set."""
from __future__ import annotations

import dataclasses
import re
import typing as t

from atlas_simulator import routes_backup as backup, routes_download_jobs as shared, routes_restore as restore, routes_schedule as schedule
from atlas_simulator.errors import ApiError
from atlas_simulator.routes_common import NAME, Context, check_id

BACKUP_VERSIONS = ('2023-01-01',)
FLEX_VERSIONS = ('2024-11-13',)
CLUSTER_VERSIONS = ('2023-01-01', '2023-02-01', '2024-08-05')
SCHEDULE_VERSIONS = ('2023-01-01', '2024-08-05')
COMPLIANCE_VERSIONS = ('2023-10-01',)


@dataclasses.dataclass
class Route:
    """One endpoint: `pattern` matches the path after /api/atlas/<version>."""

    method: str
    pattern: re.Pattern
    handler: t.Callable[..., tuple[int, t.Any]]
    versions: tuple[str, ...]
    permission: str           # a key of auth.PERMISSIONS
    endpoint_set: str         # rate-limit bucket: a key of config.RATE_LIMIT_SETS
    v2_only: bool = False


def _route(method: str, suffix: str, handler: t.Callable[..., tuple[int, t.Any]], versions: tuple[str, ...], permission: str,
           endpoint_set: str, v2_only: bool = False) -> Route:
    pattern = re.compile('^/groups/(?P<group>[^/]+)' + suffix.replace('{name}', '(?P<name>[^/]+)').replace('{id}', '(?P<id>[^/]+)') + '$')
    return Route(method, pattern, handler, versions, permission, endpoint_set, v2_only)


SNAP = '/clusters/{name}/backup/snapshots'
TENANT = '/clusters/{name}/backup/tenant'
FLEX = '/flexClusters/{name}/backup'
RESTORE = '/clusters/{name}/backup/restoreJobs'
ROUTES = [
    _route('GET', '/clusters', backup.list_clusters, CLUSTER_VERSIONS, 'read', 'clusters'),
    _route('GET', '/flexClusters', backup.list_flex_clusters, FLEX_VERSIONS, 'read', 'flex_clusters', v2_only=True),
    _route('GET', '/clusters/{name}', backup.get_cluster, CLUSTER_VERSIONS, 'read', 'clusters'),
    _route('GET', '/flexClusters/{name}', backup.get_flex_cluster, FLEX_VERSIONS, 'read', 'flex_clusters', v2_only=True),
    _route('GET', SNAP, backup.list_snapshots, BACKUP_VERSIONS, 'read', 'cloud_backups'),
    _route('POST', SNAP, backup.take_snapshot, BACKUP_VERSIONS, 'take', 'cloud_backups'),
    _route('GET', SNAP + '/shardedClusters', backup.list_sharded_snapshots, BACKUP_VERSIONS, 'read', 'cloud_backups'),
    _route('GET', SNAP + '/shardedCluster/{id}', backup.get_sharded_snapshot, BACKUP_VERSIONS, 'read', 'cloud_backups'),
    _route('DELETE', SNAP + '/shardedCluster/{id}', backup.delete_sharded_snapshot, BACKUP_VERSIONS, 'manage', 'cloud_backups'),
    _route('GET', SNAP + '/{id}', backup.get_snapshot, BACKUP_VERSIONS, 'read', 'cloud_backups'),
    _route('PATCH', SNAP + '/{id}', backup.patch_snapshot, BACKUP_VERSIONS, 'manage', 'cloud_backups'),
    _route('DELETE', SNAP + '/{id}', backup.delete_snapshot, BACKUP_VERSIONS, 'manage', 'cloud_backups'),
    _route('GET', '/clusters/{name}/backup/schedule', schedule.get_schedule, SCHEDULE_VERSIONS, 'read', 'cloud_backups'),
    _route('PATCH', '/clusters/{name}/backup/schedule', schedule.patch_schedule, SCHEDULE_VERSIONS, 'manage', 'cloud_backups'),
    _route('DELETE', '/clusters/{name}/backup/schedule', schedule.delete_schedule, SCHEDULE_VERSIONS, 'manage', 'cloud_backups'),
    _route('GET', '/backupCompliancePolicy', schedule.get_compliance_policy, COMPLIANCE_VERSIONS, 'compliance', 'cloud_backups', v2_only=True),
    _route('GET', RESTORE, restore.list_restore_jobs, BACKUP_VERSIONS, 'restore_read', 'cloud_backups'),
    _route('POST', RESTORE, restore.create_restore_job, BACKUP_VERSIONS, 'restore', 'cloud_backups'),
    _route('GET', RESTORE + '/{id}', restore.get_restore_job, BACKUP_VERSIONS, 'restore_read', 'cloud_backups'),
    _route('DELETE', RESTORE + '/{id}', restore.cancel_restore_job, BACKUP_VERSIONS, 'restore', 'cloud_backups'),
    _route('GET', TENANT + '/snapshots', shared.tenant_snapshots, BACKUP_VERSIONS, 'read', 'shared_tier_snapshots'),
    _route('GET', TENANT + '/snapshots/{id}', shared.tenant_snapshot, BACKUP_VERSIONS, 'read', 'shared_tier_snapshots'),
    _route('POST', TENANT + '/download', shared.tenant_download, BACKUP_VERSIONS, 'tenant_download', 'shared_tier_snapshots'),
    _route('POST', TENANT + '/restore', shared.tenant_restore_create, BACKUP_VERSIONS, 'tenant_download', 'shared_tier_restore_jobs'),
    _route('GET', TENANT + '/restores', shared.tenant_restores, BACKUP_VERSIONS, 'read', 'shared_tier_restore_jobs'),
    _route('GET', TENANT + '/restores/{id}', shared.tenant_restore, BACKUP_VERSIONS, 'read', 'shared_tier_restore_jobs'),
    _route('GET', FLEX + '/snapshots', shared.flex_snapshots, FLEX_VERSIONS, 'read', 'flex_snapshots', v2_only=True),
    _route('GET', FLEX + '/snapshots/{id}', shared.flex_snapshot, FLEX_VERSIONS, 'read', 'flex_snapshots', v2_only=True),
    _route('POST', FLEX + '/download', shared.flex_download, FLEX_VERSIONS, 'flex_download', 'flex_snapshots', v2_only=True),
    _route('POST', FLEX + '/restoreJobs', shared.flex_restore, FLEX_VERSIONS, 'flex_restore', 'flex_restore_jobs', v2_only=True),
    _route('GET', FLEX + '/restoreJobs', shared.flex_jobs, FLEX_VERSIONS, 'read', 'flex_restore_jobs', v2_only=True),
    _route('GET', FLEX + '/restoreJobs/{id}', shared.flex_job, FLEX_VERSIONS, 'read', 'flex_restore_jobs', v2_only=True),
]


def match(method: str, api_path: str, api_version: str) -> tuple[Route, dict[str, str]]:
    """The route for a request (api_path is the part after /api/atlas/<version>), or a 404/405 ApiError."""
    allowed = False
    for route in ROUTES:
        found = route.pattern.match(api_path)
        if not found or (route.v2_only and api_version != 'v2'):
            continue
        if route.method != method:
            allowed = True
            continue
        return route, found.groupdict()
    if allowed:
        raise ApiError(405, 'METHOD_NOT_ALLOWED', f'Method {method} is not allowed on this resource.')
    raise ApiError(404, 'RESOURCE_NOT_FOUND', f'Cannot find resource {api_path}.', [api_path])


def check_path_params(params: dict[str, str], group_exists: t.Callable[[str], bool]) -> None:
    """Bad ids and names are 400 INVALID_PATH_PARAMETER; an unknown project is 404 GROUP_NOT_FOUND."""
    check_id('groupId', params['group'])
    if 'name' in params and not NAME.match(params['name']):
        raise ApiError(400, 'INVALID_PATH_PARAMETER', f'The path parameter clusterName with value {params["name"]} is invalid.',
                       ['clusterName', params['name']])
    if not group_exists(params['group']):
        raise ApiError(404, 'GROUP_NOT_FOUND', f'No group with ID {params["group"]} exists.', [params['group']])


def call(route: Route, ctx: Context, params: dict[str, str]) -> tuple[int, t.Any]:
    args = ([params['name']] if 'name' in params else []) + ([params['id']] if 'id' in params else [])
    return route.handler(ctx, *args)

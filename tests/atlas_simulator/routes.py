# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Atlas API endpoints: the route table, per-route rules (resource version, permission, rate-limit set), and handlers."""
from __future__ import annotations

import dataclasses
import datetime
import re
import typing as t
import urllib.parse

from atlas_simulator import render
from atlas_simulator.errors import ApiError, bad_attribute, not_found_cluster, validation
from atlas_simulator.state import FLEX, FREE, SHARDED, TENANT, Cluster, DownloadJob, Snapshot, World

ID = re.compile(r'^[a-f0-9]{24}$')
NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9-]*$')
BACKUP_VERSIONS = ('2023-01-01',)
FLEX_VERSIONS = ('2024-11-13',)
CLUSTER_VERSIONS = ('2023-01-01', '2023-02-01', '2024-08-05')
RETENTION_UNITS = {'DAYS': 1, 'WEEKS': 7, 'MONTHS': 30, 'YEARS': 365}
UNFINISHED = ('queued', 'inProgress')


@dataclasses.dataclass
class Context:
    """What a handler needs to answer one request."""

    world: World
    now: datetime.datetime
    base: str                 # scheme://host of the API server, for links
    version: str              # 'v1.0' or the v2 resource version accepted
    query: dict[str, list[str]]
    path: str
    body: t.Any
    snapshot_url: t.Callable[[DownloadJob], str]


@dataclasses.dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: t.Callable[..., tuple[int, t.Any]]
    versions: tuple[str, ...]
    permission: str
    endpoint_set: str
    v2_only: bool = False


# ---------------------------------------------------------------- lookups
def _cluster(ctx: Context, name: str) -> Cluster:
    cluster = ctx.world.cluster(name)
    if cluster is None:
        raise not_found_cluster(name, ctx.world.group_id)
    return cluster


def _kind(ctx: Context, cluster: Cluster) -> str:
    return cluster.effective_kind(ctx.world.config['tenant_sunset'])


def _backup_cluster(ctx: Context, name: str) -> Cluster:
    """A cluster served by the cloud-backup API (dedicated), or Atlas's refusal."""
    cluster = _cluster(ctx, name)
    kind = _kind(ctx, cluster)
    if kind == FLEX:
        raise ApiError(400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API', f'Flex cluster {name} cannot be used in the Cluster API.', [name])
    if kind in (FREE, TENANT):
        raise ApiError(400, 'PROVIDER_BACKUP_NOT_SUPPORTED', 'Provider snapshot backups are not supported for this type of provider.', [name])
    return cluster


def _flex_cluster(ctx: Context, name: str) -> Cluster:
    cluster = _cluster(ctx, name)
    if _kind(ctx, cluster) != FLEX:
        raise ApiError(400, 'CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API', f'Cluster {name} is not a Flex cluster and cannot be used in the Flex API.', [name])
    return cluster


def _tenant_cluster(ctx: Context, name: str) -> Cluster:
    """Before the sunset, the tenant API served M2/M5 and Flex clusters; never M0 or dedicated ones."""
    cluster = _cluster(ctx, name)
    if cluster.kind not in (TENANT, FLEX):
        raise ApiError(400, 'TENANT_CLUSTER_NOT_SUPPORTED', f'Cluster {name} is not a shared-tier cluster; the tenant backup API does not serve it.', [name])
    return cluster


def _snapshot(cluster: Cluster, snapshot_id: str, code: str = 'SNAPSHOT_NOT_FOUND') -> Snapshot:
    _check_id('snapshotId', snapshot_id)
    for snap in cluster.snapshots:
        if snap.id == snapshot_id:
            return snap
    raise ApiError(404, code, f'No snapshot with ID {snapshot_id} exists for cluster {cluster.name}.', [snapshot_id, cluster.name])


def _check_id(name: str, value: str) -> None:
    if not ID.match(value):
        raise ApiError(400, 'INVALID_PATH_PARAMETER', f'The path parameter {name} with value {value} is invalid.', [name, value])


# ---------------------------------------------------------------- bodies and paging
def _body(ctx: Context, fields: dict[str, type], required: tuple[str, ...] = ()) -> dict[str, t.Any]:
    body = ctx.body
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(400, 'INVALID_JSON', 'The request body must be a JSON object.')
    for key, value in body.items():
        if key not in fields:
            raise bad_attribute(key)
        kind = fields[key]
        if (kind is int and (isinstance(value, bool) or not isinstance(value, int))) or (kind is not int and not isinstance(value, kind)):
            raise validation(f'Invalid value for attribute {key}: expected {kind.__name__}.')
    for key in required:
        if key not in body:
            raise ApiError(400, 'MISSING_ATTRIBUTE', f'The required attribute {key} was not specified.', [key])
    return body


def _flag(ctx: Context, name: str, default: bool) -> bool:
    value = ctx.query.get(name, [str(default).lower()])[0].lower()
    if value not in ('true', 'false'):
        raise ApiError(400, 'INVALID_QUERY_PARAMETER', f'Invalid query parameter {name}={value}.', [name, value])
    return value == 'true'


def _int_query(ctx: Context, name: str, default: int, low: int, high: int) -> int:
    raw = ctx.query.get(name, [str(default)])[0]
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(400, 'INVALID_QUERY_PARAMETER', f'Invalid query parameter {name}={raw}: must be between {low} and {high}.', [name, raw])
    return value


def page(ctx: Context, items: list[t.Any]) -> dict[str, t.Any]:
    """One page of a list, with totalCount and self/previous/next links (FACTS 5.1)."""
    per_page = _int_query(ctx, 'itemsPerPage', 100, 1, 500)
    number = _int_query(ctx, 'pageNum', 1, 1, 1000000)
    include_count = _flag(ctx, 'includeCount', True)
    start = (number - 1) * per_page
    doc: dict[str, t.Any] = {'results': items[start:start + per_page]}

    def link(rel: str, num: int) -> dict[str, str]:
        query = urllib.parse.urlencode({'includeCount': str(include_count).lower(), 'pageNum': num, 'itemsPerPage': per_page})
        return {'href': f'{ctx.base}{ctx.path}?{query}', 'rel': rel}

    doc['links'] = [link('self', number)]
    if number > 1:
        doc['links'].append(link('previous', number - 1))
    if start + per_page < len(items):
        doc['links'].append(link('next', number + 1))
    if include_count:
        doc['totalCount'] = len(items)
    return doc


# ---------------------------------------------------------------- clusters
def get_cluster(ctx: Context, name: str) -> tuple[int, t.Any]:
    cluster = _cluster(ctx, name)
    if _kind(ctx, cluster) == FLEX:
        raise ApiError(400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API', f'Flex cluster {name} cannot be used in the Cluster API.', [name])
    return 200, render.cluster_description(cluster, ctx.version, ctx.base, ctx.world.group_id)


def get_flex_cluster(ctx: Context, name: str) -> tuple[int, t.Any]:
    return 200, render.flex_description(_flex_cluster(ctx, name), ctx.base, ctx.world.group_id)


# ---------------------------------------------------------------- cloud backup
def _cloud(ctx: Context, cluster: Cluster, snap: Snapshot) -> dict[str, t.Any]:
    return render.cloud_snapshot(snap, cluster, ctx.now, ctx.base, ctx.world.group_id)


def list_snapshots(ctx: Context, name: str, sharded: bool = False) -> tuple[int, t.Any]:
    """The replica-set list on a sharded cluster (and the sharded list on a replica set) is empty."""
    cluster = _backup_cluster(ctx, name)
    items = [_cloud(ctx, cluster, snap) for snap in cluster.snapshots] if (cluster.kind == SHARDED) == sharded else []
    return 200, page(ctx, items)


def list_sharded_snapshots(ctx: Context, name: str) -> tuple[int, t.Any]:
    return list_snapshots(ctx, name, sharded=True)


def take_snapshot(ctx: Context, name: str) -> tuple[int, t.Any]:
    cluster = _backup_cluster(ctx, name)
    body = _body(ctx, {'description': str, 'retentionInDays': int})
    retention = body.get('retentionInDays', 1)
    if retention < 1:
        raise ApiError(400, 'BACKUP_SNAPSHOT_RETENTION_VALUE_INVALID', f'Retention value {retention} is invalid: it must be at least 1.', [retention])
    busy = [snap for snap in cluster.snapshots if snap.snapshot_type == 'onDemand' and snap.status(ctx.now) in UNFINISHED]
    if busy:
        raise ApiError(400, 'UNFINISHED_ON_DEMAND_SNAPSHOT', 'Another on-demand snapshot is queued or in progress.', [busy[0].id])
    snap = ctx.world.take_snapshot(cluster, ctx.now, body.get('description'), retention)
    return 200, _cloud(ctx, cluster, snap)


def _replica_set_snapshot(ctx: Context, name: str, snapshot_id: str, any_kind: bool = False) -> tuple[Cluster, Snapshot]:
    cluster = _backup_cluster(ctx, name)
    snap = _snapshot(cluster, snapshot_id)
    if cluster.kind == SHARDED and not any_kind:
        raise ApiError(404, 'SNAPSHOT_NOT_FOUND', f'No snapshot with ID {snapshot_id} exists for cluster {name}.', [snapshot_id, name])
    return cluster, snap


def get_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    cluster, snap = _replica_set_snapshot(ctx, name, snapshot_id)
    return 200, _cloud(ctx, cluster, snap)


def get_sharded_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    cluster = _backup_cluster(ctx, name)
    snap = _snapshot(cluster, snapshot_id)
    if cluster.kind != SHARDED:
        raise ApiError(404, 'SNAPSHOT_NOT_FOUND', f'No snapshot with ID {snapshot_id} exists for cluster {name}.', [snapshot_id, name])
    return 200, _cloud(ctx, cluster, snap)


def patch_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    """Retention is changed on the replica-set path for both cluster types."""
    cluster, snap = _replica_set_snapshot(ctx, name, snapshot_id, any_kind=True)
    body = _body(ctx, {'retentionUnit': str, 'retentionValue': int}, required=('retentionUnit', 'retentionValue'))
    if body['retentionUnit'] not in RETENTION_UNITS:
        raise ApiError(400, 'INVALID_ENUM_VALUE', f'Invalid enumeration value {body["retentionUnit"]} for field retentionUnit.', ['retentionUnit'])
    if body['retentionValue'] < 1:
        raise ApiError(400, 'BACKUP_SNAPSHOT_RETENTION_VALUE_INVALID', 'Retention value must be at least 1.', [body['retentionValue']])
    if snap.status(ctx.now) in UNFINISHED:
        raise ApiError(400, 'CANNOT_MODIFY_IN_PROGRESS_SNAPSHOT_RETENTION', 'Cannot modify the retention of a snapshot that is in progress.', [snapshot_id])
    snap.expires_at = snap.created_at() + datetime.timedelta(days=RETENTION_UNITS[body['retentionUnit']] * body['retentionValue'])
    return 200, _cloud(ctx, cluster, snap)


def _delete(cluster: Cluster, snap: Snapshot, now: datetime.datetime) -> tuple[int, t.Any]:
    if snap.status(now) in UNFINISHED:
        raise ApiError(400, 'CANNOT_DELETE_IN_PROGRESS_SNAPSHOT', 'Cannot delete a snapshot that is in progress.', [snap.id])
    cluster.snapshots.remove(snap)
    return 204, None


def delete_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    cluster, snap = _replica_set_snapshot(ctx, name, snapshot_id)
    return _delete(cluster, snap, ctx.now)


def delete_sharded_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    cluster = _backup_cluster(ctx, name)
    snap = _snapshot(cluster, snapshot_id)
    if cluster.kind != SHARDED:
        raise ApiError(404, 'SNAPSHOT_NOT_FOUND', f'No snapshot with ID {snapshot_id} exists for cluster {name}.', [snapshot_id, name])
    return _delete(cluster, snap, ctx.now)


# ---------------------------------------------------------------- tenant and flex
def _shared(ctx: Context, cluster: Cluster, snap: Snapshot, api: str) -> dict[str, t.Any]:
    version = 'v1.0' if api == 'tenant' and ctx.version == 'v1.0' else 'v2'
    prefix = f'/api/atlas/{version}/groups/{ctx.world.group_id}'
    path = f'{prefix}/flexClusters/{cluster.name}/backup/snapshots/{snap.id}' if api == 'flex' else \
        f'{prefix}/clusters/{cluster.name}/backup/tenant/snapshots/{snap.id}'
    return render.shared_tier_snapshot(snap, path, ctx.now, ctx.base)


def _job_doc(ctx: Context, job: DownloadJob) -> dict[str, t.Any]:
    group = ctx.world.group_id
    path = f'/api/atlas/v2/groups/{group}/flexClusters/{job.cluster}/backup/restoreJobs/{job.id}' if job.api == 'flex' else \
        f'/api/atlas/v2/groups/{group}/clusters/{job.cluster}/backup/tenant/restores/{job.id}'
    return render.download_job(job, ctx.now, ctx.base, path, group, ctx.snapshot_url)


def _request_download(ctx: Context, cluster: Cluster, api: str) -> tuple[int, t.Any]:
    extra = {'targetDeploymentItemName': str, 'targetProjectId': str} if api == 'tenant' else {}
    body = _body(ctx, dict({'snapshotId': str}, **extra), required=('snapshotId',))
    if not ID.match(body['snapshotId']):
        raise bad_attribute('snapshotId', f'Invalid snapshotId {body["snapshotId"]}: expected 24 hexadecimal characters.')
    snap = _snapshot(cluster, body['snapshotId'], 'TENANT_SNAPSHOT_NOT_FOUND' if api == 'tenant' else 'SNAPSHOT_NOT_FOUND')
    if snap.status(ctx.now) != 'completed':
        raise ApiError(409, 'CANNOT_DOWNLOAD_INCOMPLETE_SNAPSHOT', f'Snapshot {snap.id} is not complete and cannot be downloaded.', [snap.id])
    if any(job.snapshot_id == snap.id and job.status(ctx.now) in ('PENDING', 'QUEUED', 'RUNNING') for job in ctx.world.jobs_for(cluster.name)):
        raise ApiError(400, 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY', f'Snapshot {snap.id} is already being downloaded.', [snap.id])
    return 200, _job_doc(ctx, ctx.world.request_download(api, cluster, snap.id, ctx.now))


def _jobs(ctx: Context, cluster: Cluster, api: str) -> tuple[int, t.Any]:
    return 200, page(ctx, [_job_doc(ctx, job) for job in ctx.world.jobs_for(cluster.name) if job.api == api])


def _one_job(ctx: Context, cluster: Cluster, job_id: str, api: str) -> tuple[int, t.Any]:
    _check_id('restoreJobId', job_id)
    job = ctx.world.job(job_id)
    if job is None or job.cluster != cluster.name or job.api != api:
        code = 'TENANT_RESTORE_NOT_FOUND' if api == 'tenant' else 'RESTORE_JOB_NOT_FOUND'
        raise ApiError(404, code, f'No restore job with ID {job_id} exists for cluster {cluster.name}.', [job_id, cluster.name])
    return 200, _job_doc(ctx, job)


def tenant_snapshots(ctx: Context, name: str) -> tuple[int, t.Any]:
    cluster = _tenant_cluster(ctx, name)
    return 200, page(ctx, [_shared(ctx, cluster, snap, 'tenant') for snap in cluster.snapshots])


def tenant_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    cluster = _tenant_cluster(ctx, name)
    return 200, _shared(ctx, cluster, _snapshot(cluster, snapshot_id, 'TENANT_SNAPSHOT_NOT_FOUND'), 'tenant')


def tenant_download(ctx: Context, name: str) -> tuple[int, t.Any]:
    return _request_download(ctx, _tenant_cluster(ctx, name), 'tenant')


def tenant_restores(ctx: Context, name: str) -> tuple[int, t.Any]:
    return _jobs(ctx, _tenant_cluster(ctx, name), 'tenant')


def tenant_restore(ctx: Context, name: str, job_id: str) -> tuple[int, t.Any]:
    return _one_job(ctx, _tenant_cluster(ctx, name), job_id, 'tenant')


def flex_snapshots(ctx: Context, name: str) -> tuple[int, t.Any]:
    cluster = _flex_cluster(ctx, name)
    return 200, page(ctx, [_shared(ctx, cluster, snap, 'flex') for snap in cluster.snapshots])


def flex_snapshot(ctx: Context, name: str, snapshot_id: str) -> tuple[int, t.Any]:
    cluster = _flex_cluster(ctx, name)
    return 200, _shared(ctx, cluster, _snapshot(cluster, snapshot_id), 'flex')


def flex_download(ctx: Context, name: str) -> tuple[int, t.Any]:
    return _request_download(ctx, _flex_cluster(ctx, name), 'flex')


def flex_jobs(ctx: Context, name: str) -> tuple[int, t.Any]:
    return _jobs(ctx, _flex_cluster(ctx, name), 'flex')


def flex_job(ctx: Context, name: str, job_id: str) -> tuple[int, t.Any]:
    return _one_job(ctx, _flex_cluster(ctx, name), job_id, 'flex')


# ---------------------------------------------------------------- the table
def _route(method: str, suffix: str, handler: t.Callable[..., tuple[int, t.Any]], versions: tuple[str, ...], permission: str,
           endpoint_set: str, v2_only: bool = False) -> Route:
    pattern = re.compile('^/groups/(?P<group>[^/]+)' + suffix.replace('{name}', '(?P<name>[^/]+)').replace('{id}', '(?P<id>[^/]+)') + '$')
    return Route(method, pattern, handler, versions, permission, endpoint_set, v2_only)


SNAP = '/clusters/{name}/backup/snapshots'
ROUTES = [
    _route('GET', '/clusters/{name}', get_cluster, CLUSTER_VERSIONS, 'read', 'clusters'),
    _route('GET', '/flexClusters/{name}', get_flex_cluster, FLEX_VERSIONS, 'read', 'flex', v2_only=True),
    _route('GET', SNAP, list_snapshots, BACKUP_VERSIONS, 'read', 'backup'),
    _route('POST', SNAP, take_snapshot, BACKUP_VERSIONS, 'take', 'backup'),
    _route('GET', SNAP + '/shardedClusters', list_sharded_snapshots, BACKUP_VERSIONS, 'read', 'backup'),
    _route('GET', SNAP + '/shardedCluster/{id}', get_sharded_snapshot, BACKUP_VERSIONS, 'read', 'backup'),
    _route('DELETE', SNAP + '/shardedCluster/{id}', delete_sharded_snapshot, BACKUP_VERSIONS, 'manage', 'backup'),
    _route('GET', SNAP + '/{id}', get_snapshot, BACKUP_VERSIONS, 'read', 'backup'),
    _route('PATCH', SNAP + '/{id}', patch_snapshot, BACKUP_VERSIONS, 'manage', 'backup'),
    _route('DELETE', SNAP + '/{id}', delete_snapshot, BACKUP_VERSIONS, 'manage', 'backup'),
    _route('GET', '/clusters/{name}/backup/tenant/snapshots', tenant_snapshots, BACKUP_VERSIONS, 'read', 'tenant'),
    _route('GET', '/clusters/{name}/backup/tenant/snapshots/{id}', tenant_snapshot, BACKUP_VERSIONS, 'read', 'tenant'),
    _route('POST', '/clusters/{name}/backup/tenant/download', tenant_download, BACKUP_VERSIONS, 'tenant_download', 'tenant'),
    _route('GET', '/clusters/{name}/backup/tenant/restores', tenant_restores, BACKUP_VERSIONS, 'read', 'tenant'),
    _route('GET', '/clusters/{name}/backup/tenant/restores/{id}', tenant_restore, BACKUP_VERSIONS, 'read', 'tenant'),
    _route('GET', '/flexClusters/{name}/backup/snapshots', flex_snapshots, FLEX_VERSIONS, 'read', 'flex', v2_only=True),
    _route('GET', '/flexClusters/{name}/backup/snapshots/{id}', flex_snapshot, FLEX_VERSIONS, 'read', 'flex', v2_only=True),
    _route('POST', '/flexClusters/{name}/backup/download', flex_download, FLEX_VERSIONS, 'flex_download', 'flex', v2_only=True),
    _route('GET', '/flexClusters/{name}/backup/restoreJobs', flex_jobs, FLEX_VERSIONS, 'read', 'flex', v2_only=True),
    _route('GET', '/flexClusters/{name}/backup/restoreJobs/{id}', flex_job, FLEX_VERSIONS, 'read', 'flex', v2_only=True),
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
    _check_id('groupId', params['group'])
    if not NAME.match(params['name']):
        raise ApiError(400, 'INVALID_PATH_PARAMETER', f'The path parameter clusterName with value {params["name"]} is invalid.',
                       ['clusterName', params['name']])
    if not group_exists(params['group']):
        raise ApiError(404, 'GROUP_NOT_FOUND', f'No group with ID {params["group"]} exists.', [params['group']])


def call(route: Route, ctx: Context, params: dict[str, str]) -> tuple[int, t.Any]:
    args = [params['name']] + ([params['id']] if 'id' in params else [])
    return route.handler(ctx, *args)

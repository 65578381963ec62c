# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every API handler shares: the request context, cluster and snapshot lookups by kind, body checks, paging."""
from __future__ import annotations

import dataclasses
import datetime
import re
import typing as t
import urllib.parse

from atlas_simulator.config import tenant_gone
from atlas_simulator.errors import ApiError, bad_attribute, not_found_cluster, validation
from atlas_simulator.state import FLEX, FREE, TENANT, Cluster, DownloadJob, RestoreJob, Snapshot, World

ID = re.compile(r'^[a-f0-9]{24}$')
NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9-]*$')
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
    restore_url: t.Callable[[RestoreJob, str, str], str]   # (job, replicaSetName, member snapshot id) -> pre-signed link


# ---------------------------------------------------------------- lookups
def cluster_named(ctx: Context, name: str) -> Cluster:
    cluster = ctx.world.cluster(name)
    if cluster is None:
        raise not_found_cluster(name, ctx.world.group_id)
    return cluster


def kind_of(ctx: Context, cluster: Cluster) -> str:
    """The cluster's kind as Atlas presents it in the configured world (in 2026, M2/M5 clusters are Flex clusters)."""
    return cluster.effective_kind(tenant_gone(ctx.world.config))


def flex_refusal(name: str) -> ApiError:
    return ApiError(400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API', f'Flex cluster {name} cannot be used in the Cluster API.', [name])


def backup_cluster(ctx: Context, name: str) -> Cluster:
    """A cluster served by the cloud-backup API (dedicated), or Atlas's refusal."""
    cluster = cluster_named(ctx, name)
    kind = kind_of(ctx, cluster)
    if kind == FLEX:
        raise flex_refusal(name)
    if kind in (FREE, TENANT):
        raise ApiError(400, 'PROVIDER_BACKUP_NOT_SUPPORTED', 'Provider snapshot backups are not supported for this type of provider.', [name])
    return cluster


def flex_cluster(ctx: Context, name: str) -> Cluster:
    cluster = cluster_named(ctx, name)
    if kind_of(ctx, cluster) != FLEX:
        raise ApiError(400, 'CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API', f'Cluster {name} is not a Flex cluster and cannot be used in the Flex API.', [name])
    return cluster


def tenant_cluster(ctx: Context, name: str) -> Cluster:
    """Before the sunset, the tenant API served M2/M5 and Flex clusters; never M0 or dedicated ones."""
    cluster = cluster_named(ctx, name)
    if cluster.kind not in (TENANT, FLEX):
        raise ApiError(400, 'TENANT_CLUSTER_NOT_SUPPORTED', f'Cluster {name} is not a shared-tier cluster; the tenant backup API does not serve it.', [name])
    return cluster


def check_id(name: str, value: str) -> None:
    """Ids in paths are 24 lowercase hex characters; anything else is 400 INVALID_PATH_PARAMETER."""
    if not ID.match(value):
        raise ApiError(400, 'INVALID_PATH_PARAMETER', f'The path parameter {name} with value {value} is invalid.', [name, value])


def snapshot_not_found(snapshot_id: str, cluster: str, code: str = 'SNAPSHOT_NOT_FOUND') -> ApiError:
    return ApiError(404, code, f'No snapshot with ID {snapshot_id} exists for cluster {cluster}.', [snapshot_id, cluster])


def find_snapshot(cluster: Cluster, snapshot_id: str, code: str = 'SNAPSHOT_NOT_FOUND') -> Snapshot:
    check_id('snapshotId', snapshot_id)
    for snap in cluster.snapshots:
        if snap.id == snapshot_id:
            return snap
    raise snapshot_not_found(snapshot_id, cluster.name, code)


# ---------------------------------------------------------------- bodies and paging
def parse_body(ctx: Context, fields: dict[str, type], required: tuple[str, ...] = ()) -> dict[str, t.Any]:
    """Unknown field: INVALID_ATTRIBUTE; wrong type: VALIDATION_ERROR; missing required: MISSING_ATTRIBUTE."""
    body = {} if ctx.body is None else ctx.body
    if not isinstance(body, dict):
        raise ApiError(400, 'INVALID_JSON', 'The request body must be a JSON object.')
    for key, value in body.items():
        if key not in fields:
            raise bad_attribute(key)
        kind = fields[key]
        if (kind is int and (isinstance(value, bool) or not isinstance(value, int))) or (kind is not int and not isinstance(value, kind)):
            error = validation(f'Invalid value for attribute {key}: expected {kind.__name__}.')
            error.parameters = [key]
            raise error
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


def page(ctx: Context, items: list[t.Any], most: int | None = None) -> dict[str, t.Any]:
    """One page of a list, with totalCount and self/previous/next links; `most` caps the page size whatever
    itemsPerPage asks (a list Atlas may page at its own size)."""
    per_page = _int_query(ctx, 'itemsPerPage', 100, 1, 500)
    if most is not None:
        per_page = min(per_page, most)
    number = _int_query(ctx, 'pageNum', 1, 1, 1000000)
    include_count = _flag(ctx, 'includeCount', True)
    start = (number - 1) * per_page
    if ctx.world.config.get('list_order') == 'oldest_first':  # Atlas documents no order: clients must sort themselves
        items = list(reversed(items))
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

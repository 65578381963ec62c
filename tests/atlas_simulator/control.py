# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The control API under /__sim__/: reset, request log, faults, clock, config, state. No auth, never logged."""
from __future__ import annotations

import copy
import datetime
import json
import typing as t
import urllib.parse

from atlas_simulator import render, routes_schedule
from atlas_simulator.config import ConfigError, tenant_gone, validate
from atlas_simulator.faults import FaultError
from atlas_simulator.state import FLEX, FREE, TENANT, Cluster, RestoreJob, World, iso

if t.TYPE_CHECKING:  # pragma: no cover
    from atlas_simulator.server import Simulator


class ControlError(ValueError):
    """A bad control request: answered 400 with {"error": ...}."""


def _json(raw: bytes) -> t.Any:
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise ControlError('the request body is not valid JSON') from None


def _requests(sim: Simulator, query: dict[str, list[str]]) -> list[dict[str, t.Any]]:
    method = query.get('method', [None])[0]
    contains = query.get('path_contains', [None])[0]
    client_id = query.get('client_id', [None])[0]
    with sim.log_lock:
        entries = list(sim.log)
    return [dict(entry) for entry in entries
            if (method is None or entry['method'] == method.upper()) and (contains is None or contains in entry['path'])
            and (client_id is None or entry.get('client_id') == client_id)]


def _clock(sim: Simulator, body: t.Any) -> None:
    if not isinstance(body, dict) or set(body) - {'advance', 'scale'}:
        raise ControlError('clock takes {"advance": seconds} and/or {"scale": factor}')
    for name in ('advance', 'scale'):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (name == 'scale' and value == 0)):
            raise ControlError(f'{name} must be a positive number, got {value!r}')
    if body.get('advance'):
        sim.clock.advance(float(body['advance']))
    if body.get('scale'):
        sim.clock.set_scale(float(body['scale']))


def _restore_record(world: World, cluster: Cluster, now: datetime.datetime) -> dict[str, t.Any] | None:
    """The latest restore INTO this cluster: its data is being (or was) replaced by a snapshot of the source."""
    job = world.restore_into(cluster)
    if job is None or cluster.restore is None:
        return None
    restore_state = job.restore_state(now)
    record: dict[str, t.Any] = {'job_id': job.id, 'api': cluster.restore[0], 'source_cluster': job.cluster, 'snapshot_id': job.snapshot_id,
                                'delivery_type': job.delivery_type if isinstance(job, RestoreJob) else job.delivery, 'state': restore_state,
                                'started_at': iso(job.requested_at)}
    if restore_state != 'restoring':
        record['finishedAt'] = iso(job.ready_at() if isinstance(job, RestoreJob) else job.finished_at())
    return record


class _Ctx(t.NamedTuple):
    world: World


def _cluster_state(sim: Simulator, world: World, cluster: Cluster, now: datetime.datetime, base: str) -> dict[str, t.Any]:
    kind = cluster.effective_kind(tenant_gone(sim.config))
    if kind in (TENANT, FLEX):
        snaps = [render.shared_tier_snapshot(snap, '', now, base) for snap in cluster.snapshots]
    else:
        snaps = [render.cloud_snapshot(snap, cluster, now, base, world.group_id) for snap in cluster.snapshots]
    doc = {'kind': kind, 'tier': cluster.tier, 'snapshots': snaps, 'pit_enabled': cluster.pit_enabled, 'restore': _restore_record(world, cluster, now)}
    if kind != cluster.kind:  # an M2/M5 cluster of the 2026 world: the Flex cluster it was migrated to, under its old name
        doc.update(tier='FLEX', migrated_from=cluster.tier)
    if cluster.pit_enabled:
        doc['restore_window_days'] = cluster.restore_window_days
    if kind not in (TENANT, FLEX, FREE):  # the stored schedule in API shape (created with the default items on first read)
        schedule = world.schedules.get(cluster.name) or routes_schedule.schedule_of(_Ctx(world), cluster)
        doc['schedule'] = copy.deepcopy(schedule)
    return doc


def state(sim: Simulator, group_id: str | None = None) -> dict[str, t.Any]:
    """Every cluster (kind, snapshots in API shapes, the latest restore into it), every tenant/flex job, every dedicated restore job,
    and each service account's active tokens: of the home project, or of the project `group_id` (?group_id= on GET state)."""
    now = sim.clock.now()
    base = 'http://simulator'
    world = sim.world if group_id is None else sim.worlds.get(group_id)
    if world is None:
        raise ControlError(f'no project {group_id}; the projects are {sorted(sim.worlds)}')
    with world.lock:
        clusters = {cluster.name: _cluster_state(sim, world, cluster, now, base) for cluster in world.clusters.values()}
        jobs = [render.download_job(job, now, base, '', world.group_id, sim.snapshot_url) for job in world.jobs]
        restores = [dict(render.restore_job(job, now, base, world.group_id, sim.restore_url), sourceClusterName=job.cluster)
                    for job in world.restore_jobs]
    for job in jobs + restores:
        job.pop('links', None)
    accounts = {client_id: {'active_tokens': sim.oauth.active_tokens(client_id)} for client_id in list(sim.service_accounts)}
    return {'now': iso(now), 'group_id': world.group_id, 'clusters': clusters, 'download_jobs': jobs, 'restore_jobs': restores,
            'service_accounts': accounts, 'compliance_policy': sim.config.get('compliance_policy')}


def projects(sim: Simulator) -> dict[str, t.Any]:
    """Every project (the home project first, then the fleet's): its id, its clusters and their kinds, and which API keys
    and service accounts may call it (ids only, never a secret; an org-wide one is listed under every project)."""
    now_kind = tenant_gone(sim.config)
    listing = []
    for group_id, world in sim.worlds.items():
        with world.lock:
            clusters = {cluster.name: cluster.effective_kind(now_kind) for cluster in world.clusters.values()}

        def allowed(grants: dict[str, dict[str, t.Any]], gid: str = group_id) -> list[str]:
            return [name for name, grant in grants.items() if grant.get('groups') is None or gid in grant['groups']]
        listing.append({'group_id': group_id, 'clusters': clusters, 'api_keys': allowed(sim.keys),
                        'service_accounts': allowed(sim.service_accounts)})
    return {'projects': listing}


def handle(sim: Simulator, method: str, path: str, query_string: str, raw_body: bytes) -> tuple[int, t.Any]:
    """Answer one control request: (status, JSON document)."""
    query = urllib.parse.parse_qs(query_string)
    what = path[len('/__sim__/'):].strip('/') if path.startswith('/__sim__/') else ''
    try:
        body = _json(raw_body)
        if (method, what) == ('POST', 'reset'):
            if not isinstance(body, dict) or set(body) - {'config'}:
                raise ControlError('reset takes an optional {"config": {...settings and/or seed keys...}}')
            sim.reset(validate(body.get('config') or {}, allow_seed=True))
            return 200, {'ok': True}
        if (method, what) == ('GET', 'requests'):
            return 200, {'requests': _requests(sim, query)}
        if (method, what) == ('DELETE', 'requests'):
            with sim.log_lock:
                sim.log.clear()
            return 200, {'ok': True}
        if (method, what) == ('POST', 'faults'):
            return 200, sim.faults.add(body)
        if (method, what) == ('GET', 'faults'):
            return 200, {'faults': sim.faults.listing()}
        if (method, what) == ('DELETE', 'faults'):
            sim.faults.clear()
            return 200, {'ok': True}
        if what == 'clock' and method in ('GET', 'POST'):
            if method == 'POST':
                _clock(sim, body)
            return 200, {'now': iso(sim.clock.now()), 'scale': sim.clock.scale}
        if what == 'config' and method in ('GET', 'PATCH'):
            if method == 'PATCH':
                sim.update_config(body)
            return 200, sim.config
        if (method, what) == ('GET', 'state'):
            return 200, state(sim, query.get('group_id', [None])[0])
        if (method, what) == ('GET', 'projects'):
            return 200, projects(sim)
    except (ControlError, ConfigError, FaultError) as exc:
        return 400, {'error': str(exc)}
    return 404, {'error': f'no control endpoint {method} /__sim__/{what}; see tests/atlas_simulator/README.md'}

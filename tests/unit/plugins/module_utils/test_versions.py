# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The resource versions the collection sends, against the official spec's versions and x-sunset dates.

spec_versions.json beside this file is a copy of the relevant part of the official OpenAPI spec (each
operation's versions and their x-sunset), so the test never depends on a file outside the repository. Every operation the modules call
is listed in CALLS with the resource (hence the version) it is sent with; the paths come from the code (Endpoints).
"""
from __future__ import annotations

import datetime
import json
import os
import re

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import RESOURCE_VERSIONS
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import (
    FLEX, REPLICA_SET, SHARDED, TENANT, Endpoints, cluster_path, clusters_path, flex_clusters_path,
)

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'spec_versions.json'), encoding='utf-8') as _handle:
    SPEC = json.load(_handle)['operations']

WARNING_DAYS = 180
# Resources whose every version is sunset and that the collection still calls on purpose: the M2/M5 tenant API (retired
# 2026-01-22), tried only when download_api or the cluster says tenant, its 404/410 answer met by falling back to Flex.
RETIRED_ON_PURPOSE = {'tenant'}
# Operations the modules call that the trimmed spec does not carry (their resource's version is checked on its other operations).
NOT_IN_EXCERPT = {('GET', '/groups/{}/clusters'), ('GET', '/groups/{}/flexClusters')}


def _shape(path):
    return re.sub(r'\{[^}]*\}', '{}', path)


def calls():
    """(method, path shape, resource) for every request the modules send on v2."""
    found = [('GET', cluster_path('{g}', '{c}'), 'cluster'), ('GET', clusters_path('{g}'), 'cluster'), ('GET', flex_clusters_path('{g}'), 'flex')]
    for kind in (REPLICA_SET, SHARDED, TENANT, FLEX):
        where = Endpoints('{g}', '{c}', kind)
        res = where.resource
        found += [('GET', where.snapshots, res), ('GET', where.snapshot('{id}'), res)]
        if kind in (REPLICA_SET, SHARDED):
            found += [('DELETE', where.snapshot('{id}'), res), ('PATCH', where.retention('{id}'), res), ('POST', where.take, res),
                      ('GET', where.jobs, res), ('POST', where.restore, res), ('GET', where.job('{id}'), res), ('DELETE', where.job('{id}'), res),
                      ('GET', where.schedule, 'schedule')]
        else:
            found += [('POST', where.download, res), ('POST', where.restore, res), ('GET', where.jobs, res), ('GET', where.job('{id}'), res)]
    return sorted({(method, _shape(path), resource) for method, path, resource in found})


def problems(versions, today):
    """Every reason a version the collection sends (versions: resource -> date) is not fit to send on `today`."""
    spec = {(key.split(' ', 1)[0], _shape(key.split(' ', 1)[1])): value['versions'] for key, value in SPEC.items()}
    found = []
    for method, path, resource in calls():
        if (method, path) in NOT_IN_EXCERPT:
            continue
        offered = spec.get((method, path))
        sent = versions[resource]
        where = f'{method} {path} ({resource})'
        if offered is None:
            found.append(f'{where}: not in the spec excerpt')
            continue
        if sent not in offered:
            found.append(f'{where}: sends {sent}, the spec offers only {sorted(offered)}')
            continue
        sunset = offered[sent]
        if sunset is None:
            continue
        if any(other is None for other in offered.values()):
            found.append(f'{where}: sends {sent}, deprecated (x-sunset {sunset}) while the spec offers a version without a sunset')
        if resource not in RETIRED_ON_PURPOSE and datetime.date.fromisoformat(sunset) - today <= datetime.timedelta(days=WARNING_DAYS):
            found.append(f'{where}: sends {sent}, whose x-sunset {sunset} is within {WARNING_DAYS} days of {today}')
    return found


def test_no_version_the_collection_sends_is_unknown_or_near_its_sunset():
    assert problems(RESOURCE_VERSIONS, datetime.date.today()) == []


def test_the_schedule_is_read_with_2024_08_05():
    assert RESOURCE_VERSIONS['schedule'] == '2024-08-05'
    assert ('GET', '/groups/{}/clusters/{}/backup/schedule', 'schedule') in calls()


def test_every_call_has_a_resource_of_the_table():
    # A resource of the table that no call in CALLS uses is not checked here: add its operations to calls() (the schedule
    # PATCH/DELETE and the Backup Compliance Policy are already in spec_versions.json, from policy-openapi.json).
    assert {resource for _method, _path, resource in calls()} <= set(RESOURCE_VERSIONS)
    assert {'backup', 'tenant', 'flex', 'cluster', 'schedule'} <= {resource for _method, _path, resource in calls()}


@pytest.mark.parametrize('change, today, says', [
    ({'schedule': '2023-01-01'}, datetime.date(2026, 12, 4), 'deprecated (x-sunset 2027-07-01) while the spec offers a version without'),
    ({'schedule': '2023-01-01'}, datetime.date(2027, 1, 15), 'whose x-sunset 2027-07-01 is within 180 days of 2027-01-15'),
    ({'cluster': '2023-02-01'}, datetime.date(2027, 2, 1), 'whose x-sunset 2027-07-01 is within 180 days'),
    ({'cluster': '2025-03-12'}, datetime.date(2026, 12, 4), "sends 2025-03-12, the spec offers only ['2023-01-01', '2023-02-01', '2024-08-05']"),
    ({'flex': '2023-01-01'}, datetime.date(2026, 12, 4), "sends 2023-01-01, the spec offers only ['2024-11-13']"),
])
def test_the_check_catches_a_version_that_is_going_or_unknown(change, today, says):
    found = problems(dict(RESOURCE_VERSIONS, **change), today)
    assert any(says in problem for problem in found), found


def test_the_retired_tenant_api_is_the_only_exception_and_has_nothing_better():
    for key, value in SPEC.items():
        if '/backup/tenant/' in key:
            assert value['versions'] == {RESOURCE_VERSIONS['tenant']: '2026-01-22'}
    assert [problem for problem in problems(RESOURCE_VERSIONS, datetime.date(2040, 1, 1)) if '(tenant)' in problem] == []

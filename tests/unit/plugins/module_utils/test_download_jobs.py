# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Download job decisions: which job is reusable, which snapshot is newest, what counts as the tenant API's sunset."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._download_jobs import newest_completed, reusable_job
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, is_sunset

NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone.utc)
SID = 'a' * 24


def job(id_, status='COMPLETED', expires='2026-11-22T15:00:00Z', snapshot=SID, url='https://s/x.tgz?sig=1'):
    doc = {'id': id_, 'status': status, 'snapshotId': snapshot, 'deliveryType': 'DOWNLOAD', 'expirationDate': expires}
    if url and status == 'COMPLETED':
        doc['snapshotUrl'] = url
    return doc


@pytest.mark.parametrize('jobs, expected', [
    ([job('1')], '1'),
    ([job('1', status='RUNNING')], '1'),                              # in flight: asking again would be refused anyway
    ([job('1', status='FAILED')], None),
    ([job('1', expires='2026-11-22T12:05:00Z')], None),               # 5 minutes left: too close to expiry
    ([job('1', expires='2026-11-22T11:00:00Z')], None),               # expired
    ([job('1', snapshot='b' * 24)], None),
    ([job('1', url=None)], None),                                     # completed but no link
    ([job('1', status='FAILED'), job('2')], '2'),
])
def test_reusable_job(jobs, expected):
    assert (reusable_job(jobs, SID, NOW) or {}).get('id') == expected


def test_newest_completed_by_time_not_list_position():
    snaps = [{'id': '1', 'status': 'COMPLETED', 'startTime': '2026-11-20T03:00:00Z', 'finishTime': '2026-11-20T03:04:00Z'},
             {'id': '2', 'status': 'RUNNING', 'startTime': '2026-11-22T03:00:00Z'},
             {'id': '3', 'status': 'COMPLETED', 'startTime': '2026-11-21T03:00:00Z', 'finishTime': '2026-11-21T03:04:00Z'}]
    assert newest_completed(snaps)['id'] == '3'
    assert newest_completed(list(reversed(snaps)))['id'] == '3'
    assert newest_completed([]) is None


@pytest.mark.parametrize('order', [1, -1])
def test_reusable_job_is_the_newest_whatever_the_order(order):
    older = dict(job('1'), restoreScheduledDate='2026-11-22T10:00:00Z')
    newer = dict(job('2'), restoreScheduledDate='2026-11-22T11:00:00Z')
    assert reusable_job([older, newer][::order], SID, NOW)['id'] == '2'


@pytest.mark.parametrize('expires', [None, 'soon', '2026-11-22T15:00:00'])  # missing, garbled, naive (no zone)
def test_a_link_with_an_unreadable_expiry_never_counts_as_valid(expires):
    assert reusable_job([job('1', expires=expires)], SID, NOW) is None


@pytest.mark.parametrize('expires, reusable', [(None, True), ('soon', False), ('2026-11-22T15:00:00', False)])
def test_an_in_flight_job_is_reused_unless_its_expiry_is_unreadable(expires, reusable):
    assert (reusable_job([job('1', status='RUNNING', expires=expires)], SID, NOW) is not None) is reusable


def test_jobs_without_an_id_are_ignored():
    assert reusable_job([{k: v for k, v in job('1').items() if k != 'id'}], SID, NOW) is None


@pytest.mark.parametrize('status, code, sunset', [(410, 'VERSION_GONE', True), (404, 'NOT_FOUND', True), (404, None, True),
                                                  (404, 'RESOURCE_NOT_FOUND', True),  # the route is gone, not a resource
                                                  (404, 'TENANT_SNAPSHOT_NOT_FOUND', False), (404, 'CLUSTER_NOT_FOUND', False),
                                                  (404, 'TENANT_RESTORE_NOT_FOUND', False), (404, 'GROUP_NOT_FOUND', False),
                                                  (400, 'INVALID_ATTRIBUTE', False)])
def test_is_sunset(status, code, sunset):
    assert is_sunset(AtlasApiError(status, code, 'x', 'GET', '/p')) is sunset

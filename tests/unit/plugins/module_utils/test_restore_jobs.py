# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore-job decisions: the derived status of dedicated jobs, which job satisfies a request, what results show."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import FLEX, REPLICA_SET
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._restore_jobs import (
    RestoreRequest, delivery_urls, job_view, needs_cancel, newest_jobs, restore_status, satisfies,
)

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc)
G = '5f1a2b3c4d5e6f7a8b9c0d1e'
SNAP = '65a000000000000000000101'
AUTO = RestoreRequest('automated', SNAP, G, 'Staging0')
DOWN = RestoreRequest('download', SNAP)


def dedicated(**fields):
    job = {'id': '6a0000000000000000000001', 'deliveryType': 'automated', 'snapshotId': SNAP, 'targetClusterName': 'Staging0',
           'targetGroupId': G, 'cancelled': False, 'failed': False, 'expired': False, 'deliveryUrl': []}
    job.update(fields)
    return job


def download(**fields):
    job = dedicated(deliveryType='download', targetClusterName=None, targetGroupId=None)
    job.update(fields)
    return job


@pytest.mark.parametrize('job, status', [
    (dedicated(), 'inProgress'),
    (dedicated(finishedAt='2026-11-28T11:00:00Z'), 'completed'),
    (dedicated(failed=True, finishedAt='2026-11-28T11:00:00Z'), 'failed'),
    (download(cancelled=True), 'cancelled'),
    (download(expired=True, deliveryUrl=['https://x/a.tar.gz?sig=1']), 'expired'),
    (download(), 'inProgress'),
    (download(deliveryUrl=['https://x/a.tar.gz?sig=1']), 'completed'),
    (download(components=[{'replicaSetName': 'shard-0', 'downloadUrl': 'https://x/0?sig=1'}]), 'completed'),
    ({'id': 'f', 'deliveryType': 'RESTORE', 'status': 'RUNNING'}, 'inProgress'),   # Flex and tenant say it themselves
    ({'id': 'f', 'deliveryType': 'RESTORE', 'status': 'PENDING'}, 'queued'),
])
def test_status_is_derived_like_atlas_cli_does(job, status):
    assert restore_status(job) == status


@pytest.mark.parametrize('job, request_, max_age, ok', [
    (dedicated(), AUTO, None, True),                                                   # running: wait for it instead
    (dedicated(finishedAt='2026-11-28T11:00:00Z'), AUTO, None, True),
    (dedicated(finishedAt='2026-11-28T11:00:00Z'), AUTO, 30, False),                   # finished an hour ago, window 30 min
    (dedicated(finishedAt='2026-11-28T11:45:00Z'), AUTO, 30, True),
    (dedicated(failed=True), AUTO, None, False),
    (dedicated(targetClusterName='Other0'), AUTO, None, False),
    (dedicated(snapshotId='65a000000000000000000102'), AUTO, None, False),
    (download(deliveryUrl=['u'], expiresAt='2026-11-28T12:30:00Z'), DOWN, None, True),
    (download(deliveryUrl=['u'], expiresAt='2026-11-28T12:05:00Z'), DOWN, None, False),  # links about to expire
    (download(deliveryUrl=['u']), DOWN, None, False),                                      # expiry unknown: never trusted
    (dedicated(), DOWN, None, False),                                                      # another delivery type
])
def test_which_job_satisfies_a_request(job, request_, max_age, ok):
    assert satisfies(job, request_, NOW, max_age) is ok


def test_request_bodies_per_api():
    pit = RestoreRequest('point_in_time', None, G, 'Staging0', pit_seconds=1764300000)
    assert pit.body(REPLICA_SET) == {'deliveryType': 'pointInTime', 'targetClusterName': 'Staging0', 'targetGroupId': G,
                                     'pointInTimeUTCSeconds': 1764300000}
    assert DOWN.body(REPLICA_SET) == {'deliveryType': 'download', 'snapshotId': SNAP}
    assert AUTO.body(FLEX) == {'snapshotId': SNAP, 'targetDeploymentItemName': 'Staging0', 'targetProjectId': G}


def test_views_hide_links_unless_asked_and_normalize():
    job = download(deliveryUrl=['https://x/a.tar.gz?sig=secret'], expiresAt='2026-11-28T13:00:00.123Z',
                   components=[{'replicaSetName': 'shard-0', 'downloadUrl': 'https://x/0?sig=secret'}], links=[{'rel': 'self'}])
    hidden = job_view(job, with_links=False)
    assert 'secret' not in str(hidden) and hidden['components'] == [{'replica_set_name': 'shard-0'}]
    assert hidden['status'] == 'completed' and hidden['expires_at'] == '2026-11-28T13:00:00Z' and 'links' not in hidden
    shown = job_view(job, with_links=True)
    assert shown['delivery_url'] == ['https://x/a.tar.gz?sig=secret']


def test_delivery_urls_one_per_replica_set():
    sharded = download(components=[{'replicaSetName': 'shard-0', 'downloadUrl': 'a'}, {'replicaSetName': 'config', 'downloadUrl': 'b'}],
                       deliveryUrl=['a', 'b'])
    assert delivery_urls(sharded) == [{'name': 'shard-0', 'url': 'a'}, {'name': 'config', 'url': 'b'}]
    assert delivery_urls(download(deliveryUrl=['a'])) == [{'name': 'restore', 'url': 'a'}]


def test_newest_first_by_request_time_else_by_id():
    assert [job['id'] for job in newest_jobs([{'id': '6a01'}, {'id': '6a03'}, {'id': '6a02'}])] == ['6a03', '6a02', '6a01']
    flex = [{'id': 'b', 'restoreScheduledDate': '2026-11-27T00:00:00Z'}, {'id': 'a', 'restoreScheduledDate': '2026-11-28T00:00:00Z'}]
    assert [job['id'] for job in newest_jobs(flex)] == ['a', 'b']


@pytest.mark.parametrize('job, live', [
    (download(), True), (download(deliveryUrl=['u']), True), (download(cancelled=True), False), (download(expired=True), False),
    (dedicated(), True), (dedicated(finishedAt='2026-11-28T11:00:00Z'), False),
])
def test_what_still_needs_cancelling(job, live):
    assert needs_cancel(job) is live

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore-job decisions: the derived status of dedicated jobs, which job satisfies a request, what results show."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import FLEX, REPLICA_SET
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._jobs import Part, job_status, job_view, needs_cancel, newest_jobs, parts_of
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._restore_jobs import RestoreRequest, busy_target, matches, satisfies

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
    assert job_status(job) == status


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
    assert satisfies(job, request_, NOW, max_age, fetch=True) is ok


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


def test_parts_one_per_replica_set():
    sharded = download(components=[{'replicaSetName': 'shard-0', 'downloadUrl': 'a'}, {'replicaSetName': 'config', 'downloadUrl': 'b'}],
                       deliveryUrl=['a', 'b'])
    assert parts_of(sharded) == [Part('shard-0', 'a'), Part('config', 'b')]
    assert parts_of(download(deliveryUrl=['a'])) == [Part('', 'a')]
    # links only in deliveryUrl, one per component: paired in order
    assert parts_of(download(components=[{'replicaSetName': 's0'}, {'replicaSetName': 'c'}], deliveryUrl=['a', 'b'])) == [
        Part('s0', 'a'), Part('c', 'b')]


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


# --------------------------------------------------------------------------------------------- 0.4.0: integrity
def test_a_sharded_job_is_ready_only_when_every_component_has_its_link():
    half = download(components=[{'replicaSetName': 'shard-0', 'downloadUrl': 'a'}, {'replicaSetName': 'config', 'downloadUrl': None}],
                    deliveryUrl=['a'])
    assert job_status(half) == 'inProgress'  # 0.3.0 called this completed and fetched one archive of two
    assert satisfies(half, DOWN, NOW, None, fetch=True) is True  # still being built: wait for it, never a second job
    spent = dict(half, expiresAt='2026-11-28T13:00:00Z')  # built (expiresAt given), and one link already used
    assert job_status(spent) == 'completed'
    assert satisfies(spent, DOWN, NOW, None, fetch=True) is False  # cannot be fetched whole: a new job is needed
    assert satisfies(spent, DOWN, NOW, None, fetch=False) is True  # without dest, the job is what was asked for


def test_target_names_compare_as_atlas_compares_them():
    assert matches(dedicated(targetClusterName='staging0', targetGroupId=G.upper()), AUTO)  # 0.3.0: a second restore
    assert not matches(dedicated(targetClusterName='Staging1'), AUTO)


PIT = RestoreRequest('point_in_time', None, G, 'Staging0', pit_seconds=1764300000)


def legacy_pit(**fields):
    """A point-in-time job as the legacy reference answers it: no target, no snapshot id."""
    job = {'id': '6a0000000000000000000009', 'deliveryType': 'pointInTime', 'pointInTimeUTCSeconds': 1764300000, 'cancelled': False,
           'failed': False, 'expired': False, 'deliveryUrl': []}
    job.update(fields)
    return job


def test_point_in_time_jobs_without_target_fields_match_by_restore_point():
    assert matches(legacy_pit(), PIT)  # 0.3.0: no match, so a re-run started a second restore
    assert not matches(legacy_pit(pointInTimeUTCSeconds=1764300001), PIT)
    assert matches(legacy_pit(pointInTimeUTCSeconds=None, desiredTimestamp={'time': 1764300000, 'increment': None}), PIT)
    oplog = RestoreRequest('point_in_time', None, G, 'Staging0', oplog_ts=1764300000, oplog_inc=3)
    assert matches(legacy_pit(pointInTimeUTCSeconds=None, oplogTs=1764300000, oplogInc=3), oplog)
    assert satisfies(legacy_pit(), PIT, NOW, None, fetch=False)
    with_snapshot = PIT._replace(snapshot_id=SNAP)
    assert matches(legacy_pit(), with_snapshot)  # the legacy answer leaves snapshotId out too


def test_a_running_restore_whose_target_atlas_does_not_name_blocks_every_target():
    assert busy_target([legacy_pit()], AUTO)['id'] == '6a0000000000000000000009'  # 0.3.0: not seen as a blocker
    assert busy_target([legacy_pit(finishedAt='2026-11-28T11:00:00Z')], AUTO) is None
    assert busy_target([dedicated(targetClusterName='Other0')], AUTO) is None
    assert busy_target([dedicated(targetClusterName='STAGING0')], AUTO) is not None

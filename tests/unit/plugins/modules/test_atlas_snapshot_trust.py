# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""0.2.0 trust pass for atlas_snapshot: conflicts without a visible blocker, changed after a write, re-dating a reused
snapshot, "not found" meaning the resource, unexpected errors without a traceback, retry accounting."""
from __future__ import annotations

import json
import socket

import pytest
import responses

try:
    from ansible.module_utils._internal import _traceback  # ansible-core 2.19 and newer
except ImportError:  # before 2.19, fail_json passes an explicit exception (the traceback) through at any verbosity
    _traceback = None  # type: ignore[assignment]

from ansible_collections.mongodb_atlas.backup.plugins.module_utils import _client, _snapshot_plan, _waiter
from ansible_collections.mongodb_atlas.backup.plugins.modules import atlas_snapshot
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.modules.atlas_test_utils import API, connection_args

CLUSTER = {'name': 'Cluster0', 'clusterType': 'REPLICASET', 'backupEnabled': True,
           'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M10'}}]}]}
SNAPS = f'{API}/clusters/Cluster0/backup/snapshots'
DATE = {'Date': 'Sun, 22 Nov 2026 12:00:00 GMT'}
SID = 'f' * 24
DONE = {'id': SID, 'status': 'completed', 'snapshotType': 'onDemand', 'description': 'nightly',
        'createdAt': '2026-11-22T11:00:00Z', 'expiresAt': '2026-11-29T11:00:00Z'}  # kept 7 days
CONFLICT = {'error': 400, 'errorCode': 'UNFINISHED_ON_DEMAND_SNAPSHOT', 'detail': 'Another on-demand snapshot is queued or in progress.'}


class FakeClock:
    """Replaces time.monotonic and time.sleep for the code under test: no real waiting, a clock that moves only by sleeps."""

    def __init__(self, monkeypatch):
        self.now = 1000.0
        self.sleeps = []
        for module in (_waiter,):
            monkeypatch.setattr(module.time, 'monotonic', lambda: self.now)
            monkeypatch.setattr(module.time, 'sleep', self.sleep)

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def cluster():
    responses.add(responses.GET, f'{API}/clusters/Cluster0', json=CLUSTER, headers=DATE)


def snapshots(results):
    responses.add(responses.GET, SNAPS, json={'results': results}, headers=DATE)


def calls(method):
    return [call for call in responses.calls if call.request.method == method]


def args(**extra):
    return connection_args(**dict(dict(description='nightly', retention_in_days=7, wait=False), **extra))


# ---------------------------------------------------------------- item 6: a conflict nobody lists
def conflict_without_a_listed_blocker(monkeypatch):
    """Every POST is refused with UNFINISHED_ON_DEMAND_SNAPSHOT, and the list never shows the blocker."""
    clock = FakeClock(monkeypatch)
    cluster()
    snapshots([])
    responses.add(responses.POST, SNAPS, status=400, json=CONFLICT)
    return clock


@responses.activate
def test_conflict_without_wait_and_no_visible_blocker_fails_at_once(run_module, monkeypatch):
    clock = conflict_without_a_listed_blocker(monkeypatch)
    result = run_module(atlas_snapshot.main, args())
    assert result['failed'] is True and 'UNFINISHED_ON_DEMAND_SNAPSHOT' in result['msg'] and 'wait: true' in result['msg']
    assert len(calls('POST')) == 1 and clock.sleeps == []
    assert result['changed'] is False


@responses.activate
def test_conflict_with_wait_asks_again_on_the_waiter_schedule_until_wait_timeout(run_module, monkeypatch):
    clock = conflict_without_a_listed_blocker(monkeypatch)
    result = run_module(atlas_snapshot.main, args(wait=True, wait_timeout=10))
    assert result['failed'] is True and 'Timed out' in result['msg'] and 'UNFINISHED_ON_DEMAND_SNAPSHOT' in result['msg']
    # the waiter's one schedule (1 s, +10 % a poll), cut at the task's one deadline: not a POST a second
    expected = [1.0, 1.1, 1.21, 1.331, 1.4641, 1.61051, 1.771561]
    expected.append(10 - sum(expected))
    assert clock.sleeps == pytest.approx(expected, abs=1e-3)
    assert len(calls('POST')) == 9


# ---------------------------------------------------------------- item 11: changed once Atlas was written to
@responses.activate
def test_snapshot_taken_then_wait_timed_out_reports_changed(run_module, monkeypatch):
    clock = FakeClock(monkeypatch)
    cluster()
    snapshots([])
    queued = dict(DONE, status='queued')
    del queued['createdAt']
    responses.add(responses.POST, SNAPS, json=queued, headers=DATE)
    responses.add(responses.GET, f'{SNAPS}/{SID}', json=queued, headers=DATE)
    result = run_module(atlas_snapshot.main, args(wait=True, wait_timeout=5))
    assert result['failed'] is True and 'Timed out' in result['msg'] and SID in result['msg']
    assert result['changed'] is True
    assert sum(clock.sleeps) == 5


# ---------------------------------------------------------------- item 12: the task states the retention
@responses.activate
def test_reused_snapshot_with_another_retention_is_redated(run_module):
    cluster()
    snapshots([DONE])
    redated = dict(DONE, expiresAt='2026-12-06T11:00:00Z')
    responses.add(responses.PATCH, f'{SNAPS}/{SID}', json=redated, headers=DATE)
    result = run_module(atlas_snapshot.main, args(retention_in_days=14, _ansible_diff=True))
    assert result['changed'] is True and result['snapshot']['expires_at'] == '2026-12-06T11:00:00Z'
    assert json.loads(calls('PATCH')[0].request.body) == {'retentionUnit': 'DAYS', 'retentionValue': 14}
    assert result['diff']['before']['expires_at'] == '2026-11-29T11:00:00Z'
    assert result['diff']['after']['expires_at'] == '2026-12-06T11:00:00Z'
    assert calls('POST') == []


@responses.activate
def test_check_mode_predicts_the_redate_without_writing(run_module):
    cluster()
    snapshots([DONE])
    result = run_module(atlas_snapshot.main, args(retention_in_days=14, _ansible_check_mode=True, _ansible_diff=True))
    assert result['changed'] is True and result['diff']['after']['expires_at'] == '2026-12-06T11:00:00Z'
    assert calls('PATCH') == [] and calls('POST') == []


@responses.activate
def test_same_retention_on_a_reused_snapshot_changes_nothing(run_module):
    cluster()
    snapshots([DONE])
    result = run_module(atlas_snapshot.main, args(retention_in_days=7))
    assert result['changed'] is False and calls('PATCH') == []


# ---------------------------------------------------------------- item 9: "not found" is about the resource
@responses.activate
def test_absent_on_an_unknown_route_fails_instead_of_reporting_ok(run_module):
    cluster()
    responses.add(responses.GET, f'{SNAPS}/{SID}', status=404, json={'error': 404, 'errorCode': 'RESOURCE_NOT_FOUND', 'detail': 'No such path.'})
    result = run_module(atlas_snapshot.main, connection_args(state='absent', snapshot_id=SID))
    assert result['failed'] is True and 'RESOURCE_NOT_FOUND' in result['msg']
    assert calls('DELETE') == []


@pytest.mark.parametrize('code', ['SNAPSHOT_NOT_FOUND', 'INVALID_SNAPSHOT_ID'])
@responses.activate
def test_delete_treats_every_already_gone_code_like_read_does(run_module, code):
    cluster()
    responses.add(responses.GET, f'{SNAPS}/{SID}', json=DONE, headers=DATE)
    responses.add(responses.DELETE, f'{SNAPS}/{SID}', status=404, json={'error': 404, 'errorCode': code})
    result = run_module(atlas_snapshot.main, connection_args(state='absent', snapshot_id=SID))
    assert result.get('failed') is not True and result['deleted'] == [SID]


# ---------------------------------------------------------------- item 5: never a traceback
@responses.activate
def test_an_unexpected_error_is_one_clear_failure_with_the_traceback_aside(run_module, monkeypatch):
    cluster()
    snapshots([DONE])

    def broken(*_args, **_kwargs):
        raise KeyError('id')

    monkeypatch.setattr(_snapshot_plan, 'find_reusable_snapshot', broken)
    if _traceback is not None:
        monkeypatch.setattr(_traceback, 'is_traceback_enabled', lambda _event: True)  # as at -vvv
    result = run_module(atlas_snapshot.main, args())
    assert result['failed'] is True
    assert result['msg'].startswith("Unexpected KeyError in ") and '\n' not in result['msg']
    assert 'Traceback' in result['exception'] and 'very-secret-private' not in json.dumps(result)


@responses.activate
def test_naive_and_fractional_timestamps_compare_without_a_type_error(run_module):
    cluster()
    snapshots([dict(DONE, createdAt='2026-11-22T11:59:00', expiresAt='2026-11-29T11:59:00'),  # no zone: unreadable, never fresh
               dict(DONE, id='e' * 24, createdAt='2026-11-22T11:58:00.123456789Z', expiresAt='2026-11-29T11:58:00.5Z')])
    result = run_module(atlas_snapshot.main, args(max_age=60))
    assert result.get('failed') is not True and result['changed'] is False
    assert result['snapshot']['id'] == 'e' * 24  # the one whose time can be read


# ---------------------------------------------------------------- item 15: retries counted, warned only when they hurt
@responses.activate
def test_a_retried_429_that_succeeds_does_not_warn_but_is_counted(run_module):
    cluster()
    responses.add(responses.GET, SNAPS, status=429, json={'errorCode': 'RATE_LIMITED_TOKEN_BUCKET'}, headers={'Retry-After': '0'})
    snapshots([DONE])
    result = run_module(atlas_snapshot.main, args(retries=2))
    assert result['changed'] is False and result['retries_used'] == 1
    assert not result.get('warnings')


@responses.activate
def test_retries_that_cost_over_ten_seconds_warn_once(run_module, monkeypatch):
    slept = []
    monkeypatch.setattr(_client.time, 'sleep', slept.append)
    cluster()
    responses.add(responses.GET, SNAPS, status=429, json={'errorCode': 'RATE_LIMITED_TOKEN_BUCKET'}, headers={'Retry-After': '11'})
    snapshots([DONE])
    result = run_module(atlas_snapshot.main, args(retries=2))
    assert result['changed'] is False and result['retries_used'] == 1 and slept == [11.0]
    warnings = json.dumps(result['warnings'])
    assert 'Atlas needed 1 retry (HTTP 429 RATE_LIMITED_TOKEN_BUCKET x1), 11 s spent waiting' in warnings


def test_network_down_names_the_root_cause_once_with_consistent_counts(run_module, monkeypatch):
    slept = []
    monkeypatch.setattr(_client.time, 'sleep', slept.append)
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv('NO_PROXY', '127.0.0.1')
    result = run_module(atlas_snapshot.main, args(api_base_url=f'http://127.0.0.1:{port}', retries=5))
    assert result['failed'] is True and result['retries_used'] == 5 and len(slept) == 5
    assert result['msg'].count('connection refused') == 1
    assert 'gave up after 6 attempts (5 retries)' in result['msg']
    assert 'Max retries exceeded' not in result['msg'] and 'HTTPConnectionPool' not in result['msg']
    assert not result.get('warnings')

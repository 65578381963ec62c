# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One shape for every cluster kind: normalized status, created_at, expires_at; newest first by time, not list position."""
from __future__ import annotations

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._records import newest, newest_first, normalized, snake_result, status_of

CLOUD = {'id': 'c', 'status': 'inProgress', 'createdAt': '2026-11-22T03:00:00Z', 'expiresAt': '2026-11-29T03:00:00Z'}
FLEX = {'id': 'f', 'status': 'RUNNING', 'startTime': '2026-11-22T03:00:00Z', 'scheduledTime': '2026-11-22T02:59:00Z',
        'expiration': '2026-11-30T03:00:00Z'}
JOB = {'id': 'j', 'status': 'PENDING', 'restoreScheduledDate': '2026-11-22T04:00:00.250Z', 'expirationDate': '2026-11-22T08:00:00Z'}


@pytest.mark.parametrize('raw, expected', [('queued', 'queued'), ('PENDING', 'queued'), ('QUEUED', 'queued'), ('RUNNING', 'inProgress'),
                                           ('inProgress', 'inProgress'), ('COMPLETED', 'completed'), ('FAILED', 'failed'),
                                           ('SOMETHING_NEW', 'SOMETHING_NEW')])
def test_one_status_vocabulary(raw, expected):
    assert status_of({'status': raw}) == expected


def test_every_kind_gets_created_expires_and_status_next_to_its_own_fields():
    flex = normalized(FLEX)
    assert (flex['createdAt'], flex['expiresAt'], flex['status']) == ('2026-11-22T03:00:00Z', '2026-11-30T03:00:00Z', 'inProgress')
    assert flex['startTime'] == FLEX['startTime'] and flex['expiration'] == FLEX['expiration']  # Atlas's own fields stay
    cloud = normalized(CLOUD)
    assert (cloud['createdAt'], cloud['expiresAt'], cloud['status']) == (CLOUD['createdAt'], CLOUD['expiresAt'], 'inProgress')
    job = normalized(JOB)
    assert (job['createdAt'], job['expiresAt'], job['status']) == ('2026-11-22T04:00:00Z', '2026-11-22T08:00:00Z', 'queued')


def test_newest_first_ignores_list_order():
    docs = [{'id': str(day), 'startTime': f'2026-11-{day:02d}T03:00:00Z'} for day in (20, 22, 21)]
    assert [doc['id'] for doc in newest_first(docs)] == ['22', '21', '20']
    assert [doc['id'] for doc in newest_first(reversed(docs))] == ['22', '21', '20']
    assert newest(docs)['id'] == '22' and newest([]) is None


def test_queued_without_a_time_is_newest_and_unreadable_times_oldest():
    docs = [{'id': 'old', 'createdAt': '2026-11-20T03:00:00Z'}, {'id': 'garbled', 'createdAt': 'yesterday'},
            {'id': 'queued', 'status': 'queued'}, {'id': 'new', 'createdAt': '2026-11-22T03:00:00Z'}]
    assert [doc['id'] for doc in newest_first(docs)] == ['queued', 'new', 'old', 'garbled']


def test_running_without_a_time_is_newest_too():
    # Atlas gives an on-demand snapshot its createdAt only on completion (recorded): queued and inProgress both lack it
    docs = [{'id': 'done', 'status': 'completed', 'createdAt': '2026-11-22T03:00:00Z'}, {'id': 'running', 'status': 'inProgress'},
            {'id': 'failed', 'status': 'failed'}, {'id': 'flex-running', 'status': 'RUNNING'}]
    assert [doc['id'] for doc in newest_first(docs)][:2] in (['running', 'flex-running'], ['flex-running', 'running'])
    assert [doc['id'] for doc in newest_first(docs)][2:] == ['done', 'failed']
    assert newest(reversed(docs))['id'] in ('running', 'flex-running')


def test_snake_result_drops_links():
    assert snake_result({'snapshotIds': ['a'], 'links': [], 'mongoDBVersion': '8.0'}) == {'snapshot_ids': ['a'], 'mongo_db_version': '8.0'}

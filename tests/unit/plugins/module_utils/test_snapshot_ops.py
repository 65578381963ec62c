# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure decisions of atlas_snapshot: which snapshot is reusable, retention in days, the diff summary."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshot_ops import diff_view, find_reusable_snapshot, retention_days

NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone.utc)


def snap(id_, status='completed', kind='onDemand', description='nightly', created='2026-11-22T11:00:00Z', **extra):
    doc = dict(id=id_, status=status, snapshotType=kind, description=description, **extra)
    if created:
        doc['createdAt'] = created
    return doc


@pytest.mark.parametrize('snapshots, max_age, expected', [
    ([snap('a')], None, 'a'),
    ([snap('a', status='queued', created=None)], 5, 'a'),           # not started yet: counts as fresh
    ([snap('a', status='inProgress')], None, 'a'),
    ([snap('a', status='failed')], None, None),                      # failed never counts
    ([snap('a', kind='scheduled')], None, None),                     # scheduled never counts
    ([snap('a', description='other')], None, None),
    ([snap('a')], 30, None),                                         # started 60 minutes ago
    ([snap('a')], 60, 'a'),
    ([snap('b', status='failed'), snap('a')], None, 'a'),            # newest usable one
    # the newest by createdAt, whatever the list order (oldest first here)
    ([snap('old', created='2026-11-20T11:00:00Z'), snap('new', created='2026-11-22T11:00:00Z')], None, 'new'),
    ([snap('new', created='2026-11-22T11:00:00Z'), snap('old', created='2026-11-20T11:00:00Z')], None, 'new'),
    # a creation time that cannot be read is never fresh for max_age; a naive one neither (and no TypeError)
    ([snap('a', created='22/11/2026 11:00')], 60, None),
    ([snap('a', created='2026-11-22T11:30:00')], 60, None),
    ([snap('a', status='completed', created=None)], 60, None),       # finished but no creation time: not provably fresh
    ([snap('a', created='2026-11-22T12:30:00+01:00')], 60, 'a'),     # 11:30Z with an offset
    # Atlas writes createdAt only on completion (recorded): a running snapshot without one is the newest there is
    ([snap('a', status='inProgress', created=None)], 720, 'a'),
    ([snap('a', status='inProgress', created=None)], 0, 'a'),
    # ... and it wins over an older completed one, whatever the list order
    ([snap('done', created='2026-11-22T11:50:00Z'), snap('running', status='inProgress', created=None)], 720, 'running'),
    ([snap('running', status='inProgress', created=None), snap('done', created='2026-11-22T11:50:00Z')], None, 'running'),
    ([snap('a', status='inProgress', created='yesterday')], 720, None),  # a time we cannot read never counts
    ([snap('a', status='failed', created=None)], 720, None),
])
def test_find_reusable_snapshot(snapshots, max_age, expected):
    found = find_reusable_snapshot(snapshots, 'nightly', max_age, NOW)
    assert (found or {}).get('id') == expected


def test_retention_days_reads_expiry_minus_creation():
    assert retention_days({'status': 'completed', 'createdAt': '2026-11-22T11:00:01Z', 'expiresAt': '2026-11-25T11:00:00Z'}, NOW) == 3
    assert retention_days({'status': 'queued', 'expiresAt': '2026-11-29T12:00:00Z'}, NOW) == 7   # queued: measured from now
    assert retention_days({}, NOW) is None


@pytest.mark.parametrize('created, expires, days', [
    # as recorded: requested 03:26:42, createdAt 03:28:08, expiresAt next day 03:29:21 (one day counted from completion)
    ('2026-08-10T03:28:08Z', '2026-08-11T03:29:21Z', 1),
    # a 7-day snapshot that ran 14 hours: expiry - creation is 7.58 days, still 7 (rounding said 8 and re-dated it)
    ('2026-11-20T03:00:00Z', '2026-11-27T17:00:00Z', 7),
    ('2026-11-20T03:00:00Z', '2026-11-28T02:30:00Z', 7),   # 23.5 hours
    ('2026-11-20T03:00:00Z', '2026-11-27T03:00:00Z', 7),   # re-dated (PATCH): creation + 7 days exactly
    ('2026-11-20T03:00:01Z', '2026-11-27T03:00:00Z', 7),   # a second of rounding between the two
    ('2026-11-20T03:00:00Z', '2026-11-28T03:00:00Z', 8),   # kept 8 days: another number, never read as 7
    ('2026-11-20T03:00:00Z', '2026-11-26T20:00:00Z', 6),   # kept 6 days and ran 17 hours: not 7
])
def test_retention_of_a_completed_snapshot_tolerates_its_own_duration(created, expires, days):
    assert retention_days({'status': 'completed', 'createdAt': created, 'expiresAt': expires}, NOW) == days


@pytest.mark.parametrize('expires, days', [
    ('2026-11-29T11:59:30Z', 7),   # requested 30 s ago with 7 days
    ('2026-11-29T00:00:00Z', 7),   # requested 12 hours ago (a long queue or a long run)
    ('2026-11-28T13:00:00Z', 7),   # requested 23 hours ago
    ('2026-11-28T12:00:00Z', 6),   # exactly 6 days from now: a 6-day snapshot requested just now
])
def test_retention_of_a_running_snapshot_counts_from_its_request(expires, days):
    for status in ('queued', 'inProgress'):
        assert retention_days({'status': status, 'expiresAt': expires}, NOW) == days


def test_diff_view_keeps_only_what_diff_needs():
    doc = snap('a', expiresAt='2026-11-29T00:00:00Z', links=[{'rel': 'self'}], storageSizeBytes=5)
    assert diff_view(doc) == {'id': 'a', 'description': 'nightly', 'status': 'completed', 'expires_at': '2026-11-29T00:00:00Z'}
    assert diff_view(None) == {}

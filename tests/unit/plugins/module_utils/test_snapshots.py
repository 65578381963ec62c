# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""max_age's test (atlas_snapshot_info's filter and atlas_snapshot's reuse): young_enough."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._snapshots import filter_snapshots, young_enough

NOW = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize('doc, fresh', [
    ({'status': 'completed', 'createdAt': '2026-11-22T00:30:00Z'}, True),     # 11.5 hours ago
    ({'status': 'completed', 'createdAt': '2026-11-21T23:30:00Z'}, False),    # 12.5 hours ago
    ({'status': 'queued'}, True),                                             # just requested
    # Atlas writes createdAt only on completion (recorded by the Atlas CLI): last night's snapshot, still running, counts
    ({'status': 'inProgress'}, True),
    ({'status': 'RUNNING'}, True),
    ({'status': 'PENDING'}, True),
    ({'status': 'completed'}, False),                                         # finished without a time: not provably fresh
    ({'status': 'failed'}, False),
    ({'status': 'inProgress', 'createdAt': 'last night'}, False),             # a time we cannot read never counts
    ({'status': 'inProgress', 'createdAt': '2026-11-20T03:00:00Z'}, False),   # a time we can read decides
])
def test_young_enough(doc, fresh):
    assert young_enough(doc, 720, NOW) is fresh


def test_a_running_snapshot_passes_the_filters_it_matches():
    docs = [{'id': 'running', 'status': 'inProgress', 'snapshotType': 'onDemand', 'description': 'nightly'},
            {'id': 'old', 'status': 'completed', 'snapshotType': 'onDemand', 'description': 'nightly', 'createdAt': '2026-11-20T03:00:00Z'}]
    kept = [doc for doc in filter_snapshots(docs, type_='onDemand', description='nightly') if young_enough(doc, 720, NOW)]
    assert [doc['id'] for doc in kept] == ['running']

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The waiter: backoff, deadline, transient errors."""
from __future__ import annotations

import itertools

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasApiError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import WaitTimeout, poll_intervals, wait_for


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_intervals_start_fast_and_cap():
    assert list(itertools.islice(poll_intervals(1.0, 1.5, 30.0), 12)) == [1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 11.390625,
                                                                          17.0859375, 25.62890625, 30.0, 30.0, 30.0]


def test_returns_when_done():
    fake = FakeTime()
    values = iter(['queued', 'inProgress', 'completed'])
    assert wait_for(lambda: next(values), lambda v: v == 'completed', timeout=60, description='x', clock=fake.clock, sleep=fake.sleep) == 'completed'
    assert fake.sleeps == [1.0, 1.5]


def test_an_hour_long_wait_polls_a_few_times_a_minute():
    fake = FakeTime()
    calls = []

    def fetch():
        calls.append(fake.now)
        return fake.now >= 3600

    wait_for(fetch, bool, timeout=7200, description='x', clock=fake.clock, sleep=fake.sleep)
    last_ten_minutes = [c for c in calls if c >= 3000]
    assert len(last_ten_minutes) <= 25  # at most ~2 polls a minute once backed off
    assert calls[-1] - 3600 <= 30      # and it notices within one interval


def test_deadline_raises_with_last_value_and_never_oversleeps():
    fake = FakeTime()
    with pytest.raises(WaitTimeout) as caught:
        wait_for(lambda: 'inProgress', lambda v: False, timeout=10, description='snapshot abc', clock=fake.clock, sleep=fake.sleep)
    assert caught.value.last_value == 'inProgress'
    assert fake.now == 10
    assert 'snapshot abc' in str(caught.value)


def test_transient_errors_are_tolerated_and_honour_retry_after():
    fake = FakeTime()
    messages = []
    results = iter([AtlasApiError(503, None, 'busy', 'GET', '/p'), AtlasApiError(429, 'RATE_LIMITED', 'slow', 'GET', '/p', retry_after=9), 'done'])

    def fetch():
        value = next(results)
        if isinstance(value, Exception):
            raise value
        return value

    assert wait_for(fetch, lambda v: v == 'done', timeout=60, description='x', clock=fake.clock, sleep=fake.sleep, on_transient=messages.append) == 'done'
    assert fake.sleeps == [1.0, 9.0]
    assert len(messages) == 2


def test_other_errors_propagate():
    def fetch():
        raise AtlasApiError(404, 'SNAPSHOT_NOT_FOUND', 'gone', 'GET', '/p')

    with pytest.raises(AtlasApiError):
        wait_for(fetch, bool, timeout=60, description='x', clock=FakeTime().clock, sleep=FakeTime().sleep)

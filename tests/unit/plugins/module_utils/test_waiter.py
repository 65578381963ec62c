# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The waiter: backoff, deadline, transient errors."""
from __future__ import annotations

import itertools

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasAmbiguousWriteError, AtlasApiError
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


def scripted(*outcomes):
    """A fetch() that returns or raises the given outcomes in turn."""
    pending = iter(outcomes)

    def fetch():
        outcome = next(pending)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return fetch


def test_intervals_start_fast_and_cap():
    assert list(itertools.islice(poll_intervals(1.0, 1.5, 30.0), 12)) == [1.0, 1.5, 2.25, 3.375, 5.0625, 7.59375, 11.390625,
                                                                          17.0859375, 25.62890625, 30.0, 30.0, 30.0]


def test_returns_when_done_without_sleeping_after():
    fake = FakeTime()
    fetch = scripted('queued', 'inProgress', 'completed')
    assert wait_for(fetch, lambda v: v == 'completed', timeout=60, description='x', clock=fake.clock, sleep=fake.sleep) == 'completed'
    assert fake.sleeps == [1.0, pytest.approx(1.1)]


def test_done_at_once_does_not_sleep():
    fake = FakeTime()
    assert wait_for(lambda: 'completed', lambda v: v == 'completed', timeout=60, description='x', clock=fake.clock, sleep=fake.sleep) == 'completed'
    assert fake.sleeps == []


def test_custom_interval_settings():
    fake = FakeTime()
    with pytest.raises(WaitTimeout):
        wait_for(lambda: 0, bool, timeout=20, description='x', initial_interval=2, factor=2, max_interval=5, clock=fake.clock, sleep=fake.sleep)
    assert fake.sleeps == [2, 4, 5, 5, 4]  # the last one shortened to land on the deadline


def test_a_three_second_snapshot_is_seen_within_about_a_poll():
    fake = FakeTime()
    polls = []

    def fetch():
        polls.append(fake.now)
        return 'completed' if fake.now >= 3 else 'inProgress'

    wait_for(fetch, lambda v: v == 'completed', timeout=60, description='x', clock=fake.clock, sleep=fake.sleep)
    assert polls[-1] - 3 <= 2.25 and len(polls) <= 4


def test_an_hour_long_wait_polls_a_few_times_a_minute():
    fake = FakeTime()
    calls = []

    def fetch():
        calls.append(fake.now)
        return fake.now >= 3600

    wait_for(fetch, bool, timeout=7200, description='x', clock=fake.clock, sleep=fake.sleep)
    last_ten_minutes = [c for c in calls if c >= 3000]
    assert 2 * 10 <= len(last_ten_minutes) <= 4 * 10 + 1  # 2-4 polls a minute once backed off
    assert calls[-1] - 3600 <= 30      # and it notices within one interval


def default_schedule(until):
    """When wait_for (with its default schedule) polls something that never finishes, up to `until` seconds."""
    fake = FakeTime()
    calls = []

    def fetch():
        calls.append(fake.now)
        return False

    with pytest.raises(WaitTimeout):
        wait_for(fetch, bool, timeout=until, description='x', clock=fake.clock, sleep=fake.sleep)
    return calls


def test_default_schedule_starts_fast():
    assert [round(c, 2) for c in default_schedule(20)[:11]] == [0, 1, 2.1, 3.31, 4.64, 6.11, 7.72, 9.49, 11.44, 13.58, 15.94]


def test_default_schedule_notices_within_a_second_plus_ten_percent_and_at_most_fifteen_seconds():
    polls = default_schedule(7300)
    for duration in [x / 8 for x in range(1, 8 * 200)] + [x / 2 for x in range(400, 2 * 7200)]:  # 0.125 s .. 2 h
        noticed = next(c for c in polls if c >= duration)
        assert noticed - duration <= min(1 + 0.1 * duration, 15) + 1e-9, duration


def test_default_schedule_polls_at_most_four_times_a_minute_once_settled():
    polls = default_schedule(7300)
    assert sum(1 for c in polls if c < 60) <= 21  # the fast start: 21 polls in the first minute
    settled = [c for c in polls if 140 <= c < 7300]  # the interval reaches 15 s after about 140 s (the deadline's poll aside)
    assert all(b - a >= 15 - 1e-9 for a, b in zip(settled, settled[1:]))
    for start in range(140, 7200, 10):  # any 60-second window
        assert sum(1 for c in settled if start <= c < start + 60) <= 4


def test_deadline_raises_with_last_value_and_never_oversleeps():
    fake = FakeTime()
    calls = []

    def fetch():
        calls.append(fake.now)
        return {'status': 'inProgress', 'poll': len(calls)}

    with pytest.raises(WaitTimeout) as caught:
        wait_for(fetch, lambda v: False, timeout=10, description='snapshot abc', clock=fake.clock, sleep=fake.sleep)
    assert caught.value.last_value == {'status': 'inProgress', 'poll': len(calls)}
    assert caught.value.description == 'snapshot abc' and str(caught.value) == 'timed out after 10 s waiting for snapshot abc'
    assert fake.now == 10 and calls[-1] == 10  # a final fetch happens at the deadline, and no sleep goes past it
    assert fake.sleeps == pytest.approx([1.0, 1.1, 1.21, 1.331, 1.4641, 1.61051, 1.771561, 0.512829])
    assert str(caught.value) == 'timed out after 10 s waiting for snapshot abc'


def test_transient_errors_are_tolerated_and_honour_retry_after():
    fake = FakeTime()
    messages = []
    fetch = scripted(AtlasApiError(503, None, 'busy', 'GET', '/p'), AtlasApiError(429, 'RATE_LIMITED', 'slow', 'GET', '/p', retry_after=9),
                     AtlasApiError(None, None, 'ConnectionError: reset', 'GET', '/p'), 'done')
    assert wait_for(fetch, lambda v: v == 'done', timeout=60, description='job 1', clock=fake.clock, sleep=fake.sleep,
                    on_transient=lambda err, delay: messages.append((err.reason(), delay))) == 'done'
    assert fake.sleeps == pytest.approx([1.0, 9.0, 1.21])
    assert messages == [('HTTP 503', 1.0), ('HTTP 429 RATE_LIMITED', 9.0), ('ConnectionError: reset', pytest.approx(1.21))]


def test_transient_errors_without_a_reporter_are_still_tolerated():
    fake = FakeTime()
    fetch = scripted(AtlasApiError(502, None, 'bad gateway', 'GET', '/p'), 'done')
    assert wait_for(fetch, lambda v: v == 'done', timeout=60, description='x', clock=fake.clock, sleep=fake.sleep) == 'done'


def test_retry_after_does_not_push_past_the_deadline():
    fake = FakeTime()
    fetch = scripted('inProgress', AtlasApiError(429, 'RATE_LIMITED', 'slow', 'GET', '/p', retry_after=100), 'inProgress')
    with pytest.raises(WaitTimeout) as caught:
        wait_for(fetch, lambda v: False, timeout=5, description='x', clock=fake.clock, sleep=fake.sleep)
    assert fake.now == 5 and fake.sleeps == [1.0, 4.0]
    assert caught.value.last_value == 'inProgress'


def test_timeout_after_a_failed_final_poll_keeps_the_last_good_value():
    fake = FakeTime()
    failure = AtlasApiError(503, None, 'busy', 'GET', '/p')
    fetch = scripted('queued', failure)
    with pytest.raises(WaitTimeout) as caught:
        wait_for(fetch, lambda v: False, timeout=1, description='x', clock=fake.clock, sleep=fake.sleep)
    assert caught.value.last_value == 'queued'  # the failed final poll does not hide the last state seen


@pytest.mark.parametrize('error', [
    AtlasApiError(404, 'SNAPSHOT_NOT_FOUND', 'gone', 'GET', '/p'),
    AtlasApiError(401, 'UNEXPECTED_ERROR', 'no', 'GET', '/p'),
    AtlasApiError(None, 'TLS_ERROR', 'certificate', 'GET', '/p'),
    AtlasAmbiguousWriteError(400, 'UNFINISHED_ON_DEMAND_SNAPSHOT', 'busy', 'POST', '/p'),
])
def test_other_errors_propagate_at_once(error):
    fake = FakeTime()

    def fetch():
        raise error

    with pytest.raises(AtlasApiError) as caught:
        wait_for(fetch, bool, timeout=60, description='x', clock=fake.clock, sleep=fake.sleep, on_transient=pytest.fail)
    assert caught.value is error and fake.sleeps == []


def test_other_exceptions_are_not_swallowed():
    def fetch():
        raise KeyError('status')

    with pytest.raises(KeyError):
        wait_for(fetch, bool, timeout=60, description='x', clock=FakeTime().clock, sleep=FakeTime().sleep)

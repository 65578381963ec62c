# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The one waiter: poll until a predicate holds, starting fast and backing off, within a deadline; and the one
wait-or-raise around it, with the one timeout message every module gives.

The schedule (wait_for's defaults): the first poll at once, then intervals of 1 s growing by 10% a poll up to 15 s:
polls at 0, 1, 2.1, 3.3, 4.6, 6.1, 7.7, 9.5, 11.4, 13.6, 15.9 s, ... 57 s, 64 s, ... 123 s, 138 s, then every 15 s.
Each interval is exactly 1 s + 10% of the time already waited, so whatever finishes after T seconds is noticed within
1 s + 10% of T, and never more than 15 s late (a 3-second snapshot within about a second, a 50-second one within 6 s,
an hour-long one within 15 s). About 21 polls in the first minute, 6 in the second, then a steady 4 a minute (the
Atlas CLI's watchers poll every 4 s, 15 a minute).
"""
from __future__ import annotations

import time
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError

T = t.TypeVar('T')

POLL_INITIAL = 1.0  # seconds before the second poll
POLL_FACTOR = 1.1   # each interval 10% longer than the one before: notice latency <= 1 s + 10% of the running time
POLL_MAX = 15.0     # and never more than 15 s: a steady 4 polls a minute


class WaitTimeout(Exception):
    """The deadline passed; carries the last value seen so the caller can say what state things were in."""

    def __init__(self, description: str, last_value: t.Any, elapsed: float) -> None:
        super().__init__(f'timed out after {elapsed:.0f} s waiting for {description}')
        self.description = description
        self.last_value = last_value


def poll_intervals(initial: float, factor: float, maximum: float) -> t.Iterator[float]:
    """initial, initial*factor, initial*factor**2, ... capped at maximum (wait_for's defaults: 1, 1.1, 1.21, ... 15 s).

    From initial = 1 s, each interval is 1 s + (factor - 1) times the sum of those before it: the notice latency of a
    job that takes T seconds is at most 1 s + (factor - 1) * T, and at most `maximum`."""
    interval = initial
    while True:
        yield interval
        interval = min(interval * factor, maximum)


class Deadline:
    """The task's one time budget (wait_timeout), made once by the module base and shared by every wait, conflict loop,
    settling re-list and fall-back of the task, so that no part restarts the clock."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + float(seconds)

    def remaining(self) -> float:
        return max(self.at - time.monotonic(), 0.0)  # looked up at call time, so tests can drive the clock

    def pause(self, interval: float, client: AtlasClient | None = None, reason: str | None = None) -> bool:
        """Sleep interval (shortened to what is left); False, without sleeping, when no time is left. With client and
        reason, the pause counts as a retry (reported in retries_used)."""
        remaining = self.remaining()
        if remaining <= 0:
            return False
        pause = min(interval, remaining)
        if client is not None and reason is not None:
            client.note_retry(reason, pause)
        time.sleep(pause)
        return True


def settle(find: t.Callable[[], T | None], deadline: Deadline, seconds: float,
           clock: t.Callable[[], float] = time.monotonic) -> T | None:
    """find() now, then again on the waiter's schedule for up to `seconds` (within the deadline), until it finds
    something: Atlas may list a new job or snapshot only some time after creating it (list lag). The lag is Atlas's, so
    the seconds may also be counted on `clock`, Atlas's (atlas_seconds): a simulator whose clock runs faster settles
    sooner. Whichever count ends first ends the search, so a clock that stands still never makes it longer."""
    until, until_here = clock() + seconds, time.monotonic() + seconds
    intervals = poll_intervals(POLL_INITIAL, POLL_FACTOR, POLL_MAX)
    while True:
        found = find()
        if found is not None:
            return found
        left = min(until - clock(), until_here - time.monotonic())
        if left <= 0 or not deadline.pause(min(next(intervals), left)):
            return None


def atlas_seconds(client: AtlasClient) -> t.Callable[[], float]:
    """A clock in seconds on Atlas's time (the Date of its last answer; this host's before any), for settle."""
    return lambda: client.now().timestamp()


def wait_for(fetch: t.Callable[[], T], done: t.Callable[[T], bool], *, timeout: float, description: str,
             initial_interval: float = POLL_INITIAL, max_interval: float = POLL_MAX, factor: float = POLL_FACTOR,
             clock: t.Callable[[], float] = time.monotonic, sleep: t.Callable[[float], None] = time.sleep,
             on_transient: t.Callable[[AtlasApiError, float], None] | None = None) -> T:
    """Call fetch() until done(value) and return that value; raise WaitTimeout at the deadline.

    The interval starts at initial_interval and grows by factor up to max_interval (the module docstring gives the
    default schedule and its latency bound); the last sleep is shortened so
    that a final fetch happens at the deadline. Transient API errors (429, 5xx, network) are reported through
    on_transient(error, delay) and polling goes on, waiting at least the server's Retry-After; any other error propagates.
    """
    start = clock()
    deadline = start + timeout
    last: t.Any = None
    intervals = poll_intervals(initial_interval, factor, max_interval)
    while True:
        delay = next(intervals)
        try:
            last = fetch()
            if done(last):
                return last
        except AtlasApiError as err:
            if not err.transient:
                raise
            delay = max(delay, err.retry_after or 0.0)
            if on_transient:
                on_transient(err, delay)
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout(description, last, clock() - start)
        sleep(min(delay, remaining))


def wait_or_raise(client: AtlasClient, fetch: t.Callable[[], dict[str, t.Any]], done: t.Callable[[dict[str, t.Any]], bool], *,
                  what: str, first: dict[str, t.Any], deadline: Deadline,
                  describe: t.Callable[[dict[str, t.Any]], t.Any] = lambda doc: doc.get('status'), **result: t.Any) -> dict[str, t.Any]:
    """wait_for within the task's deadline, with the client counting transient polls as retries; at the deadline a
    TaskError that names `what`, the wait_timeout option and the last status seen (describe(doc): dedicated restore jobs
    have no status field), with result fields and last_status."""
    try:
        # time is looked up at call time (not bound as wait_for's defaults are), so tests can drive the clock
        return wait_for(fetch, done, timeout=deadline.remaining(), description=what, on_transient=client.count_transient,
                        clock=time.monotonic, sleep=time.sleep)
    except WaitTimeout as exc:
        last = exc.last_value or first
        status = describe(last)
        raise TaskError(f'Timed out (wait_timeout {deadline.seconds:g} s) waiting for {what}; its last status was {status}.',
                        last_status=status, **result) from None

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The one waiter: poll until a predicate holds, starting fast and backing off, within a deadline; and the one
wait-or-raise around it, with the one timeout message every module gives."""
from __future__ import annotations

import time
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError

T = t.TypeVar('T')


class WaitTimeout(Exception):
    """The deadline passed; carries the last value seen so the caller can say what state things were in."""

    def __init__(self, description: str, last_value: t.Any, elapsed: float) -> None:
        super().__init__(f'timed out after {elapsed:.0f} s waiting for {description}')
        self.description = description
        self.last_value = last_value


def poll_intervals(initial: float, factor: float, maximum: float) -> t.Iterator[float]:
    """1, 1.5, 2.25, ... capped: a 3-second job is seen within about a second of finishing, an hour-long one ~2 times a minute."""
    interval = initial
    while True:
        yield interval
        interval = min(interval * factor, maximum)


def wait_for(fetch: t.Callable[[], T], done: t.Callable[[T], bool], *, timeout: float, description: str,
             initial_interval: float = 1.0, max_interval: float = 30.0, factor: float = 1.5,
             clock: t.Callable[[], float] = time.monotonic, sleep: t.Callable[[float], None] = time.sleep,
             on_transient: t.Callable[[AtlasApiError, float], None] | None = None) -> T:
    """Call fetch() until done(value) and return that value; raise WaitTimeout at the deadline.

    The interval starts at initial_interval and grows by factor up to max_interval; the last sleep is shortened so
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
                  what: str, first: dict[str, t.Any], timeout: float, wait_timeout: int, **result: t.Any) -> dict[str, t.Any]:
    """wait_for, with the client counting transient polls as retries; at the deadline a TaskError that names `what`, the
    wait_timeout option and the last status seen (from `first` when no poll answered), with result fields and last_status."""
    try:
        # time is looked up at call time (not bound as wait_for's defaults are), so tests can drive the clock
        return wait_for(fetch, done, timeout=timeout, description=what, on_transient=client.count_transient,
                        clock=time.monotonic, sleep=time.sleep)
    except WaitTimeout as exc:
        last = exc.last_value or first
        raise TaskError(f'Timed out (wait_timeout {wait_timeout} s) waiting for {what}; its last status was {last.get("status")}.',
                        last_status=last.get('status'), **result) from None

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Work in a few threads at once, decided on the caller's thread: at most `limit` jobs run, each in a daemon thread of
its own; their results (or errors) come back, in the order they finish, to the one thread that started them, which alone
touches Ansible. One stop flag, shared with the jobs, asks those still running to end early.

Daemon threads, not concurrent.futures: a task that ends (a failure, SIGTERM) must not wait at interpreter exit for a
transfer stalled in a socket read; the caller removes what such a job leaves behind.
"""
from __future__ import annotations

import queue
import threading
import time
import typing as t


class Finished(t.NamedTuple):
    """One job's end: its key, its value, or the exception it raised (then value is None)."""

    key: t.Any
    value: t.Any
    error: BaseException | None


class BoundedThreads:
    """Start jobs while there is room; collect each one's end with next_finished()."""

    POLL = 0.2  # seconds between looks at the results queue: signal handlers (SIGTERM) run in the caller's thread meanwhile

    def __init__(self, limit: int) -> None:
        self.limit = max(1, int(limit))
        self.stop = threading.Event()
        self.running: set[t.Any] = set()
        self._finished: queue.Queue = queue.Queue()

    @property
    def has_room(self) -> bool:
        return len(self.running) < self.limit and not self.stop.is_set()

    def start(self, key: t.Any, job: t.Callable[[], t.Any]) -> None:
        """Run job() in a new daemon thread; its result or exception comes back as Finished(key, ...)."""
        self.running.add(key)
        threading.Thread(target=self._run, args=(key, job), daemon=True, name=f'atlas-job-{key}').start()

    def _run(self, key: t.Any, job: t.Callable[[], t.Any]) -> None:
        try:
            value = job()
        except BaseException as exc:  # pylint: disable=broad-exception-caught
            # Not hidden: handed to the caller's thread, which decides (and re-raises what it does not expect).
            self._finished.put(Finished(key, None, exc))
        else:
            self._finished.put(Finished(key, value, None))

    def next_finished(self, deadline: float | None = None) -> Finished | None:
        """The next job to end (waiting for it), or None when none is running or the deadline (time.monotonic()) passed."""
        while self.running:
            if deadline is not None and time.monotonic() >= deadline:
                return None
            try:
                finished = self._finished.get(timeout=self.POLL)
            except queue.Empty:
                continue
            self.running.discard(finished.key)
            return t.cast(Finished, finished)
        return None

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection: for the next N requests matching a method and a path pattern, misbehave on purpose."""
from __future__ import annotations

import itertools
import re
import threading
import typing as t

ACTIONS = ('status', 'latency', 'reset', 'drop_after_write', 'truncate', 'stall')


class FaultError(ValueError):
    """A fault definition that cannot be used."""


class Faults:
    """The armed faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[dict[str, t.Any]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, spec: t.Any) -> dict[str, t.Any]:
        if not isinstance(spec, dict):
            raise FaultError('a fault must be a JSON object')
        unknown = set(spec) - {'method', 'path', 'count', 'action', 'status', 'retry_after', 'delay', 'error_code', 'after_bytes'}
        if unknown:
            raise FaultError(f'unknown fault field(s): {sorted(unknown)}')
        action = spec.get('action')
        if action not in ACTIONS:
            raise FaultError(f'action must be one of {list(ACTIONS)}, got {action!r}')
        try:
            pattern = re.compile(str(spec.get('path', '.*')))
        except re.error as exc:
            raise FaultError(f'path is not a valid regular expression: {exc}') from None
        count = spec.get('count', 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise FaultError(f'count must be a positive integer, got {count!r}')
        if action == 'status' and not (isinstance(spec.get('status'), int) and 400 <= spec['status'] <= 599):
            raise FaultError('a status fault needs "status" between 400 and 599')
        if action in ('latency', 'stall') and not isinstance(spec.get('delay'), (int, float)):
            raise FaultError(f'a {action} fault needs "delay" in seconds')
        after = spec.get('after_bytes')
        if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after < 0):
            raise FaultError(f'after_bytes must be a whole number of bytes, got {after!r}')
        fault = dict(spec, id=str(next(self._ids)), method=str(spec.get('method', '*')).upper(), count=count)
        with self._lock:
            self._faults.append(dict(fault, _pattern=pattern))
        return fault

    def take(self, method: str, path: str) -> dict[str, t.Any] | None:
        """The first armed fault matching this request, with one use consumed."""
        with self._lock:
            for fault in self._faults:
                if fault['method'] in ('*', method) and fault['_pattern'].search(path):
                    fault['count'] -= 1
                    if fault['count'] <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def listing(self) -> list[dict[str, t.Any]]:
        with self._lock:
            return [{k: v for k, v in fault.items() if k != '_pattern'} for fault in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

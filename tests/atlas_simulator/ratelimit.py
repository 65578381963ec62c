# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Atlas v2 rate limiting: a token bucket per project and endpoint set, refilled on the simulator clock.

The sets and their defaults are the docs' April 2026 table (config.RATE_LIMIT_SETS); each set has its own capacity and refill.
Answers carry the bucket's state as `Ratelimit-Limit` / `Ratelimit-Remaining`: the docs and the spec write RateLimit-Limit,
the recorded answers of Atlas spell them as below (HTTP header names are case-insensitive; a client must not care).
"""
from __future__ import annotations

import math
import threading
import typing as t

from atlas_simulator.errors import ApiError


LIMIT_HEADER = 'Ratelimit-Limit'
REMAINING_HEADER = 'Ratelimit-Remaining'


class TokenBuckets:
    """Each request takes one token of its endpoint set's bucket; an empty bucket answers 429 RATE_LIMITED_TOKEN_BUCKET with Retry-After."""

    def __init__(self, settings: t.Callable[[], dict[str, t.Any]], clock: t.Callable[[], float]) -> None:
        self._settings = settings
        self._clock = clock
        self._buckets: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def take(self, group_id: str, endpoint_set: str, path: str) -> dict[str, str]:
        """Take a token or raise the 429; return the RateLimit-* headers for a success."""
        limits = self._settings()[endpoint_set]
        capacity, refill, period = limits['capacity'], limits['refill'], limits['period']
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get((group_id, endpoint_set), [float(capacity), now])
            tokens = min(float(capacity), tokens + (now - last) * refill / period)
            if tokens < 1:
                self._buckets[(group_id, endpoint_set)] = [tokens, now]
                wait = max(1, math.ceil((1 - tokens) * period / refill))
                raise ApiError(429, 'RATE_LIMITED_TOKEN_BUCKET',
                               f'Resource {path} is limited to {capacity} requests, refilled at {refill} every {period} seconds. '
                               f'Retry after {wait} seconds.',
                               [path, wait, capacity, refill, period],
                               headers={'Retry-After': str(wait), LIMIT_HEADER: str(capacity), REMAINING_HEADER: '0'})
            tokens -= 1
            self._buckets[(group_id, endpoint_set)] = [tokens, now]
        return {LIMIT_HEADER: str(capacity), REMAINING_HEADER: str(int(tokens))}

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Atlas timestamps: one strict parser that behaves the same on every supported Python, and one formatter.

datetime.fromisoformat() accepts different things on Python 3.9, 3.10 and 3.11+ (a trailing Z, fractions of any
length), and returns a naive value for a time without an offset, which then cannot be compared with an aware one.
This parser accepts exactly ISO-8601 date-times with a 'Z' or a +HH:MM / -HH:MM / +HHMM offset and a fraction of
any length, and always returns an aware UTC datetime. Anything else is None: callers treat None conservatively
(never "fresh enough", never "valid for long enough").
"""
from __future__ import annotations

import datetime
import re

_ISO = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?'
    r'(?:([Zz])|([+-])(\d{2}):?(\d{2}))$'
)


def parse_time(value: object) -> datetime.datetime | None:
    """An aware UTC datetime from an Atlas ISO-8601 timestamp, or None when value is missing or not one.

    A timestamp without an offset is refused (None): Atlas always says Z, and guessing the zone could make an old
    snapshot look fresh.
    """
    if not isinstance(value, str):
        return None
    match = _ISO.match(value.strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, zulu, sign, off_hours, off_minutes = match.groups()[6:]
    micro = int((fraction or '0')[:6].ljust(6, '0'))
    if zulu:
        offset = datetime.timedelta(0)
    else:
        offset = datetime.timedelta(hours=int(off_hours), minutes=int(off_minutes))
        if offset >= datetime.timedelta(hours=24):
            return None
        offset = -offset if sign == '-' else offset
    try:
        moment = datetime.datetime(year, month, day, hour, minute, second, micro, tzinfo=datetime.timezone(offset))
    except ValueError:
        return None  # month 13, 30 February, second 61 ...
    return moment.astimezone(datetime.timezone.utc)


def iso(moment: datetime.datetime) -> str:
    """Atlas's format: 2026-11-22T03:00:00Z (UTC, whole seconds)."""
    return moment.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')

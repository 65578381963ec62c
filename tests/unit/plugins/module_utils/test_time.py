# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Atlas timestamps are parsed strictly and identically on every Python: Z, offsets, fractions of any length."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._time import iso, parse_time

UTC = datetime.timezone.utc


@pytest.mark.parametrize('text, expected', [
    ('2026-11-22T11:00:00Z', datetime.datetime(2026, 11, 22, 11, tzinfo=UTC)),
    ('2026-11-22T11:00:00z', datetime.datetime(2026, 11, 22, 11, tzinfo=UTC)),
    ('2026-11-22T11:00:00.1Z', datetime.datetime(2026, 11, 22, 11, 0, 0, 100000, tzinfo=UTC)),
    ('2026-11-22T11:00:00.123Z', datetime.datetime(2026, 11, 22, 11, 0, 0, 123000, tzinfo=UTC)),
    ('2026-11-22T11:00:00.123456789Z', datetime.datetime(2026, 11, 22, 11, 0, 0, 123456, tzinfo=UTC)),  # nanoseconds
    ('2026-11-22T12:00:00+01:00', datetime.datetime(2026, 11, 22, 11, tzinfo=UTC)),
    ('2026-11-22T06:30:00-0430', datetime.datetime(2026, 11, 22, 11, tzinfo=UTC)),
    ('2026-11-22T11:00:00.5+00:00', datetime.datetime(2026, 11, 22, 11, 0, 0, 500000, tzinfo=UTC)),
])
def test_accepted_forms_are_aware_utc(text, expected):
    parsed = parse_time(text)
    assert parsed == expected
    assert parsed.tzinfo is not None and parsed.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize('text', [
    None, '', 'not a time', '2026-11-22', '2026-11-22T11:00:00',     # no zone: refused, never guessed
    '2026-11-22T11:00Z', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-11-22T11:00:00+25:00',
    '2026-11-22T11:00:00.Z', 1700000000, '22 Nov 2026 11:00:00 GMT',
])
def test_anything_else_is_none(text):
    assert parse_time(text) is None


def test_iso_round_trip():
    moment = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert iso(moment) == '2026-11-22T11:00:00Z'
    assert parse_time(iso(moment)) == moment

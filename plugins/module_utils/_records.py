# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""One shape for every snapshot and job: a status vocabulary, creation and expiry times, newest-first order.

Cloud-backup snapshots say createdAt/expiresAt and queued/inProgress/completed/failed; Flex and tenant snapshots
say startTime/expiration and PENDING/QUEUED/RUNNING/COMPLETED/FAILED; download jobs say restoreScheduledDate/
expirationDate. Decisions (reuse, "newest", adoption) and results both go through here, never through list order.
"""
from __future__ import annotations

import datetime
import typing as t

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._time import iso, parse_time

QUEUED = 'queued'
IN_PROGRESS = 'inProgress'
COMPLETED = 'completed'
FAILED = 'failed'
UNFINISHED = (QUEUED, IN_PROGRESS)

_STATUSES = {
    'queued': QUEUED, 'pending': QUEUED,
    'inprogress': IN_PROGRESS, 'running': IN_PROGRESS, 'in_progress': IN_PROGRESS,
    'completed': COMPLETED,
    'failed': FAILED,
}
_CREATED = ('createdAt', 'startTime', 'scheduledTime', 'restoreScheduledDate')
_EXPIRES = ('expiresAt', 'expiration', 'expirationDate')
_OLDEST = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
_NEWEST = datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)


def status_of(doc: dict[str, t.Any]) -> str:
    """queued, inProgress, completed or failed, whatever words the API used (unknown words pass through)."""
    raw = str(doc.get('status') or '')
    return _STATUSES.get(raw.lower(), raw)


def created_of(doc: dict[str, t.Any]) -> str | None:
    """Atlas's own text of when the snapshot was taken (or the job requested), from whichever field the API uses."""
    return next((doc[key] for key in _CREATED if doc.get(key)), None)


def expires_of(doc: dict[str, t.Any]) -> str | None:
    """Atlas's own text of when the snapshot is deleted (or the job's link stops working)."""
    return next((doc[key] for key in _EXPIRES if doc.get(key)), None)


def created_time(doc: dict[str, t.Any]) -> datetime.datetime | None:
    return parse_time(created_of(doc))


def expires_time(doc: dict[str, t.Any]) -> datetime.datetime | None:
    return parse_time(expires_of(doc))


def untimed_and_unfinished(doc: dict[str, t.Any]) -> bool:
    """Queued or running and without any creation time yet: Atlas gives an on-demand cloud backup snapshot its createdAt only
    when it completes (recorded by the Atlas CLI), so such a snapshot is the newest there is, whenever it was requested."""
    return created_of(doc) is None and status_of(doc) in UNFINISHED


def _age_key(doc: dict[str, t.Any]) -> datetime.datetime:
    """Sort key: the creation time; a queued or running item that has none yet is the newest; an unreadable one the oldest."""
    created = created_time(doc)
    if created is not None:
        return created
    return _NEWEST if untimed_and_unfinished(doc) else _OLDEST


def newest_first(docs: t.Iterable[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    """The documents ordered by creation time, newest first, whatever order the API listed them in."""
    return sorted(docs, key=_age_key, reverse=True)


def newest(docs: t.Iterable[dict[str, t.Any]]) -> dict[str, t.Any] | None:
    ordered = newest_first(docs)
    return ordered[0] if ordered else None


def normalized(doc: dict[str, t.Any]) -> dict[str, t.Any]:
    """The document with createdAt, expiresAt (ISO UTC, when Atlas said) and status in the one vocabulary added."""
    result = dict(doc)
    if doc.get('status'):
        result['status'] = status_of(doc)
    for key, moment in (('createdAt', created_time(doc)), ('expiresAt', expires_time(doc))):
        if moment is not None:
            result[key] = iso(moment)
    return result


def snake_result(doc: dict[str, t.Any]) -> dict[str, t.Any]:
    """An Atlas document as the user sees it: snake_case keys, without hypermedia links."""
    return camel_dict_to_snake_dict({k: v for k, v in doc.items() if k != 'links'})

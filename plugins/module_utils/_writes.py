# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""One way to POST something Atlas creates (a snapshot, a download job, a restore) without ever creating it twice.

Atlas may list what it created only some time after answering (Terraform's restore-job resource could not read a job
right after creating it), and an answer may be lost after Atlas acted (timeout, reset, 5xx). So before any repeat of a
POST the lists are read again, and again on the poll schedule for SETTLE_SECONDS, and whatever was created since the
first attempt is adopted. A restore is never requested twice by one task (repeat=False): when nothing can be found the
task fails, saying what to check.
"""
from __future__ import annotations

import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasAmbiguousWriteError, AtlasApiError, TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import Deadline, atlas_seconds, settle

Doc = t.Dict[str, t.Any]

# How long a new job or snapshot may stay out of Atlas's lists before the task concludes that Atlas made none.
SETTLE_SECONDS = 60.0


class PostPlan(t.NamedTuple):
    """What post_without_duplicates needs to know about one kind of write."""

    what: str                                            # 'snapshot', 'download job', 'restore job'
    post: t.Callable[[], t.Any]                          # send the POST once
    find_new: t.Callable[[], t.Optional[Doc]]            # list, and return what was created since the first attempt
    refused: t.Callable[[AtlasApiError], t.Optional[Doc]]  # a document to use instead, None to ask again, or raise
    cluster_name: str
    repeat: bool = True                                  # may the POST be sent again (never for a restore)
    settle_seconds: float = SETTLE_SECONDS


def post_without_duplicates(client: AtlasClient, plan: PostPlan, *, deadline: Deadline, warn: t.Callable[[str], None]) -> Doc:
    """POST until Atlas has created exactly one `plan.what`, and return it.

    - An ambiguous failure (timeout, reset, 5xx: Atlas may have acted) lists again until the settling time has passed
      (within the deadline) and adopts what Atlas created; only then, and only when plan.repeat, is the POST sent again,
      at most the client's `retries` times. Without repeat the task fails, naming what to check.
    - A refusal after an ambiguous attempt may be caused by that attempt (a 409 from our own restore, the snapshot in
      flight being ours): the lists are searched again first. Otherwise refused(err) returns a document to use instead,
      returns None to ask again (only when plan.repeat), or raises.
    - A 200 without an id is looked up with find_new() too. From the first accepted write on, the task reports changed.
    """
    ambiguous_left = client.retries
    ambiguous: AtlasAmbiguousWriteError | None = None

    def search() -> t.Optional[Doc]:
        return settle(plan.find_new, deadline, plan.settle_seconds, atlas_seconds(client))

    while True:
        try:
            answer = plan.post() or {}
        except AtlasAmbiguousWriteError as err:
            ambiguous = err
            adopted = search()
            if adopted is not None:
                client.wrote_to_atlas()
                warn(f'Atlas did not answer the {plan.what} request ({err.detail}), but had created {plan.what} {adopted["id"]}; '
                     'using it instead of asking again.')
                return adopted
            if not plan.repeat:
                client.wrote_to_atlas()  # Atlas may well have acted: never report that nothing changed
                raise TaskError(f'Atlas did not answer the {plan.what} request for cluster {plan.cluster_name} ({err.detail}), and no new '
                                f'{plan.what} is listed after {plan.settle_seconds:g} s. Nothing more was sent: a restore is never requested '
                                f'twice by one task. Check the restore jobs of cluster {plan.cluster_name} '
                                '(mongodb_atlas.backup.atlas_restore_job_info) and the state of the target cluster before running again; '
                                f'a re-run uses the {plan.what} as soon as Atlas lists it.', error_code=err.error_code) from None
            if ambiguous_left <= 0:
                raise
            ambiguous_left -= 1
            warn(f'The {plan.what} request failed ({err.detail}) and Atlas shows no new {plan.what} after {plan.settle_seconds:g} s; '
                 'asking again.')
            continue
        except AtlasApiError as err:
            if ambiguous is not None:
                adopted = search()
                if adopted is not None:
                    client.wrote_to_atlas()
                    warn(f'Atlas did not answer the first {plan.what} request ({ambiguous.detail}) and refused the next '
                         f'({err.error_code}), but had created {plan.what} {adopted["id"]}; using it.')
                    return adopted
            instead = plan.refused(err)
            if instead is not None:
                if ambiguous is not None:
                    client.wrote_to_atlas()  # it may be what the lost attempt created
                return instead
            if not plan.repeat:
                raise err
            continue
        if answer.get('id'):
            return answer
        adopted = search()
        if adopted is None:
            raise TaskError(f'Atlas accepted the {plan.what} request for cluster {plan.cluster_name} but answered without an id, and no new '
                            f'{plan.what} is listed yet. Run the task again: it picks up the {plan.what} once Atlas lists it, without a second one.')
        return adopted

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""One way to POST something Atlas creates (a snapshot, a download job) without ever creating it twice."""
from __future__ import annotations

import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasAmbiguousWriteError, AtlasApiError, TaskError

Doc = t.Dict[str, t.Any]


def post_without_duplicates(client: AtlasClient, what: str, post: t.Callable[[], t.Any], find_new: t.Callable[[], t.Optional[Doc]],
                            refused: t.Callable[[AtlasApiError], t.Optional[Doc]], *, cluster_name: str,
                            warn: t.Callable[[str], None]) -> Doc:
    """POST until Atlas has created exactly one `what`, and return it.

    - An ambiguous failure (timeout, reset, 5xx: Atlas may have acted) re-reads state with find_new() and adopts what
      Atlas created; only when nothing new is there is the POST sent again, at most the client's `retries` times.
    - A refusal goes to refused(err), which returns a document to use instead, returns None to ask again (after it has
      waited for whatever was in the way), or raises.
    - A 200 without an id is looked up with find_new() too. From the first accepted write on, the task reports changed.
    """
    ambiguous_left = client.retries
    while True:
        try:
            answer = post() or {}
        except AtlasAmbiguousWriteError as err:
            adopted = find_new()
            if adopted is not None:
                client.wrote_to_atlas()
                warn(f'Atlas did not answer the {what} request ({err.detail}), but had created {what} {adopted["id"]}; '
                     'using it instead of asking again.')
                return adopted
            if ambiguous_left <= 0:
                raise
            ambiguous_left -= 1
            warn(f'The {what} request failed ({err.detail}) and Atlas shows no new {what}; asking again.')
            continue
        except AtlasApiError as err:
            instead = refused(err)
            if instead is not None:
                return instead
            continue
        if answer.get('id'):
            return answer
        adopted = find_new()
        if adopted is None:
            raise TaskError(f'Atlas accepted the {what} request for cluster {cluster_name} but answered without an id, and no new '
                            f'{what} is listed yet. Run the task again: it picks up the {what} once Atlas lists it, without a second one.')
        return adopted

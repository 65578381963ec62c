# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""How to say an Atlas error to a person: explain_error's table of (condition, message), and atlas_call, which declares
once per service call what it tries to do (the words of 'Failed to <action>') and which missing resource means None.
"""
from __future__ import annotations

import functools
import inspect
import typing as t

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import ACCESS_LIST_CODES, ROLE_CODES, AtlasApiError, TaskError, is_missing
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._roles import any_of, requirement

# What explain_error's rows read: detail without its final full stop (it goes mid-sentence); what and roles, the refused
# call in words ('listing restore jobs') and the roles it needs (_roles), or '' when _roles does not know the call.
_Facts = t.NamedTuple('_Facts', [('status', t.Optional[int]), ('code', str), ('who', str), ('hint', str), ('detail', str),
                                 ('group_id', t.Optional[str]), ('cluster_name', t.Optional[str]), ('what', str), ('roles', str)])


# (condition, message): the first row whose condition holds explains the error; the last always does.
EXPLANATIONS: tuple[tuple[t.Callable[[_Facts], bool], str], ...] = (
    (lambda f: f.status == 401 and f.code in ROLE_CODES and bool(f.roles), '{who} does not have a project role that allows this: {what} needs {roles}'),
    (lambda f: f.status == 401 and f.code in ROLE_CODES, '{who} does not have a project role that allows this. Check its project roles'),
    (lambda f: f.code == 'OAUTH_INVALID_CLIENT', "Atlas rejected the service account's client id or secret (HTTP {status}): {detail}. {hint}"),
    (lambda f: f.code == 'OAUTH_ACCESS_DENIED',
     'Atlas refused a new access token for the service account (HTTP {status}): {detail}. A service account may hold at most 100 active tokens, '
     'each valid for an hour unless revoked: wait, or revoke tokens other tools keep. This collection fetches one token per job and caches it (token_cache)'),
    (lambda f: f.code.startswith('OAUTH_'), 'the token endpoint refused the request (HTTP {status}): {detail}. {hint}'),
    (lambda f: f.status == 401, 'Atlas rejected {who} (HTTP 401). {hint}'),
    (lambda f: f.status == 403 and f.code in ACCESS_LIST_CODES,
     "{who} is not allowed from this host: it is not on the API access list. Add this host's public IP address to the access list of {who}"),
    (lambda f: f.status == 403 and bool(f.roles), 'Atlas refused the request (HTTP 403): {detail}. {What} needs {roles}: check the roles of {who}'),
    (lambda f: f.status == 403, 'Atlas refused the request (HTTP 403): {detail}. Check the roles of {who}'),
    (lambda f: f.status == 404 and f.code == 'GROUP_NOT_FOUND', 'project {group_id} does not exist or {who} cannot see it. Check group_id'),
    (lambda f: f.status == 404 and f.code == 'CLUSTER_NOT_FOUND', 'no cluster named {cluster_name} exists in project {group_id}. Check cluster_name'),
    (lambda f: f.status == 406 or f.code in ('INVALID_VERSION_DATE', 'VERSION_GONE'),
     'Atlas did not accept the API version requested (HTTP {status}): {detail}. Try api_version v2, or check that api_base_url points at the Atlas '
     'Administration API'),
    (lambda f: f.status == 429, 'Atlas kept rate-limiting the requests and the retries ran out: {detail}. Run again later or raise retries'),
    (lambda f: f.code == 'TLS_ERROR', '{detail}'),
    (lambda f: f.status is None and f.code == 'REQUEST_ERROR', '{detail}. Check api_base_url, ca_path and the proxy settings'),
    (lambda f: f.status is None, 'could not reach Atlas: {detail}. Check api_base_url, the network and proxy settings, and TLS options'),
    (lambda f: bool(f.detail), '{detail} (HTTP {status})'),
    (lambda f: True, 'HTTP {status}'),
)


def explain_error(action: str, err: AtlasApiError, group_id: str | None = None, cluster_name: str | None = None) -> str:
    """Turn an Atlas error into one sentence a person can act on: 'Failed to <action>: <why> (<errorCode>)'; a refusal
    for want of a role (401 USER_UNAUTHORIZED and the like, a 403 not about the access list) names the role the call needs."""
    needs = requirement(err.method, err.path)
    facts = _Facts(
        status=err.status, code=err.error_code or '', who=err.who or 'the API key',
        hint=err.hint or 'Check api_public_key and api_private_key (or MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY)',
        detail=err.detail.rstrip('.'), group_id=group_id, cluster_name=cluster_name,
        what=needs.what if needs else '', roles=any_of(needs.roles) if needs else '')
    template = next(message for condition, message in EXPLANATIONS if condition(facts))
    why = template.format(What=facts.what[:1].upper() + facts.what[1:], **facts._asdict())
    suffix = f' ({facts.code})' if facts.code else ''
    return f'Failed to {action}: {why}{suffix}.'


def task_error(action: str, err: AtlasApiError, group_id: str | None = None, cluster_name: str | None = None) -> TaskError:
    """The TaskError for an Atlas error: the explained message, with its status and errorCode as result fields."""
    return TaskError(explain_error(action, err, group_id, cluster_name), status=err.status, error_code=err.error_code)


F = t.TypeVar('F', bound=t.Callable[..., t.Any])


def atlas_call(action: str, missing: str | None = None) -> t.Callable[[F], F]:
    """Declare a service call's failure once: an AtlasApiError raised inside it becomes the task's failure
    'Failed to <action>' (task_error, with the cluster's project and name), where action is formatted with the call's
    arguments and cluster (the cluster's name); with missing (snapshot, job, ...), Atlas saying that resource does not
    exist returns None instead. The call's Endpoints are its `where` argument or its object's `where`."""
    def decorate(func: F) -> F:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def call(*args: t.Any, **kwargs: t.Any) -> t.Any:
            try:
                return func(*args, **kwargs)
            except AtlasApiError as err:
                if missing is not None and is_missing(err, missing):
                    return None
                named = signature.bind(*args, **kwargs).arguments
                where = named['where'] if 'where' in named else named['self'].where
                words = action.format(cluster=where.cluster_name, **named)
                raise task_error(words, err, where.group_id, where.cluster_name) from None
        return t.cast(F, call)
    return decorate

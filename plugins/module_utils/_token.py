# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The OAuth token flow of a service account: POST /api/oauth/token, read the token, and say why Atlas refused one.

The token endpoint answers in two shapes: OAuth `{error, error_description}` (bad credentials
`invalid_client`, the 100-token cap `access_denied`) and Atlas's own `{detail, error, errorCode, parameters, reason}`
(its rate limiter: 429 `RATE_LIMITED` "Resource /api/oauth/token is limited to 10 requests every 1 minutes.").
Both become one AtlasApiError. Knows nothing of Ansible; never shows the secret or a token.
"""
from __future__ import annotations

import base64
import re
import time
import typing as t
import urllib.parse

try:
    from requests.auth import AuthBase
except ImportError:  # the module base reports the missing library (missing_required_lib) before anything here runs
    AuthBase = object  # type: ignore[misc,assignment]

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import (
    AtlasApiError, error_from_exception, error_from_response, parse_retry_after, text_detail,
)

TOKEN_PATH = '/api/oauth/token'
RATE_LIMIT_DETAIL = re.compile(r'limited to (\d+) requests every (\d+) minutes?')


def basic_credentials(client_id: str, secret: str) -> str:
    """HTTP Basic for the token endpoint: the client id and secret URL-encoded first (RFC 6749 section 2.3.1)."""
    pair = f'{urllib.parse.quote(client_id, safe="")}:{urllib.parse.quote(secret, safe="")}'
    return 'Basic ' + base64.b64encode(pair.encode()).decode()


class BearerHeader(AuthBase):
    """Adds Authorization: Bearer, from a function that gives the current token."""

    def __init__(self, token: t.Callable[[], str]) -> None:
        self.token = token

    def __call__(self, request: t.Any) -> t.Any:
        request.headers['Authorization'] = f'Bearer {self.token()}'
        return request


class _NoSessionAuth(AuthBase):
    """Keeps the session's bearer auth (and ~/.netrc) off the token request, which carries its own Basic header."""

    def __call__(self, request: t.Any) -> t.Any:
        return request


def fetch_token(client: t.Any, client_id: str, secret: str) -> dict[str, t.Any]:
    """POST the token endpoint (429, 5xx and network failures retried within the client's retries, through
    client.pause_before_retry: backoff, never shorter than Retry-After); return {access_token, expires_at} with
    expires_at on this host's clock."""
    url = client.base_url + TOKEN_PATH
    headers = {'Authorization': basic_credentials(client_id, secret), 'Accept': 'application/json',
               'Content-Type': 'application/x-www-form-urlencoded'}
    attempt = 0
    while True:
        started = time.time()
        try:
            response = client.session.post(url, data='grant_type=client_credentials', headers=headers, timeout=client.timeout,
                                           verify=client.verify, auth=_NoSessionAuth())
        except OSError as exc:  # requests' exceptions are OSErrors too: a network failure is worth a retry, TLS is not
            error = error_from_exception(exc, 'POST', TOKEN_PATH, client.timeout)[0]
        else:
            if response.status_code == 200:
                return _token_document(response, started)
            error = token_error(response)
        if not error.transient:
            raise error
        if attempt >= client.retries:
            tries = f'gave up after {attempt + 1} attempts ({attempt} {"retry" if attempt == 1 else "retries"})' if attempt else 'not retried: retries is 0'
            raise error.rebuilt(detail=f'{error.detail} ({tries})')
        client.pause_before_retry(error.reason(), attempt, error.retry_after, error)
        attempt += 1


def _token_document(response: t.Any, started: float) -> dict[str, t.Any]:
    try:
        doc = response.json()
        token = doc['access_token']
        lifetime = float(doc.get('expires_in') or 3600)
    except (ValueError, KeyError, TypeError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise AtlasApiError(200, 'INVALID_RESPONSE', 'the token endpoint did not answer with an access token', 'POST', TOKEN_PATH)
    return {'access_token': token, 'expires_at': started + lifetime}


def token_error(response: t.Any) -> AtlasApiError:
    """A refusal of the token endpoint as an AtlasApiError.

    OAuth-shaped ({error: "<name>", error_description}): the code is OAUTH_<NAME>, the detail the description.
    Atlas-shaped ({error: <status>, errorCode, detail ...}) or anything else: Atlas's errorCode (or X-Error-Code), and
    its detail. Every 429 is explained as rate limiting (rate_limited_detail), with code RATE_LIMITED when the answer
    names no Atlas errorCode, so that no 429 reads as bad credentials.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get('error'), str) and body['error'] and not body.get('errorCode'):
        error = AtlasApiError(response.status_code, f'OAUTH_{body["error"].upper()}', text_detail(str(body.get('error_description') or body['error'])),
                              'POST', TOKEN_PATH, retry_after=parse_retry_after(response.headers.get('Retry-After'), response.headers.get('Date')))
    else:
        error = error_from_response(response, 'POST', TOKEN_PATH)
    if response.status_code != 429:
        return error
    code = error.error_code if error.error_code and not error.error_code.startswith('OAUTH_') else 'RATE_LIMITED'
    return AtlasApiError(429, code, rate_limited_detail(error.detail, error.retry_after), 'POST', TOKEN_PATH, error.retry_after)


def rate_limited_detail(detail: str, retry_after: float | None) -> str:
    """What a 429 of the token endpoint means: how many requests Atlas allows (from its detail), when to try again, and
    why a job should need only one token."""
    limit = RATE_LIMIT_DETAIL.search(detail)
    quoted = f' ("{detail.rstrip(".")}.")' if detail else ''
    if limit:
        minutes = 'minute' if limit.group(2) == '1' else f'{limit.group(2)} minutes'
        requests = 'token request' if limit.group(1) == '1' else 'token requests'
        allows = f'Atlas allows {limit.group(1)} {requests} every {minutes} for this service account{quoted}'
        later = f'after {minutes}'
    else:
        allows = f'Atlas limits how many tokens this service account may request a minute{quoted}'
        later = 'after a minute'
    when = f'it asked to wait {retry_after:.0f} s before the next (Retry-After)' if retry_after is not None else f'try again {later}'
    return (f'the token endpoint refused another token: {allows}; {when}. The tasks of a job share one token through the '
            'token cache, so a job needs only one token request: the others came from other jobs or tools using this service '
            'account at the same time, or from tasks run with token_cache false or with a token cache that could not be used')

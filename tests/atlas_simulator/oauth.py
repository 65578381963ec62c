# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Service accounts: the OAuth 2.0 client-credentials token and revoke endpoints, and the bearer tokens they issue.

Every answer of these two paths is OAuth-shaped (`{"error", "error_description"}`), except a rate-limited request: that
one gets Atlas's ordinary ApiError body, 429 `RATE_LIMITED` (the Terraform provider's configuration guide quotes it).
The choices the sources mark unverified are the constants and docstrings marked UNVERIFIED below, and nowhere else.
"""
from __future__ import annotations

import base64
import binascii
import collections
import dataclasses
import json
import math
import os
import threading
import typing as t
import urllib.parse
import uuid

from atlas_simulator.auth import Unauthorized
from atlas_simulator.errors import ApiError
from atlas_simulator.seed import CLIENT_ID

TOKEN_PATH = '/api/oauth/token'
REVOKE_PATH = '/api/oauth/revoke'
PATHS = (TOKEN_PATH, REVOKE_PATH)
FORM = 'application/x-www-form-urlencoded'
NO_STORE = {'Cache-Control': 'no-store', 'Pragma': 'no-cache'}  # RFC 6749 5.1: token answers must not be cached
SECRET_PARAMS = {'client_secret', 'token', 'access_token', 'refresh_token', 'client_assertion'}
RATE_WINDOW = 60.0  # a sliding minute; how many requests fit in it is oauth.requests_per_minute (default 10, see config.py)

# [docs] the sources.
INVALID_CLIENT = 'Invalid credentials provided.'
SERVER_ERROR = 'Unexpected error.'
# [docs: the Terraform provider's provider-configuration guide] the 429 body: Atlas's ApiError shape, not OAuth's,
# {"detail": "Resource /api/oauth/token is limited to 10 requests every 1 minutes.", "error": 429, "errorCode":
# "RATE_LIMITED", "parameters": [...], "reason": "Too Many Requests"}. UNVERIFIED: the parameters (here the detail's
# three values), Retry-After on it (sent here), and no X-Error-Code header (the client must read the body).
RATE_LIMITED = 'RATE_LIMITED'
# UNVERIFIED: claims besides sub/iat/exp/jti are the docs' sample names with made-up values.
ISSUER = 'https://cloud.mongodb.com'
AUDIENCE = 'api://admin'


class OAuthError(Exception):
    """An OAuth error answer (RFC 6749 5.2): status, `error`, `error_description`, extra headers."""

    def __init__(self, status: int, error: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f'{status} {error}: {description}')
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        return {'error': self.error, 'error_description': self.description}


@dataclasses.dataclass
class Answer:
    """What a token or revoke request gets: `doc` None is an empty body."""

    status: int
    doc: dict[str, t.Any] | None
    headers: dict[str, str]


def error_answer(error: OAuthError | ApiError) -> Answer:
    return Answer(error.status, error.body(), dict(NO_STORE, **error.headers))


def rate_limited(path: str, limit: int, retry_after: int | None, code: str = RATE_LIMITED) -> ApiError:
    """Atlas's answer to one request too many on an OAuth path (its ApiError shape, as for any other rate limit)."""
    headers = {'Retry-After': str(retry_after)} if retry_after is not None else {}
    return ApiError(429, code, f'Resource {path} is limited to {limit} requests every 1 minutes.', [path, limit, 1], headers)


def fault_answer(fault: dict[str, t.Any], path: str = TOKEN_PATH, limit: int = 10) -> Answer:
    """An injected `status` fault on a token path: a 429 in Atlas's shape as the limiter sends it (`error_code` names the
    `errorCode`), any other status in the OAuth shape (`error_code` names the `error`)."""
    status = int(fault['status'])
    if status == 429:
        return error_answer(rate_limited(path, limit, fault.get('retry_after'), fault.get('error_code') or RATE_LIMITED))
    default = 'server_error' if status >= 500 else 'invalid_request'
    headers = {'Retry-After': str(fault['retry_after'])} if fault.get('retry_after') is not None else {}
    return error_answer(OAuthError(status, fault.get('error_code') or default, SERVER_ERROR if status >= 500 else 'Injected fault.', headers))


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(client id, secret) from `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 2.3.1), or None."""
    scheme, _space, value = (header or '').strip().partition(' ')
    if scheme.lower() != 'basic':
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode('utf-8')
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(':')
    if not colon:
        return None
    return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)


def claimed_client_id(header: str | None) -> str | None:
    """The client id a request names, for the request log: only a well-formed one, so a swapped secret is never logged."""
    credentials = parse_basic(header)
    return credentials[0] if credentials and CLIENT_ID.match(credentials[0]) else None


def redact_query(query: str) -> str:
    """The query string for the request log, with the value of any credential-like parameter replaced (a client that sends one is wrong)."""
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    return urllib.parse.urlencode([(name, 'REDACTED' if name.lower() in SECRET_PARAMS else value) for name, value in pairs])


def parse_form(content_type: str | None, raw_body: bytes) -> dict[str, str]:
    """The form parameters, or 400 invalid_request for another content type, bad encoding or a repeated parameter."""
    media = (content_type or '').split(';', 1)[0].strip().lower()
    if media != FORM:
        raise OAuthError(400, 'invalid_request', f'The request must be sent as {FORM}, got {media or "no Content-Type"}.')
    try:
        pairs = urllib.parse.parse_qsl(raw_body.decode('utf-8'), keep_blank_values=True, strict_parsing=bool(raw_body))
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(400, 'invalid_request', 'The request body is not a valid form.') from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise OAuthError(400, 'invalid_request', f'Parameter {name} is included more than once.')
        params[name] = value
    return params


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def make_jwt(client_id: str, issued: float, expires: float) -> str:
    """A JWT-shaped token (header.claims.signature, base64url); the ES512-sized signature is random bytes, checked by nobody."""
    header = {'alg': 'ES512', 'typ': 'JWT', 'kid': _b64url(os.urandom(16))}
    claims = {'iss': ISSUER, 'aud': AUDIENCE, 'sub': client_id, 'sid': str(uuid.uuid4()), 'iat': int(issued), 'exp': int(expires),
              'jti': str(uuid.uuid4())}
    parts = (json.dumps(header, separators=(',', ':')).encode(), json.dumps(claims, separators=(',', ':')).encode(), os.urandom(132))
    return '.'.join(_b64url(part) for part in parts)


class RequestLimiter:
    """A sliding minute per (path, client address, client id) on the simulator clock; only admitted requests count."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, str], collections.deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: tuple[str, str, str], now: float, limit: int) -> None:
        with self._lock:
            seen = self._seen.setdefault(key, collections.deque())
            while seen and seen[0] <= now - RATE_WINDOW:
                seen.popleft()
            if len(seen) >= limit:
                raise rate_limited(key[0], limit, max(1, math.ceil(seen[0] + RATE_WINDOW - now)))
            seen.append(now)

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()


@dataclasses.dataclass
class Token:
    client_id: str
    expires: float  # simulator epoch seconds


class OAuthServer:
    """Issues, revokes and resolves bearer tokens for the seeded service accounts."""

    def __init__(self, accounts: dict[str, dict[str, t.Any]], settings: t.Callable[[], dict[str, t.Any]], clock: t.Callable[[], float]) -> None:
        self.accounts = accounts
        self._settings = settings
        self._clock = clock
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()
        self.limiter = RequestLimiter()

    def handle(self, method: str, path: str, authorization: str | None, content_type: str | None, raw_body: bytes, address: str) -> Answer:
        """Answer one request to the token or revoke path."""
        try:
            if method != 'POST':
                raise OAuthError(405, 'invalid_request', f'Method {method} is not allowed on {path}; use POST.', {'Allow': 'POST'})
            credentials = parse_basic(authorization)
            self.limiter.take((path, address, credentials[0] if credentials else ''), self._clock(), self._settings()['requests_per_minute'])
            client_id = self._authenticate(credentials)
            params = parse_form(content_type, raw_body)
            return self._token(client_id, params) if path == TOKEN_PATH else self._revoke(client_id, params)
        except (OAuthError, ApiError) as exc:
            return error_answer(exc)

    def _authenticate(self, credentials: tuple[str, str] | None) -> str:
        account = self.accounts.get(credentials[0]) if credentials else None
        if credentials is None or account is None or account['secret'] != credentials[1]:
            raise OAuthError(401, 'invalid_client', INVALID_CLIENT)
        return credentials[0]

    def _token(self, client_id: str, params: dict[str, str]) -> Answer:
        """UNVERIFIED: a missing grant_type is invalid_request (RFC 6749 5.2, a missing parameter), another one unsupported_grant_type."""
        grant = params.get('grant_type')
        if not grant:
            raise OAuthError(400, 'invalid_request', 'Missing required parameter grant_type.')
        if grant != 'client_credentials':
            raise OAuthError(400, 'unsupported_grant_type', f'Grant type {grant} is not supported; use client_credentials.')
        token, lifetime = self.issue(client_id)
        return Answer(200, {'access_token': token, 'expires_in': lifetime, 'token_type': 'Bearer'}, dict(NO_STORE))

    def _revoke(self, client_id: str, params: dict[str, str]) -> Answer:
        """RFC 7009: an unknown or expired token is 200 all the same; UNVERIFIED: another account's token is 400 unauthorized_client."""
        token = params.get('token')
        if not token:
            raise OAuthError(400, 'invalid_request', 'Missing required parameter token.')
        with self._lock:
            held = self._tokens.get(token)
            if held is not None and held.client_id != client_id:
                raise OAuthError(400, 'unauthorized_client', 'The token was not issued to this client.')
            self._tokens.pop(token, None)
        return Answer(200, None, dict(NO_STORE))

    def issue(self, client_id: str) -> tuple[str, int]:
        """A new token and its lifetime, or 403 access_denied when the account already holds the maximum of active tokens."""
        settings = self._settings()
        now = self._clock()
        with self._lock:
            for token in [token for token, held in self._tokens.items() if held.expires <= now]:
                del self._tokens[token]
            if self._active(client_id) >= settings['max_active_tokens']:
                raise OAuthError(403, 'access_denied', f'Access Token limit reached: a service account can have at most '
                                 f'{settings["max_active_tokens"]} active access tokens. Revoke tokens or wait for them to expire.')
            expires = now + settings['token_lifetime']
            token = make_jwt(client_id, now, expires)
            self._tokens[token] = Token(client_id, expires)
        return token, int(round(settings['token_lifetime']))

    def _active(self, client_id: str) -> int:
        return sum(1 for held in self._tokens.values() if held.client_id == client_id)

    def active_tokens(self, client_id: str) -> int:
        """Unexpired, unrevoked tokens of one account (for /__sim__/state)."""
        now = self._clock()
        with self._lock:
            return sum(1 for held in self._tokens.values() if held.client_id == client_id and held.expires > now)

    def bearer_client(self, authorization: str | None) -> str | None:
        """The service account of a `Bearer` Authorization header; None for another scheme.

        UNVERIFIED (the sources say nothing of bad bearer tokens): an unknown, expired or revoked token gets the 401
        Atlas sends for bad digest credentials (UNEXPECTED_ERROR, "You are not authorized for this resource."),
        without any WWW-Authenticate challenge.
        """
        scheme, _space, token = (authorization or '').strip().partition(' ')
        if scheme.lower() != 'bearer':
            return None
        now = self._clock()
        with self._lock:
            held = self._tokens.get(token.strip())
        if held is None or held.expires <= now or held.client_id not in self.accounts:
            raise Unauthorized(challenge=False)
        return held.client_id

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()
        self.limiter.reset()

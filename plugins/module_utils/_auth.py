# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Choosing credentials: which method a task uses (task options, then the environment, with their precedence), and the
three methods: an API key (HTTP Digest), a service account (an OAuth token, see _token, shared through _token_cache),
or a bearer token obtained elsewhere.

Knows nothing of Ansible. Every auth object attaches itself to the client's session and says which options to check
when Atlas refuses it; none ever shows a secret or a token.
"""
from __future__ import annotations

import functools
import re
import typing as t

try:
    from requests.auth import HTTPDigestAuth
except ImportError:  # the module base reports the missing library (missing_required_lib) before anything here runs
    pass

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._token import BearerHeader, fetch_token
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._token_cache import TokenCache

__all__ = ['METHODS', 'ENVIRONMENT', 'SECRET_OPTIONS', 'choose_credentials', 'DigestAuth', 'TokenAuth', 'ServiceAccountAuth', 'TokenCache']

CLIENT_ID_PATTERN = re.compile(r'^mdb_sa_id_[a-fA-F0-9]{24}$')

# The options of each method, and the environment variables read when no task option names any method.
METHODS: dict[str, tuple[str, ...]] = {
    'access_token': ('access_token',),
    'service_account': ('client_id', 'client_secret'),
    'api_key': ('api_public_key', 'api_private_key'),
}
ENVIRONMENT: dict[str, tuple[str, ...]] = {
    'access_token': ('MONGODB_ATLAS_ACCESS_TOKEN',),
    'client_id': ('MONGODB_ATLAS_CLIENT_ID',),
    'client_secret': ('MONGODB_ATLAS_CLIENT_SECRET',),
    'api_public_key': ('MONGODB_ATLAS_PUBLIC_KEY', 'MONGODB_ATLAS_PUBLIC_API_KEY'),
    'api_private_key': ('MONGODB_ATLAS_PRIVATE_KEY', 'MONGODB_ATLAS_PRIVATE_API_KEY'),
}
SECRET_OPTIONS = ('access_token', 'client_secret', 'api_private_key')


def choose_credentials(options: t.Mapping[str, t.Any], environ: t.Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """(method, values) for this task: access_token, service_account or api_key, with the values of that method's options.

    Task options win over the environment. Two methods named by task options fail, naming both; within the environment
    the precedence is an access token, then a service account, then an API key.
    """
    given = {method: [name for name in names if options.get(name)] for method, names in METHODS.items()}
    explicit = [method for method, names in given.items() if names]
    if len(explicit) > 1:
        named = ' and '.join(f'{method.replace("_", " ")} ({", ".join(given[method])})' for method in explicit)
        raise TaskError(f'Credentials for two methods were given as task options: {named}. Give one: access_token, '
                        'client_id and client_secret (a service account), or api_public_key and api_private_key (an API key).')
    if explicit:
        method = explicit[0]
        values = {name: options.get(name) or '' for name in METHODS[method]}
    else:
        from_env = {name: next((environ[var] for var in ENVIRONMENT[name] if environ.get(var)), '') for name in ENVIRONMENT}
        method = next((method for method, names in METHODS.items() if any(from_env[name] for name in names)), '')
        if not method:
            raise TaskError('No Atlas credentials: set client_id and client_secret (a service account), or api_public_key and '
                            'api_private_key (an API key), or access_token; or the environment variables MONGODB_ATLAS_CLIENT_ID '
                            'and MONGODB_ATLAS_CLIENT_SECRET, or MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY.')
        values = {name: from_env[name] for name in METHODS[method]}
    check_credentials(method, values)
    return method, values


def check_credentials(method: str, values: dict[str, str]) -> None:
    """A method's values are complete and of the right kind, before any request."""
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise TaskError(f'{" and ".join(missing)} {"is" if len(missing) == 1 else "are"} missing: '
                        f'{" and ".join(METHODS[method])} go together.')
    if method == 'api_key' and values['api_public_key'].startswith('mdb_sa_id_'):
        raise TaskError('api_public_key holds a service account client id (mdb_sa_id_...). Service accounts authenticate with OAuth: '
                        'pass it as client_id, with its secret as client_secret (or MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET).')
    if method == 'service_account' and not CLIENT_ID_PATTERN.match(values['client_id']):
        raise TaskError('client_id is not a service account client id: expected mdb_sa_id_ followed by 24 hexadecimal characters.')


# --------------------------------------------------------------------------------------------- the three methods
class DigestAuth:
    """API key auth: HTTP Digest with the public key as user and the private key as password.

    Attached once to the client's session, so the nonce of the first challenge is reused (with a growing nc) by every
    later call: N calls cost N+1 requests. requests' HTTPDigestAuth answers one 401 per request whatever its stale
    flag says, which covers the stale=true re-challenge Atlas sends when a nonce expires.
    """

    who = 'the API key'
    hint = 'Check api_public_key and api_private_key (or MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY)'

    def __init__(self, public_key: str, private_key: str) -> None:
        self.public_key = public_key
        self._private_key = private_key

    def attach(self, client: t.Any) -> None:
        client.session.auth = HTTPDigestAuth(self.public_key, self._private_key)

    def renew(self) -> bool:
        return False  # requests answers digest challenges itself; a 401 after that is final

    def __repr__(self) -> str:
        return f'DigestAuth(public_key={self.public_key!r})'


class TokenAuth:
    """A bearer token obtained elsewhere (access_token): sent as is, never renewed."""

    who = 'the access token'
    hint = 'Check access_token (or MONGODB_ATLAS_ACCESS_TOKEN): tokens last an hour, so it may have expired; get a fresh one'

    def __init__(self, token: str) -> None:
        self._token = token

    def attach(self, client: t.Any) -> None:
        client.session.auth = BearerHeader(lambda: self._token)

    def renew(self) -> bool:
        return False

    def __repr__(self) -> str:
        return 'TokenAuth()'


class ServiceAccountAuth:
    """A service account: a bearer token from the OAuth token endpoint (_token), fetched once per job through the token
    cache (_token_cache; None: one token per task).

    The first API call gets the token (lazily, so a task that fails its input checks costs none). A 401 on an API call
    drops that token and fetches one new token, once per task; a second 401 is final. A refused token is never taken
    from the cache again, even when fetching its replacement failed.
    """

    who = 'the service account'
    hint = ('Check client_id and client_secret (or MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET), and that the secret '
            'has not expired')

    def __init__(self, client_id: str, client_secret: str, cache: TokenCache | None) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.cache = cache
        self._token: str | None = None
        self._refused: str | None = None
        self._renewed = False
        self._client: t.Any = None

    def attach(self, client: t.Any) -> None:
        self._client = client
        client.session.auth = BearerHeader(self.token)

    def token(self) -> str:
        if self._token is None:
            self._token = self._cached_or_new()
        return self._token

    def renew(self) -> bool:
        """After a 401: fetch one new token (never twice per task); True when the call is worth sending again."""
        if self._renewed or self._token is None:
            return False
        self._renewed = True
        self._refused, self._token = self._token, None
        self._token = self._cached_or_new()
        return True

    def _cached_or_new(self) -> str:
        fetch = functools.partial(fetch_token, self._client, self.client_id, self._secret)
        try:
            if self.cache is None:
                return fetch()['access_token']
            return self.cache.get(self._client.base_url, self.client_id, self._secret, fetch, drop=self._refused)
        except AtlasApiError as err:
            err.who, err.hint = self.who, self.hint
            raise

    def __repr__(self) -> str:
        return f'ServiceAccountAuth(client_id={self.client_id!r})'

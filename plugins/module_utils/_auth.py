# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""How the client proves who it is: an API key (HTTP Digest), a service account (OAuth 2.0 client credentials, one
cached token per job), or a bearer token obtained elsewhere. Which one a task uses, and the token cache.

Knows nothing of Ansible. Every auth object attaches itself to the client's session and says which options to check
when Atlas refuses it; none ever shows a secret or a token.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
import typing as t
import urllib.parse

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # not POSIX: the token cache works without a lock (one fetch per task at worst)
    HAS_FCNTL = False

try:
    from requests.auth import AuthBase, HTTPDigestAuth
except ImportError:  # the module base reports the missing library (missing_required_lib) before anything here runs
    AuthBase = object  # type: ignore[misc,assignment]

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import (
    AtlasApiError, TaskError, error_from_exception, parse_retry_after, text_detail,
)

TOKEN_PATH = '/api/oauth/token'
RENEW_MARGIN = 600.0         # renew a cached token with less than 10 minutes left
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


class _Bearer(AuthBase):
    """Adds Authorization: Bearer, from a function that gives the current token."""

    def __init__(self, token: t.Callable[[], str]) -> None:
        self.token = token

    def __call__(self, request: t.Any) -> t.Any:
        request.headers['Authorization'] = f'Bearer {self.token()}'
        return request


class TokenAuth:
    """A bearer token obtained elsewhere (access_token): sent as is, never renewed."""

    who = 'the access token'
    hint = 'Check access_token (or MONGODB_ATLAS_ACCESS_TOKEN): tokens last an hour, so it may have expired; get a fresh one'

    def __init__(self, token: str) -> None:
        self._token = token

    def attach(self, client: t.Any) -> None:
        client.session.auth = _Bearer(lambda: self._token)

    def renew(self) -> bool:
        return False

    def __repr__(self) -> str:
        return 'TokenAuth()'


class ServiceAccountAuth:
    """A service account: a bearer token from the OAuth token endpoint, fetched once per job through the token cache.

    The first API call gets the token (lazily, so a task that fails its input checks costs none). A 401 on an API call
    made with a cached token drops that token and fetches one new token, once; a second 401 is final.
    """

    who = 'the service account'
    hint = ('Check client_id and client_secret (or MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET), and that the secret '
            'has not expired')

    def __init__(self, client_id: str, client_secret: str, cache: TokenCache | None) -> None:
        self.client_id = client_id
        self._secret = client_secret
        self.cache = cache
        self._token: str | None = None
        self._renewed = False
        self.fetched = 0  # tokens this task asked Atlas for (0 when the cache had one)
        self._client: t.Any = None

    def attach(self, client: t.Any) -> None:
        self._client = client
        client.session.auth = _Bearer(self.token)

    def token(self) -> str:
        if self._token is None:
            self._token = self._cached_or_new(drop=None)
        return self._token

    def renew(self) -> bool:
        """After a 401: fetch one new token (never twice per task); True when the call is worth sending again."""
        if self._renewed or self._token is None:
            return False
        self._renewed = True
        self._token = self._cached_or_new(drop=self._token)
        return True

    def _cached_or_new(self, drop: str | None) -> str:
        try:
            if self.cache is None:
                return self._fetch()['access_token']
            return self.cache.get(self._client.base_url, self.client_id, self._secret, self._fetch, drop=drop)
        except AtlasApiError as err:
            err.who, err.hint = self.who, self.hint
            raise

    def _fetch(self) -> dict[str, t.Any]:
        self.fetched += 1
        return fetch_token(self._client, self.client_id, self._secret)

    def __repr__(self) -> str:
        return f'ServiceAccountAuth(client_id={self.client_id!r})'


# --------------------------------------------------------------------------------------------- the token endpoint
def basic_credentials(client_id: str, secret: str) -> str:
    """HTTP Basic for the token endpoint: the client id and secret URL-encoded first (RFC 6749 section 2.3.1)."""
    pair = f'{urllib.parse.quote(client_id, safe="")}:{urllib.parse.quote(secret, safe="")}'
    return 'Basic ' + base64.b64encode(pair.encode()).decode()


def fetch_token(client: t.Any, client_id: str, secret: str) -> dict[str, t.Any]:
    """POST the token endpoint (429 and 5xx retried within the client's retries, at least Retry-After apart); return
    {access_token, expires_at} with expires_at on this host's clock."""
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
        if not error.transient or attempt >= client.retries:
            raise error
        client.pause_before_retry(error.reason(), attempt, error.retry_after, error)
        attempt += 1


class _NoSessionAuth(AuthBase):
    """Keeps the session's bearer auth (and ~/.netrc) off the token request, which carries its own Basic header."""

    def __call__(self, request: t.Any) -> t.Any:
        return request


def _token_document(response: t.Any, started: float) -> dict[str, t.Any]:
    try:
        doc = response.json()
        token = doc['access_token']
        lifetime = float(doc.get('expires_in') or 3600)
    except (ValueError, KeyError, TypeError):
        raise AtlasApiError(200, 'INVALID_RESPONSE', 'the token endpoint did not answer with an access token', 'POST', TOKEN_PATH) from None
    if not isinstance(token, str) or not token:
        raise AtlasApiError(200, 'INVALID_RESPONSE', 'the token endpoint did not answer with an access token', 'POST', TOKEN_PATH)
    return {'access_token': token, 'expires_at': started + lifetime}


def token_error(response: t.Any) -> AtlasApiError:
    """An OAuth error answer ({error, error_description}) as an AtlasApiError whose code is OAUTH_<error>."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get('error'):
        code = f'OAUTH_{str(body["error"]).upper()}'
        detail = text_detail(str(body.get('error_description') or body['error']))
    else:
        code = None
        detail = text_detail(response.text or '') or response.reason or ''
    return AtlasApiError(response.status_code, code, detail, 'POST', TOKEN_PATH,
                         retry_after=parse_retry_after(response.headers.get('Retry-After'), response.headers.get('Date')))


# --------------------------------------------------------------------------------------------- the token cache
class TokenCache:
    """Service-account tokens shared by the tasks and forks of a job on the host where modules run.

    One file per base URL + client id + hash of the secret (so a rotated secret never reuses an old token), mode 0600
    in a 0700 directory owned by this user, holding the token and its expiry only, never the secret. A lock file (empty)
    makes parallel forks fetch one token between them. A file that is corrupt, foreign (another owner, loose modes, or
    keyed for something else) or expiring within 10 minutes is ignored and replaced, never trusted.
    """

    def __init__(self, directory: str, clock: t.Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.clock = clock

    @staticmethod
    def key(base_url: str, client_id: str, secret: str) -> str:
        secret_hash = hashlib.sha256(secret.encode()).hexdigest()
        return hashlib.sha256(f'{base_url}\n{client_id}\n{secret_hash}'.encode()).hexdigest()

    def get(self, base_url: str, client_id: str, secret: str, fetch: t.Callable[[], dict[str, t.Any]], drop: str | None = None) -> str:
        """A token with at least 10 minutes left: the cached one, or a new one from fetch() (then cached). drop: a token
        Atlas refused, never handed out again."""
        key = self.key(base_url, client_id, secret)
        if not self._usable_directory():
            return fetch()['access_token']
        path = os.path.join(self.directory, f'{key}.json')
        with self._locked(os.path.join(self.directory, f'{key}.lock')):
            cached = self._read(path, key)
            if cached is not None and cached['access_token'] != drop and cached['expires_at'] - self.clock() > RENEW_MARGIN:
                return cached['access_token']
            fresh = fetch()
            self._write(path, {'key': key, 'access_token': fresh['access_token'], 'expires_at': fresh['expires_at']})
            return fresh['access_token']

    def _usable_directory(self) -> bool:
        """Create the directory 0700, or accept it only when this user owns it and nobody else can enter it."""
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            info = os.stat(self.directory)
        except OSError:
            return False
        return info.st_uid == os.getuid() and not info.st_mode & 0o077

    @contextlib.contextmanager
    def _locked(self, lock_path: str) -> t.Iterator[None]:
        if not HAS_FCNTL:
            yield
            return
        handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # closing releases the lock

    def _read(self, path: str, key: str) -> dict[str, t.Any] | None:
        try:
            info = os.lstat(path)
            if info.st_uid != os.getuid() or info.st_mode & 0o077 or not os.path.isfile(path) or os.path.islink(path):
                return None
            with open(path, encoding='utf-8') as handle:
                doc = json.load(handle)
        except (OSError, ValueError):
            return None
        if (not isinstance(doc, dict) or doc.get('key') != key or not isinstance(doc.get('access_token'), str)
                or not isinstance(doc.get('expires_at'), (int, float))):
            return None
        return doc

    def _write(self, path: str, doc: dict[str, t.Any]) -> None:
        """Replace the file atomically; a cache that cannot be written only costs the next task a token request."""
        try:
            handle, temp = tempfile.mkstemp(dir=self.directory, prefix='.token.', suffix='.tmp')  # created 0600
        except OSError:
            return
        try:
            with os.fdopen(handle, 'w', encoding='utf-8') as out:
                json.dump(doc, out)
            os.replace(temp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)

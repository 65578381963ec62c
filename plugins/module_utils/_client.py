# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The Atlas Administration API client: one HTTP session, auth, API versions, retries, paging.

Knows nothing of Ansible, so it can be tested and reused on its own. Imports only the standard library, requests
(guarded, so a module can report the missing library instead of a traceback) and the error model (_errors).
Streaming an archive link lives in _transfer.
"""
from __future__ import annotations

import datetime
import email.utils
import random
import threading
import time
import traceback
import typing as t

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR: str | None = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import (
    ROLE_CODES, AtlasAmbiguousWriteError, AtlasApiError, error_from_document, error_from_exception, error_from_response, strip_query,
    text_detail,
)

COLLECTION_VERSION = '0.3.0'
# THE table of resource versions: every request names its resource, and its Accept (and Content-Type) on v2 is this date.
# tests/unit/plugins/module_utils/test_versions.py checks each against the spec's versions and x-sunset dates.
RESOURCE_VERSIONS = {
    'backup': '2023-01-01',    # cloud backup snapshots and restore jobs (the only version they have)
    'tenant': '2023-01-01',    # M2/M5 snapshots, downloads, restores (sunset 2026-01-22: met by falling back to Flex)
    'flex': '2024-11-13',      # Flex clusters, snapshots, downloads, restore jobs: v2 only, v1.0 has no Flex API
    'cluster': '2024-08-05',   # GET cluster(s)
    'schedule': '2024-08-05',  # the cloud backup schedule (2023-01-01 has x-sunset 2027-07-01)
    'compliance': '2023-10-01',  # the project's Backup Compliance Policy: v2 only
}
BACKUP_VERSION = RESOURCE_VERSIONS['backup']
FLEX_VERSION = RESOURCE_VERSIONS['flex']
CLUSTER_VERSION = RESOURCE_VERSIONS['cluster']
V2_ONLY = ('flex', 'compliance')
API_VERSIONS = ('v2', 'v1.0')
PAGE_SIZE = 500
MAX_PAGES = 1000
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
RETRY_AFTER_CEILING = 120.0  # the longest one pause before a retry may be, whatever Retry-After asks
WAIT_REASONS = {429: 'it is rate limiting requests (HTTP 429)', 503: 'it is unavailable (HTTP 503)'}


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up at call time, so tests can replace time.sleep


def user_agent() -> str:
    """mongodb_atlas.backup/<version> (Ansible collection) python-requests/<version>."""
    lib = getattr(requests, '__version__', 'unknown') if HAS_REQUESTS else 'unknown'
    return f'mongodb_atlas.backup/{COLLECTION_VERSION} (Ansible collection) python-requests/{lib}'


USER_AGENT = user_agent()


def read_response(response: t.Any, method: str, path: str) -> tuple[t.Any, AtlasApiError | None]:
    """(document, None) for a success, (None, error) for a failure, including an enveloped one under HTTP 2xx."""
    if response.status_code >= 400:
        return None, error_from_response(response, method, path)
    if response.status_code == 204 or not response.content:
        return None, None
    try:
        doc = response.json()
    except ValueError:
        # A 2xx that is not JSON is a proxy or portal talking, not Atlas.
        detail = f'expected JSON, got: {text_detail(response.text or "") or "undecodable bytes"}'
        return None, AtlasApiError(response.status_code, 'INVALID_RESPONSE', detail, method, path)
    return unwrap_envelope(doc, response.headers, method, path)


def unwrap_envelope(doc: t.Any, headers: t.Mapping[str, str], method: str, path: str) -> tuple[t.Any, AtlasApiError | None]:
    """Undo envelope=true wrapping ({"status": <http>, "content": {...}}) in case a proxy forces it; lists just lose 'status'."""
    status = doc.get('status') if isinstance(doc, dict) else None
    if not isinstance(status, int) or isinstance(status, bool):
        return doc, None  # not an envelope (a snapshot's own 'status' is a string)
    if set(doc) == {'status', 'content'}:
        if status >= 400:
            return None, error_from_document(status, doc['content'], headers, f'HTTP {status}', method, path)
        return doc['content'], None
    if 'results' in doc:
        return {key: value for key, value in doc.items() if key != 'status'}, None
    return doc, None


class RetryAfterTooLong(AtlasApiError):
    """Atlas (or a proxy) asked to wait longer before a retry than this task may pause: not retried, not waited out."""

    @property
    def transient(self) -> bool:
        return False  # a poll loop must not wait it out either: the task ends now and says when to run it again


# --------------------------------------------------------------------------------------------- the client
class AtlasClient:
    """Talks to the Atlas Administration API over one requests session, with one auth (see _auth): one digest challenge, or one
    bearer token, per client."""

    def __init__(self, base_url: str = 'https://cloud.mongodb.com', auth: t.Any = None, api_version: str = 'v2', timeout: float = 30,
                 retries: int = 5, validate_certs: bool = True, ca_path: str | None = None,
                 sleep: t.Callable[[float], None] | None = None, rng: t.Callable[[], float] = random.random,
                 deadline: float | None = None) -> None:
        if api_version not in API_VERSIONS:
            raise ValueError(f'api_version must be one of {", ".join(API_VERSIONS)}, not {api_version!r}')
        self.base_url = base_url.rstrip('/')
        self.api_version = api_version
        self.timeout = timeout
        self.retries = max(int(retries), 0)
        self.verify: str | bool = (ca_path or True) if validate_certs else False  # validate_certs false wins: no checks at all
        self.sleep = sleep or _sleep
        self.rng = rng
        # time.monotonic() by which the task must be done (its wait budget); None: no budget but the 120 s pause ceiling
        self.deadline = deadline
        self._lock = threading.Lock()  # counters shared by the threads that fetch the archives of a set
        self.retries_used = 0       # retries actually spent, over every request of this client
        self.retry_seconds = 0.0    # time spent waiting before them
        self.retry_reasons: dict[str, int] = {}
        self.writes = 0             # writes (POST, PATCH, DELETE) Atlas acted on: a task over several clusters tells which changed
        self.server_time: datetime.datetime | None = None  # from the last response's Date header: Atlas's clock, not ours
        self.auth = auth
        self.session = self._new_session()
        if auth is not None:
            auth.attach(self)  # DigestAuth, ServiceAccountAuth or TokenAuth (_auth): sets session.auth

    def __repr__(self) -> str:
        return f'AtlasClient(base_url={self.base_url!r}, api_version={self.api_version!r})'

    def _new_session(self) -> t.Any:
        # trust_env stays on: proxies (HTTPS_PROXY, NO_PROXY) come from the standard environment variables.
        session = requests.Session()
        session.headers['User-Agent'] = USER_AGENT
        session.verify = self.verify
        session.hooks['response'].append(lambda response, *_args, **_kwargs: self.count_response(response))
        return session

    def count_response(self, response: t.Any, atlas_clock: bool = True) -> None:
        """Response hook: reads Atlas's clock from every response (a digest challenge answered inside requests included).

        An Atlas response's Date is Atlas's clock; a storage host's (atlas_clock false) is not.
        """
        if not atlas_clock:
            return
        try:
            self.server_time = email.utils.parsedate_to_datetime(response.headers['Date'])
        except (KeyError, TypeError, ValueError):
            pass

    def now(self) -> datetime.datetime:
        """Atlas's time as of the last response, else this host's: ages and expiries are judged on Atlas's clock."""
        return self.server_time or datetime.datetime.now(datetime.timezone.utc)

    # --- request building -------------------------------------------------------------------
    def path_version(self, resource: str) -> str:
        """v2 or v1.0 for this resource: Flex and the Backup Compliance Policy exist only in v2."""
        if resource not in RESOURCE_VERSIONS:
            raise ValueError(f'unknown resource {resource!r}; expected one of {", ".join(sorted(RESOURCE_VERSIONS))}')
        return 'v2' if resource in V2_ONLY else self.api_version

    def url_path(self, path: str, resource: str) -> str:
        """The full URL path: /api/atlas/<version> + path."""
        if not path.startswith('/') or '?' in path or '#' in path:
            raise ValueError(f'API path must start with "/" and carry no query (use params): {strip_query(path)!r}')
        return f'/api/atlas/{self.path_version(resource)}{path}'

    def media_type(self, resource: str) -> str:
        """Accept (and Content-Type) for this resource: the versioned type on v2, plain JSON on v1.0."""
        if self.path_version(resource) == 'v1.0':
            return 'application/json'
        return f'application/vnd.atlas.{RESOURCE_VERSIONS[resource]}+json'

    # --- sending ------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, resource: str = 'backup', params: dict | None = None, body: dict | None = None) -> t.Any:
        """Send one API call with retries; return the parsed JSON (None when empty).

        Raises AtlasApiError, or AtlasAmbiguousWriteError for a POST that Atlas may have acted on.
        """
        method = method.upper()
        full_path = self.url_path(path, resource)
        media = self.media_type(resource)
        headers = {'Accept': media}
        if body is not None:
            headers['Content-Type'] = media
        attempt = 0
        while True:
            try:
                # verify is passed per request: a session-level value loses to REQUESTS_CA_BUNDLE in requests.
                response = self.session.request(method, self.base_url + full_path, params=params, json=body, headers=headers,
                                                timeout=self.timeout, verify=self.verify)
            except OSError as exc:  # requests' exceptions are OSErrors too; so is an unreadable CA bundle
                error, maybe_acted = error_from_exception(exc, method, full_path, self.timeout)
            else:
                doc, failure = read_response(response, method, full_path)
                if failure is None:
                    if method != 'GET':
                        self.wrote_to_atlas()
                    return doc
                error = failure
                if self.auth is not None:
                    # a refused cached token: one new token, one more try. Not for a role or project refusal (USER_CANNOT_ACCESS_GROUP,
                    # USER_UNAUTHORIZED, ...): Atlas knew the token, and a new one would only cost a token request.
                    if error.status == 401 and error.error_code not in ROLE_CODES and self.auth.renew():
                        continue
                    error.who, error.hint = self.auth.who, self.auth.hint
                # A 4xx (429 included) is a refusal before any work; a 5xx may come after it, an unreadable 2xx surely does.
                maybe_acted = not 400 <= t.cast(int, error.status) < 500
            if method == 'POST' and maybe_acted:
                # Never repeat a POST that may have taken a snapshot or started a download job: the caller re-reads state.
                raise error.rebuilt(AtlasAmbiguousWriteError)
            if not error.transient:
                raise error
            if attempt >= self.retries:
                tries = f'gave up after {attempt + 1} attempts ({attempt} retries)' if attempt else 'not retried: retries is 0'
                raise error.rebuilt(detail=f'{error.detail} ({tries})')
            self.pause_before_retry(error.reason(), attempt, error.retry_after, error)
            attempt += 1

    def longest_pause(self) -> float:
        """The longest this client may sleep before one retry: RETRY_AFTER_CEILING, or less when the task's wait budget
        (deadline) has less left."""
        if self.deadline is None:
            return RETRY_AFTER_CEILING
        return max(0.0, min(RETRY_AFTER_CEILING, self.deadline - time.monotonic()))

    def pause_before_retry(self, reason: str, attempt: int, retry_after: float | None = None, error: AtlasApiError | None = None) -> None:
        """Wait the backoff before retry number attempt + 1 (of a request, the token endpoint or a broken transfer) and
        account for it: the module reports retries once, at the end.

        The pause is at least Retry-After and at most longest_pause(). When the server asks for more than that, nothing is
        retried: RetryAfterTooLong (the answer's error, explained) is raised at once.
        """
        allowed = self.longest_pause()
        if retry_after is not None and retry_after > allowed:
            raise self.retry_refused(retry_after, allowed, reason, error)
        delay = min(self.backoff(attempt, retry_after), allowed)
        self.note_retry(reason, delay)
        self.sleep(delay)

    def retry_refused(self, retry_after: float, allowed: float, reason: str, error: AtlasApiError | None) -> RetryAfterTooLong:
        """The error for a Retry-After longer than this task may wait: how long was asked, why, and what to do."""
        status = error.status if error is not None else None
        why = WAIT_REASONS.get(t.cast(int, status), f'of {reason}')
        limit = (f'{allowed:.0f} s (what is left of the task\'s wait budget)' if allowed < RETRY_AFTER_CEILING
                 else f'{RETRY_AFTER_CEILING:.0f} s (the longest pause before a retry)')
        text = (f'Atlas asked to wait {retry_after:.0f} s before trying again because {why}, longer than this task may wait: {limit}. '
                'Not retried; run the task again later')
        if error is None:
            return RetryAfterTooLong(None, 'RETRY_AFTER_TOO_LONG', text, '', '', retry_after=retry_after)
        return t.cast(RetryAfterTooLong, error.rebuilt(RetryAfterTooLong, detail=f'{error.detail} ({text})'))

    @property
    def wrote(self) -> bool:
        """Atlas acted on a write of this client: the task changed something."""
        return self.writes > 0

    def wrote_to_atlas(self) -> None:
        """Atlas acted on a write (also one whose answer was lost: an adopted ambiguous POST): the task changed something."""
        self.writes += 1

    def note_retry(self, reason: str, delay: float) -> None:
        """Count one retry (of a request, a poll or a transfer) and the time it cost."""
        with self._lock:
            self.retries_used += 1
            self.retry_seconds += delay
            self.retry_reasons[reason] = self.retry_reasons.get(reason, 0) + 1

    def count_transient(self, error: AtlasApiError, delay: float) -> None:
        """A waiter's on_transient hook: a poll that met a transient error counts as a retry too."""
        self.note_retry(error.reason(), delay)

    def retry_summary(self) -> str:
        """'3 retries (HTTP 429 RATE_LIMITED_TOKEN_BUCKET x2, HTTP 503 x1), 14 s spent waiting' for one warning."""
        reasons = ', '.join(f'{reason} x{count}' for reason, count in sorted(self.retry_reasons.items(), key=lambda item: -item[1]))
        plural = 'retry' if self.retries_used == 1 else 'retries'
        return f'{self.retries_used} {plural} ({reasons}), {self.retry_seconds:.0f} s spent waiting'

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter (50-100 % of the step), never shorter than the server's Retry-After."""
        delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt))
        delay = delay * (0.5 + self.rng() / 2)
        return max(delay, retry_after or 0.0)

    def get(self, path: str, *, resource: str = 'backup', params: dict | None = None) -> t.Any:
        return self.request('GET', path, resource=resource, params=params)

    def post(self, path: str, body: dict, *, resource: str = 'backup') -> t.Any:
        return self.request('POST', path, resource=resource, body=body)

    def patch(self, path: str, body: dict, *, resource: str = 'backup') -> t.Any:
        return self.request('PATCH', path, resource=resource, body=body)

    def delete(self, path: str, *, resource: str = 'backup') -> None:
        self.request('DELETE', path, resource=resource)

    def list_all(self, path: str, *, resource: str = 'backup', params: dict | None = None,
                 enough: t.Callable[[list], bool] | None = None) -> list:
        """Every item of a paginated list (asking for pages of 500), in the API's order.

        Paging follows the answer: a page with a `next` link is followed by another, whatever its length (a server may page
        at 100 whatever itemsPerPage says); a page without one ends the list. Only an answer without any `links` falls
        back to the length rule: a short page is the last. enough(items so far), when given, is asked after each page
        that has a next one: true stops there (the caller's bound; it gets a partial list and knows why).
        """
        items: list = []
        for page in range(1, MAX_PAGES + 1):
            query = dict(params or {})
            query.update(itemsPerPage=PAGE_SIZE, pageNum=page, includeCount='false')
            doc = self.get(path, resource=resource, params=query) or {}
            if not isinstance(doc, dict):
                raise AtlasApiError(200, 'INVALID_RESPONSE', 'expected a page of results, got another JSON value', 'GET',
                                    self.url_path(path, resource))
            results = doc.get('results') or []
            items.extend(results)
            links = doc.get('links')
            if isinstance(links, list) and links:
                more = any(isinstance(link, dict) and link.get('rel') == 'next' for link in links)
            else:
                more = len(results) >= PAGE_SIZE
            if not more or not results or (enough is not None and enough(items)):
                return items
        # A list that never ends is a server (or proxy) ignoring pageNum; a partial list would mislead idempotency checks.
        raise AtlasApiError(200, 'TOO_MANY_PAGES', f'still more results after {MAX_PAGES} pages', 'GET',
                            self.url_path(path, resource))

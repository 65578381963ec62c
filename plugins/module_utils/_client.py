# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The Atlas Administration API client: one HTTP session, auth, versions, retries, paging, errors, downloads.

Knows nothing of Ansible, so it can be tested and reused on its own. Imports only the standard library
and requests (guarded, so a module can report the missing library instead of a traceback).
"""
from __future__ import annotations

import datetime
import email.utils
import hashlib
import http.client
import queue
import random
import re
import socket
import threading
import time
import traceback
import typing as t

try:
    import requests
    from requests.auth import HTTPDigestAuth
    from requests.exceptions import ChunkedEncodingError, ConnectTimeout, ContentDecodingError, ReadTimeout, RequestException, SSLError
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.exceptions import IncompleteRead, NewConnectionError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout
    from urllib3.exceptions import SSLError as Urllib3SSLError
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR: str | None = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

COLLECTION_VERSION = '0.2.0'
BACKUP_VERSION = '2023-01-01'   # cloud backup and tenant resources
FLEX_VERSION = '2024-11-13'     # flex resources: v2 only, v1.0 has no flex API
CLUSTER_VERSION = '2024-08-05'  # GET cluster in v2
RESOURCE_VERSIONS = {'backup': BACKUP_VERSION, 'tenant': BACKUP_VERSION, 'flex': FLEX_VERSION, 'cluster': CLUSTER_VERSION}
API_VERSIONS = ('v2', 'v1.0')
TRANSIENT_STATUSES = frozenset((429, 500, 502, 503, 504))
PAGE_SIZE = 500
MAX_PAGES = 1000
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
DETAIL_LIMIT = 200
FIRST_BYTES = 512
ERROR_BODY_LIMIT = 4096

# A '?' followed by something with '=' in it: the query string of a URL, which may carry a signature.
QUERY_STRING = re.compile(r'\?(?=[^\s\'"<>]*=)[^\s\'"<>]*')


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up at call time, so tests can replace time.sleep


def user_agent() -> str:
    """mongodb_atlas.backup/<version> (Ansible collection) python-requests/<version>."""
    lib = getattr(requests, '__version__', 'unknown') if HAS_REQUESTS else 'unknown'
    return f'mongodb_atlas.backup/{COLLECTION_VERSION} (Ansible collection) python-requests/{lib}'


USER_AGENT = user_agent()


# --------------------------------------------------------------------------------------------- errors
class AtlasApiError(Exception):
    """One error type for everything the API (or the network) said no to. Never carries keys or URL queries.

    status is None when no HTTP response arrived (network errors). error_code is the Atlas errorCode, or one of
    this client's own codes (TLS_ERROR, REQUEST_ERROR, INVALID_RESPONSE, TOO_MANY_PAGES, DOWNLOAD_*).
    """

    def __init__(self, status: int | None, error_code: str | None, detail: str, method: str, path: str,
                 parameters: list | None = None, retry_after: float | None = None) -> None:
        self.status = status
        self.error_code = error_code
        self.detail = detail
        self.method = method
        self.path = path
        self.parameters = parameters or []
        self.retry_after = retry_after
        super().__init__(str(self))

    def __str__(self) -> str:
        status = f'HTTP {self.status}' if self.status is not None else 'no response'
        code = f' {self.error_code}' if self.error_code else ''
        return f'{self.method} {self.path}: {status}{code}: {self.detail}'

    @property
    def transient(self) -> bool:
        """Worth trying again: rate limiting, a gateway or server hiccup, or a plain network failure (no code of ours)."""
        if self.status is None:
            return self.error_code is None
        return self.status in TRANSIENT_STATUSES

    def reason(self) -> str:
        """What went wrong in a few words, for retry messages: 'HTTP 429 RATE_LIMITED_TOKEN_BUCKET' or the network error."""
        if self.status is None:
            return self.detail
        return f'HTTP {self.status} {self.error_code}' if self.error_code else f'HTTP {self.status}'

    def rebuilt(self, cls: type[AtlasApiError] | None = None, detail: str | None = None) -> AtlasApiError:
        """The same error as another class of this family, or with another detail (a raised error is never mutated)."""
        cls = cls or type(self)
        return cls(self.status, self.error_code, self.detail if detail is None else detail, self.method, self.path,
                   self.parameters, self.retry_after)


class AtlasAmbiguousWriteError(AtlasApiError):
    """A POST failed in a way that leaves open whether Atlas acted on it (timeout, reset after sending, 5xx).

    The client never retries such a POST; the caller must re-read state before trying again.
    """


def strip_query(url_or_path: str) -> str:
    """A URL or path without its query string or fragment (where pre-signed URLs keep their signature)."""
    return re.split(r'[?#]', url_or_path, maxsplit=1)[0]


def scrub(text: str, url: str | None = None) -> str:
    """Text safe to show: URL query strings removed and, given the URL, every value of its query redacted too
    (storage error bodies echo the signature on its own, e.g. S3's <SignatureProvided>)."""
    text = QUERY_STRING.sub('', text)
    if url and '?' in url:
        for value in re.split(r'[&=]', url.split('?', 1)[1].split('#', 1)[0]):
            if len(value) >= 4:
                text = text.replace(value, '<redacted>')
    return text


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from either delta-seconds or an HTTP date (a date in the past means 0)."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(when.timestamp() - time.time(), 0.0)


def text_detail(raw: str, url: str | None = None) -> str:
    """The start of a non-JSON body (an HTML error page, a proxy's message) as one clean line without secrets."""
    text = re.sub(r'<[^>]+>', ' ', scrub(raw, url))
    return re.sub(r'\s+', ' ', text).strip()[:DETAIL_LIMIT]


def error_from_document(status: int, body: t.Any, headers: t.Mapping[str, str], fallback: str, method: str, path: str) -> AtlasApiError:
    """An AtlasApiError from an Atlas error document (or whatever else came back), its headers and a fallback text."""
    code = None
    detail = ''
    parameters: list = []
    if isinstance(body, dict):
        code = body.get('errorCode')
        detail = str(body.get('detail') or body.get('reason') or '')
        parameters = body.get('parameters') or []
    code = code or headers.get('X-Error-Code')
    return AtlasApiError(status, code, scrub(detail) or fallback, method, path, parameters, parse_retry_after(headers.get('Retry-After')))


def error_from_response(response: t.Any, method: str, path: str) -> AtlasApiError:
    """Build an AtlasApiError from an HTTP error response, whatever its body looks like."""
    try:
        body = response.json()
    except ValueError:
        body = None
    fallback = text_detail(response.text or '') or response.reason or ''
    return error_from_document(response.status_code, body, response.headers, fallback, method, path)


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


# --------------------------------------------------------------------------------------------- network failures
def _wrapped(exc: BaseException) -> t.Iterator[BaseException]:
    """The exception and everything it wraps: requests and urllib3 nest causes in args, .reason, .original_error
    and the __cause__/__context__ chain."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = [*current.args, getattr(current, 'reason', None), getattr(current, 'original_error', None), current.__cause__, current.__context__]
        stack.extend(item for item in inner if isinstance(item, BaseException))


def never_sent(exc: BaseException) -> bool:
    """True when the request certainly never reached the server: a connect timeout, a refused or unresolvable connection."""
    if isinstance(exc, ConnectTimeout):
        return True
    return any(isinstance(inner, (NewConnectionError, ConnectionRefusedError)) for inner in _wrapped(exc))


def classify_exception(exc: RequestException) -> tuple[str | None, bool]:
    """(error_code, maybe_acted) for a requests exception; error_code None means a transient network failure.

    maybe_acted: the request may have reached Atlas, so a POST must not be repeated blindly.
    """
    if isinstance(exc, SSLError):
        return 'TLS_ERROR', False  # the handshake failed, nothing was sent; retrying cannot fix trust
    if isinstance(exc, (ConnectTimeout, RequestsConnectionError)) and never_sent(exc):
        return None, False
    if isinstance(exc, (ReadTimeout, RequestsConnectionError, ChunkedEncodingError)):
        return None, True
    if isinstance(exc, ContentDecodingError):
        return 'REQUEST_ERROR', True  # an answer came back, garbled
    return 'REQUEST_ERROR', False  # invalid URL, schema or header, too many redirects: configuration, not weather


def root_cause(exc: BaseException, timeout: float | None = None) -> str:
    """The one reason a request got no answer, in a few words: connection refused, DNS, timeout, reset, TLS.

    urllib3 wraps the cause in several layers ("HTTPSConnectionPool(...): Max retries exceeded ... (Caused by ...)");
    this names the innermost cause instead of quoting the wrapping.
    """
    chain = list(_wrapped(exc))
    kinds = tuple(type(inner) for inner in chain)
    text = ' '.join(str(inner) for inner in chain)
    if any(issubclass(kind, (SSLError, Urllib3SSLError)) for kind in kinds):
        return 'TLS handshake failed'
    if any(issubclass(kind, socket.gaierror) for kind in kinds) or 'NameResolutionError' in text or 'Name or service not known' in text:
        return 'DNS lookup failed (the host name does not resolve)'
    if any(issubclass(kind, ConnectionRefusedError) for kind in kinds) or 'Connection refused' in text:
        return 'connection refused (nothing listens at that address and port)'
    if any(issubclass(kind, ConnectTimeout) for kind in kinds):
        return f'connection timed out{_after(timeout)}'
    if any(issubclass(kind, (ReadTimeout, Urllib3Timeout, socket.timeout)) for kind in kinds):
        return f'no answer{_after(timeout)} (read timeout)'
    if any(issubclass(kind, ConnectionResetError) for kind in kinds) or 'Connection reset' in text:
        return 'connection reset by the server or a proxy'
    if any(issubclass(kind, (http.client.RemoteDisconnected, ConnectionAbortedError, BrokenPipeError)) for kind in kinds):
        return 'the server closed the connection without answering'
    innermost = chain[-1]
    detail = re.sub(r'\s+', ' ', str(innermost)).strip()
    return f'{innermost.__class__.__name__}: {detail}'[:DETAIL_LIMIT] if detail else innermost.__class__.__name__


def _after(timeout: float | None) -> str:
    return f' after {timeout:g} s' if timeout else ''


def describe_network_error(exc: BaseException, url: str | None = None, timeout: float | None = None) -> str:
    """A short description of a network failure, with any URL query string removed."""
    return scrub(root_cause(exc, timeout), url)


def describe_tls_error(exc: BaseException) -> str:
    """Why TLS failed, and what to do about it."""
    reason = re.search(r'\[SSL[^\]]*\][^)\'"]*', str(exc))
    text = reason.group(0).strip() if reason else exc.__class__.__name__
    return (f'TLS error: {text}. Set ca_path to the CA bundle that signed the server certificate '
            '(or validate_certs false, for testing only)')


def error_from_exception(exc: BaseException, method: str, path: str, timeout: float | None = None) -> tuple[AtlasApiError, bool]:
    """(error, maybe_acted) for a request that got no usable HTTP response (any transport-level OSError included)."""
    if not isinstance(exc, RequestException):
        # Raised by the transport before any byte went out: a CA bundle that cannot be read, no file descriptors left...
        reason = getattr(exc, 'strerror', None) or str(exc)
        return AtlasApiError(None, 'REQUEST_ERROR', scrub(f'could not send the request: {reason}')[:DETAIL_LIMIT], method, path), False
    code, maybe_acted = classify_exception(exc)
    detail = describe_tls_error(exc) if code == 'TLS_ERROR' else describe_network_error(exc, timeout=timeout)
    return AtlasApiError(None, code, detail, method, path), maybe_acted


# --------------------------------------------------------------------------------------------- auth
class DigestAuth:
    """API key auth: HTTP Digest with the public key as user and the private key as password.

    Attached once to the client's session, so the nonce of the first challenge is reused (with a growing nc) by every
    later call: N calls cost N+1 requests. requests' HTTPDigestAuth answers one 401 per request whatever its stale
    flag says, which covers the stale=true re-challenge Atlas sends when a nonce expires.
    """

    def __init__(self, public_key: str, private_key: str) -> None:
        self.public_key = public_key
        self._private_key = private_key

    def attach(self, session: t.Any) -> None:
        session.auth = HTTPDigestAuth(self.public_key, self._private_key)

    def __repr__(self) -> str:
        return f'DigestAuth(public_key={self.public_key!r})'


class _NoCredentials:
    """Auth for pre-signed URLs: no Authorization header at all.

    Having an auth set also stops requests from adding ~/.netrc credentials: storage services reject a second auth mechanism.
    """

    def __call__(self, request: t.Any) -> t.Any:
        request.headers.pop('Authorization', None)
        return request


# --------------------------------------------------------------------------------------------- the client
class AtlasClient:
    """Talks to the Atlas Administration API over one requests session (one digest challenge per client)."""

    def __init__(self, base_url: str = 'https://cloud.mongodb.com', auth: t.Any = None, api_version: str = 'v2', timeout: float = 30,
                 retries: int = 5, validate_certs: bool = True, ca_path: str | None = None,
                 on_retry: t.Callable[[str], None] | None = None,
                 sleep: t.Callable[[float], None] | None = None, rng: t.Callable[[], float] = random.random) -> None:
        if api_version not in API_VERSIONS:
            raise ValueError(f'api_version must be one of {", ".join(API_VERSIONS)}, not {api_version!r}')
        self.base_url = base_url.rstrip('/')
        self.api_version = api_version
        self.timeout = timeout
        self.retries = max(int(retries), 0)
        self.verify: str | bool = (ca_path or True) if validate_certs else False  # validate_certs false wins: no checks at all
        self.on_retry = on_retry
        self.sleep = sleep or _sleep
        self.rng = rng
        self.request_count = 0
        self.retries_used = 0       # retries actually spent, over every request of this client
        self.retry_seconds = 0.0    # time spent waiting before them
        self.retry_reasons: dict[str, int] = {}
        self.server_time: datetime.datetime | None = None  # from the last response's Date header: Atlas's clock, not ours
        self.session = self._new_session()
        if auth is not None:
            auth.attach(self.session)

    def __repr__(self) -> str:
        return f'AtlasClient(base_url={self.base_url!r}, api_version={self.api_version!r})'

    def close(self) -> None:
        self.session.close()

    def _new_session(self) -> t.Any:
        # trust_env stays on: proxies (HTTPS_PROXY, NO_PROXY) come from the standard environment variables.
        session = requests.Session()
        session.headers['User-Agent'] = USER_AGENT
        session.verify = self.verify
        session.hooks['response'].append(self._count)
        return session

    def _count(self, response: t.Any, *_args: t.Any, **_kwargs: t.Any) -> None:
        """Response hook: every response is one request, including a digest challenge answered inside requests."""
        self.request_count += 1 + len(response.history)
        try:
            self.server_time = email.utils.parsedate_to_datetime(response.headers['Date'])
        except (KeyError, TypeError, ValueError):
            pass

    def now(self) -> datetime.datetime:
        """Atlas's time as of the last response, else this host's: ages and expiries are judged on Atlas's clock."""
        return self.server_time or datetime.datetime.now(datetime.timezone.utc)

    # --- request building -------------------------------------------------------------------
    def path_version(self, resource: str) -> str:
        """v2 or v1.0 for this resource: Flex exists only in v2."""
        if resource not in RESOURCE_VERSIONS:
            raise ValueError(f'unknown resource {resource!r}; expected one of {", ".join(sorted(RESOURCE_VERSIONS))}')
        return 'v2' if resource == 'flex' else self.api_version

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
                    return doc
                error = failure
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
            self._pause(method, full_path, error, attempt)
            attempt += 1

    def _pause(self, method: str, full_path: str, error: AtlasApiError, attempt: int) -> None:
        """Wait before the next attempt and account for it (the module reports retries once, at the end)."""
        delay = self.backoff(attempt, error.retry_after)
        self.note_retry(error.reason(), delay)
        if self.on_retry:
            self.on_retry(f'Retrying {method} {full_path} after {error.reason()} in {delay:.1f} s (retry {attempt + 1} of {self.retries})')
        self.sleep(delay)

    def note_retry(self, reason: str, delay: float) -> None:
        """Count one retry (of a request, a poll or a transfer) and the time it cost."""
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

    def list_all(self, path: str, *, resource: str = 'backup', params: dict | None = None) -> list:
        """Every item of a paginated list, reading pages of 500 until a short page or no next link."""
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
            has_next = any(isinstance(link, dict) and link.get('rel') == 'next' for link in doc.get('links') or [])
            if len(results) < PAGE_SIZE or not has_next:
                return items
        # A list that never ends is a server (or proxy) ignoring pageNum; a partial list would mislead idempotency checks.
        raise AtlasApiError(200, 'TOO_MANY_PAGES', f'still more results after {MAX_PAGES} pages of {PAGE_SIZE}', 'GET',
                            self.url_path(path, resource))

    # --- downloads -------------------------------------------------------------------------------
    def download(self, url: str, fileobj: t.Any, *, chunk_size: int = 1024 * 1024,
                 progress: t.Callable[[int, t.Optional[int]], None] | None = None,
                 observers: t.Sequence[t.Callable[[t.Optional[bytes]], None]] = (),
                 link_expires: datetime.datetime | None = None) -> dict:
        """Stream a pre-signed URL into fileobj WITHOUT Atlas credentials; return status, size, sha256, content_length,
        first_bytes and resumes.

        The bytes are the raw ones on the wire (a .tgz served with Content-Encoding gzip is not unpacked). Receiving and
        writing happen here while SHA-256 and each observer (called with every chunk, then None) run in their own threads
        on the same chunks, with at most a few chunks in memory. progress(bytes_so_far, content_length) is called after
        each chunk. A transfer that breaks off (reset, or closed before Content-Length) continues with an HTTP Range
        request from the bytes already written, up to `retries` times and only while the link is valid (link_expires,
        judged on Atlas's clock); the hash and observers see one continuous stream. Errors never show the URL's query.
        """
        session = requests.Session()  # a separate session: storage services reject (and must never see) Atlas auth
        session.auth = _NoCredentials()
        session.headers['User-Agent'] = USER_AGENT
        session.hooks['response'].append(self._count_download)
        digest = hashlib.sha256()
        workers = [ChunkWorker(digest.update)] + [ChunkWorker(observer, end_marker=True) for observer in observers]
        transfer = Transfer()
        try:
            while True:
                try:
                    self._stream(session, url, fileobj, chunk_size, workers, progress, transfer)
                    break
                except AtlasApiError as err:
                    if not self._may_resume(err, transfer, link_expires):
                        raise
                    delay = self.backoff(transfer.resumes, None)
                    self.note_retry(f'download {err.error_code}', delay)
                    self.sleep(delay)
                    transfer.resumes += 1
        finally:
            failures = [worker.finish() for worker in workers]
            session.close()
        for failure in failures:
            if failure is not None:
                raise failure  # an observer's own error, carried over from its thread
        return {'status': 200, 'size': transfer.size, 'sha256': digest.hexdigest(), 'content_length': transfer.content_length,
                'first_bytes': transfer.first, 'resumes': transfer.resumes}

    def _may_resume(self, err: AtlasApiError, transfer: Transfer, link_expires: datetime.datetime | None) -> bool:
        """A broken transfer is continued while tries are left and the link has not expired (judged on Atlas's clock)."""
        if err.error_code not in ('DOWNLOAD_INTERRUPTED', 'DOWNLOAD_TRUNCATED') or transfer.resumes >= self.retries:
            return False
        return link_expires is None or self.now() < link_expires

    def _count_download(self, response: t.Any, *_args: t.Any, **_kwargs: t.Any) -> None:
        """Response hook of the download session: counted too, but its Date is not Atlas's clock."""
        self.request_count += 1 + len(response.history)

    def _stream(self, session: t.Any, url: str, fileobj: t.Any, chunk_size: int, workers: list[ChunkWorker],
                progress: t.Callable[[int, t.Optional[int]], None] | None, transfer: Transfer) -> None:
        """GET url (from transfer.size on, with Range, when continuing) and copy its body to fileobj and the workers."""
        arrived = transfer.size
        headers = {'Range': f'bytes={transfer.size}-'} if transfer.size else {}
        try:
            with session.get(url, stream=True, timeout=self.timeout, verify=self.verify, headers=headers) as response:
                skip = transfer.accept(response, url)
                while True:
                    # raw bytes: a .tgz served with Content-Encoding gzip must not be unpacked on the way
                    chunk = response.raw.read(chunk_size, decode_content=False)
                    if not chunk:
                        break
                    arrived += len(chunk)
                    if skip:  # a host that ignored Range sent the whole object again: drop what we already have
                        dropped = min(skip, len(chunk))
                        skip -= dropped
                        chunk = chunk[dropped:]
                        if not chunk:
                            continue
                    transfer.add(chunk)
                    for worker in workers:
                        worker.put(chunk)
                    write(fileobj, chunk)
                    if progress:
                        progress(transfer.size, transfer.content_length)
        except (RequestException, Urllib3Error) as exc:
            raise download_network_error(exc, url, transfer.size, transfer.content_length) from None
        except OSError as exc:  # not a write error (those are WriteFailed): an unreadable CA bundle, a socket error
            raise download_network_error(exc, url, transfer.size, transfer.content_length) from None
        if transfer.content_length is not None and transfer.size != transfer.content_length:
            raise AtlasApiError(200, 'DOWNLOAD_TRUNCATED', f'received {transfer.size} of {transfer.content_length} bytes before the '
                                'connection closed cleanly', 'GET', strip_query(url))


class WriteFailed(Exception):
    """Writing the downloaded bytes failed (disk full, quota, I/O error): the file's problem, not the network's."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def write(fileobj: t.Any, chunk: bytes) -> None:
    try:
        fileobj.write(chunk)
    except OSError as exc:
        raise WriteFailed(exc) from exc


class Transfer:
    """Where a (possibly resumed) download stands: bytes written, the announced length, the first bytes, the ETag."""

    def __init__(self) -> None:
        self.size = 0
        self.content_length: int | None = None
        self.first = b''
        self.etag: str | None = None
        self.resumes = 0

    def add(self, chunk: bytes) -> None:
        if len(self.first) < FIRST_BYTES:
            self.first += chunk[:FIRST_BYTES - len(self.first)]
        self.size += len(chunk)

    def accept(self, response: t.Any, url: str) -> int:
        """Check an answer against the transfer so far; return how many leading bytes to drop (a 200 to a Range request)."""
        path = strip_query(url)
        status = response.status_code
        if status not in (200, 206) or (status == 206 and not self.size):
            raise download_http_error(response, url)
        etag = response.headers.get('ETag')
        if self.size and self.etag and etag and etag != self.etag:
            raise AtlasApiError(status, 'DOWNLOAD_CHANGED', 'the archive changed on the download host between attempts (its ETag differs)',
                                'GET', path)
        self.etag = self.etag or etag
        if status == 200:
            total = parse_content_length(response.headers.get('Content-Length'))
            self._check_total(total, path)
            return self.size
        match = re.match(r'bytes (\d+)-(\d+)/(\d+|\*)$', response.headers.get('Content-Range', '').strip())
        if not match or int(match.group(1)) != self.size:
            raise AtlasApiError(206, 'DOWNLOAD_HTTP_206', f'the download host did not continue from byte {self.size} '
                                f'(Content-Range: {response.headers.get("Content-Range")!r})', 'GET', path)
        self._check_total(None if match.group(3) == '*' else int(match.group(3)), path)
        return 0

    def _check_total(self, total: int | None, path: str) -> None:
        if self.content_length is not None and total is not None and total != self.content_length:
            raise AtlasApiError(200, 'DOWNLOAD_CHANGED', f'the archive changed size on the download host between attempts '
                                f'({self.content_length} then {total} bytes)', 'GET', path)
        if self.content_length is None:
            self.content_length = total


def parse_content_length(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def download_http_error(response: t.Any, url: str) -> AtlasApiError:
    """DOWNLOAD_HTTP_<status> from a storage service's answer, reading only the start of its (XML or HTML) body."""
    try:
        raw = response.raw.read(ERROR_BODY_LIMIT, decode_content=True) or b''
    except (Urllib3Error, OSError):
        raw = b''
    detail = text_detail(raw.decode('utf-8', 'replace'), url) or response.reason or ''
    return AtlasApiError(response.status_code, f'DOWNLOAD_HTTP_{response.status_code}', detail, 'GET', strip_query(url))


def download_network_error(exc: BaseException, url: str, size: int, content_length: int | None) -> AtlasApiError:
    """TLS_ERROR, DOWNLOAD_TRUNCATED (closed cleanly before the announced end) or DOWNLOAD_INTERRUPTED (reset, timeout...).

    size is what was received and written; the message reports it, whichever way the transfer ended.
    """
    path = strip_query(url)
    expected = f' of {content_length}' if content_length is not None else ''
    if isinstance(exc, (SSLError, Urllib3SSLError)):
        return AtlasApiError(None, 'TLS_ERROR', describe_tls_error(exc), 'GET', path)
    if not isinstance(exc, (RequestException, Urllib3Error)):
        return error_from_exception(exc, 'GET', path)[0]  # the transport could not even start (an unreadable CA bundle)
    chain = list(_wrapped(exc))
    resets = any(isinstance(inner, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)) for inner in chain)
    if not resets and any(isinstance(inner, (IncompleteRead, http.client.IncompleteRead)) for inner in chain):
        return AtlasApiError(200, 'DOWNLOAD_TRUNCATED', f'received {size}{expected} bytes before the connection closed cleanly', 'GET', path)
    return AtlasApiError(None, 'DOWNLOAD_INTERRUPTED', f'received {size}{expected} bytes, then: {describe_network_error(exc, url)}', 'GET', path)


class ChunkWorker:
    """Runs a function over a stream of chunks in its own thread, through a small bounded queue.

    hashlib, zlib and file writes release the GIL on large buffers, so workers really run in parallel.
    """

    QUEUE_CHUNKS = 8

    def __init__(self, func: t.Callable[..., None], end_marker: bool = False) -> None:
        self._func = func
        self._end_marker = end_marker
        self._queue: queue.Queue = queue.Queue(self.QUEUE_CHUNKS)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            if self._error is None and (chunk is not None or self._end_marker):
                self._call(chunk)
            if chunk is None:
                return

    def _call(self, chunk: bytes | None) -> None:
        try:
            self._func(chunk)
        except BaseException as exc:  # pylint: disable=broad-exception-caught
            # Not hidden: finish() hands it to the caller's thread. Meanwhile the queue keeps draining, so put() never blocks.
            self._error = exc

    def put(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def finish(self) -> BaseException | None:
        """Signal the end, wait for the thread, and return the error the function raised, if any."""
        self._queue.put(None)
        self._thread.join()
        return self._error

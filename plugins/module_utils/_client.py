# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The Atlas Administration API client: one HTTP session, auth, versions, retries, paging, errors.

Knows nothing of Ansible, so it can be tested and reused on its own.
"""
from __future__ import annotations

import datetime
import email.utils
import hashlib
import queue
import random
import re
import threading
import time
import traceback
import typing as t

try:
    import requests
    from requests.auth import HTTPDigestAuth
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import ConnectTimeout, ReadTimeout, RequestException, SSLError
    from urllib3.exceptions import HTTPError as Urllib3Error
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

COLLECTION_VERSION = '0.1.0'
BACKUP_VERSION = '2023-01-01'
FLEX_VERSION = '2024-11-13'
CLUSTER_VERSION = '2024-08-05'
RESOURCE_VERSIONS = {'backup': BACKUP_VERSION, 'tenant': BACKUP_VERSION, 'flex': FLEX_VERSION, 'cluster': CLUSTER_VERSION}
TRANSIENT_STATUSES = frozenset((429, 500, 502, 503, 504))
PAGE_SIZE = 500
MAX_PAGES = 1000
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0


def user_agent() -> str:
    lib = getattr(requests, '__version__', 'unknown') if HAS_REQUESTS else 'unknown'
    return f'mongodb_atlas.backup/{COLLECTION_VERSION} (Ansible collection) python-requests/{lib}'


class AtlasApiError(Exception):
    """One error type for everything the API (or the network) said no to. Never carries keys or URL queries."""

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


class AtlasAmbiguousWriteError(AtlasApiError):
    """A POST failed in a way that leaves open whether Atlas acted on it; re-read state before trying again."""


class DigestAuth:
    """API key auth: HTTP Digest with the public key as user and the private key as password."""

    def __init__(self, public_key: str, private_key: str) -> None:
        self.public_key = public_key
        self._private_key = private_key

    def attach(self, session: t.Any) -> None:
        session.auth = HTTPDigestAuth(self.public_key, self._private_key)

    def __repr__(self) -> str:
        return f'DigestAuth(public_key={self.public_key!r})'


def strip_query(url_or_path: str) -> str:
    """A URL or path without its query string or fragment (where pre-signed URLs keep their signature)."""
    return re.split(r'[?#]', url_or_path, maxsplit=1)[0]


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from either delta-seconds or an HTTP date."""
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
    return max(when.timestamp() - time.time(), 0.0)


def error_from_response(response: t.Any, method: str, path: str) -> AtlasApiError:
    """Build an AtlasApiError from an HTTP error response, whatever its body looks like."""
    code = None
    detail = ''
    parameters: list = []
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get('errorCode')
        detail = body.get('detail') or body.get('reason') or ''
        parameters = body.get('parameters') or []
    if not code:
        code = response.headers.get('X-Error-Code')
    if not detail:
        text = re.sub(r'https?://\S+', '<url>', (response.text or '').strip())
        detail = re.sub(r'\s+', ' ', re.sub(r'<[^>]+>', ' ', text)).strip()[:200] or (response.reason or '')
    return AtlasApiError(response.status_code, code, detail, method, path, parameters,
                         parse_retry_after(response.headers.get('Retry-After')))


class AtlasClient:
    """Talks to the Atlas Administration API over one requests session."""

    def __init__(self, base_url: str = 'https://cloud.mongodb.com', auth: t.Any = None, api_version: str = 'v2', timeout: float = 30,
                 retries: int = 5, validate_certs: bool = True, ca_path: str | None = None,
                 on_retry: t.Callable[[str], None] | None = None,
                 sleep: t.Callable[[float], None] = time.sleep, rng: t.Callable[[], float] = random.random) -> None:
        self.base_url = base_url.rstrip('/')
        self.api_version = api_version
        self.timeout = timeout
        self.retries = retries
        self.verify: t.Union[str, bool] = ca_path or validate_certs
        self.on_retry = on_retry
        self.sleep = sleep
        self.rng = rng
        self.request_count = 0
        self.server_time: datetime.datetime | None = None  # from the last response's Date header: Atlas's clock, not ours
        self.session = self._new_session()
        if auth is not None:
            auth.attach(self.session)

    def _new_session(self) -> t.Any:
        session = requests.Session()
        session.headers['User-Agent'] = user_agent()
        session.verify = self.verify
        session.hooks['response'].append(self._count)
        return session

    def _count(self, response: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        self.request_count += 1 + len(response.history)
        try:
            self.server_time = email.utils.parsedate_to_datetime(response.headers['Date'])
        except (KeyError, TypeError, ValueError):
            pass

    def now(self) -> datetime.datetime:
        """Atlas's time as of the last response, else this host's: ages and expiries are judged on Atlas's clock."""
        return self.server_time or datetime.datetime.now(datetime.timezone.utc)

    # --- request building -------------------------------------------------------------------
    def url_path(self, path: str, resource: str) -> str:
        """The full URL path: v1.0 or v2 prefix; Flex exists only in v2."""
        version = 'v2' if resource == 'flex' else self.api_version
        return f'/api/atlas/{version}{path}'

    def media_type(self, path_version: str, resource: str) -> str:
        if path_version == 'v1.0':
            return 'application/json'
        return f'application/vnd.atlas.{RESOURCE_VERSIONS[resource]}+json'

    def request(self, method: str, path: str, *, resource: str = 'backup', params: dict | None = None, body: dict | None = None) -> t.Any:
        """Send one API call with retries; return the parsed JSON (None when empty)."""
        full_path = self.url_path(path, resource)
        media = self.media_type('v2' if full_path.startswith('/api/atlas/v2') else 'v1.0', resource)
        headers = {'Accept': media}
        if body is not None:
            headers['Content-Type'] = media
        attempt = 0
        while True:
            try:
                # verify is passed per request: a session-level value loses to REQUESTS_CA_BUNDLE in requests.
                response = self.session.request(method, self.base_url + full_path, params=params, json=body, headers=headers,
                                                timeout=self.timeout, verify=self.verify)
            except SSLError as exc:
                # Not transient: retrying cannot fix a certificate the client does not trust.
                raise AtlasApiError(None, 'TLS_ERROR', _describe_tls_error(exc), method, full_path) from None
            except (ConnectTimeout, ReadTimeout, RequestsConnectionError) as exc:
                error = AtlasApiError(None, None, _describe_network_error(exc), method, full_path)
                if method == 'POST' and not _certainly_not_sent(exc):
                    raise AtlasAmbiguousWriteError(None, None, error.detail, method, full_path) from None
            except RequestException as exc:
                raise AtlasApiError(None, None, _describe_network_error(exc), method, full_path) from None
            else:
                if response.status_code < 400:
                    return _unwrap(_json_or_none(response))
                error = error_from_response(response, method, full_path)
                if response.status_code not in TRANSIENT_STATUSES:
                    raise error
                if method == 'POST' and response.status_code != 429:
                    raise AtlasAmbiguousWriteError(error.status, error.error_code, error.detail, method, full_path, error.parameters, error.retry_after)
            if attempt >= self.retries:
                if error.status == 429:
                    error.detail = f'{error.detail} (gave up after {attempt + 1} attempts)'.strip()
                raise error
            delay = self.backoff(attempt, error.retry_after)
            if self.on_retry:
                reason = f'HTTP {error.status}' + (f' {error.error_code}' if error.error_code else '') if error.status else error.detail
                self.on_retry(f'Retrying {method} {full_path} after {reason} in {delay:.1f} s (attempt {attempt + 1} of {self.retries})')
            self.sleep(delay)
            attempt += 1

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter, never shorter than the server's Retry-After."""
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
            query = dict(params or {}, itemsPerPage=PAGE_SIZE, pageNum=page, includeCount='false')
            doc = self.get(path, resource=resource, params=query) or {}
            results = doc.get('results') or []
            items.extend(results)
            has_next = any(link.get('rel') == 'next' for link in doc.get('links') or [])
            if len(results) < PAGE_SIZE or not has_next:
                break
        return items

    def download(self, url: str, fileobj: t.Any, *, chunk_size: int = 1024 * 1024,
                 observers: t.Sequence[t.Callable[[t.Optional[bytes]], None]] = ()) -> dict:
        """Stream a pre-signed URL into fileobj WITHOUT Atlas credentials; return status, size, sha256, content_length, first_bytes.

        Receiving and writing happen here while SHA-256 and each observer (called with every chunk, then None) run in their
        own threads on the same chunks: hashing, writing and checking overlap, with at most a few chunks in memory.
        """
        path = strip_query(url)
        session = requests.Session()  # a separate session: storage services reject (and must never see) Atlas auth
        session.headers['User-Agent'] = user_agent()
        digest = hashlib.sha256()
        workers = [ChunkWorker(digest.update)] + [ChunkWorker(observer, end_marker=True) for observer in observers]
        size = 0
        first = b''
        content_length = None
        try:
            with session.get(url, stream=True, timeout=self.timeout, verify=self.verify) as response:
                if response.status_code != 200:
                    err = error_from_response(response, 'GET', path)
                    raise AtlasApiError(response.status_code, f'DOWNLOAD_HTTP_{response.status_code}', err.detail, 'GET', path)
                length_header = response.headers.get('Content-Length')
                content_length = int(length_header) if length_header and length_header.isdigit() else None
                while True:
                    # raw bytes: a .tgz served with Content-Encoding gzip must not be unpacked on the way
                    chunk = response.raw.read(chunk_size, decode_content=False)
                    if not chunk:
                        break
                    if len(first) < 512:
                        first += chunk[:512 - len(first)]
                    for worker in workers:
                        worker.put(chunk)
                    fileobj.write(chunk)
                    size += len(chunk)
        except (RequestException, Urllib3Error) as exc:
            raise AtlasApiError(None, 'DOWNLOAD_INTERRUPTED', _describe_network_error(exc), 'GET', path) from None
        finally:
            for worker in workers:
                worker.finish()
            session.close()
        if content_length is not None and size != content_length:
            raise AtlasApiError(200, 'DOWNLOAD_TRUNCATED', f'received {size} of {content_length} bytes', 'GET', path)
        return {'status': 200, 'size': size, 'sha256': digest.hexdigest(), 'content_length': content_length, 'first_bytes': first}


class ChunkWorker:
    """Runs a function over a stream of chunks in its own thread, through a small bounded queue.

    hashlib, zlib and file writes release the GIL on large buffers, so workers really run in parallel.
    """

    QUEUE_CHUNKS = 8

    def __init__(self, func: t.Callable[..., None], end_marker: bool = False) -> None:
        self._func = func
        self._end_marker = end_marker
        self._queue: queue.Queue = queue.Queue(self.QUEUE_CHUNKS)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            if chunk is None:
                if self._end_marker:
                    self._func(None)
                return
            self._func(chunk)

    def put(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def finish(self) -> None:
        self._queue.put(None)
        self._thread.join()


def _json_or_none(response: t.Any) -> t.Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _unwrap(doc: t.Any) -> t.Any:
    """Undo envelope=true wrapping ({"status": ..., "content": {...}}) if a proxy forced it."""
    if isinstance(doc, dict) and set(doc) == {'status', 'content'} and isinstance(doc['status'], int):
        return doc['content']
    return doc


def _certainly_not_sent(exc: Exception) -> bool:
    """True when the request never left: a connect timeout or a refused/unresolvable connection."""
    if isinstance(exc, ConnectTimeout):
        return True
    text = repr(exc)
    return 'NewConnectionError' in text or 'Connection refused' in text or 'NameResolutionError' in text


def _describe_tls_error(exc: Exception) -> str:
    """Why TLS failed, and what to do about it."""
    reason = re.search(r'\[SSL[^\]]*\][^)\'"]*', str(exc))
    text = reason.group(0).strip() if reason else exc.__class__.__name__
    return (f'TLS error: {text}. Set ca_path to the CA bundle that signed the server certificate '
            '(or validate_certs false, for testing only)')


def _describe_network_error(exc: Exception) -> str:
    """A short description of a network failure, with any URL query string removed."""
    text = str(exc) or exc.__class__.__name__
    text = re.sub(r'(https?://[^\s\'"?]+)\?[^\s\'"]*', r'\1', text)
    text = re.sub(r"(url: [^\s?]+)\?\S*", r'\1', text)
    return f'{exc.__class__.__name__}: {text}'[:300]

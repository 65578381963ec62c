# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The error model: what Atlas (or the network) said no to, as one exception family (how to say it to a person is
_explain's).

AtlasApiError is what the client raises; TaskError is what any service raises when the task cannot succeed. The module
base turns either into the task's one failure. Nothing here knows Ansible; nothing here ever shows a key or a URL query.
"""
from __future__ import annotations

import datetime
import email.utils
import http.client
import re
import socket
import time
import typing as t

try:
    from requests.exceptions import ChunkedEncodingError, ConnectTimeout, ContentDecodingError, ReadTimeout, RequestException, SSLError
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from urllib3.exceptions import NewConnectionError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout
    from urllib3.exceptions import SSLError as Urllib3SSLError
except ImportError:  # the module base reports the missing library (missing_required_lib) before anything here runs
    pass

TRANSIENT_STATUSES = frozenset((429, 500, 502, 503, 504))
DETAIL_LIMIT = 200

# A '?' followed by something with '=' in it: the query string of a URL, which may carry a signature.
QUERY_STRING = re.compile(r'\?(?=[^\s\'"<>]*=)[^\s\'"<>]*')

# errorCodes that mean "the caller's address is not on the key's API access list" (old and new names).
ACCESS_LIST_CODES = frozenset((
    'IP_ADDRESS_NOT_ON_ACCESS_LIST', 'ORG_REQUIRES_ACCESS_LIST', 'RESOURCE_REQUIRES_ACCESS_LIST',
    'IP_ADDRESS_NOT_ON_WHITELIST', 'ORG_REQUIRES_WHITELIST', 'RESOURCE_REQUIRES_WHITELIST',
))
ROLE_CODES = frozenset(('USER_UNAUTHORIZED', 'NOT_IN_GROUP', 'USER_CANNOT_ACCESS_GROUP', 'TENANT_SNAPSHOT_ACCESS_DENIED'))

# "This thing does not exist", per resource. A 404 with any other code (RESOURCE_NOT_FOUND: an unknown path or
# version, or no code at all) is about the route, not the resource, and is never read as "already gone".
MISSING_CODES: dict[str, frozenset[str]] = {
    'snapshot': frozenset(('SNAPSHOT_NOT_FOUND', 'TENANT_SNAPSHOT_NOT_FOUND', 'INVALID_SNAPSHOT_ID')),
    'job': frozenset(('RESTORE_JOB_NOT_FOUND', 'TENANT_RESTORE_NOT_FOUND')),
    'cluster': frozenset(('CLUSTER_NOT_FOUND',)),
    'project': frozenset(('GROUP_NOT_FOUND',)),
}


class TaskError(Exception):
    """The task cannot succeed: raised wherever that is found, turned into the one failure by the module base.

    result carries extra result fields (error_code, job_id, snapshot ...) for the failure.
    """

    def __init__(self, msg: str, **result: t.Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.result = result


class AtlasApiError(Exception):
    """One error type for everything the API (or the network) said no to. Never carries keys or URL queries.

    status is None when no HTTP response arrived (network errors). error_code is the Atlas errorCode, or one of
    this client's own codes (TLS_ERROR, REQUEST_ERROR, INVALID_RESPONSE, TOO_MANY_PAGES, DOWNLOAD_*).
    """

    def __init__(self, status: int | None, error_code: str | None, detail: str, method: str, path: str,
                 retry_after: float | None = None) -> None:
        self.status = status
        self.error_code = error_code
        self.detail = detail
        self.method = method
        self.path = path
        self.retry_after = retry_after
        self.who: str | None = None   # on a 401: whose credentials Atlas refused ('the API key', 'the service account' ...)
        self.hint: str | None = None  # and which options to check
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
        copy = cls(self.status, self.error_code, self.detail if detail is None else detail, self.method, self.path,
                   self.retry_after)
        copy.who, copy.hint = self.who, self.hint
        return copy


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


def parse_retry_after(value: str | None, date: str | None = None) -> float | None:
    """Retry-After in seconds, from either delta-seconds or an HTTP date (a date in the past means 0).

    An HTTP date is counted from the answer's own Date header (the server's clock), so a skewed local clock does not
    stretch or shrink the wait; only an answer without a readable Date is read against this host's clock.
    """
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    when = _http_date(value)
    if when is None:
        return None
    sent = _http_date(date) if date else None
    return max(when - (sent if sent is not None else time.time()), 0.0)


def _http_date(value: str) -> float | None:
    """An HTTP date as epoch seconds (a date without a zone is UTC), or None."""
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.timestamp()


def text_detail(raw: str, url: str | None = None) -> str:
    """The start of a non-JSON body (an HTML error page, a proxy's message) as one clean line without secrets."""
    text = re.sub(r'<[^>]+>', ' ', scrub(raw, url))
    return re.sub(r'\s+', ' ', text).strip()[:DETAIL_LIMIT]


def error_from_document(status: int, body: t.Any, headers: t.Mapping[str, str], fallback: str, method: str, path: str) -> AtlasApiError:
    """An AtlasApiError from an Atlas error document (or whatever else came back), its headers and a fallback text."""
    code = None
    detail = ''
    if isinstance(body, dict):
        code = body.get('errorCode')
        detail = str(body.get('detail') or body.get('reason') or '')
    code = code or headers.get('X-Error-Code')
    return AtlasApiError(status, code, scrub(detail) or fallback, method, path,
                         parse_retry_after(headers.get('Retry-After'), headers.get('Date')))


def error_from_response(response: t.Any, method: str, path: str) -> AtlasApiError:
    """Build an AtlasApiError from an HTTP error response, whatever its body looks like."""
    try:
        body = response.json()
    except ValueError:
        body = None
    fallback = text_detail(response.text or '') or response.reason or ''
    return error_from_document(response.status_code, body, response.headers, fallback, method, path)


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


def is_missing(err: AtlasApiError, resource: str) -> bool:
    """True when Atlas said this resource (snapshot, job, cluster, project) does not exist."""
    return err.status in (400, 404) and err.error_code in MISSING_CODES[resource]


def is_sunset(err: AtlasApiError) -> bool:
    """410, or a 404 that does not say which resource is missing (RESOURCE_NOT_FOUND, no code): the route is gone.

    the sources mark the exact sunset answer as unverified, so both count; a 404 naming a missing snapshot, job, cluster or
    project is about that resource and never triggers the fallback.
    """
    if err.status == 410:
        return True
    return err.status == 404 and not any(is_missing(err, resource) for resource in ('snapshot', 'job', 'cluster', 'project'))

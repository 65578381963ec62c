# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""Streaming a pre-signed archive link to a file: no Atlas credentials, SHA-256 and observers in worker threads,
HTTP Range resume of a broken transfer while the link is valid. Errors never show the link's signed query.
"""
from __future__ import annotations

import datetime
import hashlib
import http.client
import queue
import re
import socket
import ssl
import threading
import typing as t

try:
    import requests
    from requests.exceptions import RequestException, SSLError
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.exceptions import IncompleteRead, ProtocolError, ReadTimeoutError
    from urllib3.exceptions import SSLError as Urllib3SSLError
except ImportError:  # the module base reports the missing library (missing_required_lib) before anything here runs
    pass

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import USER_AGENT, AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._disk import size_limit_raises, write
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import (
    AtlasApiError, _wrapped, describe_network_error, describe_tls_error, error_from_exception, strip_query, text_detail,
)

FIRST_BYTES = 512
ERROR_BODY_LIMIT = 4096
CHUNK_SIZE = 1024 * 1024
Observer = t.Callable[[t.Optional[memoryview]], None]


class Stopped(Exception):
    """The caller's stop flag was set (another archive of the set failed, or the task is ending): the transfer ended at
    its next chunk, unfinished."""


class _NoCredentials:
    """Auth for pre-signed URLs: no Authorization header at all.

    Having an auth set also stops requests from adding ~/.netrc credentials: storage services reject a second auth mechanism.
    """

    def __call__(self, request: t.Any) -> t.Any:
        request.headers.pop('Authorization', None)
        return request


def download(client: AtlasClient, url: str, fileobj: t.Any, *, chunk_size: int = CHUNK_SIZE,
             observers: t.Sequence[Observer] = (), link_expires: datetime.datetime | None = None, stop: t.Any = None) -> dict:
    """Stream a pre-signed URL into fileobj WITHOUT Atlas credentials; return status, size, sha256, content_length,
    first_bytes and resumes.

    The client lends its TLS settings, timeout, retry budget, request count and clock (Atlas's), never its auth.
    The bytes are the raw ones on the wire (a .tgz served with Content-Encoding gzip is not unpacked). Receiving and
    writing happen here while SHA-256 and each observer (called with every chunk, then None) run in their own threads
    on the same chunks, with at most a few chunks in memory. The chunks are read straight from the socket into a small
    pool of reused buffers (no allocation per chunk): an observer gets a read-only memoryview that is valid only during
    its call, and must copy what it wants to keep (bytes(chunk)). A transfer that breaks off (reset, or closed before
    Content-Length) continues with an HTTP Range request from the bytes already written, up to the client's `retries`
    times and only while the link is valid (link_expires, judged on Atlas's clock); the hash and observers see one
    continuous stream. Every chunk is written whole or the write fails (WriteFailed, with the OS's reason: a full disk,
    a file-size limit as EFBIG, never SIGXFSZ). Errors never show the URL's query. stop (a threading.Event) is looked at
    before every chunk and before a resume: once set, Stopped is raised there.
    """
    session = requests.Session()  # a separate session: storage services reject (and must never see) Atlas auth
    session.auth = _NoCredentials()
    session.headers['User-Agent'] = USER_AGENT
    session.hooks['response'].append(lambda response, *_a, **_k: client.count_response(response, atlas_clock=False))
    digest = hashlib.sha256()
    workers = [ChunkWorker(digest.update)] + [ChunkWorker(observer, end_marker=True) for observer in observers]
    transfer = Transfer()
    pool = BufferPool(ChunkWorker.QUEUE_CHUNKS + 2, chunk_size)
    try:
        while True:
            try:
                with size_limit_raises():
                    _stream(client, session, url, fileobj, pool, workers, transfer, stop)
                break
            except AtlasApiError as err:
                if not _may_resume(client, err, transfer, link_expires):
                    raise
                _check_stop(stop)
                client.pause_before_retry(f'download {err.error_code}', transfer.resumes)
                transfer.resumes += 1
    finally:
        failures = [worker.finish() for worker in workers]
        session.close()
    for failure in failures:
        if failure is not None:
            raise failure  # an observer's own error, carried over from its thread
    return {'status': 200, 'size': transfer.size, 'sha256': digest.hexdigest(), 'content_length': transfer.content_length,
            'first_bytes': transfer.first, 'resumes': transfer.resumes}


def _may_resume(client: AtlasClient, err: AtlasApiError, transfer: Transfer, link_expires: datetime.datetime | None) -> bool:
    """A broken transfer is continued while tries are left and the link has not expired (judged on Atlas's clock)."""
    if err.error_code not in ('DOWNLOAD_INTERRUPTED', 'DOWNLOAD_TRUNCATED') or transfer.resumes >= client.retries:
        return False
    return link_expires is None or client.now() < link_expires


def _check_stop(stop: t.Any) -> None:
    if stop is not None and stop.is_set():
        raise Stopped()


def _stream(client: AtlasClient, session: t.Any, url: str, fileobj: t.Any, pool: BufferPool, workers: list[ChunkWorker],
            transfer: Transfer, stop: t.Any = None) -> None:
    """GET url (from transfer.size on, with Range, when continuing) and copy its body to fileobj and the workers."""
    _check_stop(stop)  # not even a request once stopped
    headers = {'Range': f'bytes={transfer.size}-'} if transfer.size else {}
    try:
        with session.get(url, stream=True, timeout=client.timeout, verify=client.verify, headers=headers) as response:
            skip = transfer.accept(response, url)
            readinto = raw_reader(response.raw)
            while True:
                _check_stop(stop)
                buffer = pool.take()
                try:
                    # raw bytes: a .tgz served with Content-Encoding gzip must not be unpacked on the way
                    count = readinto(buffer.view)
                except BaseException:
                    pool.give_back(buffer)
                    raise
                chunk = buffer.view[:count].toreadonly()
                if skip:  # a host that ignored Range sent the whole object again: drop what we already have
                    dropped = min(skip, count)
                    skip -= dropped
                    chunk = chunk[dropped:]
                if not count or not chunk:
                    pool.give_back(buffer)
                    if not count:
                        break
                    continue
                transfer.add(chunk)
                buffer.users = len(workers) + 1  # each worker, and the write below, gives it back when done
                for worker in workers:
                    worker.put(chunk, buffer.release)
                try:
                    write(fileobj, chunk)
                finally:
                    buffer.release()
    except (RequestException, Urllib3Error) as exc:
        raise download_network_error(exc, url, transfer.size, transfer.content_length) from None
    except OSError as exc:  # not a write error (those are WriteFailed): an unreadable CA bundle, a socket error
        raise download_network_error(exc, url, transfer.size, transfer.content_length) from None
    if transfer.content_length is not None and transfer.size != transfer.content_length:
        raise AtlasApiError(200, 'DOWNLOAD_TRUNCATED', f'received {transfer.size} of {transfer.content_length} bytes before the '
                            'connection closed cleanly', 'GET', strip_query(url))


class Transfer:
    """Where a (possibly resumed) download stands: bytes written, the announced length, the first bytes, the ETag."""

    def __init__(self) -> None:
        self.size = 0
        self.content_length: int | None = None
        self.first = b''
        self.etag: str | None = None
        self.resumes = 0

    def add(self, chunk: bytes | memoryview) -> None:
        if len(self.first) < FIRST_BYTES:
            self.first += bytes(chunk[:FIRST_BYTES - len(self.first)])
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

    hashlib and zlib release the GIL on large buffers (and the socket reads and file writes of the main thread do too),
    so workers really run in parallel. put() may pass a release callback, called once the function is done with the chunk.
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
            chunk, release = self._queue.get()
            if self._error is None and (chunk is not None or self._end_marker):
                self._call(chunk)
            if release is not None:
                release()
            if chunk is None:
                return

    def _call(self, chunk: t.Any) -> None:
        try:
            self._func(chunk)
        except BaseException as exc:  # pylint: disable=broad-exception-caught
            # Not hidden: finish() hands it to the caller's thread. Meanwhile the queue keeps draining, so put() never blocks.
            self._error = exc

    def put(self, chunk: t.Any, release: t.Callable[[], None] | None = None) -> None:
        self._queue.put((chunk, release))

    def finish(self) -> BaseException | None:
        """Signal the end, wait for the thread, and return the error the function raised, if any."""
        self._queue.put((None, None))
        self._thread.join()
        return self._error


class PooledBuffer:
    """One reusable chunk buffer: `view` is what the socket reads into; `users` release() calls give it back to the pool."""

    def __init__(self, pool: BufferPool, size: int) -> None:
        self.view = memoryview(bytearray(size))
        self.users = 0
        self._pool = pool

    def release(self) -> None:
        self._pool.release(self)


class BufferPool:
    """A fixed set of chunk buffers, handed out by take() and back once every user is done: no allocation per chunk,
    so no malloc/free churn (and none of the page faults that glibc's returning freed memory to the kernel costs).
    take() waits while all are in use, which bounds memory to count * size."""

    def __init__(self, count: int, size: int) -> None:
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        for _number in range(count):
            self._free.put(PooledBuffer(self, size))

    def take(self) -> PooledBuffer:
        return self._free.get()

    def give_back(self, buffer: PooledBuffer) -> None:
        buffer.users = 0
        self._free.put(buffer)

    def release(self, buffer: PooledBuffer) -> None:
        with self._lock:
            buffer.users -= 1
            last = buffer.users == 0
        if last:
            self._free.put(buffer)


def raw_reader(raw: t.Any) -> t.Callable[[memoryview], int]:
    """readinto(view) -> count for the raw (never content-decoded) body of a streamed requests response.

    urllib3's own read()/readinto() allocate a new buffer and copy for every call; the http.client response beneath it
    reads straight into ours (honouring Content-Length and chunked framing). Its errors are turned into urllib3's, as
    urllib3 itself does, so a reset or a timeout still reads as an interrupted download. Anything else (a test double)
    falls back to urllib3's read(decode_content=False).
    """
    fp = getattr(raw, '_fp', None)
    if fp is None or not hasattr(fp, 'readinto'):
        def read_copy(view: memoryview) -> int:
            data = raw.read(len(view), decode_content=False)
            view[:len(data)] = data
            return len(data)
        return read_copy

    def read_direct(view: memoryview) -> int:
        try:
            return fp.readinto(view) or 0
        except socket.timeout as exc:
            raise ReadTimeoutError(t.cast(t.Any, None), '', 'Read timed out.') from exc
        except ssl.SSLError as exc:
            raise Urllib3SSLError(exc) from exc
        except (http.client.HTTPException, OSError) as exc:
            raise ProtocolError(f'Connection broken: {exc!r}', exc) from exc
    return read_direct

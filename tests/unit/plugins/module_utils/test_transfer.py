# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Streaming a signed link: no credentials, raw bytes, hash and observers, errors without the signature, Range resume."""
from __future__ import annotations

import datetime
import errno
import gzip
import hashlib
import io
import os
import re
import threading
import time

import pytest
import requests
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import USER_AGENT
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._disk import WriteFailed
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._transfer import ChunkWorker, Stopped, download
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.module_utils.atlas_http import SNAPSHOTS, client, reset


# ------------------------------------------------------------------ downloads
def keep(seen):
    """An observer that keeps copies: chunks are views of reused buffers, valid only during the call."""
    return lambda chunk: seen.append(None if chunk is None else bytes(chunk))


URL = 'https://storage.test/backup-downloads/j/s.tgz'
SIGNATURE = 'deadbeefcafe0123456789'
SIGNED = URL + f'?X-Amz-Expires=14400&X-Amz-Credential=AKIAEXAMPLE%2F20261122&X-Amz-Signature={SIGNATURE}'


@responses.activate
def test_download_streams_chunks_without_credentials_and_hashes():
    body = b'\x1f\x8b' + bytes(range(256)) * 12
    responses.add(responses.GET, URL, body=body, headers={'Content-Length': str(len(body))})
    sink = io.BytesIO()
    seen = []
    api = client()
    result = download(api, SIGNED, sink, chunk_size=1000, observers=[seen.append])
    assert sink.getvalue() == body
    assert result == {'status': 200, 'size': len(body), 'sha256': hashlib.sha256(body).hexdigest(), 'content_length': len(body),
                      'first_bytes': body[:512], 'resumes': 0}
    assert [len(chunk) for chunk in seen[:-1]] == [1000, 1000, 1000, 74] and seen[-1] is None  # streamed in chunks, not read whole
    sent = responses.calls[0].request
    assert 'Authorization' not in sent.headers and sent.url == SIGNED
    assert sent.headers['User-Agent'] == USER_AGENT and sent.req_kwargs['stream'] is True
    assert len(responses.calls) == 1


@responses.activate
def test_download_never_sends_netrc_credentials(tmp_path, monkeypatch):
    netrc = tmp_path / 'netrc'
    netrc.write_text('machine storage.test login someone password netrc-secret\n')
    monkeypatch.setenv('NETRC', str(netrc))
    responses.add(responses.GET, URL, body=b'\x1f\x8b')
    download(client(), SIGNED, io.BytesIO())
    assert 'Authorization' not in responses.calls[0].request.headers


@responses.activate
def test_download_keeps_the_bytes_of_a_gzip_content_encoding():
    archive = gzip.compress(b'tar bytes' * 100)
    responses.add(responses.GET, URL, body=archive, headers={'Content-Encoding': 'gzip', 'Content-Length': str(len(archive))})
    sink = io.BytesIO()
    result = download(client(), SIGNED, sink)
    assert sink.getvalue() == archive and result['sha256'] == hashlib.sha256(archive).hexdigest()


@responses.activate
def test_download_feeds_observers_every_chunk_then_none():
    body = b'a' * 2500
    responses.add(responses.GET, URL, body=body)
    seen = []
    result = download(client(), SIGNED, io.BytesIO(), chunk_size=1000, observers=[keep(seen)])
    assert seen == [b'a' * 1000, b'a' * 1000, b'a' * 500, None]
    assert result['size'] == 2500


def test_chunks_are_read_only_views_of_a_few_reused_buffers(scripted):
    body = b'\x1f\x8b' + bytes(range(256)) * 4000  # 1,024,002 bytes in 1000 chunks of 1024
    server = scripted(lambda server, conn: conn.sendall(http_head(len(body)) + body))
    buffers = set()
    copies = []

    def observer(chunk):
        if chunk is not None:
            assert isinstance(chunk, memoryview) and chunk.readonly
            buffers.add(id(chunk.obj))
            copies.append(bytes(chunk))

    sink = io.BytesIO()
    result = download(client(), server.url + '/a.tgz?sig=' + SIGNATURE, sink, chunk_size=1024, observers=[observer])
    assert sink.getvalue() == body == b''.join(copies) and result['sha256'] == hashlib.sha256(body).hexdigest()
    assert len(copies) >= 1000 and len(buffers) <= ChunkWorker.QUEUE_CHUNKS + 2  # no allocation per chunk


@responses.activate
def test_download_observer_error_propagates_without_a_deadlock():
    responses.add(responses.GET, URL, body=b'z' * 100)

    def broken(chunk):
        raise RuntimeError('observer bug')

    outcome = []

    def run():
        try:
            download(client(), SIGNED, io.BytesIO(), chunk_size=2, observers=[broken])  # 50 chunks, far more than the queue holds
        except RuntimeError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive() and str(outcome[0]) == 'observer bug'


@responses.activate
@pytest.mark.parametrize('status', [403, 404, 500])
def test_download_http_error_hides_the_signature(status):
    body = (f'<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>denied {SIGNED}</Message>'
            f'<SignatureProvided>{SIGNATURE}</SignatureProvided></Error>')
    responses.add(responses.GET, URL, status=status, body=body)
    with pytest.raises(AtlasApiError) as caught:
        download(client(), SIGNED, io.BytesIO())
    err = caught.value
    assert (err.status, err.error_code, err.method, err.path) == (status, f'DOWNLOAD_HTTP_{status}', 'GET', URL)
    assert 'SignatureDoesNotMatch' in err.detail
    for text in (str(err), repr(err)):
        assert SIGNATURE not in text and 'X-Amz' not in text and 'AKIAEXAMPLE' not in text


@responses.activate
def test_download_connection_errors_and_tls():
    responses.add(responses.GET, URL, body=requests.exceptions.ConnectionError(f'Connection reset while reading {SIGNED}'))
    with pytest.raises(AtlasApiError) as caught:
        download(client(), SIGNED, io.BytesIO())
    assert caught.value.error_code == 'DOWNLOAD_INTERRUPTED' and caught.value.status is None
    assert SIGNATURE not in str(caught.value) and 'X-Amz' not in str(caught.value)
    responses.replace(responses.GET, URL, body=requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))
    with pytest.raises(AtlasApiError) as caught:
        download(client(), SIGNED, io.BytesIO())
    assert caught.value.error_code == 'TLS_ERROR'


@responses.activate
def test_download_shorter_than_content_length_is_truncated():
    responses.add(responses.GET, URL, body=b'abc', headers={'Content-Length': '10'}, auto_calculate_content_length=False)
    with pytest.raises(AtlasApiError) as caught:
        download(client(), SIGNED, io.BytesIO())
    assert caught.value.error_code == 'DOWNLOAD_TRUNCATED' and '3 of 10' in caught.value.detail


def http_head(length):
    return f'HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {length}\r\n\r\n'.encode()


def test_real_download_cut_short_is_truncated(scripted):
    server = scripted(lambda server, conn: conn.sendall(http_head(1000) + b'\x1f\x8b' + b'x' * 298))
    with pytest.raises(AtlasApiError) as caught:
        download(client(retries=0), server.url + '/a.tgz?sig=' + SIGNATURE, io.BytesIO())
    assert caught.value.error_code == 'DOWNLOAD_TRUNCATED'
    assert caught.value.detail == 'received 300 of 1000 bytes before the connection closed cleanly'
    assert SIGNATURE not in str(caught.value) and caught.value.path.endswith('/a.tgz')


@pytest.mark.parametrize('ending', ['stall', 'reset'])
def test_real_download_interrupted_mid_stream(scripted, ending):
    def behaviour(server, conn):
        conn.sendall(http_head(100000) + b'\x1f\x8b' + b'x' * 5000)
        time.sleep(0.1)
        if ending == 'stall':
            server.hang()
        else:
            reset(conn)

    server = scripted(behaviour)
    sink = io.BytesIO()
    with pytest.raises(AtlasApiError) as caught:
        download(client(timeout=0.5, retries=0), server.url + '/a.tgz?sig=' + SIGNATURE, sink, chunk_size=1024)
    assert caught.value.error_code == 'DOWNLOAD_INTERRUPTED' and caught.value.status is None
    assert len(sink.getvalue()) <= 5002 and len(server.requests) == 1  # retries 0: no Range request
    assert caught.value.detail.startswith(f'received {len(sink.getvalue())} of 100000 bytes, then: ')
    assert ending == 'reset' or sink.getvalue()  # what arrived before a stall was written (a reset may discard it)
    assert SIGNATURE not in str(caught.value)


@responses.activate
def test_download_write_failure_is_the_files_problem_not_the_networks():
    responses.add(responses.GET, URL, body=b'abc')

    class FullDisk(io.RawIOBase):
        def write(self, data):
            raise OSError(errno.ENOSPC, 'No space left on device')

    with pytest.raises(WriteFailed) as caught:
        download(client(), SIGNED, FullDisk())
    assert caught.value.error.errno == errno.ENOSPC
    assert len(responses.calls) == 1  # not resumed: the network was fine


def test_unreadable_ca_bundle_is_an_atlas_error_not_a_crash(tmp_path):
    missing = str(tmp_path / 'no-such-ca.pem')
    with pytest.raises(AtlasApiError) as caught:
        client(base_url='https://127.0.0.1:9', ca_path=missing).get(SNAPSHOTS)
    assert caught.value.error_code == 'REQUEST_ERROR' and caught.value.status is None and not caught.value.transient
    assert 'could not send the request' in caught.value.detail and 'CA certificate bundle' in caught.value.detail
    with pytest.raises(AtlasApiError) as caught:
        download(client(ca_path=missing), 'https://127.0.0.1:9/a.tgz?sig=' + SIGNATURE, io.BytesIO())
    assert caught.value.error_code == 'REQUEST_ERROR' and SIGNATURE not in str(caught.value)


# ------------------------------------------------------------------ resumed downloads
BODY = b'\x1f\x8b' + bytes(range(256)) * 400  # 102402 bytes


def range_start(request):
    match = re.search(rb'\r\nRange: bytes=(\d+)-\r\n', request)
    return int(match.group(1)) if match else None


def partial_head(start, total, etag='"v1"'):
    return (f'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{total - 1}/{total}\r\nETag: {etag}\r\n'
            f'Content-Length: {total - start}\r\n\r\n').encode()


def full_head(total, etag='"v1"'):
    return f'HTTP/1.1 200 OK\r\nETag: {etag}\r\nContent-Length: {total}\r\n\r\n'.encode()


@pytest.mark.parametrize('ending', ['reset', 'clean close'])
def test_broken_transfer_resumes_with_range_and_hashes_the_whole_file(scripted, ending):
    cut = 40000
    written = threading.Event()  # the client has written what it can of the first answer: only then does the host break off

    def behaviour(server, conn):
        start = range_start(server.requests[-1])
        if start is None:
            conn.sendall(full_head(len(BODY)) + BODY[:cut])
            written.wait(10)
            if ending == 'reset':
                reset(conn)
        else:
            conn.sendall(partial_head(start, len(BODY)) + BODY[start:])

    received = []

    def progress(chunk):
        received.append(len(chunk or b''))
        if sum(received) >= 8192:
            written.set()

    server = scripted(behaviour)
    sink = io.BytesIO()
    seen = []
    api = client()
    result = download(api, server.url + '/a.tgz?sig=' + SIGNATURE, sink, chunk_size=4096, observers=[keep(seen), progress])
    assert sink.getvalue() == BODY and result['sha256'] == hashlib.sha256(BODY).hexdigest()
    assert b''.join(chunk for chunk in seen if chunk) == BODY and seen[-1] is None  # one continuous stream for the check
    assert result['resumes'] == 1 and len(server.requests) == 2 and api.retries_used == 1
    assert 8192 <= range_start(server.requests[1]) <= cut
    assert b'Authorization' not in server.requests[1]


def test_a_host_that_ignores_range_is_skipped_forward(scripted):
    def behaviour(server, conn):
        if range_start(server.requests[-1]) is None:
            conn.sendall(full_head(len(BODY)) + BODY[:30000])
        else:
            conn.sendall(full_head(len(BODY)) + BODY)  # 200 with the whole object again

    server = scripted(behaviour)
    sink = io.BytesIO()
    result = download(client(), server.url + '/a.tgz?sig=' + SIGNATURE, sink, chunk_size=4096)
    assert sink.getvalue() == BODY and result['resumes'] == 1


def test_a_changed_object_is_not_spliced(scripted):
    def behaviour(server, conn):
        start = range_start(server.requests[-1])
        if start is None:
            conn.sendall(full_head(len(BODY)) + BODY[:30000])
        else:
            conn.sendall(partial_head(start, len(BODY), etag='"v2"') + BODY[start:])

    server = scripted(behaviour)
    with pytest.raises(AtlasApiError) as caught:
        download(client(), server.url + '/a.tgz?sig=' + SIGNATURE, io.BytesIO(), chunk_size=4096)
    assert caught.value.error_code == 'DOWNLOAD_CHANGED'


def test_resumes_are_bounded_by_retries_and_the_last_error_counts_the_bytes(scripted):
    def behaviour(server, conn):
        start = range_start(server.requests[-1]) or 0
        head = partial_head(start, len(BODY)) if start else full_head(len(BODY))
        conn.sendall(head + BODY[start:start + 10000])  # 10000 more bytes each time, then a clean close

    server = scripted(behaviour)
    sink = io.BytesIO()
    with pytest.raises(AtlasApiError) as caught:
        download(client(retries=2), server.url + '/a.tgz?sig=' + SIGNATURE, sink, chunk_size=4096)
    assert len(server.requests) == 3 and len(sink.getvalue()) == 30000
    assert caught.value.error_code == 'DOWNLOAD_TRUNCATED'
    assert caught.value.detail == f'received 30000 of {len(BODY)} bytes before the connection closed cleanly'


def test_no_resume_once_the_link_has_expired_on_atlas_clock(scripted):
    server = scripted(lambda server, conn: conn.sendall(full_head(len(BODY)) + BODY[:30000]))
    api = client()
    api.server_time = datetime.datetime(2026, 11, 22, 16, 0, tzinfo=datetime.timezone.utc)
    expired = datetime.datetime(2026, 11, 22, 15, 0, tzinfo=datetime.timezone.utc)
    with pytest.raises(AtlasApiError) as caught:
        download(api, server.url + '/a.tgz?sig=' + SIGNATURE, io.BytesIO(), chunk_size=4096, link_expires=expired)
    assert caught.value.error_code == 'DOWNLOAD_TRUNCATED' and len(server.requests) == 1


# ------------------------------------------------------------------ every byte written (issue 17 item 7)
class LimitedSink(io.RawIOBase):
    """An unbuffered file stand-in whose write() takes at most `per_call` bytes, and from `full_at` on (total bytes)
    takes only what fits and then raises `error` (a disk that fills up): the shapes of a real short write."""

    def __init__(self, per_call=None, full_at=None, error=errno.ENOSPC):
        super().__init__()
        self.data = bytearray()
        self.per_call = per_call
        self.full_at = full_at
        self.error = error
        self.calls = 0

    def writable(self):
        return True

    def write(self, data):
        self.calls += 1
        take = len(data) if self.per_call is None else min(self.per_call, len(data))
        if self.full_at is not None:
            room = self.full_at - len(self.data)
            if room <= 0:
                raise OSError(self.error, os.strerror(self.error))
            take = min(take, room)
        self.data += bytes(data[:take])
        return take


@responses.activate
def test_download_writes_the_rest_of_a_short_write():
    body = b'\x1f\x8b' + bytes(range(256)) * 40  # 10242 bytes, in chunks of 4096: the last chunk is short-written too
    responses.add(responses.GET, URL, body=body, headers={'Content-Length': str(len(body))})
    sink = LimitedSink(per_call=1000)
    result = download(client(), SIGNED, sink, chunk_size=4096)
    assert bytes(sink.data) == body and result['size'] == len(body)
    assert sink.calls >= 11  # at most 1000 bytes a call: the rest of each chunk was offered again until written whole


@pytest.mark.parametrize('error', [errno.ENOSPC, errno.EFBIG])
@responses.activate
def test_download_fails_when_the_disk_fills_inside_the_last_chunk(error):
    body = b'\x1f\x8b' + bytes(range(256)) * 40
    responses.add(responses.GET, URL, body=body, headers={'Content-Length': str(len(body))})
    sink = LimitedSink(full_at=len(body) - 100, error=error)  # the last write is short, the next one is refused
    with pytest.raises(WriteFailed) as caught:
        download(client(), SIGNED, sink, chunk_size=4096)
    assert caught.value.error.errno == error and len(sink.data) == len(body) - 100
    assert len(responses.calls) == 1


@responses.activate
def test_download_fails_on_a_write_that_takes_nothing():
    responses.add(responses.GET, URL, body=b'\x1f\x8b' + b'x' * 100)
    sink = LimitedSink(per_call=0)
    with pytest.raises(WriteFailed) as caught:
        download(client(), SIGNED, sink)
    assert 'took no more bytes' in str(caught.value) and sink.calls == 1  # no endless loop


@responses.activate
def test_a_set_stop_flag_ends_the_transfer_at_its_next_chunk():
    """The archives of a set are fetched in parallel: when one fails, the others stop at their next chunk."""
    body = b'\x1f\x8b' + bytes(range(256)) * 20
    responses.add(responses.GET, URL, body=body, headers={'Content-Length': str(len(body))})
    stop = threading.Event()

    class StopAfterFirstChunk(io.BytesIO):
        def write(self, data):
            stop.set()  # as another part's failure would, while this chunk is being written
            return super().write(data)

    sink = StopAfterFirstChunk()
    with pytest.raises(Stopped):
        download(client(), SIGNED, sink, chunk_size=1000, stop=stop)
    assert sink.getvalue() == body[:1000]  # the chunk in hand was written whole, no further one was read
    with pytest.raises(Stopped):
        download(client(), SIGNED, io.BytesIO(), chunk_size=1000, stop=stop)  # set before the start: not even a request
    assert len(responses.calls) == 1
    unset = io.BytesIO()
    assert download(client(), SIGNED, unset, chunk_size=1000, stop=threading.Event())['size'] == len(body) and unset.getvalue() == body

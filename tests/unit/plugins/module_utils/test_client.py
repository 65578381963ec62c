# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Atlas client: digest flow and request counts, retry rules, errors, paging, versions, TLS, downloads, secrets.

Most tests use `responses`; failures it cannot fake faithfully (a refused connection, a timeout or a reset after the
request was sent, a body cut short) run against a tiny scripted TCP server on 127.0.0.1.
"""
from __future__ import annotations

import datetime
import email.utils
import errno
import gzip
import hashlib
import io
import json
import re
import socket
import struct
import threading
import time

import pytest
import requests
import responses
from responses import matchers
from urllib3.exceptions import MaxRetryError, NewConnectionError

from ansible_collections.mongodb_atlas.backup.plugins.module_utils import _client
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import (
    BACKUP_VERSION,
    CLUSTER_VERSION,
    FLEX_VERSION,
    USER_AGENT,
    AtlasAmbiguousWriteError,
    AtlasApiError,
    AtlasClient,
    DigestAuth,
    WriteFailed,
    parse_retry_after,
)

BASE = 'https://atlas.test'
GROUP = '/groups/5f1a2b3c4d5e6f7a8b9c0d1e'
SNAPSHOTS = GROUP + '/clusters/Cluster0/backup/snapshots'
V2 = BASE + '/api/atlas/v2'
SECRET = 'private-key-do-not-leak'
REALM = 'MMS Public API'


def client(**kwargs):
    """A client with recorded (not real) sleeps and a fixed jitter of 0.5 (so the delay is 75 % of the step)."""
    sleeps = []
    kwargs.setdefault('base_url', BASE)
    kwargs.setdefault('auth', DigestAuth('public', SECRET))
    kwargs.setdefault('rng', lambda: 0.5)
    made = AtlasClient(sleep=sleeps.append, **kwargs)
    made.sleeps = sleeps
    return made


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


class DigestServer:
    """A responses callback that challenges like Atlas, verifies RFC 2617/7616 MD5 qop=auth digests and tracks nc.

    Nonces can be expired (expire()): an answer with an old nonce gets a stale=true challenge with a fresh one.
    """

    def __init__(self, password=SECRET, body=None):
        self.password = password
        self.body = body if body is not None else {'results': []}
        self.nonce = 'bm9uY2UtMQ=='
        self.expired = set()
        self.seen_nc = []
        self.challenges = []
        self.bodies = []

    def expire(self):
        self.expired.add(self.nonce)
        self.nonce = f'bm9uY2Ut{len(self.expired) + 1}'

    def challenge(self, stale=False):
        self.challenges.append('stale' if stale else 'fresh')
        header = (f'Digest realm="{REALM}", domain="", nonce="{self.nonce}", algorithm=MD5, qop="auth", '
                  f'stale={"true" if stale else "false"}')
        body = {'error': 401, 'errorCode': 'UNEXPECTED_ERROR', 'detail': 'You are not authorized for this resource.', 'reason': 'Unauthorized'}
        return 401, {'WWW-Authenticate': header, 'Content-Type': 'application/json'}, json.dumps(body)

    def __call__(self, request):
        header = request.headers.get('Authorization')
        if not header:
            return self.challenge()
        assert header.startswith('Digest ')
        fields = {key: quoted or bare for key, quoted, bare in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', header[7:])}
        assert fields['realm'] == REALM and fields['qop'] == 'auth' and fields['algorithm'] == 'MD5'
        assert fields['uri'] == request.path_url  # the digest covers the path and query actually requested
        if fields['nonce'] in self.expired:
            return self.challenge(stale=True)
        ha1 = md5(f'{fields["username"]}:{REALM}:{self.password}')
        ha2 = md5(f'{request.method}:{fields["uri"]}')
        expected = md5(f'{ha1}:{fields["nonce"]}:{fields["nc"]}:{fields["cnonce"]}:auth:{ha2}')
        if fields['nonce'] != self.nonce or fields['response'] != expected:
            return self.challenge()
        self.seen_nc.append(int(fields['nc'], 16))
        self.bodies.append(request.body)
        return 200, {'Content-Type': f'application/vnd.atlas.{BACKUP_VERSION}+json'}, json.dumps(self.body)


# ------------------------------------------------------------------ digest
@responses.activate
def test_digest_costs_one_challenge_then_reuses_the_nonce_with_growing_nc():
    server = DigestServer()
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    api = client()
    for _call in range(3):
        assert api.get(SNAPSHOTS) == {'results': []}
    assert len(responses.calls) == 4
    assert server.challenges == ['fresh']
    assert server.seen_nc == [1, 2, 3]
    assert api.request_count == 4


@responses.activate
def test_digest_post_first_keeps_the_body_for_the_answer():
    server = DigestServer(body={'id': 'new'})
    responses.add_callback(responses.POST, V2 + SNAPSHOTS, callback=server)
    api = client()
    assert api.post(SNAPSHOTS, {'description': 'x', 'retentionInDays': 1}) == {'id': 'new'}
    assert server.bodies == [b'{"description": "x", "retentionInDays": 1}']
    assert api.request_count == 2


@responses.activate
def test_stale_nonce_is_answered_again():
    server = DigestServer()
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    api = client()
    api.get(SNAPSHOTS)
    api.get(SNAPSHOTS)
    server.expire()  # the next call's pre-emptive answer carries an expired nonce
    assert api.get(SNAPSHOTS) == {'results': []}
    assert server.challenges == ['fresh', 'stale']
    assert server.seen_nc == [1, 2, 1]  # the fresh nonce starts over at nc=1
    assert api.request_count == 5 and len(responses.calls) == 5
    assert api.get(SNAPSHOTS) == {'results': []} and server.seen_nc[-1] == 2 and api.request_count == 6


@responses.activate
def test_wrong_key_is_a_401_error_without_the_key():
    server = DigestServer(password='the-right-one')
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    api = client(on_retry=pytest.fail)
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert caught.value.status == 401
    assert caught.value.error_code == 'UNEXPECTED_ERROR'
    assert caught.value.detail == 'You are not authorized for this resource.'
    assert len(responses.calls) == 2 and api.sleeps == []  # challenge + one answer, no retry loop
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


@responses.activate
def test_retried_call_reuses_the_nonce():
    server = DigestServer()
    failures = [503]

    def flaky(request):
        status, headers, body = server(request)
        if status == 200 and failures:
            return failures.pop(), {}, ''
        return status, headers, body

    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=flaky)
    api = client()
    assert api.get(SNAPSHOTS) == {'results': []}
    assert server.challenges == ['fresh'] and server.seen_nc == [1, 2]
    assert api.request_count == 3 and api.sleeps == [0.75]


def test_auth_and_client_reprs_hide_the_private_key():
    auth = DigestAuth('public', SECRET)
    assert SECRET not in repr(auth) and 'public' in repr(auth)
    api = client(auth=auth)
    assert SECRET not in repr(api) and SECRET not in str(api) and SECRET not in repr(vars(api))


# ------------------------------------------------------------------ versions and headers
@responses.activate
@pytest.mark.parametrize('version, resource, prefix, media', [
    ('v2', 'backup', '/api/atlas/v2', f'application/vnd.atlas.{BACKUP_VERSION}+json'),
    ('v2', 'tenant', '/api/atlas/v2', 'application/vnd.atlas.2023-01-01+json'),
    ('v2', 'flex', '/api/atlas/v2', f'application/vnd.atlas.{FLEX_VERSION}+json'),
    ('v2', 'cluster', '/api/atlas/v2', f'application/vnd.atlas.{CLUSTER_VERSION}+json'),
    ('v1.0', 'backup', '/api/atlas/v1.0', 'application/json'),
    ('v1.0', 'tenant', '/api/atlas/v1.0', 'application/json'),
    ('v1.0', 'cluster', '/api/atlas/v1.0', 'application/json'),
    ('v1.0', 'flex', '/api/atlas/v2', 'application/vnd.atlas.2024-11-13+json'),  # v1.0 has no flex API
])
def test_base_path_accept_and_content_type_per_version_and_resource(version, resource, prefix, media):
    responses.add(responses.POST, BASE + prefix + SNAPSHOTS, json={'id': 'x'})
    responses.add(responses.GET, BASE + prefix + SNAPSHOTS, json={'id': 'y'})
    api = client(api_version=version)
    assert api.post(SNAPSHOTS, {'a': 1}, resource=resource) == {'id': 'x'}
    assert api.get(SNAPSHOTS, resource=resource) == {'id': 'y'}
    posted, got = responses.calls[0].request, responses.calls[1].request
    assert posted.headers['Accept'] == media and posted.headers['Content-Type'] == media
    assert posted.body == b'{"a": 1}'
    assert got.headers['Accept'] == media and 'Content-Type' not in got.headers


def test_version_constants():
    assert (BACKUP_VERSION, FLEX_VERSION, CLUSTER_VERSION) == ('2023-01-01', '2024-11-13', '2024-08-05')


@responses.activate
def test_user_agent_names_the_collection_and_requests():
    responses.add(responses.GET, V2 + SNAPSHOTS, json={})
    client().get(SNAPSHOTS)
    expected = f'mongodb_atlas.backup/0.2.0 (Ansible collection) python-requests/{requests.__version__}'
    assert USER_AGENT == expected
    assert responses.calls[0].request.headers['User-Agent'] == expected


@pytest.mark.parametrize('kwargs, call', [
    ({'api_version': 'v3'}, None),
    ({}, lambda api: api.get(SNAPSHOTS, resource='serverless')),
    ({}, lambda api: api.get('groups/x')),
    ({}, lambda api: api.get(SNAPSHOTS + '?pageNum=2')),
])
def test_programming_errors_are_value_errors_before_any_request(kwargs, call):
    with pytest.raises(ValueError):
        call(client(**kwargs)) if call else client(**kwargs)


@responses.activate
def test_envelope_is_unwrapped_and_204_is_none():
    responses.add(responses.GET, V2 + SNAPSHOTS + '/a', json={'status': 200, 'content': {'id': 'a', 'status': 'completed'}})
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'status': 200, 'results': [{'id': 'a'}], 'totalCount': 1})
    responses.add(responses.DELETE, V2 + SNAPSHOTS + '/a', status=204)
    api = client()
    assert api.get(SNAPSHOTS + '/a') == {'id': 'a', 'status': 'completed'}
    assert api.get(SNAPSHOTS) == {'results': [{'id': 'a'}], 'totalCount': 1}
    assert api.delete(SNAPSHOTS + '/a') is None


@responses.activate
def test_a_plain_document_with_a_status_field_is_left_alone():
    responses.add(responses.GET, V2 + SNAPSHOTS + '/a', json={'id': 'a', 'status': 'queued'})
    assert client().get(SNAPSHOTS + '/a') == {'id': 'a', 'status': 'queued'}


@responses.activate
def test_enveloped_error_under_http_200_is_an_error():
    responses.add(responses.GET, V2 + SNAPSHOTS + '/a', json={'status': 404, 'content': {'errorCode': 'SNAPSHOT_NOT_FOUND', 'detail': 'No snapshot'}})
    with pytest.raises(AtlasApiError) as caught:
        client().get(SNAPSHOTS + '/a')
    assert (caught.value.status, caught.value.error_code, caught.value.detail) == (404, 'SNAPSHOT_NOT_FOUND', 'No snapshot')


@responses.activate
def test_empty_200_is_none_and_non_json_200_is_an_error():
    responses.add(responses.PATCH, V2 + SNAPSHOTS + '/a', body='')
    responses.add(responses.GET, V2 + SNAPSHOTS, body='<html>Please log in to the proxy</html>')
    responses.add(responses.POST, V2 + SNAPSHOTS, body='<html>Please log in to the proxy</html>')
    api = client()
    assert api.patch(SNAPSHOTS + '/a', {'retentionValue': 3}) is None
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert caught.value.error_code == 'INVALID_RESPONSE' and 'Please log in to the proxy' in caught.value.detail
    assert not isinstance(caught.value, AtlasAmbiguousWriteError)
    with pytest.raises(AtlasAmbiguousWriteError):  # a 2xx to a POST: it was acted on, whatever the body says
        api.post(SNAPSHOTS, {})


@responses.activate
@pytest.mark.parametrize('kwargs, expected', [({}, True), ({'validate_certs': False}, False), ({'ca_path': '/etc/my-ca.pem'}, '/etc/my-ca.pem'),
                                              ({'ca_path': '/etc/my-ca.pem', 'validate_certs': False}, False)])  # validate_certs false wins
def test_tls_options_reach_every_request(kwargs, expected, monkeypatch):
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)  # with verify=True, requests would substitute these bundles
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    responses.add(responses.GET, V2 + SNAPSHOTS, json={})
    responses.add(responses.GET, 'https://storage.test/a.tgz', body=b'x')
    api = client(**kwargs)
    api.get(SNAPSHOTS)
    api.download('https://storage.test/a.tgz', io.BytesIO())
    assert [call.request.req_kwargs['verify'] for call in responses.calls] == [expected, expected]
    assert [call.request.req_kwargs['timeout'] for call in responses.calls] == [30, 30]


def test_ca_path_wins_over_requests_ca_bundle(monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/other.pem')
    captured = {}

    def fake_send(_session, _request, **kwargs):
        captured.update(kwargs)
        raise requests.exceptions.InvalidURL('stop here')

    monkeypatch.setattr(requests.Session, 'send', fake_send)
    with pytest.raises(AtlasApiError) as caught:
        client(ca_path='/etc/my-ca.pem', timeout=7).get(SNAPSHOTS)
    assert captured['verify'] == '/etc/my-ca.pem' and captured['timeout'] == 7
    assert caught.value.error_code == 'REQUEST_ERROR' and not caught.value.transient


@responses.activate
def test_tls_failure_is_not_retried_and_says_what_to_do():
    responses.add(responses.GET, V2 + SNAPSHOTS, body=requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))
    api = client()
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert caught.value.error_code == 'TLS_ERROR' and caught.value.status is None and not caught.value.transient
    assert 'ca_path' in caught.value.detail and 'CERTIFICATE_VERIFY_FAILED' in caught.value.detail
    assert len(responses.calls) == 1 and api.sleeps == []


def test_proxies_come_from_the_standard_environment(monkeypatch):
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.test:3128')
    monkeypatch.setenv('NO_PROXY', 'internal.test')
    api = client()
    assert api.session.trust_env
    settings = api.session.merge_environment_settings(BASE + '/api', {}, None, None, None)
    assert settings['proxies'].get('https') == 'http://proxy.test:3128'
    assert api.session.merge_environment_settings('https://internal.test/api', {}, None, None, None)['proxies'] == {}


@responses.activate
def test_now_is_atlas_time_from_the_date_header():
    responses.add(responses.GET, V2 + SNAPSHOTS, json={}, headers={'Date': 'Sun, 22 Nov 2026 03:00:00 GMT'})
    api = client()
    api.get(SNAPSHOTS)
    assert api.now().isoformat() == '2026-11-22T03:00:00+00:00'


# ------------------------------------------------------------------ retries
@responses.activate
def test_429_waits_at_least_retry_after_and_says_so():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=429, json={'errorCode': 'RATE_LIMITED_TOKEN_BUCKET'}, headers={'Retry-After': '7'})
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    messages = []
    api = client(on_retry=messages.append)
    assert api.get(SNAPSHOTS) == {'ok': 1}
    assert api.sleeps == [7.0]
    assert messages == [f'Retrying GET /api/atlas/v2{SNAPSHOTS} after HTTP 429 RATE_LIMITED_TOKEN_BUCKET in 7.0 s (retry 1 of 5)']


@responses.activate
def test_retry_after_as_an_http_date_is_honoured():
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    responses.add(responses.GET, V2 + SNAPSHOTS, status=503, headers={'Retry-After': when})
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    api = client()
    assert api.get(SNAPSHOTS) == {'ok': 1}
    assert 18 <= api.sleeps[0] <= 20


@responses.activate
def test_short_retry_after_does_not_shorten_the_backoff():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=429, headers={'Retry-After': '0'})
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    api = client(rng=lambda: 1.0)
    api.get(SNAPSHOTS)
    assert api.sleeps == [1.0]


@responses.activate
def test_5xx_get_retried_with_growing_jittered_backoff_and_bounded():
    for _failure in range(3):
        responses.add(responses.GET, V2 + SNAPSHOTS, status=503, body='<html><body><h1>busy</h1></body></html>')
    jitter = iter([0.0, 1.0])
    messages = []
    api = client(retries=2, rng=lambda: next(jitter), on_retry=messages.append)
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert len(responses.calls) == 3  # retries=2: three attempts, then the error
    assert api.sleeps == [0.5, 2.0]  # 1 s * (0.5 + 0/2), 2 s * (0.5 + 1/2)
    assert caught.value.status == 503 and caught.value.detail == 'busy (gave up after 3 attempts (2 retries))'
    assert [m.split(' after ')[0] for m in messages] == [f'Retrying GET /api/atlas/v2{SNAPSHOTS}'] * 2
    assert 'HTTP 503' in messages[0] and '(retry 1 of 2)' in messages[0] and '(retry 2 of 2)' in messages[1]


def test_backoff_doubles_is_jittered_and_capped():
    low = client(rng=lambda: 0.0)
    high = client(rng=lambda: 1.0)
    assert [low.backoff(n, None) for n in range(7)] == [0.5, 1, 2, 4, 8, 16, 30]
    assert [high.backoff(n, None) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert high.backoff(10, 90.0) == 90.0  # Retry-After wins even over the cap
    assert low.backoff(0, 3.0) == 3.0


@responses.activate
def test_retries_zero_means_one_attempt():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=502)
    api = client(retries=0)
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert len(responses.calls) == 1 and api.sleeps == [] and caught.value.status == 502


@responses.activate
@pytest.mark.parametrize('status', [500, 502, 503, 504])
def test_every_transient_status_is_retried_for_get(status):
    responses.add(responses.GET, V2 + SNAPSHOTS, status=status)
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    assert client().get(SNAPSHOTS) == {'ok': 1}
    assert len(responses.calls) == 2


@responses.activate
@pytest.mark.parametrize('method', ['PATCH', 'DELETE'])
@pytest.mark.parametrize('failure', [{'status': 502}, {'status': 500}, {'body': requests.exceptions.ReadTimeout('read timed out')},
                                     {'body': requests.exceptions.ConnectionError(ConnectionResetError(errno.ECONNRESET, 'reset'))}])
def test_patch_and_delete_retry_5xx_and_network_errors(method, failure):
    responses.add(method, V2 + SNAPSHOTS + '/a', **failure)
    responses.add(method, V2 + SNAPSHOTS + '/a', json={'id': 'a'})
    api = client()
    call = api.patch(SNAPSHOTS + '/a', {'x': 1}) if method == 'PATCH' else api.delete(SNAPSHOTS + '/a')
    assert len(responses.calls) == 2 and len(api.sleeps) == 1
    assert call == ({'id': 'a'} if method == 'PATCH' else None)


@responses.activate
def test_post_429_is_retried():
    responses.add(responses.POST, V2 + SNAPSHOTS, status=429, headers={'Retry-After': '1'})
    responses.add(responses.POST, V2 + SNAPSHOTS, json={'id': 'new'})
    api = client()
    assert api.post(SNAPSHOTS, {}) == {'id': 'new'}
    assert len(responses.calls) == 2 and api.sleeps == [1.0]


@responses.activate
def test_post_429_exhausted_is_a_plain_error_saying_so():
    responses.add(responses.POST, V2 + SNAPSHOTS, status=429, json={'errorCode': 'RATE_LIMITED_TOKEN_BUCKET', 'detail': 'slow down'})
    api = client(retries=1)
    with pytest.raises(AtlasApiError) as caught:
        api.post(SNAPSHOTS, {})
    assert type(caught.value) is AtlasApiError  # pylint: disable=unidiomatic-typecheck
    assert caught.value.status == 429 and caught.value.error_code == 'RATE_LIMITED_TOKEN_BUCKET'
    assert caught.value.detail == 'slow down (gave up after 2 attempts (1 retries))'
    assert len(responses.calls) == 2


@responses.activate
@pytest.mark.parametrize('failure', [
    {'status': 503, 'json': {'errorCode': 'UNEXPECTED_ERROR'}},
    {'status': 500},
    {'status': 502},
    {'status': 504},
    {'body': requests.exceptions.ReadTimeout('read timed out')},
    {'body': requests.exceptions.ConnectionError(ConnectionResetError(errno.ECONNRESET, 'Connection reset by peer'))},
    {'body': requests.exceptions.ChunkedEncodingError('Connection broken: IncompleteRead')},
])
def test_ambiguous_post_failure_is_never_retried(failure):
    responses.add(responses.POST, V2 + SNAPSHOTS, **failure)
    responses.add(responses.POST, V2 + SNAPSHOTS, json={'id': 'duplicate'})
    api = client(on_retry=pytest.fail)
    with pytest.raises(AtlasAmbiguousWriteError) as caught:
        api.post(SNAPSHOTS, {})
    assert len(responses.calls) == 1 and api.sleeps == []
    assert caught.value.method == 'POST' and caught.value.path == f'/api/atlas/v2{SNAPSHOTS}'


@responses.activate
@pytest.mark.parametrize('cause', [
    NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused'),
    ConnectionRefusedError(errno.ECONNREFUSED, 'Connection refused'),
])
def test_post_refused_connection_is_retried(cause):
    refused = requests.exceptions.ConnectionError(MaxRetryError(None, BASE + SNAPSHOTS, cause))
    responses.add(responses.POST, V2 + SNAPSHOTS, body=refused)
    responses.add(responses.POST, V2 + SNAPSHOTS, body=requests.exceptions.ConnectTimeout('connect timed out'))
    responses.add(responses.POST, V2 + SNAPSHOTS, json={'id': 'new'})
    api = client()
    assert api.post(SNAPSHOTS, {}) == {'id': 'new'}
    assert len(responses.calls) == 3 and len(api.sleeps) == 2


@responses.activate
@pytest.mark.parametrize('status, code', [(400, 'UNFINISHED_ON_DEMAND_SNAPSHOT'), (401, 'USER_UNAUTHORIZED'), (403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST'),
                                          (404, 'CLUSTER_NOT_FOUND'), (409, 'CANNOT_DOWNLOAD_INCOMPLETE_SNAPSHOT'), (406, None)])
@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_client_errors_are_not_retried_and_not_ambiguous(status, code, method):
    responses.add(method, V2 + SNAPSHOTS, status=status, json={'errorCode': code, 'detail': 'no'} if code else {})
    api = client()
    with pytest.raises(AtlasApiError) as caught:
        api.request(method, SNAPSHOTS, body={} if method == 'POST' else None)
    assert type(caught.value) is AtlasApiError  # pylint: disable=unidiomatic-typecheck
    assert caught.value.status == status and caught.value.error_code == code and not caught.value.transient
    assert len(responses.calls) == 1 and api.sleeps == []


# ------------------------------------------------------------------ real sockets: what responses cannot fake
class ScriptedServer:
    """A TCP server on 127.0.0.1 that runs behaviour(conn, request_bytes) for each connection and counts requests."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.requests = []
        self.stop = threading.Event()
        self.listener = socket.socket()
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(8)
        self.listener.settimeout(0.1)
        self.url = f'http://127.0.0.1:{self.listener.getsockname()[1]}'
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _addr = self.listener.accept()
            except socket.timeout:
                continue
            # one thread per connection: a hanging answer must not hold up the client's next attempt
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        with conn:
            conn.settimeout(5)
            request = self._read_request(conn)
            if request:
                self.requests.append(request)
                self.behaviour(self, conn)

    @staticmethod
    def _read_request(conn):
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _sep, body = data.partition(b'\r\n\r\n')
        length = re.search(rb'(?i)content-length: *(\d+)', head)
        while length and len(body) < int(length.group(1)):
            body += conn.recv(65536)
        return head + b'\r\n\r\n' + body

    def hang(self):
        self.stop.wait(5)

    def close(self):
        self.stop.set()
        self.thread.join()
        self.listener.close()


@pytest.fixture
def scripted(monkeypatch):
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('NO_PROXY', '127.0.0.1,localhost')
    servers = []

    def start(behaviour):
        servers.append(ScriptedServer(behaviour))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def reset(conn):
    """Close with RST instead of FIN (SO_LINGER 0): the peer sees 'connection reset'."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))


def free_port_url():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    return f'http://127.0.0.1:{port}'  # nothing listens there any more: connection refused


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_real_connection_refused_is_retried_even_for_post(scripted, method):
    scripted(lambda server, conn: None)  # clears proxies for the test; the refused port is another one
    messages = []
    api = client(base_url=free_port_url(), auth=None, retries=2, on_retry=messages.append)
    with pytest.raises(AtlasApiError) as caught:
        api.request(method, SNAPSHOTS, body={} if method == 'POST' else None)
    assert type(caught.value) is AtlasApiError  # pylint: disable=unidiomatic-typecheck
    assert caught.value.status is None and caught.value.error_code is None and caught.value.transient
    assert caught.value.detail == 'connection refused (nothing listens at that address and port) (gave up after 3 attempts (2 retries))'
    assert len(api.sleeps) == 2 and len(messages) == 2 and f'Retrying {method} /api/atlas/v2{SNAPSHOTS} after ' in messages[0]


def test_real_post_read_timeout_is_ambiguous_and_sent_once(scripted):
    server = scripted(lambda server, conn: server.hang())
    api = client(base_url=server.url, auth=None, timeout=0.3)
    with pytest.raises(AtlasAmbiguousWriteError) as caught:
        api.post(SNAPSHOTS, {'description': 'x'})
    assert caught.value.status is None and caught.value.detail == 'no answer after 0.3 s (read timeout)'
    assert len(server.requests) == 1 and api.sleeps == []
    assert server.requests[0].endswith(b'{"description": "x"}')


def test_real_post_reset_after_sending_is_ambiguous_and_sent_once(scripted):
    server = scripted(lambda server, conn: reset(conn))
    api = client(base_url=server.url, auth=None)
    with pytest.raises(AtlasAmbiguousWriteError):
        api.post(SNAPSHOTS, {})
    assert len(server.requests) == 1 and api.sleeps == []


def test_real_post_closed_without_answer_is_ambiguous(scripted):
    server = scripted(lambda server, conn: None)  # reads the request, then closes cleanly: RemoteDisconnected
    api = client(base_url=server.url, auth=None)
    with pytest.raises(AtlasAmbiguousWriteError):
        api.post(SNAPSHOTS, {})
    assert len(server.requests) == 1


def test_real_get_read_timeout_and_reset_are_retried(scripted):
    server = scripted(lambda server, conn: server.hang() if len(server.requests) == 1 else reset(conn))
    api = client(base_url=server.url, auth=None, timeout=0.3, retries=2)
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert len(server.requests) == 3 and len(api.sleeps) == 2 and caught.value.transient


def test_retry_after_forms():
    assert parse_retry_after('12') == 12.0
    assert parse_retry_after('1.5') == 1.5
    assert parse_retry_after(None) is None
    assert parse_retry_after('') is None
    assert parse_retry_after('Wed, 21 Oct 2015 07:28:00 GMT') == 0.0
    assert parse_retry_after('soon') is None
    assert parse_retry_after('-3') == 0.0


# ------------------------------------------------------------------ errors
@responses.activate
def test_error_from_an_atlas_json_body():
    body = {'error': 404, 'errorCode': 'CLUSTER_NOT_FOUND', 'reason': 'Not Found', 'parameters': ['X', '5f1a2b3c4d5e6f7a8b9c0d1e'],
            'detail': 'No cluster named X exists in group 5f1a2b3c4d5e6f7a8b9c0d1e.'}
    responses.add(responses.GET, V2 + GROUP + '/clusters/X', status=404, json=body, headers={'X-Error-Code': 'CLUSTER_NOT_FOUND'})
    with pytest.raises(AtlasApiError) as caught:
        client().get(GROUP + '/clusters/X', params={'pretty': 'true'}, resource='cluster')
    err = caught.value
    assert (err.status, err.error_code, err.method, err.path) == (404, 'CLUSTER_NOT_FOUND', 'GET', f'/api/atlas/v2{GROUP}/clusters/X')
    assert err.parameters == ['X', '5f1a2b3c4d5e6f7a8b9c0d1e'] and err.retry_after is None
    assert str(err) == f'GET /api/atlas/v2{GROUP}/clusters/X: HTTP 404 CLUSTER_NOT_FOUND: No cluster named X exists in group 5f1a2b3c4d5e6f7a8b9c0d1e.'
    assert 'pretty' not in str(err)  # the path only, never the query


@responses.activate
def test_reason_is_the_detail_when_there_is_no_detail():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=400, json={'error': 400, 'reason': 'Bad Request', 'errorCode': 'INVALID_ATTRIBUTE'})
    with pytest.raises(AtlasApiError) as caught:
        client().get(SNAPSHOTS)
    assert caught.value.detail == 'Bad Request'


@responses.activate
def test_error_code_from_header_when_body_is_not_json():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=400, body='oops', headers={'X-Error-Code': 'INVALID_ATTRIBUTE'})
    with pytest.raises(AtlasApiError) as caught:
        client().get(SNAPSHOTS)
    assert caught.value.error_code == 'INVALID_ATTRIBUTE'
    assert str(caught.value) == f'GET /api/atlas/v2{SNAPSHOTS}: HTTP 400 INVALID_ATTRIBUTE: oops'


@responses.activate
def test_html_error_body_is_cleaned_shortened_and_loses_query_strings():
    page = ('<html><head><title>502 Bad Gateway</title></head><body><h1>Bad   Gateway</h1>'
            '<a href="https://gw.test/retry?token=abc123secret&amp;x=1">retry</a> see https://gw.test/p?sig=zzz999 ' + 'x' * 400 + '</body></html>')
    responses.add(responses.DELETE, V2 + SNAPSHOTS + '/a', status=502, body=page, content_type='text/html')
    with pytest.raises(AtlasApiError) as caught:
        client(retries=0).delete(SNAPSHOTS + '/a')
    detail = caught.value.detail.split(' (not retried')[0]
    assert detail.startswith('502 Bad Gateway Bad Gateway retry see https://gw.test/p ')
    assert len(detail) == 200 and caught.value.error_code is None
    assert 'abc123secret' not in str(caught.value) and 'zzz999' not in str(caught.value)


@responses.activate
def test_empty_error_body_uses_the_http_reason():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=403, body='')
    with pytest.raises(AtlasApiError) as caught:
        client().get(SNAPSHOTS)
    assert caught.value.status == 403 and caught.value.detail == 'Forbidden' and caught.value.error_code is None


@responses.activate
def test_retry_after_is_kept_on_the_error():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=429, json={'errorCode': 'RATE_LIMITED'}, headers={'Retry-After': '4'})
    with pytest.raises(AtlasApiError) as caught:
        client(retries=0).get(SNAPSHOTS)
    assert caught.value.retry_after == 4.0 and caught.value.transient


def test_error_attributes_and_transient_rule():
    assert AtlasApiError(None, None, 'reset', 'GET', '/p').transient
    assert not AtlasApiError(None, 'TLS_ERROR', 'x', 'GET', '/p').transient
    assert AtlasApiError(429, 'RATE_LIMITED', 'x', 'GET', '/p').transient
    assert not AtlasApiError(404, 'SNAPSHOT_NOT_FOUND', 'x', 'GET', '/p').transient
    err = AtlasApiError(503, None, 'busy', 'POST', '/p', ['a'], 2.0)
    ambiguous = err.rebuilt(AtlasAmbiguousWriteError)
    assert isinstance(ambiguous, AtlasApiError) and str(ambiguous) == str(err) == 'POST /p: HTTP 503: busy'
    assert (ambiguous.parameters, ambiguous.retry_after) == (['a'], 2.0)
    assert str(AtlasApiError(None, None, 'ConnectionError: refused', 'GET', '/p')) == 'GET /p: no response: ConnectionError: refused'


@responses.activate
def test_no_secret_in_any_error_text():
    """Errors from every path: the private key and signed queries never show, in str(), repr() or args."""
    errors = []
    server = DigestServer(password='other')
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    responses.add(responses.POST, V2 + SNAPSHOTS, body=requests.exceptions.ConnectionError(
        f'HTTPSConnectionPool(host=atlas.test): Max retries exceeded with url: /x?pageNum=1&secret={SECRET}'))
    responses.add(responses.PATCH, V2 + SNAPSHOTS, status=400, body=f'<p>bad {BASE}/x?key={SECRET}</p>')
    api = client()
    for call in (lambda: api.get(SNAPSHOTS), lambda: api.post(SNAPSHOTS, {}), lambda: api.patch(SNAPSHOTS, {})):
        with pytest.raises(AtlasApiError) as caught:
            call()
        errors.append(caught.value)
    for err in errors:
        for text in (str(err), repr(err), repr(err.args), repr(vars(err))):
            assert SECRET not in text


# ------------------------------------------------------------------ paging
def page(number, count, more):
    links = [{'rel': 'self', 'href': 'x'}] + ([{'rel': 'next', 'href': 'y'}] if more else [])
    return {'results': [{'id': f'{number}-{i}'} for i in range(count)], 'links': links, 'totalCount': 1012}


@responses.activate
def test_list_all_reads_every_page():
    for number, (count, more) in enumerate(((500, True), (500, True), (12, False)), start=1):
        responses.add(responses.GET, V2 + SNAPSHOTS, json=page(number, count, more),
                      match=[matchers.query_param_matcher({'itemsPerPage': '500', 'pageNum': str(number), 'includeCount': 'false'})])
    items = client().list_all(SNAPSHOTS)
    assert len(items) == 1012 and items[0] == {'id': '1-0'} and items[-1] == {'id': '3-11'}
    assert len(responses.calls) == 3


@responses.activate
def test_list_all_keeps_caller_params_and_owns_the_paging_ones():
    responses.add(responses.GET, BASE + '/api/atlas/v2' + GROUP + '/flexClusters/F/backup/snapshots', json=page(1, 2, False),
                  match=[matchers.query_param_matcher({'itemsPerPage': '500', 'pageNum': '1', 'includeCount': 'false', 'status': 'COMPLETED'})])
    api = client(api_version='v1.0')
    assert len(api.list_all(GROUP + '/flexClusters/F/backup/snapshots', resource='flex', params={'status': 'COMPLETED', 'pageNum': 9})) == 2
    assert responses.calls[0].request.headers['Accept'] == f'application/vnd.atlas.{FLEX_VERSION}+json'


@responses.activate
def test_list_all_stops_on_a_short_page():
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'results': [{'id': 1}], 'links': [{'rel': 'next', 'href': 'y'}]})
    assert client().list_all(SNAPSHOTS) == [{'id': 1}]
    assert len(responses.calls) == 1


@responses.activate
def test_list_all_stops_without_a_next_link():
    responses.add(responses.GET, V2 + SNAPSHOTS, json=page(1, 500, False))
    assert len(client().list_all(SNAPSHOTS)) == 500
    assert len(responses.calls) == 1


@responses.activate
def test_list_all_empty_and_enveloped():
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'status': 200, 'results': [], 'links': []})
    assert client().list_all(SNAPSHOTS) == []


@responses.activate
def test_list_all_has_a_hard_page_cap(monkeypatch):
    monkeypatch.setattr(_client, 'MAX_PAGES', 3)
    responses.add(responses.GET, V2 + SNAPSHOTS, json=page(1, 500, True))  # a server that ignores pageNum
    with pytest.raises(AtlasApiError) as caught:
        client().list_all(SNAPSHOTS)
    assert caught.value.error_code == 'TOO_MANY_PAGES' and len(responses.calls) == 3


# ------------------------------------------------------------------ downloads
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
    result = api.download(SIGNED, sink, chunk_size=1000, progress=lambda done, total: seen.append((done, total)))
    assert sink.getvalue() == body
    assert result == {'status': 200, 'size': len(body), 'sha256': hashlib.sha256(body).hexdigest(), 'content_length': len(body),
                      'first_bytes': body[:512], 'resumes': 0}
    assert seen == [(1000, 3074), (2000, 3074), (3000, 3074), (3074, 3074)]  # streamed in chunks, not read whole
    sent = responses.calls[0].request
    assert 'Authorization' not in sent.headers and sent.url == SIGNED
    assert sent.headers['User-Agent'] == USER_AGENT and sent.req_kwargs['stream'] is True
    assert api.request_count == 1


@responses.activate
def test_download_never_sends_netrc_credentials(tmp_path, monkeypatch):
    netrc = tmp_path / 'netrc'
    netrc.write_text('machine storage.test login someone password netrc-secret\n')
    monkeypatch.setenv('NETRC', str(netrc))
    responses.add(responses.GET, URL, body=b'\x1f\x8b')
    client().download(SIGNED, io.BytesIO())
    assert 'Authorization' not in responses.calls[0].request.headers


@responses.activate
def test_download_keeps_the_bytes_of_a_gzip_content_encoding():
    archive = gzip.compress(b'tar bytes' * 100)
    responses.add(responses.GET, URL, body=archive, headers={'Content-Encoding': 'gzip', 'Content-Length': str(len(archive))})
    sink = io.BytesIO()
    result = client().download(SIGNED, sink)
    assert sink.getvalue() == archive and result['sha256'] == hashlib.sha256(archive).hexdigest()


@responses.activate
def test_download_feeds_observers_every_chunk_then_none():
    body = b'a' * 2500
    responses.add(responses.GET, URL, body=body)
    seen = []
    result = client().download(SIGNED, io.BytesIO(), chunk_size=1000, observers=[seen.append])
    assert seen == [b'a' * 1000, b'a' * 1000, b'a' * 500, None]
    assert result['size'] == 2500


@responses.activate
def test_download_observer_error_propagates_without_a_deadlock():
    responses.add(responses.GET, URL, body=b'z' * 100)

    def broken(chunk):
        raise RuntimeError('observer bug')

    outcome = []

    def run():
        try:
            client().download(SIGNED, io.BytesIO(), chunk_size=2, observers=[broken])  # 50 chunks, far more than the queue holds
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
        client().download(SIGNED, io.BytesIO())
    err = caught.value
    assert (err.status, err.error_code, err.method, err.path) == (status, f'DOWNLOAD_HTTP_{status}', 'GET', URL)
    assert 'SignatureDoesNotMatch' in err.detail
    for text in (str(err), repr(err)):
        assert SIGNATURE not in text and 'X-Amz' not in text and 'AKIAEXAMPLE' not in text


@responses.activate
def test_download_connection_errors_and_tls():
    responses.add(responses.GET, URL, body=requests.exceptions.ConnectionError(f'Connection reset while reading {SIGNED}'))
    with pytest.raises(AtlasApiError) as caught:
        client().download(SIGNED, io.BytesIO())
    assert caught.value.error_code == 'DOWNLOAD_INTERRUPTED' and caught.value.status is None
    assert SIGNATURE not in str(caught.value) and 'X-Amz' not in str(caught.value)
    responses.replace(responses.GET, URL, body=requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))
    with pytest.raises(AtlasApiError) as caught:
        client().download(SIGNED, io.BytesIO())
    assert caught.value.error_code == 'TLS_ERROR'


@responses.activate
def test_download_shorter_than_content_length_is_truncated():
    responses.add(responses.GET, URL, body=b'abc', headers={'Content-Length': '10'}, auto_calculate_content_length=False)
    with pytest.raises(AtlasApiError) as caught:
        client().download(SIGNED, io.BytesIO())
    assert caught.value.error_code == 'DOWNLOAD_TRUNCATED' and '3 of 10' in caught.value.detail


def http_head(length):
    return f'HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {length}\r\n\r\n'.encode()


def test_real_download_cut_short_is_truncated(scripted):
    server = scripted(lambda server, conn: conn.sendall(http_head(1000) + b'\x1f\x8b' + b'x' * 298))
    with pytest.raises(AtlasApiError) as caught:
        client(retries=0).download(server.url + '/a.tgz?sig=' + SIGNATURE, io.BytesIO())
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
        client(timeout=0.5, retries=0).download(server.url + '/a.tgz?sig=' + SIGNATURE, sink, chunk_size=1024)
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
        client().download(SIGNED, FullDisk())
    assert caught.value.error.errno == errno.ENOSPC
    assert len(responses.calls) == 1  # not resumed: the network was fine


def test_unreadable_ca_bundle_is_an_atlas_error_not_a_crash(tmp_path):
    missing = str(tmp_path / 'no-such-ca.pem')
    with pytest.raises(AtlasApiError) as caught:
        client(base_url='https://127.0.0.1:9', ca_path=missing).get(SNAPSHOTS)
    assert caught.value.error_code == 'REQUEST_ERROR' and caught.value.status is None and not caught.value.transient
    assert 'could not send the request' in caught.value.detail and 'CA certificate bundle' in caught.value.detail
    with pytest.raises(AtlasApiError) as caught:
        client(ca_path=missing).download('https://127.0.0.1:9/a.tgz?sig=' + SIGNATURE, io.BytesIO())
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

    def progress(done, _total):
        if done >= 8192:
            written.set()

    server = scripted(behaviour)
    sink = io.BytesIO()
    seen = []
    api = client()
    result = api.download(server.url + '/a.tgz?sig=' + SIGNATURE, sink, chunk_size=4096, observers=[seen.append], progress=progress)
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
    result = client().download(server.url + '/a.tgz?sig=' + SIGNATURE, sink, chunk_size=4096)
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
        client().download(server.url + '/a.tgz?sig=' + SIGNATURE, io.BytesIO(), chunk_size=4096)
    assert caught.value.error_code == 'DOWNLOAD_CHANGED'


def test_resumes_are_bounded_by_retries_and_the_last_error_counts_the_bytes(scripted):
    def behaviour(server, conn):
        start = range_start(server.requests[-1]) or 0
        head = partial_head(start, len(BODY)) if start else full_head(len(BODY))
        conn.sendall(head + BODY[start:start + 10000])  # 10000 more bytes each time, then a clean close

    server = scripted(behaviour)
    sink = io.BytesIO()
    with pytest.raises(AtlasApiError) as caught:
        client(retries=2).download(server.url + '/a.tgz?sig=' + SIGNATURE, sink, chunk_size=4096)
    assert len(server.requests) == 3 and len(sink.getvalue()) == 30000
    assert caught.value.error_code == 'DOWNLOAD_TRUNCATED'
    assert caught.value.detail == f'received 30000 of {len(BODY)} bytes before the connection closed cleanly'


def test_no_resume_once_the_link_has_expired_on_atlas_clock(scripted):
    server = scripted(lambda server, conn: conn.sendall(full_head(len(BODY)) + BODY[:30000]))
    api = client()
    api.server_time = datetime.datetime(2026, 11, 22, 16, 0, tzinfo=datetime.timezone.utc)
    expired = datetime.datetime(2026, 11, 22, 15, 0, tzinfo=datetime.timezone.utc)
    with pytest.raises(AtlasApiError) as caught:
        api.download(server.url + '/a.tgz?sig=' + SIGNATURE, io.BytesIO(), chunk_size=4096, link_expires=expired)
    assert caught.value.error_code == 'DOWNLOAD_TRUNCATED' and len(server.requests) == 1

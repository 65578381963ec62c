# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Atlas client: digest flow and request counts, retry rules, errors, paging, versions, TLS, downloads, secrets."""
from __future__ import annotations

import errno
import hashlib
import io
import re

import pytest
import requests
import responses
from responses import matchers

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import (
    AtlasAmbiguousWriteError, AtlasApiError, AtlasClient, DigestAuth, parse_retry_after,
)

BASE = 'https://atlas.test'
GROUP = '/groups/5f1a2b3c4d5e6f7a8b9c0d1e'
SNAPSHOTS = GROUP + '/clusters/Cluster0/backup/snapshots'
V2 = BASE + '/api/atlas/v2'
SECRET = 'private-key-do-not-leak'


def client(**kwargs):
    sleeps = []
    kwargs.setdefault('auth', DigestAuth('public', SECRET))
    made = AtlasClient(base_url=BASE, sleep=sleeps.append, rng=lambda: 0.5, **kwargs)
    made.sleeps = sleeps
    return made


class DigestServer:
    """A responses callback that challenges, then verifies RFC 2617/7616 MD5 qop=auth digests and tracks nc."""

    def __init__(self, password=SECRET, body=None):
        self.password = password
        self.body = body if body is not None else {'results': []}
        self.nonce = 'bm9uY2UtMQ=='
        self.seen_nc = []
        self.challenges = 0

    def challenge(self, stale=False):
        self.challenges += 1
        return (401, {'WWW-Authenticate': f'Digest realm="MMS Public API", domain="", nonce="{self.nonce}", algorithm=MD5, qop="auth", '
                                          f'stale={"true" if stale else "false"}', 'Content-Type': 'application/json'},
                '{"error":401,"errorCode":"UNEXPECTED_ERROR","detail":"You are not authorized for this resource.","reason":"Unauthorized"}')

    def __call__(self, request):
        header = request.headers.get('Authorization')
        if not header:
            return self.challenge()
        params = dict(re.findall(r'(\w+)="?([^",]+)"?', header[7:]))
        ha1 = hashlib.md5(f'{params["username"]}:MMS Public API:{self.password}'.encode()).hexdigest()
        ha2 = hashlib.md5(f'{request.method}:{params["uri"]}'.encode()).hexdigest()
        expected = hashlib.md5(f'{ha1}:{params["nonce"]}:{params["nc"]}:{params["cnonce"]}:auth:{ha2}'.encode()).hexdigest()
        if params['nonce'] != self.nonce or params['response'] != expected:
            return self.challenge()
        self.seen_nc.append(int(params['nc'], 16))
        return (200, {'Content-Type': 'application/vnd.atlas.2023-01-01+json'}, __import__('json').dumps(self.body))


# ------------------------------------------------------------------ digest
@responses.activate
def test_digest_costs_one_challenge_then_reuses_the_nonce():
    server = DigestServer()
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    api = client()
    for _call in range(3):
        assert api.get(SNAPSHOTS) == {'results': []}
    assert len(responses.calls) == 4
    assert server.challenges == 1
    assert server.seen_nc == [1, 2, 3]
    assert api.request_count == 4


@responses.activate
def test_stale_nonce_is_answered_again():
    server = DigestServer()
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    api = client()
    api.get(SNAPSHOTS)
    server.nonce = 'bmV3LW5vbmNl'  # the old nonce expired: next call gets a stale=true challenge
    assert api.get(SNAPSHOTS) == {'results': []}
    assert server.challenges == 2


@responses.activate
def test_wrong_key_is_a_401_error_without_the_key():
    server = DigestServer(password='the-right-one')
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    with pytest.raises(AtlasApiError) as caught:
        client().get(SNAPSHOTS)
    assert caught.value.status == 401
    assert caught.value.error_code == 'UNEXPECTED_ERROR'
    assert len(responses.calls) == 2  # challenge + one answer, no retry loop
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


def test_auth_and_client_reprs_hide_the_private_key():
    auth = DigestAuth('public', SECRET)
    assert SECRET not in repr(auth)
    api = client(auth=auth)
    assert SECRET not in repr(api) and SECRET not in repr(vars(api))


# ------------------------------------------------------------------ versions and headers
@responses.activate
@pytest.mark.parametrize('version, resource, prefix, accept', [
    ('v2', 'backup', '/api/atlas/v2', 'application/vnd.atlas.2023-01-01+json'),
    ('v2', 'tenant', '/api/atlas/v2', 'application/vnd.atlas.2023-01-01+json'),
    ('v2', 'flex', '/api/atlas/v2', 'application/vnd.atlas.2024-11-13+json'),
    ('v2', 'cluster', '/api/atlas/v2', 'application/vnd.atlas.2024-08-05+json'),
    ('v1.0', 'backup', '/api/atlas/v1.0', 'application/json'),
    ('v1.0', 'tenant', '/api/atlas/v1.0', 'application/json'),
    ('v1.0', 'cluster', '/api/atlas/v1.0', 'application/json'),
    ('v1.0', 'flex', '/api/atlas/v2', 'application/vnd.atlas.2024-11-13+json'),
])
def test_base_path_and_accept_per_version_and_resource(version, resource, prefix, accept):
    responses.add(responses.POST, BASE + prefix + SNAPSHOTS, json={'id': 'x'})
    assert client(api_version=version).post(SNAPSHOTS, {'a': 1}, resource=resource) == {'id': 'x'}
    sent = responses.calls[0].request
    assert sent.headers['Accept'] == accept
    assert sent.headers['Content-Type'] == accept
    assert sent.body == b'{"a": 1}'
    assert sent.headers['User-Agent'].startswith('mongodb_atlas.backup/0.1.0 ')


@responses.activate
def test_envelope_is_unwrapped_and_204_is_none():
    responses.add(responses.GET, V2 + SNAPSHOTS + '/a', json={'status': 200, 'content': {'id': 'a'}})
    responses.add(responses.DELETE, V2 + SNAPSHOTS + '/a', status=204)
    api = client()
    assert api.get(SNAPSHOTS + '/a') == {'id': 'a'}
    assert api.delete(SNAPSHOTS + '/a') is None


@responses.activate
@pytest.mark.parametrize('kwargs, expected', [({}, True), ({'validate_certs': False}, False), ({'ca_path': '/etc/my-ca.pem'}, '/etc/my-ca.pem')])
def test_tls_options_reach_every_request(kwargs, expected, monkeypatch):
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)  # with verify=True, requests would substitute these bundles
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    responses.add(responses.GET, V2 + SNAPSHOTS, json={})
    client(**kwargs).get(SNAPSHOTS)
    assert responses.calls[0].request.req_kwargs['verify'] == expected


@responses.activate
def test_tls_failure_is_not_retried_and_says_what_to_do():
    responses.add(responses.GET, V2 + SNAPSHOTS, body=requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))
    api = client()
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert caught.value.error_code == 'TLS_ERROR'
    assert 'ca_path' in caught.value.detail and 'CERTIFICATE_VERIFY_FAILED' in caught.value.detail
    assert len(responses.calls) == 1 and api.sleeps == []


# ------------------------------------------------------------------ retries
@responses.activate
def test_429_waits_at_least_retry_after():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=429, json={'errorCode': 'RATE_LIMITED_TOKEN_BUCKET'}, headers={'Retry-After': '7'})
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    messages = []
    api = client(on_retry=messages.append)
    assert api.get(SNAPSHOTS) == {'ok': 1}
    assert api.sleeps == [7.0]
    assert messages == [f'Retrying GET /api/atlas/v2{SNAPSHOTS} after HTTP 429 RATE_LIMITED_TOKEN_BUCKET in 7.0 s (attempt 1 of 5)']


@responses.activate
def test_5xx_get_retried_with_growing_jittered_backoff_and_bounded():
    for _failure in range(3):
        responses.add(responses.GET, V2 + SNAPSHOTS, status=503, body='<html>busy</html>')
    api = client(retries=2)
    api.rng = iter([0.0, 1.0]).__next__
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert len(responses.calls) == 3
    assert api.sleeps == [0.5, 2.0]  # 1 s * (0.5 + 0/2), 2 s * (0.5 + 1/2)
    assert caught.value.status == 503 and caught.value.detail == 'busy'


@responses.activate
@pytest.mark.parametrize('method', ['PATCH', 'DELETE'])
def test_patch_and_delete_retry_5xx(method):
    responses.add(method, V2 + SNAPSHOTS + '/a', status=502)
    responses.add(method, V2 + SNAPSHOTS + '/a', json={'id': 'a'})
    api = client()
    call = api.patch(SNAPSHOTS + '/a', {'x': 1}) if method == 'PATCH' else api.delete(SNAPSHOTS + '/a')
    assert len(responses.calls) == 2
    assert call in ({'id': 'a'}, None)


@responses.activate
def test_post_429_is_retried():
    responses.add(responses.POST, V2 + SNAPSHOTS, status=429, headers={'Retry-After': '1'})
    responses.add(responses.POST, V2 + SNAPSHOTS, json={'id': 'new'})
    assert client().post(SNAPSHOTS, {}) == {'id': 'new'}
    assert len(responses.calls) == 2


@responses.activate
@pytest.mark.parametrize('failure', [
    {'status': 503, 'json': {'errorCode': 'UNEXPECTED_ERROR'}},
    {'status': 500},
    {'body': requests.exceptions.ReadTimeout('read timed out')},
    {'body': requests.exceptions.ConnectionError(ConnectionResetError(errno.ECONNRESET, 'Connection reset by peer'))},
])
def test_ambiguous_post_failure_is_never_retried(failure):
    responses.add(responses.POST, V2 + SNAPSHOTS, **failure)
    responses.add(responses.POST, V2 + SNAPSHOTS, json={'id': 'duplicate'})
    api = client()
    with pytest.raises(AtlasAmbiguousWriteError):
        api.post(SNAPSHOTS, {})
    assert len(responses.calls) == 1 and api.sleeps == []


@responses.activate
def test_post_refused_connection_is_retried():
    refused = requests.exceptions.ConnectionError("HTTPSConnectionPool: Max retries exceeded (Caused by NewConnectionError('Connection refused'))")
    responses.add(responses.POST, V2 + SNAPSHOTS, body=refused)
    responses.add(responses.POST, V2 + SNAPSHOTS, json={'id': 'new'})
    assert client().post(SNAPSHOTS, {}) == {'id': 'new'}
    assert len(responses.calls) == 2


@responses.activate
def test_400_and_404_are_not_retried():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=404, json={'errorCode': 'CLUSTER_NOT_FOUND', 'detail': 'No cluster named Cluster0.'})
    api = client()
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert caught.value.error_code == 'CLUSTER_NOT_FOUND' and caught.value.detail == 'No cluster named Cluster0.'
    assert len(responses.calls) == 1


@responses.activate
def test_429_exhausted_says_so():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=429, json={'errorCode': 'RATE_LIMITED_TOKEN_BUCKET', 'detail': 'slow down'})
    api = client(retries=1)
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert caught.value.status == 429 and 'gave up after 2 attempts' in caught.value.detail


def test_retry_after_forms():
    assert parse_retry_after('12') == 12.0
    assert parse_retry_after(None) is None
    assert parse_retry_after('Wed, 21 Oct 2015 07:28:00 GMT') == 0.0
    assert parse_retry_after('soon') is None


# ------------------------------------------------------------------ errors
@responses.activate
def test_error_code_from_header_when_body_is_not_json():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=400, body='oops', headers={'X-Error-Code': 'INVALID_ATTRIBUTE'})
    with pytest.raises(AtlasApiError) as caught:
        client().get(SNAPSHOTS)
    assert caught.value.error_code == 'INVALID_ATTRIBUTE'
    assert str(caught.value) == f'GET /api/atlas/v2{SNAPSHOTS}: HTTP 400 INVALID_ATTRIBUTE: oops'


@responses.activate
def test_empty_error_body_uses_reason():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=403, body='')
    with pytest.raises(AtlasApiError) as caught:
        client().get(SNAPSHOTS)
    assert caught.value.status == 403 and caught.value.detail == 'Forbidden'


# ------------------------------------------------------------------ paging
@responses.activate
def test_list_all_reads_every_page():
    def page(n, count, more):
        links = [{'rel': 'self', 'href': 'x'}] + ([{'rel': 'next', 'href': 'y'}] if more else [])
        return {'results': [{'id': f'{n}-{i}'} for i in range(count)], 'links': links}

    for number, (count, more) in enumerate(((500, True), (500, True), (12, False)), start=1):
        responses.add(responses.GET, V2 + SNAPSHOTS, json=page(number, count, more),
                      match=[matchers.query_param_matcher({'itemsPerPage': '500', 'pageNum': str(number), 'includeCount': 'false'})])
    items = client().list_all(SNAPSHOTS)
    assert len(items) == 1012 and items[-1] == {'id': '3-11'}
    assert len(responses.calls) == 3


@responses.activate
def test_list_all_stops_on_a_short_page():
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'results': [{'id': 1}], 'links': [{'rel': 'next', 'href': 'y'}]})
    assert client().list_all(SNAPSHOTS) == [{'id': 1}]
    assert len(responses.calls) == 1


# ------------------------------------------------------------------ downloads
URL = 'https://storage.test/backup-downloads/j/s.tgz'
SIGNED = URL + '?X-Amz-Expires=14400&X-Amz-Signature=deadbeefcafe'


@responses.activate
def test_download_streams_without_credentials_and_hashes():
    body = b'\x1f\x8b' + b'x' * 3000
    responses.add(responses.GET, URL, body=body, headers={'Content-Length': str(len(body))})
    sink = io.BytesIO()
    result = client().download(SIGNED, sink, chunk_size=1000)
    assert sink.getvalue() == body
    assert result['size'] == len(body) and result['sha256'] == hashlib.sha256(body).hexdigest()
    assert result['first_bytes'][:2] == b'\x1f\x8b' and result['content_length'] == len(body)
    assert 'Authorization' not in responses.calls[0].request.headers


@responses.activate
@pytest.mark.parametrize('status, code', [(403, 'DOWNLOAD_HTTP_403'), (404, 'DOWNLOAD_HTTP_404')])
def test_download_http_error_hides_the_signature(status, code):
    responses.add(responses.GET, URL, status=status, body=f'<Error><Message>denied {SIGNED}</Message></Error>')
    with pytest.raises(AtlasApiError) as caught:
        client().download(SIGNED, io.BytesIO())
    assert caught.value.error_code == code
    assert 'Signature' not in str(caught.value) and 'deadbeef' not in str(caught.value)


@responses.activate
def test_download_interrupted_and_truncated():
    responses.add(responses.GET, URL, body=requests.exceptions.ConnectionError(f'Connection reset while reading {SIGNED}'))
    with pytest.raises(AtlasApiError) as caught:
        client().download(SIGNED, io.BytesIO())
    assert caught.value.error_code == 'DOWNLOAD_INTERRUPTED' and 'deadbeef' not in str(caught.value)
    responses.replace(responses.GET, URL, body=b'abc', headers={'Content-Length': '10'}, auto_calculate_content_length=False)
    with pytest.raises((AtlasApiError, requests.exceptions.RequestException)) as truncated:
        client().download(SIGNED, io.BytesIO())
    if isinstance(truncated.value, AtlasApiError):
        assert truncated.value.error_code in ('DOWNLOAD_TRUNCATED', 'DOWNLOAD_INTERRUPTED')


@responses.activate
def test_download_write_failure_propagates_as_oserror():
    responses.add(responses.GET, URL, body=b'abc')

    class FullDisk(io.RawIOBase):
        def write(self, data):
            raise OSError(errno.ENOSPC, 'No space left on device')

    with pytest.raises(OSError) as caught:
        client().download(SIGNED, FullDisk())
    assert caught.value.errno == errno.ENOSPC


def test_proxies_come_from_the_standard_environment(monkeypatch):
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.test:3128')
    monkeypatch.setenv('NO_PROXY', 'internal.test')
    api = client()
    settings = api.session.merge_environment_settings(BASE + '/api', {}, None, None, None)
    assert settings['proxies'].get('https') == 'http://proxy.test:3128'
    assert api.session.merge_environment_settings('https://internal.test/api', {}, None, None, None)['proxies'] == {}


@responses.activate
def test_now_is_atlas_time_from_the_date_header():
    responses.add(responses.GET, V2 + SNAPSHOTS, json={}, headers={'Date': 'Sun, 22 Nov 2026 03:00:00 GMT'})
    api = client()
    api.get(SNAPSHOTS)
    assert api.now().isoformat() == '2026-11-22T03:00:00+00:00'

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Atlas client: digest flow and request counts, retry rules, versions and headers, TLS options, paging.

Most tests use `responses`; failures it cannot fake faithfully run against the scripted server of atlas_http.
"""
from __future__ import annotations

import email.utils
import errno
import io
import json
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
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._auth import DigestAuth
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasAmbiguousWriteError, AtlasApiError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._transfer import download
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.module_utils.atlas_http import (
    BASE, GROUP, SECRET, SNAPSHOTS, V2, DigestServer, client, free_port_url, reset,
)


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
    assert len(responses.calls) == 4


@responses.activate
def test_digest_post_first_keeps_the_body_for_the_answer():
    server = DigestServer(body={'id': 'new'})
    responses.add_callback(responses.POST, V2 + SNAPSHOTS, callback=server)
    api = client()
    assert api.post(SNAPSHOTS, {'description': 'x', 'retentionInDays': 1}) == {'id': 'new'}
    assert server.bodies == [b'{"description": "x", "retentionInDays": 1}']
    assert len(responses.calls) == 2


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
    assert len(responses.calls) == 5
    assert api.get(SNAPSHOTS) == {'results': []} and server.seen_nc[-1] == 2 and len(responses.calls) == 6


@responses.activate
def test_wrong_key_is_a_401_error_without_the_key():
    server = DigestServer(password='the-right-one')
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    api = client()
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
    assert len(responses.calls) == 3 and api.sleeps == [0.75]


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
    ('v2', 'schedule', '/api/atlas/v2', 'application/vnd.atlas.2024-08-05+json'),  # 2023-01-01 has x-sunset 2027-07-01
    ('v1.0', 'schedule', '/api/atlas/v1.0', 'application/json'),
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
    expected = f'mongodb_atlas.backup/0.3.0 (Ansible collection) python-requests/{requests.__version__}'
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
    download(api, 'https://storage.test/a.tgz', io.BytesIO())
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
    api = client()
    assert api.get(SNAPSHOTS) == {'ok': 1}
    assert api.sleeps == [7.0]
    assert (api.retries_used, api.retry_seconds, api.retry_reasons) == (1, 7.0, {'HTTP 429 RATE_LIMITED_TOKEN_BUCKET': 1})
    assert api.retry_summary() == '1 retry (HTTP 429 RATE_LIMITED_TOKEN_BUCKET x1), 7 s spent waiting'


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
    api = client(retries=2, rng=lambda: next(jitter))
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert len(responses.calls) == 3  # retries=2: three attempts, then the error
    assert api.sleeps == [0.5, 2.0]  # 1 s * (0.5 + 0/2), 2 s * (0.5 + 1/2)
    assert caught.value.status == 503 and caught.value.detail == 'busy (gave up after 3 attempts (2 retries))'
    assert api.retries_used == 2 and api.retry_reasons == {'HTTP 503': 2} and api.retry_seconds == 2.5


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
    api = client()
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
@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_real_connection_refused_is_retried_even_for_post(scripted, method):
    scripted(lambda server, conn: None)  # clears proxies for the test; the refused port is another one
    api = client(base_url=free_port_url(), auth=None, retries=2)
    with pytest.raises(AtlasApiError) as caught:
        api.request(method, SNAPSHOTS, body={} if method == 'POST' else None)
    assert type(caught.value) is AtlasApiError  # pylint: disable=unidiomatic-typecheck
    assert caught.value.status is None and caught.value.error_code is None and caught.value.transient
    assert caught.value.detail == 'connection refused (nothing listens at that address and port) (gave up after 3 attempts (2 retries))'
    assert len(api.sleeps) == 2 and api.retries_used == 2
    assert api.retry_reasons == {'connection refused (nothing listens at that address and port)': 2}


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


class PagesAt100:
    """A list server that pages at 100 whatever itemsPerPage says (as Atlas may), with or without next links."""

    def __init__(self, total, links=True):
        self.total = total
        self.links = links
        self.asked = []

    def __call__(self, request):
        query = dict(item.split('=', 1) for item in request.url.split('?', 1)[1].split('&'))
        number = int(query['pageNum'])
        self.asked.append((query['itemsPerPage'], number))
        start = (number - 1) * 100
        doc = {'results': [{'id': index} for index in range(start, min(start + 100, self.total))]}
        if self.links:
            doc['links'] = [{'rel': 'self', 'href': 'x'}] + ([{'rel': 'next', 'href': 'y'}] if start + 100 < self.total else [])
        return 200, {}, json.dumps(doc)


@responses.activate
def test_list_all_follows_next_links_even_on_short_pages():
    server = PagesAt100(250)
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    items = client().list_all(SNAPSHOTS)
    assert [item['id'] for item in items] == list(range(250))
    assert server.asked == [('500', 1), ('500', 2), ('500', 3)]  # asked for 500, got 100: the next links are what count


@responses.activate
def test_list_all_without_links_stops_on_a_short_page():
    server = PagesAt100(250, links=False)
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    assert len(client().list_all(SNAPSHOTS)) == 100  # without links, a page shorter than asked for is the last one
    assert server.asked == [('500', 1)]


@responses.activate
def test_list_all_without_links_reads_on_after_a_full_page():
    for number, count in enumerate((500, 500, 12), start=1):
        responses.add(responses.GET, V2 + SNAPSHOTS, json={'results': [{'id': f'{number}-{i}'} for i in range(count)]},
                      match=[matchers.query_param_matcher({'itemsPerPage': '500', 'pageNum': str(number), 'includeCount': 'false'})])
    assert len(client().list_all(SNAPSHOTS)) == 1012 and len(responses.calls) == 3


@responses.activate
def test_list_all_stops_when_the_caller_has_enough():
    server = PagesAt100(2160)
    responses.add_callback(responses.GET, V2 + SNAPSHOTS, callback=server)
    seen = []
    items = client().list_all(SNAPSHOTS, enough=lambda so_far: seen.append(len(so_far)) or len(so_far) >= 200)
    assert len(items) == 200 and seen == [100, 200] and len(server.asked) == 2


@responses.activate
def test_list_all_stops_on_an_empty_page_even_with_a_next_link():
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'results': [], 'links': [{'rel': 'next', 'href': 'y'}]})
    assert client().list_all(SNAPSHOTS) == [] and len(responses.calls) == 1


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

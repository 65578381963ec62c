# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module base's pure pieces: actionable error messages and cluster-kind detection."""
from __future__ import annotations

import pytest
import requests
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasAmbiguousWriteError, AtlasApiError, parse_retry_after
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import explain_error
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import EXPLANATIONS
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.module_utils.atlas_http import BASE, GROUP, SECRET, SNAPSHOTS, V2, DigestServer, client


def error(status, code, detail='something'):
    return AtlasApiError(status=status, error_code=code, detail=detail, method='GET', path='/api/atlas/v2/groups/x')


@pytest.mark.parametrize('status, code, expected', [
    (401, 'UNEXPECTED_ERROR', 'api_private_key'),
    (401, 'USER_UNAUTHORIZED', 'role'),
    (403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', 'access list'),
    (403, 'ORG_REQUIRES_WHITELIST', 'access list'),
    (404, 'CLUSTER_NOT_FOUND', 'no cluster named Cluster0 exists in project g1'),
    (404, 'GROUP_NOT_FOUND', 'Check group_id'),
    (406, None, 'api_version'),
    (429, 'RATE_LIMITED_TOKEN_BUCKET', 'retries'),
    (None, None, 'could not reach Atlas'),
    (400, 'UNFINISHED_ON_DEMAND_SNAPSHOT', 'something (HTTP 400)'),
    (401, 'OAUTH_INVALID_CLIENT', "rejected the service account's client id or secret (HTTP 401): something. Check api_public_key"),
    (400, 'OAUTH_ACCESS_DENIED', 'at most 100 active tokens'),
    (400, 'OAUTH_INVALID_REQUEST', 'the token endpoint refused the request (HTTP 400): something. Check api_public_key'),
    (403, None, 'Atlas refused the request (HTTP 403): something. Check the roles of the API key'),
    (None, 'TLS_ERROR', 'do the thing: something (TLS_ERROR).'),
    (None, 'REQUEST_ERROR', 'something. Check api_base_url, ca_path'),
])
def test_explain_error_is_actionable(status, code, expected):
    msg = explain_error('do the thing', error(status, code), group_id='g1', cluster_name='Cluster0')
    assert msg.startswith('Failed to do the thing: ')
    assert expected in msg
    if code:
        assert msg.endswith(f'({code}).')


def test_explanations_are_one_table_read_in_order():
    """explain_error is a table of (condition, message) rows: the first that holds wins, the last always holds."""
    assert all(callable(condition) and isinstance(message, str) for condition, message in EXPLANATIONS)
    assert explain_error('do the thing', error(418, None, detail='')) == 'Failed to do the thing: HTTP 418.'
    # a 401 with a role code is about the role, never about the key (the plain 401 row comes later)
    assert 'api_private_key' not in explain_error('do the thing', error(401, 'USER_UNAUTHORIZED'))


@pytest.mark.parametrize('status, code', [(406, 'INVALID_VERSION_DATE'), (429, 'RATE_LIMITED'), (403, None), (500, 'UNEXPECTED_ERROR')])
def test_a_detail_ending_in_a_full_stop_makes_no_double_full_stop(status, code):
    msg = explain_error('do the thing', error(status, code, detail='Atlas said no.'))
    assert 'Atlas said no' in msg and '..' not in msg


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
    assert err.retry_after is None
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
    err = AtlasApiError(503, None, 'busy', 'POST', '/p', 2.0)
    ambiguous = err.rebuilt(AtlasAmbiguousWriteError)
    assert isinstance(ambiguous, AtlasApiError) and str(ambiguous) == str(err) == 'POST /p: HTTP 503: busy'
    assert ambiguous.retry_after == 2.0
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

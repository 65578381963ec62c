# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The token endpoint's refusals in both shapes: Atlas's rate limiter answers with its ApiError body
({detail, error: 429, errorCode: RATE_LIMITED, ...}), bad credentials with OAuth's {error, error_description}; each is
explained as what it is, and a 429 is retried like any other."""
from __future__ import annotations

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._auth import ServiceAccountAuth
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import explain_error

BASE = 'https://atlas.test'
CLIENT_ID = 'mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01'
SECRET = 'mdb_sa_sk_owner-secret-0001'
TOKEN_URL = BASE + '/api/oauth/token'
API = BASE + '/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e/clusters/Cluster0/backup/snapshots'
PATH = '/groups/5f1a2b3c4d5e6f7a8b9c0d1e/clusters/Cluster0/backup/snapshots'
# The body the Terraform provider's configuration guide quotes for a rate-limited token request.
ATLAS_429 = {'detail': 'Resource /api/oauth/token is limited to 10 requests every 1 minutes.', 'error': 429, 'errorCode': 'RATE_LIMITED',
             'parameters': ['/api/oauth/token', 10, 1], 'reason': 'Too Many Requests'}
INVALID_CLIENT = {'error': 'invalid_client', 'error_description': 'Invalid credentials provided.'}


def client(retries=0):
    sleeps = []
    made = AtlasClient(base_url=BASE, auth=ServiceAccountAuth(CLIENT_ID, SECRET, None), retries=retries, sleep=sleeps.append, rng=lambda: 0.5)
    made.sleeps = sleeps
    return made


def refusal(**kwargs):
    responses.post(TOKEN_URL, **kwargs)
    with pytest.raises(AtlasApiError) as caught:
        client().get(PATH)
    return caught.value, explain_error('list snapshots', caught.value)


@responses.activate
def test_atlas_shaped_rate_limit_is_explained_as_rate_limiting():
    err, message = refusal(status=429, json=ATLAS_429, headers={'Retry-After': '37'})
    assert err.status == 429 and err.error_code == 'RATE_LIMITED'  # Atlas's errorCode, not OAUTH_429
    assert 'OAUTH' not in message and 'client_id' not in message and 'client_secret' not in message
    assert 'allows 10 token requests every minute' in message
    assert 'limited to 10 requests every 1 minutes' in message  # Atlas's own words, quoted
    assert 'wait 37 s' in message
    assert 'share one token through the token cache' in message and 'only one token request' in message
    assert message.endswith('(RATE_LIMITED).') and SECRET not in message


@responses.activate
def test_without_retry_after_the_message_says_when_from_the_detail():
    _err, message = refusal(status=429, json=dict(ATLAS_429, detail='Resource /api/oauth/token is limited to 50 requests every 2 minutes.'))
    assert 'allows 50 token requests every 2 minutes' in message and 'try again after 2 minutes' in message


@pytest.mark.parametrize('body', [{'error': 'rate_limited', 'error_description': 'Too many requests.'}, None])
@responses.activate
def test_a_429_in_oauth_shape_or_without_a_body_is_rate_limiting_too(body):
    kwargs = {'json': body} if body else {'body': 'Too Many Requests'}
    err, message = refusal(status=429, **kwargs)
    assert err.error_code == 'RATE_LIMITED'
    assert 'limits how many tokens this service account may request' in message and 'client_secret' not in message


@responses.activate
def test_oauth_shaped_bad_credentials_stay_bad_credentials():
    err, message = refusal(status=401, json=INVALID_CLIENT)
    assert err.error_code == 'OAUTH_INVALID_CLIENT'
    assert 'client id or secret' in message and 'MONGODB_ATLAS_CLIENT_SECRET' in message and 'rate' not in message


@responses.activate
def test_atlas_shaped_bad_credentials_are_bad_credentials():
    err, message = refusal(status=401, json={'detail': 'You are not authorized for this resource.', 'error': 401,
                                             'errorCode': 'UNEXPECTED_ERROR', 'reason': 'Unauthorized'})
    assert err.error_code == 'UNEXPECTED_ERROR'
    assert 'rejected the service account (HTTP 401)' in message and 'client_secret' in message


@responses.activate
def test_another_atlas_shaped_refusal_is_told_with_its_error_code():
    err, message = refusal(status=400, json={'detail': 'Something Atlas dislikes.', 'error': 400, 'errorCode': 'SOME_NEW_CODE',
                                             'parameters': [], 'reason': 'Bad Request'})
    assert err.error_code == 'SOME_NEW_CODE'
    assert 'Something Atlas dislikes' in message and '(SOME_NEW_CODE)' in message and 'OAUTH' not in message


@responses.activate
def test_an_atlas_shaped_429_is_retried_within_retries_after_retry_after():
    responses.post(TOKEN_URL, status=429, json=ATLAS_429, headers={'Retry-After': '7'})
    responses.post(TOKEN_URL, json={'access_token': 'tok', 'expires_in': 3600, 'token_type': 'Bearer'})
    responses.get(API, json={'results': []})
    made = client(retries=2)
    assert made.get(PATH) == {'results': []}
    assert made.sleeps == [7.0] and made.retries_used == 1 and made.retry_reasons == {'HTTP 429 RATE_LIMITED': 1}


@responses.activate
def test_retries_that_run_out_say_so():
    responses.post(TOKEN_URL, status=429, json=ATLAS_429, headers={'Retry-After': '1'})
    made = client(retries=2)
    with pytest.raises(AtlasApiError) as caught:
        made.get(PATH)
    assert len(responses.calls) == 3 and len(made.sleeps) == 2 and made.retries_used == 2
    assert 'gave up after 3 attempts (2 retries)' in explain_error('list snapshots', caught.value)

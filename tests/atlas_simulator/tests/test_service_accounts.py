# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Service accounts: the OAuth token and revoke endpoints, bearer tokens on the API, limits, faults and the log."""
from __future__ import annotations

import base64
import json
import re
import urllib.parse

import pytest
import requests

from atlas_simulator.config import ConfigError
from atlas_simulator.server import Simulator
from conftest import BACKUP

OWNER_SA = ('mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01', 'mdb_sa_sk_owner-secret-0001')
READER_SA = ('mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a02', 'mdb_sa_sk_reader-secret-0002')
BLOCKED_SA = ('mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a03', 'mdb_sa_sk_blocked-secret-0003')
GRANT = {'grant_type': 'client_credentials'}
SNAPSHOTS = '/clusters/Cluster0/backup/snapshots'
NOT_AUTHORIZED = {'detail': 'You are not authorized for this resource.', 'error': 401, 'errorCode': 'UNEXPECTED_ERROR', 'reason': 'Unauthorized'}
INVALID_CLIENT = {'error': 'invalid_client', 'error_description': 'Invalid credentials provided.'}


def basic(client_id: str, secret: str) -> str:
    """RFC 6749 2.3.1: each part form-urlencoded, then base64 of id:secret."""
    raw = f'{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}'
    return 'Basic ' + base64.b64encode(raw.encode()).decode()


def oauth(sim, path='token', credentials=OWNER_SA, data=None, headers=None):
    sent = {'Accept': 'application/json'}
    if credentials is not None:
        sent['Authorization'] = basic(*credentials)
    sent.update(headers or {})
    return requests.post(f'{sim.url}/api/oauth/{path}', data=GRANT if data is None else data, headers=sent, timeout=10)


def token_for(sim, credentials=OWNER_SA):
    response = oauth(sim, credentials=credentials)
    assert response.status_code == 200, response.text
    return response.json()['access_token']


def revoke(sim, token, credentials=OWNER_SA):
    return oauth(sim, 'revoke', credentials, {'token': token, 'token_type_hint': 'access_token'})


def bearer(sim, token, method='GET', url=None, json_body=None, accept=BACKUP):
    return requests.request(method, url or sim.v2(SNAPSHOTS), json=json_body, timeout=10,
                            headers={'Authorization': f'Bearer {token}', 'Accept': accept})


def decode(part):
    return json.loads(base64.urlsafe_b64decode(part + '=' * (-len(part) % 4)))


def clock_seconds(sim):
    return sim.sim.seconds()


# ------------------------------------------------------------------ the token endpoint
@pytest.mark.parametrize('credentials', [OWNER_SA, READER_SA, BLOCKED_SA])
def test_seeded_accounts_get_a_jwt_shaped_token(sim, credentials):
    before = clock_seconds(sim)
    response = oauth(sim, credentials=credentials)
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/json'
    assert response.headers['Cache-Control'] == 'no-store'
    doc = response.json()
    assert set(doc) == {'access_token', 'expires_in', 'token_type'}
    assert doc['expires_in'] == 3600 and doc['token_type'] == 'Bearer'
    parts = doc['access_token'].split('.')
    assert len(parts) == 3 and all(re.fullmatch(r'[A-Za-z0-9_-]+', part) for part in parts)
    header, claims = decode(parts[0]), decode(parts[1])
    assert header['typ'] == 'JWT' and header['alg'] == 'ES512'
    assert claims['sub'] == credentials[0]
    assert claims['exp'] - claims['iat'] == 3600
    assert int(before) - 1 <= claims['iat'] <= clock_seconds(sim) + 1
    assert claims['jti']
    assert token_for(sim, credentials) != doc['access_token']


def test_token_lifetime_follows_the_simulator_clock_not_the_wall_clock(sim):
    sim.control('POST', 'clock', {'advance': 86400})
    claims = decode(token_for(sim).split('.')[1])
    assert abs(claims['iat'] - clock_seconds(sim)) < 5


def test_basic_credentials_are_url_decoded(sim):
    secret = 'mdb_sa_sk_a:b+c/d%e f'
    config = {'service_accounts': [{'client_id': 'mdb_sa_id_' + 'ab' * 12, 'client_secret': secret}]}
    assert sim.control('POST', 'reset', {'config': config}).status_code == 200
    assert oauth(sim, credentials=('mdb_sa_id_' + 'ab' * 12, secret)).status_code == 200
    wrong = 'Basic ' + base64.b64encode(f'mdb_sa_id_{"ab" * 12}:mdb_sa_sk_a:b-c'.encode()).decode()
    assert oauth(sim, credentials=None, headers={'Authorization': wrong}).json() == INVALID_CLIENT


@pytest.mark.parametrize('authorization', [
    basic(OWNER_SA[0], 'mdb_sa_sk_wrong'),
    basic('mdb_sa_id_' + '0' * 24, OWNER_SA[1]),
    basic(OWNER_SA[1], OWNER_SA[0]),
    'Basic not-base64!',
    'Bearer something',
    None,
])
def test_bad_client_credentials_are_invalid_client(sim, authorization):
    response = oauth(sim, credentials=None, headers={'Authorization': authorization} if authorization else {})
    assert response.status_code == 401
    assert response.json() == INVALID_CLIENT
    assert 'WWW-Authenticate' not in response.headers and 'X-Error-Code' not in response.headers


@pytest.mark.parametrize('data, headers, error', [
    ({'grant_type': 'password'}, {}, 'unsupported_grant_type'),
    ({'grant_type': 'authorization_code'}, {}, 'unsupported_grant_type'),
    ({}, {}, 'invalid_request'),
    ('grant_type=client_credentials&grant_type=client_credentials', {'Content-Type': 'application/x-www-form-urlencoded'}, 'invalid_request'),
    ('{"grant_type": "client_credentials"}', {'Content-Type': 'application/json'}, 'invalid_request'),
    (b'grant_type=\xff', {'Content-Type': 'application/x-www-form-urlencoded'}, 'invalid_request'),
])
def test_bad_grant_requests_are_400_in_oauth_shape(sim, data, headers, error):
    response = oauth(sim, data=data, headers=headers)
    assert response.status_code == 400
    assert response.json()['error'] == error and response.json()['error_description']
    assert set(response.json()) == {'error', 'error_description'}


def test_credentials_are_checked_before_the_grant(sim):
    response = oauth(sim, credentials=(OWNER_SA[0], 'mdb_sa_sk_wrong'), data={'grant_type': 'password'})
    assert response.status_code == 401 and response.json() == INVALID_CLIENT


def test_only_post_is_allowed(sim):
    response = requests.get(f'{sim.url}/api/oauth/token', headers={'Authorization': basic(*OWNER_SA)}, timeout=10)
    assert response.status_code == 405 and response.headers['Allow'] == 'POST'
    assert response.json()['error'] == 'invalid_request'


def test_the_token_endpoint_is_not_under_api_atlas(sim):
    response = requests.post(f'{sim.url}/api/atlas/v2/oauth/token', data=GRANT, headers={'Authorization': basic(*OWNER_SA)}, timeout=10)
    assert response.status_code == 401  # an Atlas API path: digest challenge, not a token
    assert 'WWW-Authenticate' in response.headers


# ------------------------------------------------------------------ bearer tokens on the API
def test_owner_token_reads_and_takes_snapshots_on_v2_and_v1(sim):
    token = token_for(sim)
    assert bearer(sim, token).status_code == 200
    taken = bearer(sim, token, 'POST', json_body={'retentionInDays': 1})
    assert taken.status_code == 200 and taken.json()['snapshotType'] == 'onDemand'
    v1 = requests.get(sim.v1('/clusters/Cluster0'), headers={'Authorization': f'bearer {token}'}, timeout=10)  # scheme is case-insensitive
    assert v1.status_code == 200
    log = sim.log()
    assert [(entry['path'].split('/')[-1], entry['status'], entry['auth']) for entry in log] == [
        ('token', 200, 'Basic'), ('snapshots', 200, 'Bearer'), ('snapshots', 200, 'Bearer'), ('Cluster0', 200, 'Bearer')]
    assert {entry['client_id'] for entry in log} == {OWNER_SA[0]}


def test_read_only_account_reads_but_cannot_take_a_snapshot(sim):
    token = token_for(sim, READER_SA)
    assert bearer(sim, token).status_code == 200
    refused = bearer(sim, token, 'POST', json_body={'retentionInDays': 1})
    assert refused.status_code == 401
    assert refused.json()['errorCode'] == 'USER_UNAUTHORIZED'
    assert 'WWW-Authenticate' not in refused.headers
    assert sim.control('GET', 'state').json()['clusters']['Cluster0']['snapshots'][0]['snapshotType'] == 'scheduled'


def test_blocked_account_gets_a_token_but_its_calls_are_refused(sim):
    token = token_for(sim, BLOCKED_SA)
    response = bearer(sim, token)
    assert response.status_code == 403
    assert response.json()['errorCode'] == 'IP_ADDRESS_NOT_ON_ACCESS_LIST'
    assert response.json()['parameters'] == ['127.0.0.1']
    assert revoke(sim, token, BLOCKED_SA).status_code == 200


@pytest.mark.parametrize('header', ['Bearer not-a-token', 'Bearer ', 'Bearer a.b.c'])
def test_unknown_bearer_token_is_401_without_a_digest_challenge(sim, header):
    response = requests.get(sim.v2(SNAPSHOTS), headers={'Authorization': header, 'Accept': BACKUP}, timeout=10)
    assert response.status_code == 401
    assert response.json() == NOT_AUTHORIZED
    assert response.headers['X-Error-Code'] == 'UNEXPECTED_ERROR'
    assert 'WWW-Authenticate' not in response.headers
    assert sim.log()[-1]['client_id'] is None


def test_token_expires_after_an_hour_of_simulator_time(sim):
    token = token_for(sim)
    sim.control('POST', 'clock', {'advance': 3590})
    assert bearer(sim, token).status_code == 200
    sim.control('POST', 'clock', {'advance': 11})
    expired = bearer(sim, token)
    assert expired.status_code == 401 and expired.json() == NOT_AUTHORIZED
    assert 'WWW-Authenticate' not in expired.headers
    assert sim.control('GET', 'state').json()['service_accounts'][OWNER_SA[0]] == {'active_tokens': 0}


def test_reset_forgets_every_token(sim):
    token = token_for(sim)
    sim.control('POST', 'reset')
    assert bearer(sim, token).status_code == 401


def test_a_token_from_another_simulator_run_is_refused(sim):
    other = Simulator({})
    token, _lifetime = other.oauth.issue(OWNER_SA[0])
    assert bearer(sim, token).status_code == 401


# ------------------------------------------------------------------ revoke
def test_revoke_answers_200_empty_and_the_token_stops_working(sim):
    token = token_for(sim)
    response = revoke(sim, token)
    assert response.status_code == 200 and response.content == b''
    assert bearer(sim, token).status_code == 401
    assert revoke(sim, token).status_code == 200  # RFC 7009: an unknown token is not an error
    assert revoke(sim, 'never-issued').status_code == 200


def test_revoke_refusals(sim):
    token = token_for(sim)
    bad = revoke(sim, token, (OWNER_SA[0], 'mdb_sa_sk_wrong'))
    assert bad.status_code == 401 and bad.json() == INVALID_CLIENT
    missing = oauth(sim, 'revoke', data={'token_type_hint': 'access_token'})
    assert missing.status_code == 400 and missing.json()['error'] == 'invalid_request'
    foreign = revoke(sim, token, READER_SA)
    assert foreign.status_code == 400 and foreign.json()['error'] == 'unauthorized_client'
    assert bearer(sim, token).status_code == 200


# ------------------------------------------------------------------ limits
def issue_many(sim, count, credentials=OWNER_SA):
    """`count` tokens, moving the clock a minute on every 10 requests to stay under the per-minute limit."""
    tokens = []
    for number in range(count):
        if number and number % 10 == 0:
            sim.control('POST', 'clock', {'advance': 60})
        tokens.append(token_for(sim, credentials))
    return tokens


def test_at_most_100_active_tokens_per_account_and_revoke_frees_a_slot(sim):
    tokens = issue_many(sim, 100)
    sim.control('POST', 'clock', {'advance': 60})
    refused = oauth(sim)
    assert refused.status_code == 403
    assert refused.json()['error'] == 'access_denied'
    assert refused.json()['error_description'].startswith('Access Token limit reached')
    assert sim.control('GET', 'state').json()['service_accounts'][OWNER_SA[0]] == {'active_tokens': 100}
    assert oauth(sim, credentials=READER_SA).status_code == 200  # the cap is per account
    assert bearer(sim, tokens[0]).status_code == 200  # refusing a new token leaves the old ones valid
    assert revoke(sim, tokens[0]).status_code == 200
    assert oauth(sim).status_code == 200
    assert oauth(sim).status_code == 403


def test_expired_tokens_free_their_slots(sim):
    sim.control('PATCH', 'config', {'oauth': {'max_active_tokens': 2}})
    issue_many(sim, 2)
    assert oauth(sim).status_code == 403
    sim.control('POST', 'clock', {'advance': 3600})
    assert oauth(sim).status_code == 200


def test_more_than_10_token_requests_a_minute_is_429_in_atlas_shape_with_retry_after(sim):
    for _number in range(10):
        assert oauth(sim).status_code == 200
    limited = oauth(sim)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers['Retry-After']) <= 60
    assert limited.headers['Cache-Control'] == 'no-store'
    # the body the Terraform provider's guide quotes: Atlas's ApiError, not OAuth's {error, error_description}
    assert limited.json() == {'detail': 'Resource /api/oauth/token is limited to 10 requests every 1 minutes.', 'error': 429,
                              'errorCode': 'RATE_LIMITED', 'parameters': ['/api/oauth/token', 10, 1], 'reason': 'Too Many Requests'}
    assert oauth(sim, credentials=READER_SA).status_code == 200  # per (address, client id)
    sim.control('POST', 'clock', {'advance': int(limited.headers['Retry-After'])})
    assert oauth(sim).status_code == 200


def test_the_limit_is_configurable(sim):
    sim.control('PATCH', 'config', {'oauth': {'requests_per_minute': 50}})
    for _number in range(50):
        assert oauth(sim).status_code == 200
    limited = oauth(sim)
    assert limited.status_code == 429 and limited.json()['detail'] == 'Resource /api/oauth/token is limited to 50 requests every 1 minutes.'


def test_bad_credentials_stay_oauth_shaped_when_rate_limiting_is_atlas_shaped(sim):
    sim.control('PATCH', 'config', {'oauth': {'requests_per_minute': 1}})
    assert oauth(sim, credentials=(OWNER_SA[0], 'mdb_sa_sk_wrong')).json() == INVALID_CLIENT
    assert oauth(sim).json()['errorCode'] == 'RATE_LIMITED'


def test_the_limit_counts_requests_that_fail(sim):
    sim.control('PATCH', 'config', {'oauth': {'requests_per_minute': 3}})
    for _number in range(3):
        assert oauth(sim, credentials=(OWNER_SA[0], 'mdb_sa_sk_wrong')).status_code == 401
    assert oauth(sim).status_code == 429


def test_oauth_settings_are_validated(sim):
    assert sim.control('PATCH', 'config', {'oauth': {'token_lifetime': 0}}).status_code == 400
    assert sim.control('PATCH', 'config', {'oauth': {'max_tokens': 5}}).status_code == 400
    assert sim.control('PATCH', 'config', {'oauth': {'token_lifetime': 120}}).json()['oauth']['token_lifetime'] == 120
    assert oauth(sim).json()['expires_in'] == 120


# ------------------------------------------------------------------ faults and the request log
def test_faults_target_the_token_path_429_in_atlas_shape_others_in_oauth_shape(sim):
    sim.control('POST', 'faults', {'method': 'POST', 'path': '^/api/oauth/token$', 'action': 'status', 'status': 429, 'retry_after': 3})
    sim.control('POST', 'faults', {'method': 'POST', 'path': '^/api/oauth/token$', 'action': 'status', 'status': 500})
    limited = oauth(sim)
    assert limited.status_code == 429 and limited.headers['Retry-After'] == '3'
    assert limited.json()['errorCode'] == 'RATE_LIMITED' and limited.json()['error'] == 429
    assert limited.json()['detail'] == 'Resource /api/oauth/token is limited to 10 requests every 1 minutes.'
    failed = oauth(sim)
    assert failed.status_code == 500 and failed.json() == {'error': 'server_error', 'error_description': 'Unexpected error.'}
    assert oauth(sim).status_code == 200
    assert [entry['status'] for entry in sim.log()] == [429, 500, 200]


def test_connection_faults_on_the_token_path(sim):
    sim.control('POST', 'faults', {'path': '/api/oauth/token', 'action': 'reset'})
    sim.control('POST', 'faults', {'path': '/api/oauth/token', 'action': 'drop_after_write'})
    for _attempt in range(2):
        with pytest.raises(requests.ConnectionError):
            oauth(sim)
    assert sim.control('GET', 'state').json()['service_accounts'][OWNER_SA[0]] == {'active_tokens': 1}  # issued, answer lost
    assert [entry['status'] for entry in sim.log()] == [None, None]


def test_faults_can_target_revoke(sim):
    token = token_for(sim)
    sim.control('POST', 'faults', {'path': '^/api/oauth/revoke$', 'action': 'status', 'status': 503})
    assert revoke(sim, token).status_code == 503
    assert bearer(sim, token).status_code == 200


def test_request_log_counts_token_requests_and_never_holds_secrets_or_tokens(sim):
    token = token_for(sim)
    bearer(sim, token)
    revoke(sim, token)
    oauth(sim, credentials=(READER_SA[0], 'mdb_sa_sk_wrong'))
    oauth(sim, credentials=(READER_SA[1], READER_SA[0]))  # id and secret swapped
    requests.post(f'{sim.url}/api/oauth/token?client_secret={OWNER_SA[1]}&token={token}', data=GRANT, timeout=10)
    log = sim.log()
    text = json.dumps(log)
    for secret in (OWNER_SA[1], READER_SA[1], token, token.split('.')[2], 'mdb_sa_sk_wrong'):
        assert secret not in text
    assert [(entry['method'], entry['path'], entry['status'], entry['client_id']) for entry in log] == [
        ('POST', '/api/oauth/token', 200, OWNER_SA[0]),
        ('GET', f'/api/atlas/v2/groups/{sim.sim.world.group_id}{SNAPSHOTS}', 200, OWNER_SA[0]),
        ('POST', '/api/oauth/revoke', 200, OWNER_SA[0]),
        ('POST', '/api/oauth/token', 401, READER_SA[0]),
        ('POST', '/api/oauth/token', 401, None),
        ('POST', '/api/oauth/token', 401, None),
    ]
    assert 'REDACTED' in log[-1]['query']
    counted = sim.control('GET', f'requests?path_contains=/api/oauth/token&client_id={OWNER_SA[0]}').json()['requests']
    assert [entry['seq'] for entry in counted] == [1]


# ------------------------------------------------------------------ seed overrides
def test_service_accounts_seed_override_replaces_the_default_accounts_only(sim, owner):
    account = {'client_id': 'mdb_sa_id_' + 'c' * 24, 'client_secret': 'mdb_sa_sk_custom', 'roles': ['Project Backup Manager'],
               'access_list': ['127.0.0.0/8']}
    assert sim.control('POST', 'reset', {'config': {'service_accounts': [account]}}).status_code == 200
    assert oauth(sim).status_code == 401
    token = token_for(sim, ('mdb_sa_id_' + 'c' * 24, 'mdb_sa_sk_custom'))
    assert bearer(sim, token).status_code == 200
    assert owner.get(sim.v2(SNAPSHOTS), headers={'Accept': BACKUP}, timeout=10).status_code == 200


@pytest.mark.parametrize('account, message', [
    ({'client_id': 'owner-sa', 'client_secret': 'mdb_sa_sk_x'}, 'client_id must be mdb_sa_id_'),
    ({'client_id': 'mdb_sa_id_' + 'a' * 24, 'client_secret': 'secret'}, 'must start with mdb_sa_sk_'),
    ({'client_id': 'mdb_sa_id_' + 'a' * 24}, 'missing'),
    ({'client_id': 'mdb_sa_id_' + 'a' * 24, 'client_secret': 'mdb_sa_sk_x', 'roles': ['Org Owner']}, 'unknown role'),
    ({'client_id': 'mdb_sa_id_' + 'a' * 24, 'client_secret': 'mdb_sa_sk_x', 'access_list': ['nowhere']}, 'not an IP address'),
    ({'client_id': 'mdb_sa_id_' + 'a' * 24, 'client_secret': 'mdb_sa_sk_x', 'scopes': []}, 'unknown field'),
])
def test_bad_service_account_seeds_are_refused(sim, account, message):
    response = sim.control('POST', 'reset', {'config': {'service_accounts': [account]}})
    assert response.status_code == 400 and message in response.json()['error']
    with pytest.raises(ConfigError, match=message):
        Simulator({'service_accounts': [account]})
    assert oauth(sim).status_code == 200  # a refused reset changes nothing

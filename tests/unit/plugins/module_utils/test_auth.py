# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication: which method a task uses, the service-account token flow (one token, renewed once after a 401), and
the token cache (0600 in 0700, keyed by base URL + client id + secret hash, never the secret, corrupt files replaced)."""
from __future__ import annotations

import base64
import json
import os
import stat
import threading
import urllib.parse

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._auth import (
    DigestAuth, ServiceAccountAuth, TokenAuth, TokenCache, choose_credentials,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._token import basic_credentials
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._token_cache import RENEW_MARGIN
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import explain_error

BASE = 'https://atlas.test'
CLIENT_ID = 'mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01'
SECRET = 'mdb_sa_sk_owner-secret-0001'
TOKEN_URL = BASE + '/api/oauth/token'
API = BASE + '/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e/clusters/Cluster0/backup/snapshots'
PATH = '/groups/5f1a2b3c4d5e6f7a8b9c0d1e/clusters/Cluster0/backup/snapshots'
KEY = {'api_public_key': 'pub', 'api_private_key': 'priv'}
SA = {'client_id': CLIENT_ID, 'client_secret': SECRET}


# ------------------------------------------------------------------ which method
@pytest.mark.parametrize('options, environ, method', [
    (KEY, {}, 'api_key'),
    (SA, {}, 'service_account'),
    ({'access_token': 't'}, {}, 'access_token'),
    # the environment only: an access token, then a service account, then an API key
    ({}, {'MONGODB_ATLAS_PUBLIC_KEY': 'p', 'MONGODB_ATLAS_PRIVATE_KEY': 'k', 'MONGODB_ATLAS_CLIENT_ID': CLIENT_ID,
          'MONGODB_ATLAS_CLIENT_SECRET': SECRET}, 'service_account'),
    ({}, {'MONGODB_ATLAS_ACCESS_TOKEN': 't', 'MONGODB_ATLAS_CLIENT_ID': CLIENT_ID, 'MONGODB_ATLAS_CLIENT_SECRET': SECRET}, 'access_token'),
    ({}, {'MONGODB_ATLAS_PUBLIC_API_KEY': 'p', 'MONGODB_ATLAS_PRIVATE_API_KEY': 'k'}, 'api_key'),
    # task options win over the environment, without an error
    (KEY, {'MONGODB_ATLAS_CLIENT_ID': CLIENT_ID, 'MONGODB_ATLAS_CLIENT_SECRET': SECRET}, 'api_key'),
    (SA, {'MONGODB_ATLAS_ACCESS_TOKEN': 't', 'MONGODB_ATLAS_PUBLIC_KEY': 'p', 'MONGODB_ATLAS_PRIVATE_KEY': 'k'}, 'service_account'),
])
def test_precedence(options, environ, method):
    assert choose_credentials(options, environ)[0] == method


def test_env_values_come_with_the_method():
    assert choose_credentials({}, {'MONGODB_ATLAS_CLIENT_ID': CLIENT_ID, 'MONGODB_ATLAS_CLIENT_SECRET': SECRET}) == ('service_account', SA)


@pytest.mark.parametrize('options, says', [
    (dict(KEY, **SA), 'service account (client_id, client_secret) and api key (api_public_key, api_private_key)'),
    (dict(SA, access_token='t'), 'access token (access_token) and service account (client_id, client_secret)'),
    ({'client_id': CLIENT_ID, 'api_private_key': 'k'}, 'service account (client_id) and api key (api_private_key)'),
])
def test_two_methods_as_task_options_fail_naming_both(options, says):
    with pytest.raises(TaskError) as caught:
        choose_credentials(options, {})
    assert says in caught.value.msg


@pytest.mark.parametrize('options, says', [
    ({}, 'No Atlas credentials'),
    ({'client_id': CLIENT_ID}, 'client_secret is missing'),
    ({'api_public_key': 'p'}, 'api_private_key is missing'),
    ({'api_public_key': CLIENT_ID, 'api_private_key': SECRET}, 'pass it as client_id'),
    ({'client_id': 'someone', 'client_secret': SECRET}, 'not a service account client id'),
])
def test_incomplete_or_misplaced_credentials_fail_before_any_request(options, says):
    with pytest.raises(TaskError) as caught:
        choose_credentials(options, {})
    assert says in caught.value.msg
    assert SECRET not in caught.value.msg


def test_basic_credentials_are_url_encoded_first():
    header = basic_credentials('id:x', 'p@ss/word')
    assert base64.b64decode(header[6:]).decode() == 'id%3Ax:p%40ss%2Fword'


# ------------------------------------------------------------------ the token flow
def token_answer(token='tok-1', expires_in=3600):
    return {'access_token': token, 'expires_in': expires_in, 'token_type': 'Bearer'}


def sa_client(tmp_path=None, **kwargs):
    cache = TokenCache(str(tmp_path / 'tokens')) if tmp_path is not None else None
    sleeps = []
    made = AtlasClient(base_url=BASE, auth=ServiceAccountAuth(CLIENT_ID, SECRET, cache), sleep=sleeps.append, rng=lambda: 0.5, **kwargs)
    made.sleeps = sleeps
    return made


@responses.activate
def test_one_token_for_many_calls_sent_as_bearer_with_basic_on_the_token_request():
    responses.post(TOKEN_URL, json=token_answer())
    responses.get(API, json={'results': []})
    client = sa_client()
    for _call in range(3):
        client.get(PATH)
    token_call, *api_calls = responses.calls
    assert token_call.request.headers['Authorization'] == basic_credentials(CLIENT_ID, SECRET)
    assert urllib.parse.parse_qs(token_call.request.body) == {'grant_type': ['client_credentials']}
    assert token_call.request.headers['Content-Type'] == 'application/x-www-form-urlencoded'
    assert [call.request.headers['Authorization'] for call in api_calls] == ['Bearer tok-1'] * 3
    assert len(responses.calls) == 4


@responses.activate
def test_no_token_is_fetched_before_the_first_call():
    sa_client()
    assert len(responses.calls) == 0


@responses.activate
def test_a_refused_token_is_renewed_once_then_the_401_is_final():
    responses.post(TOKEN_URL, json=token_answer('old'))
    responses.post(TOKEN_URL, json=token_answer('new'))
    responses.get(API, status=401, json={'error': 401, 'errorCode': 'UNAUTHORIZED', 'detail': 'expired'})
    responses.get(API, json={'results': []})
    client = sa_client()
    assert client.get(PATH) == {'results': []}
    assert [call.request.headers['Authorization'] for call in responses.calls if call.request.url.startswith(API)] == ['Bearer old', 'Bearer new']
    responses.replace(responses.GET, API, status=401, json={'error': 401, 'errorCode': 'UNAUTHORIZED', 'detail': 'no'})
    with pytest.raises(AtlasApiError) as caught:
        client.get(PATH)
    assert caught.value.status == 401 and caught.value.who == 'the service account'
    assert len([call for call in responses.calls if call.request.url == TOKEN_URL]) == 2  # one renewal per task, not one per 401
    message = explain_error('list snapshots', caught.value)
    assert 'Atlas rejected the service account (HTTP 401)' in message and 'client_secret' in message


@responses.activate
@pytest.mark.parametrize('code', ['USER_CANNOT_ACCESS_GROUP', 'USER_UNAUTHORIZED', 'NOT_IN_GROUP'])
def test_a_401_for_a_missing_role_or_project_keeps_the_token(code):
    """Atlas knew the caller (the token is good) and refused the project or the operation: renewing the token would cost a
    token request per task (10 a minute per service account) and change nothing, so the 401 is final at once."""
    responses.post(TOKEN_URL, json=token_answer('good'))
    responses.get(API, status=401, json={'error': 401, 'errorCode': code, 'detail': 'User cannot access this group.'})
    with pytest.raises(AtlasApiError) as caught:
        sa_client().get(PATH)
    assert caught.value.status == 401 and caught.value.error_code == code
    assert len([call for call in responses.calls if call.request.url == TOKEN_URL]) == 1
    assert len([call for call in responses.calls if call.request.url.startswith(API)]) == 1


@responses.activate
def test_bad_client_credentials_say_which_options_to_check_without_the_secret():
    responses.post(TOKEN_URL, status=401, json={'error': 'invalid_client', 'error_description': 'Invalid credentials provided.'})
    with pytest.raises(AtlasApiError) as caught:
        sa_client().get(PATH)
    assert caught.value.error_code == 'OAUTH_INVALID_CLIENT' and len(responses.calls) == 1  # a refusal is not retried
    message = explain_error('list snapshots', caught.value)
    assert 'client id or secret' in message and 'MONGODB_ATLAS_CLIENT_SECRET' in message and SECRET not in message


@responses.activate
def test_the_token_limit_explains_itself():
    responses.post(TOKEN_URL, status=403, json={'error': 'access_denied', 'error_description': 'Access Token limit reached.'})
    with pytest.raises(AtlasApiError) as caught:
        sa_client().get(PATH)
    message = explain_error('list snapshots', caught.value)
    assert '100 active tokens' in message and '(OAUTH_ACCESS_DENIED)' in message


@responses.activate
def test_the_token_endpoint_429_is_retried_after_retry_after():
    responses.post(TOKEN_URL, status=429, json={'error': 'rate_limited', 'error_description': 'slow down'}, headers={'Retry-After': '9'})
    responses.post(TOKEN_URL, json=token_answer())
    responses.get(API, json={'results': []})
    client = sa_client()
    client.get(PATH)
    assert client.sleeps == [9.0] and client.retries_used == 1


@responses.activate
def test_an_access_token_is_sent_as_is_and_never_renewed():
    responses.get(API, status=401, json={'error': 401, 'errorCode': 'UNAUTHORIZED', 'detail': 'expired'})
    client = AtlasClient(base_url=BASE, auth=TokenAuth('given-token'))
    with pytest.raises(AtlasApiError) as caught:
        client.get(PATH)
    assert len(responses.calls) == 1 and responses.calls[0].request.headers['Authorization'] == 'Bearer given-token'
    assert 'MONGODB_ATLAS_ACCESS_TOKEN' in explain_error('list snapshots', caught.value)


def test_reprs_hide_secrets():
    assert SECRET not in repr(ServiceAccountAuth(CLIENT_ID, SECRET, None)) and 'given' not in repr(TokenAuth('given'))
    assert 'priv' not in repr(DigestAuth('pub', 'priv'))


# ------------------------------------------------------------------ the token cache
class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


def fetcher(tokens):
    calls = []

    def fetch():
        calls.append(1)
        return {'access_token': tokens[len(calls) - 1], 'expires_at': clock.now + 3600}

    clock = Clock()
    return fetch, calls, clock


def test_cache_is_private_and_never_holds_the_secret(tmp_path):
    fetch, calls, clock = fetcher(['tok-1'])
    cache = TokenCache(str(tmp_path / 'tokens'), clock=clock)
    assert cache.get(BASE, CLIENT_ID, SECRET, fetch) == 'tok-1'
    assert cache.get(BASE, CLIENT_ID, SECRET, fetch) == 'tok-1' and len(calls) == 1
    assert stat.S_IMODE(os.stat(tmp_path / 'tokens').st_mode) == 0o700
    for name in os.listdir(tmp_path / 'tokens'):
        path = tmp_path / 'tokens' / name
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        content = path.read_text()
        assert SECRET not in content and CLIENT_ID not in content
        assert ('tok-1' in content) == name.endswith('.json')  # the token is in its own file only; the lock file is empty


def test_renewed_with_less_than_ten_minutes_left(tmp_path):
    fetch, calls, clock = fetcher(['tok-1', 'tok-2'])
    cache = TokenCache(str(tmp_path), clock=clock)
    os.chmod(tmp_path, 0o700)
    cache.get(BASE, CLIENT_ID, SECRET, fetch)
    clock.now += 3600 - RENEW_MARGIN - 1
    assert cache.get(BASE, CLIENT_ID, SECRET, fetch) == 'tok-1'
    clock.now += 2
    assert cache.get(BASE, CLIENT_ID, SECRET, fetch) == 'tok-2' and len(calls) == 2


def test_a_rotated_secret_or_another_url_never_reuses_a_token(tmp_path):
    fetch, calls, clock = fetcher(['tok-1', 'tok-2', 'tok-3'])
    cache = TokenCache(str(tmp_path / 't'), clock=clock)
    assert cache.get(BASE, CLIENT_ID, SECRET, fetch) == 'tok-1'
    assert cache.get(BASE, CLIENT_ID, SECRET + '-rotated', fetch) == 'tok-2'
    assert cache.get('https://other.test', CLIENT_ID, SECRET, fetch) == 'tok-3'


def test_a_dropped_token_is_not_handed_out_again(tmp_path):
    fetch, calls, clock = fetcher(['tok-1', 'tok-2'])
    cache = TokenCache(str(tmp_path / 't'), clock=clock)
    cache.get(BASE, CLIENT_ID, SECRET, fetch)
    assert cache.get(BASE, CLIENT_ID, SECRET, fetch, drop='tok-1') == 'tok-2'
    assert cache.get(BASE, CLIENT_ID, SECRET, fetch) == 'tok-2' and len(calls) == 2


@pytest.mark.parametrize('spoil', ['garbage', 'foreign key', 'loose mode', 'not a dict'])
def test_a_corrupt_or_foreign_file_is_ignored_and_replaced(tmp_path, spoil):
    fetch, calls, clock = fetcher(['tok-1', 'tok-2'])
    cache = TokenCache(str(tmp_path / 't'), clock=clock)
    cache.get(BASE, CLIENT_ID, SECRET, fetch)
    path = tmp_path / 't' / (TokenCache.key(BASE, CLIENT_ID, SECRET) + '.json')
    doc = json.loads(path.read_text())
    if spoil == 'garbage':
        path.write_text('{not json')
    elif spoil == 'foreign key':
        path.write_text(json.dumps(dict(doc, key='0' * 64, access_token='planted')))
    elif spoil == 'loose mode':
        os.chmod(path, 0o644)
    else:
        path.write_text('["tok-1"]')
    assert cache.get(BASE, CLIENT_ID, SECRET, fetch) == 'tok-2' and len(calls) == 2
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and json.loads(path.read_text())['access_token'] == 'tok-2'


def test_a_directory_others_can_enter_is_not_used(tmp_path):
    fetch, calls, clock = fetcher(['tok-1', 'tok-2'])
    open_dir = tmp_path / 'open'
    open_dir.mkdir(mode=0o777)
    os.chmod(open_dir, 0o777)
    cache = TokenCache(str(open_dir), clock=clock)
    assert cache.get(BASE, CLIENT_ID, SECRET, fetch) == 'tok-1'
    assert cache.get(BASE, CLIENT_ID, SECRET, fetch) == 'tok-2'  # nothing was trusted to it, nothing read from it
    assert os.listdir(open_dir) == []


def test_parallel_callers_fetch_one_token_between_them(tmp_path):
    fetch, calls, clock = fetcher(['tok-1', 'tok-2'])
    cache = TokenCache(str(tmp_path / 't'), clock=clock)
    start = threading.Barrier(10)
    got = []

    def fork():
        start.wait()
        got.append(TokenCache(cache.directory, clock=clock).get(BASE, CLIENT_ID, SECRET, fetch))

    threads = [threading.Thread(target=fork) for _fork in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ['tok-1'] * 10 and len(calls) == 1


@responses.activate
def test_a_failed_renewal_is_fetched_again_on_the_next_call_never_the_refused_token(tmp_path):
    """A 401 drops the token; when fetching its replacement fails (the token endpoint's 503), the next call (a waiter's
    next poll) fetches a token again instead of sending the refused one or taking it back from the cache."""
    responses.post(TOKEN_URL, json=token_answer('old'))
    responses.post(TOKEN_URL, status=503, json={'error': 'server_error', 'error_description': 'Unexpected error.'})
    responses.post(TOKEN_URL, json=token_answer('new'))
    responses.get(API, status=401, json={'error': 401, 'errorCode': 'UNAUTHORIZED', 'detail': 'revoked'})
    responses.get(API, json={'results': []})
    client = sa_client(tmp_path, retries=0)
    with pytest.raises(AtlasApiError) as caught:
        client.get(PATH)
    assert caught.value.status == 503 and caught.value.transient
    assert client.get(PATH) == {'results': []}
    assert [call.request.headers['Authorization'] for call in responses.calls if call.request.url == API] == ['Bearer old', 'Bearer new']

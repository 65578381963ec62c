# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Retry-After with a ceiling: a pause before a retry is at most min(Retry-After, 120 s, what is left of the task's wait
budget); a longer ask fails at once and says why. HTTP dates are read on Atlas's clock (the answer's Date header)."""
from __future__ import annotations

import email.utils
import io
import time

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._auth import ServiceAccountAuth
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import RETRY_AFTER_CEILING, AtlasClient, RetryAfterTooLong
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._transfer import download
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import wait_for
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.module_utils.atlas_http import BASE, SNAPSHOTS, V2, client

TOKEN_URL = BASE + '/api/oauth/token'
ATLAS_DATE = 'Sun, 22 Nov 2026 03:00:00 GMT'


@responses.activate
@pytest.mark.parametrize('status, why', [(429, 'it is rate limiting requests (HTTP 429)'), (503, 'it is unavailable (HTTP 503)')])
def test_a_retry_after_of_an_hour_fails_at_once_and_says_why(status, why):
    responses.add(responses.GET, V2 + SNAPSHOTS, status=status, json={'errorCode': 'RATE_LIMITED', 'detail': 'Slow down.'},
                  headers={'Retry-After': '3600'})
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    api = client()
    with pytest.raises(AtlasApiError) as caught:
        api.get(SNAPSHOTS)
    assert isinstance(caught.value, RetryAfterTooLong) and caught.value.status == status
    assert api.sleeps == [] and len(responses.calls) == 1  # one answer, no retry
    detail = caught.value.detail
    assert detail.startswith('Slow down. (Atlas asked to wait 3600 s before trying again because ' + why)
    assert '120 s (the longest pause before a retry)' in detail and 'run the task again later' in detail
    assert api.retries_used == 0


@responses.activate
def test_the_ceiling_itself_is_allowed_and_one_second_more_is_not():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=429, headers={'Retry-After': '120'})
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    responses.add(responses.GET, V2 + SNAPSHOTS, status=429, headers={'Retry-After': '121'})
    api = client()
    assert api.get(SNAPSHOTS) == {'ok': 1} and api.sleeps == [RETRY_AFTER_CEILING]
    with pytest.raises(RetryAfterTooLong):
        api.get(SNAPSHOTS)
    assert api.sleeps == [RETRY_AFTER_CEILING]


@responses.activate
@pytest.mark.parametrize('skew_hours', [-5, 0, 5])
def test_an_http_date_is_read_against_atlas_date_header_not_the_local_clock(skew_hours):
    atlas_now = time.time() + skew_hours * 3600  # Atlas's clock, hours away from this host's
    headers = {'Date': email.utils.formatdate(atlas_now, usegmt=True), 'Retry-After': email.utils.formatdate(atlas_now + 30, usegmt=True)}
    responses.add(responses.GET, V2 + SNAPSHOTS, status=503, headers=headers)
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    api = client()
    assert api.get(SNAPSHOTS) == {'ok': 1}
    assert api.sleeps == [30.0]


@responses.activate
def test_an_http_date_without_a_date_header_falls_back_to_the_local_clock():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=503, headers={'Retry-After': email.utils.formatdate(time.time() + 20, usegmt=True)})
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    api = client()
    api.get(SNAPSHOTS)
    assert 18 <= api.sleeps[0] <= 20


@responses.activate
def test_the_task_wait_budget_caps_the_pause_and_fails_a_longer_ask():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=429, headers={'Retry-After': '7'})
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    responses.add(responses.GET, V2 + SNAPSHOTS, status=429, headers={'Retry-After': '60'})
    api = client(deadline=time.monotonic() + 30)
    assert api.get(SNAPSHOTS) == {'ok': 1} and api.sleeps == [7.0]
    with pytest.raises(RetryAfterTooLong) as caught:
        api.get(SNAPSHOTS)
    assert "Atlas asked to wait 60 s" in caught.value.detail and "what is left of the task's wait budget" in caught.value.detail
    assert api.sleeps == [7.0]


@responses.activate
def test_the_wait_budget_also_caps_a_plain_backoff():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=502)
    responses.add(responses.GET, V2 + SNAPSHOTS, json={'ok': 1})
    api = client(deadline=time.monotonic() + 0.2, rng=lambda: 1.0)  # the backoff would be 1 s
    assert api.get(SNAPSHOTS) == {'ok': 1}
    assert len(api.sleeps) == 1 and 0 <= api.sleeps[0] <= 0.2


def test_deadline_is_a_constructor_keyword_and_defaults_to_none():
    assert AtlasClient().deadline is None
    assert AtlasClient(deadline=12.5).deadline == 12.5
    assert AtlasClient().longest_pause() == RETRY_AFTER_CEILING
    assert AtlasClient(deadline=time.monotonic() - 5).longest_pause() == 0.0


@responses.activate
def test_a_poll_that_meets_a_long_retry_after_ends_the_wait_instead_of_sleeping_it_out():
    responses.add(responses.GET, V2 + SNAPSHOTS, status=429, headers={'Retry-After': '3600'})
    api = client()
    slept = []
    with pytest.raises(RetryAfterTooLong):
        wait_for(lambda: api.get(SNAPSHOTS), lambda doc: True, timeout=7200, description='x', sleep=slept.append, clock=lambda: sum(slept))
    assert slept == []


# ------------------------------------------------------------------ the token endpoint and transfers share the pause
def sa_client(**kwargs):
    sleeps = []
    made = AtlasClient(base_url=BASE, auth=ServiceAccountAuth('mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01', 'mdb_sa_sk_secret', None),
                       sleep=sleeps.append, rng=lambda: 0.5, **kwargs)
    made.sleeps = sleeps
    return made


@responses.activate
def test_the_token_endpoint_fails_at_once_on_a_long_retry_after():
    responses.post(TOKEN_URL, status=429, json={'error': 'rate_limited', 'error_description': 'slow down'}, headers={'Retry-After': '3600'})
    api = sa_client()
    with pytest.raises(RetryAfterTooLong) as caught:
        api.get(SNAPSHOTS)
    assert api.sleeps == [] and len(responses.calls) == 1
    assert 'Atlas asked to wait 3600 s before trying again because it is rate limiting requests (HTTP 429)' in caught.value.detail


@responses.activate
def test_the_token_endpoint_reads_an_http_date_on_atlas_clock():
    atlas_now = time.time() - 4 * 3600
    responses.post(TOKEN_URL, status=429, json={'error': 'rate_limited'},
                   headers={'Date': email.utils.formatdate(atlas_now, usegmt=True), 'Retry-After': email.utils.formatdate(atlas_now + 30, usegmt=True)})
    responses.post(TOKEN_URL, json={'access_token': 't', 'expires_in': 3600})
    responses.get(V2 + SNAPSHOTS, json={'results': []})
    api = sa_client()
    api.get(SNAPSHOTS)
    assert api.sleeps == [30.0]


def test_a_resumed_transfer_pauses_within_the_wait_budget(scripted):
    body = b'\x1f\x8b' + b'x' * 5000

    def behaviour(server, conn):
        if len(server.requests) == 1:  # the first answer stops cleanly half way (truncated): the transfer resumes
            conn.sendall(f'HTTP/1.1 200 OK\r\nETag: "v1"\r\nContent-Length: {len(body)}\r\n\r\n'.encode() + body[:2000])
        else:
            conn.sendall(f'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 2000-{len(body) - 1}/{len(body)}\r\nETag: "v1"\r\n'
                         f'Content-Length: {len(body) - 2000}\r\n\r\n'.encode() + body[2000:])

    server = scripted(behaviour)
    api = client(deadline=time.monotonic() + 0.05, rng=lambda: 1.0)  # the backoff alone would be 1 s
    sink = io.BytesIO()
    result = download(api, server.url + '/a.tgz', sink)
    assert sink.getvalue() == body and result['resumes'] == 1
    assert len(api.sleeps) == 1 and api.sleeps[0] <= 0.05

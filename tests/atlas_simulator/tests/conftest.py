# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures: a simulator running in-process on free ports, reset before every test, and a digest-authenticated client."""
from __future__ import annotations

import hashlib
import http.client
import os
import re
import sys
import threading
import typing as t

import pytest
import requests
from requests.auth import HTTPDigestAuth

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from atlas_simulator import GROUP_ID  # noqa: E402  pylint: disable=wrong-import-position
from atlas_simulator.server import SimServer, Simulator  # noqa: E402  pylint: disable=wrong-import-position

BACKUP = 'application/vnd.atlas.2023-01-01+json'
FLEX = 'application/vnd.atlas.2024-11-13+json'
CLUSTER = 'application/vnd.atlas.2024-08-05+json'


class Sim:
    """A running simulator and helpers to call it."""

    def __init__(self) -> None:
        self.sim = Simulator({})
        self.api = SimServer(('127.0.0.1', 0), self.sim, 'api', 'http')
        try:
            self.download = SimServer(('127.0.0.2', 0), self.sim, 'download', 'http')
        except OSError:
            self.download = SimServer(('127.0.0.1', 0), self.sim, 'download', 'http')
        self.sim.download_base = f'http://{self.download.server_address[0]}:{self.download.server_address[1]}'
        self.url = f'http://127.0.0.1:{self.api.server_address[1]}'
        self.threads = [threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
                        for server in (self.api, self.download)]
        for thread in self.threads:
            thread.start()

    def v2(self, suffix: str = '') -> str:
        return f'{self.url}/api/atlas/v2/groups/{GROUP_ID}{suffix}'

    def v1(self, suffix: str = '') -> str:
        return f'{self.url}/api/atlas/v1.0/groups/{GROUP_ID}{suffix}'

    def control(self, method: str, what: str, body: t.Any = None) -> requests.Response:
        return requests.request(method, f'{self.url}/__sim__/{what}', json=body, timeout=10)

    def in_2025(self) -> None:
        """Atlas before 2026-01-22 (the world setting): Tenant0 is an M2 and the tenant backup endpoints answer."""
        assert self.control('PATCH', 'config', {'world': '2025'}).status_code == 200

    def log(self) -> list[dict[str, t.Any]]:
        return self.control('GET', 'requests').json()['requests']

    def stop(self) -> None:
        for server in (self.api, self.download):
            server.shutdown()
            server.server_close()


@pytest.fixture(scope='session')
def running() -> t.Iterator[Sim]:
    sim = Sim()
    yield sim
    sim.stop()


@pytest.fixture
def sim(running: Sim) -> Sim:
    assert running.control('POST', 'reset').status_code == 200
    return running


def session_for(public: str = 'owner-public', private: str = 'owner-private') -> requests.Session:
    session = requests.Session()
    session.auth = HTTPDigestAuth(public, private)
    return session


@pytest.fixture
def owner() -> requests.Session:
    return session_for()


@pytest.fixture
def reader() -> requests.Session:
    return session_for('reader-public', 'reader-private')


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def digest_header(params: dict[str, str], path: str, nc: int, user: str = 'owner-public', password: str = 'owner-private',
                  method: str = 'GET') -> str:
    """An RFC 7616 Authorization header (MD5, qop=auth) for a challenge's params."""
    ha1 = md5(f'{user}:{params["realm"]}:{password}')
    ha2 = md5(f'{method}:{path}')
    response = md5(f'{ha1}:{params["nonce"]}:{nc:08x}:abcdef:auth:{ha2}')
    return (f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", uri="{path}", '
            f'response="{response}", qop=auth, nc={nc:08x}, cnonce="abcdef", algorithm=MD5')


def challenge_params(header: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="?([^",]*)"?', header))


def raw_call(sim: Sim, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None,
             user: str = 'owner-public', password: str = 'owner-private') -> tuple[int, dict[str, str], bytes]:
    """One digest-authenticated call with http.client, sending exactly the given headers (no default Accept)."""
    conn = http.client.HTTPConnection('127.0.0.1', sim.api.server_address[1], timeout=10)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        first = conn.getresponse()
        first.read()
        params = challenge_params(first.getheader('WWW-Authenticate'))
        conn.request(method, path, body=body, headers=dict(headers or {}, Authorization=digest_header(params, path, 1, user, password, method)))
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()

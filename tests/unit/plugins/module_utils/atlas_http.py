# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the client, error and transfer tests: a client with recorded sleeps, and a scripted TCP server on 127.0.0.1
for what `responses` cannot fake faithfully (a refused connection, a timeout or a reset after the request was sent, a body
cut short)."""
from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
import threading

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._auth import DigestAuth
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import BACKUP_VERSION, AtlasClient

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


def reset(conn):
    """Close with RST instead of FIN (SO_LINGER 0): the peer sees 'connection reset'."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))


def free_port_url():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    return f'http://127.0.0.1:{port}'  # nothing listens there any more: connection refused


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

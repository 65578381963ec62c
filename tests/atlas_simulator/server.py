# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP plumbing: the two listeners (Atlas API and download host), the request pipeline, the request log."""
from __future__ import annotations

import email.utils
import http.server
import json
import re
import socket
import struct
import threading
import time
import typing as t
import urllib.parse

from atlas_simulator import GROUP_ID, config as config_mod, control, routes, seed
from atlas_simulator.auth import DigestAuthenticator, Unauthorized, check_access_list, check_permission, scheme_of
from atlas_simulator.downloads import Archives, Signer, parse_object_path, s3_error
from atlas_simulator.errors import ApiError
from atlas_simulator.faults import Faults
from atlas_simulator.ratelimit import TokenBuckets
from atlas_simulator.state import Clock, DownloadJob, World

API_PATH = re.compile(r'^/api/atlas/(v1\.0|v2)(/.*)$')
VERSIONED = re.compile(r'application/vnd\.atlas\.(\d{4}-\d{2}-\d{2})\+json')


class Simulator:
    """All the simulator's state: world, clock, keys, buckets, faults, request log, download links."""

    def __init__(self, startup_config: dict[str, t.Any]) -> None:
        self.startup_config = startup_config
        self.clock = Clock()
        self.faults = Faults()
        self.signer = Signer()
        self.archives = Archives()
        self.log: list[dict[str, t.Any]] = []
        self.log_lock = threading.Lock()
        self.download_base = ''
        self.config: dict[str, t.Any] = {}
        self.world: World
        self.keys: dict[str, dict[str, t.Any]] = {}
        self.auth = DigestAuthenticator(self.keys, lambda: self.config['nonce_lifetime'], self.seconds)
        self.buckets = TokenBuckets(lambda: self.config['rate_limit'], self.seconds)
        self.reset()

    def seconds(self) -> float:
        return self.clock.now().timestamp()

    def reset(self, partial: dict[str, t.Any] | None = None) -> None:
        """Back to the seed and the start-up configuration, then apply `partial`."""
        settings = {k: v for k, v in self.startup_config.items() if k not in config_mod.SEED_KEYS}
        merged = config_mod.merge(config_mod.merge(config_mod.DEFAULTS, settings), partial or {})
        self.clock = Clock()
        self.config = merged
        self.keys.clear()
        self.keys.update(seed.build_keys(self.startup_config.get('api_keys')))
        self.world = World(GROUP_ID, seed.build_clusters(self.clock.now(), self.startup_config.get('clusters')), self.config)
        self.faults.clear()
        self.buckets.reset()
        self.auth.reset()
        with self.log_lock:
            self.log.clear()

    def update_config(self, partial: dict[str, t.Any]) -> None:
        merged = config_mod.merge(self.config, config_mod.validate(partial))
        with self.world.lock:
            self.config.clear()
            self.config.update(merged)

    def record(self, entry: dict[str, t.Any]) -> dict[str, t.Any]:
        with self.log_lock:
            entry['seq'] = len(self.log) + 1
            self.log.append(entry)
        return entry

    def snapshot_url(self, job: DownloadJob) -> str:
        expires = int(job.link_expires().timestamp())
        return self.signer.url(self.download_base, job.id, job.snapshot_id, expires, int(job.link_lifetime))


class Handler(http.server.BaseHTTPRequestHandler):
    """One connection; keep-alive; dispatches to the API pipeline, the control API or the download host."""

    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True
    server: 'SimServer'

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header tells simulator time, as Atlas's tells its own."""
        return email.utils.formatdate(self.server.sim.seconds() if timestamp is None else timestamp, usegmt=True)

    def log_message(self, format: str, *args: t.Any) -> None:  # pylint: disable=redefined-builtin
        """Quiet: the request log at /__sim__/requests is the record."""

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        self.dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_GET

    # ------------------------------------------------------------ responses
    def send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None, head: bool = False) -> None:
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def send_json(self, status: int, doc: t.Any, content_type: str = 'application/json', headers: dict[str, str] | None = None,
                  pretty: bool = False) -> None:
        body = b'' if doc is None else json.dumps(doc, indent=2 if pretty else None, sort_keys=pretty).encode('utf-8')
        self.send(status, body, content_type, headers)

    def send_error_doc(self, error: ApiError) -> None:
        self.send_json(error.status, error.body(), headers=dict(error.headers, **{'X-Error-Code': error.code}))

    def abort(self) -> None:
        """Drop the connection without answering (RST where the OS sends it)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        self.close_connection = True

    def read_body(self) -> bytes:
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length else b''

    # ------------------------------------------------------------ pipeline
    def dispatch(self) -> None:
        sim = self.server.sim
        parsed = urllib.parse.urlsplit(self.path)
        raw_body = self.read_body()
        if self.server.role == 'api' and parsed.path.startswith('/__sim__'):
            status, doc = control.handle(sim, self.command, parsed.path, parsed.query, raw_body)
            self.send_json(status, doc)
            return
        entry = sim.record({'method': self.command, 'path': parsed.path, 'query': parsed.query, 'status': None,
                            'auth': scheme_of(self.headers.get('Authorization')), 'host': self.headers.get('Host'),
                            'server': self.server.role, 'time': time.time()})
        if self.server.role == 'download':
            entry['status'] = self.serve_download(parsed)
        else:
            entry['status'] = self.serve_api(parsed, raw_body)

    def apply_fault(self, fault: dict[str, t.Any] | None) -> int | None:
        """Act out a fault; return the status sent, 0 when the connection was dropped, None to carry on."""
        if fault is None:
            return None
        action = fault['action']
        if action == 'latency':
            time.sleep(float(fault['delay']))
            return None
        if action == 'reset':
            self.abort()
            return 0
        if action == 'status':
            code = fault.get('error_code') or ('RATE_LIMITED_TOKEN_BUCKET' if fault['status'] == 429 else 'UNEXPECTED_ERROR')
            headers = {'Retry-After': str(fault['retry_after'])} if fault.get('retry_after') is not None else {}
            self.send_error_doc(ApiError(fault['status'], code, 'Injected fault.', headers=headers))
            return fault['status']
        return None  # drop_after_write and truncate act after the request is handled

    def serve_api(self, parsed: urllib.parse.SplitResult, raw_body: bytes) -> int | None:
        sim = self.server.sim
        try:
            found = API_PATH.match(parsed.path)
            if not found:
                raise ApiError(404, 'RESOURCE_NOT_FOUND', f'Cannot find resource {parsed.path}.', [parsed.path])
            api_version, api_path = found.groups()
            public = sim.auth.authenticate(self.headers.get('Authorization'), self.command, self.path)
            fault = sim.faults.take(self.command, parsed.path)
            sent = self.apply_fault(fault)
            if sent is not None:
                return sent or None
            key = sim.keys[public]
            check_access_list(key, self.client_address[0])
            route, params = routes.match(self.command, api_path, api_version)
            version = self.resource_version(api_version, route)
            routes.check_path_params(params, lambda group: group == sim.world.group_id)
            check_permission(key, route.permission)
            headers = sim.buckets.take(params['group'], route.endpoint_set, parsed.path) if api_version == 'v2' else {}
            if route.endpoint_set == 'tenant' and sim.config['tenant_sunset']:
                raise self.sunset_error(sim.config['tenant_sunset'])
            status, doc = self.run_handler(route, params, version, parsed, raw_body)
        except Unauthorized as exc:
            challenge = sim.auth.challenge(stale=exc.stale)
            self.send_json(401, exc.body(), headers={'WWW-Authenticate': challenge, 'X-Error-Code': exc.code})
            return 401
        except ApiError as exc:
            self.send_error_doc(exc)
            return exc.status
        if fault is not None and fault['action'] == 'drop_after_write':
            self.abort()
            return None
        query = urllib.parse.parse_qs(parsed.query)
        if doc is not None and query.get('envelope', ['false'])[0] == 'true':
            doc = dict(doc, status=status) if 'results' in doc else {'status': status, 'content': doc}
        content_type = 'application/json' if version == 'v1.0' else f'application/vnd.atlas.{version}+json;charset=utf-8'
        self.send_json(status, doc, content_type, headers, pretty=query.get('pretty', ['false'])[0] == 'true')
        return status

    def resource_version(self, api_version: str, route: routes.Route) -> str:
        """v1.0 needs no header; v2 must name one of the resource's versions in Accept, else 406."""
        if api_version == 'v1.0':
            return 'v1.0'
        asked = VERSIONED.findall(self.headers.get('Accept') or '')
        for version in asked:
            if version in route.versions:
                return version
        wanted = ', '.join(f'application/vnd.atlas.{v}+json' for v in route.versions)
        raise ApiError(406, 'INVALID_VERSION_DATE',
                       f'The Accept header must name a supported version of this resource ({wanted}); got {self.headers.get("Accept")!r}.')

    @staticmethod
    def sunset_error(status: int) -> ApiError:
        if status == 410:
            return ApiError(410, 'VERSION_GONE', 'This endpoint was removed on 2026-01-22 (shared-tier backups moved to the Flex API).')
        return ApiError(404, 'NOT_FOUND', 'Endpoint not found: the shared-tier (tenant) backup API was removed on 2026-01-22.')

    def run_handler(self, route: routes.Route, params: dict[str, str], version: str, parsed: urllib.parse.SplitResult,
                    raw_body: bytes) -> tuple[int, t.Any]:
        sim = self.server.sim
        body = None
        if raw_body:
            try:
                body = json.loads(raw_body)
            except ValueError:
                raise ApiError(400, 'INVALID_JSON', 'The request body is not valid JSON.') from None
        base = f'{self.server.scheme}://{self.headers.get("Host") or self.server.address}'
        with sim.world.lock:
            ctx = routes.Context(sim.world, sim.clock.now(), base, version, urllib.parse.parse_qs(parsed.query), parsed.path, body, sim.snapshot_url)
            return routes.call(route, ctx, params)

    # ------------------------------------------------------------ the download host
    def serve_download(self, parsed: urllib.parse.SplitResult) -> int | None:
        sim = self.server.sim
        fault = sim.faults.take(self.command, parsed.path)
        sent = self.apply_fault(fault)
        if sent is not None:
            return sent or None
        status, body, headers, path = self.check_download(parsed)
        if path is None:
            self.send(status, body, 'application/xml', headers)
            return status
        size = int(headers['Content-Length'])
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == 'HEAD':
            return 200
        limit = size // 2 if fault is not None and fault['action'] == 'truncate' else size
        with open(path, 'rb') as handle:
            # zero-copy where the OS allows: the benchmark should measure the client, not this server
            self.wfile.flush()
            self.connection.sendfile(handle, 0, limit)
        if limit < size:
            self.abort()
        return 200

    def check_download(self, parsed: urllib.parse.SplitResult) -> tuple[int, bytes, dict[str, str], str | None]:
        """Refusals as a storage service words them, or the archive to serve."""
        sim = self.server.sim
        if self.command not in ('GET', 'HEAD'):
            return 405, s3_error('MethodNotAllowed', 'The specified method is not allowed against this resource.'), {}, None
        if self.headers.get('Authorization'):
            return 400, s3_error('InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Signature query parameter '
                                 'or the Authorization header should be specified.'), {}, None
        object_ids = parse_object_path(parsed.path)
        expires = sim.signer.check(parsed.path, urllib.parse.parse_qs(parsed.query)) if object_ids else None
        if object_ids is None or expires is None:
            return 403, s3_error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'), {}, None
        if sim.seconds() > expires:
            return 403, s3_error('AccessDenied', 'Request has expired'), {}, None
        path = sim.archives.path(object_ids[1], int(sim.config['archive_size']))
        with open(path, 'rb') as handle:
            handle.seek(0, 2)
            size = handle.tell()
        headers = {'Content-Type': 'application/gzip', 'Content-Length': str(size), 'ETag': f'"{object_ids[1]}-{size}"',
                   'Content-Disposition': f'attachment; filename="{object_ids[1]}.tgz"'}
        return 200, b'', headers, path


class SimServer(http.server.ThreadingHTTPServer):
    """A listener that knows its simulator, its role (api or download) and its scheme."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: Simulator, role: str, scheme: str) -> None:
        super().__init__(address, Handler)
        self.sim = sim
        self.role = role
        self.scheme = scheme
        self.address = f'{self.server_address[0]}:{self.server_address[1]}'

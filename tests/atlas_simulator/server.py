# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP plumbing: the two listeners (Atlas API and download host), the request pipeline, the OAuth token paths, the request log."""
from __future__ import annotations

import email.utils
import http.server
import json
import re
import socket
import struct
import sys
import threading
import time
import typing as t
import urllib.parse

from atlas_simulator import control, oauth, routes
from atlas_simulator.auth import Unauthorized, check_access_list, check_group_access, check_permission, scheme_of
from atlas_simulator.config import tenant_gone
from atlas_simulator.downloads import Archive, Throttle, parse_object_path, s3_error
from atlas_simulator.errors import ApiError
from atlas_simulator.routes_common import Context
from atlas_simulator.simulator import Simulator

API_PATH = re.compile(r'^/api/atlas/(v1\.0|v2)(/.*)$')
VERSIONED = re.compile(r'application/vnd\.atlas\.(\d{4}-\d{2}-\d{2})\+json')


class Handler(http.server.BaseHTTPRequestHandler):
    """One connection; keep-alive; dispatches to the API pipeline, the control API or the download host."""

    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True
    server: 'SimServer'
    entry: dict[str, t.Any] | None  # this request's record in the request log

    def setup(self) -> None:
        """With --tls the handshake runs here, in the connection's own thread, so a silent client cannot stall accept()."""
        handshake = getattr(self.request, 'do_handshake', None)
        if handshake is not None:
            self.request.settimeout(30)
            handshake()
            self.request.settimeout(None)
        super().setup()

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header tells simulator time, as Atlas's tells its own."""
        return email.utils.formatdate(self.server.sim.seconds() if timestamp is None else timestamp, usegmt=True)

    def log_message(self, format: str, *args: t.Any) -> None:  # pylint: disable=redefined-builtin
        """Quiet: the request log at /__sim__/requests is the record."""

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        self.dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_GET

    # ------------------------------------------------------------ responses
    def send_response(self, code: int, message: str | None = None) -> None:
        """Record the status in the request log BEFORE the answer leaves: a client that has its answer may read the log
        at once, however busy the machine (the pipeline's own assignment afterwards writes the same value)."""
        entry = getattr(self, 'entry', None)
        if entry is not None and entry.get('status') is None:
            entry['status'] = code
        super().send_response(code, message)

    def send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None, head: bool = False) -> None:
        self.send_response(status)
        if content_type:
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
        """Drop the connection without (the rest of) an answer: SO_LINGER 0 makes the close send a TCP RST."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        self.server.mark_aborted(self.request)
        self.close_connection = True

    def read_body(self) -> bytes:
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length else b''

    # ------------------------------------------------------------ pipeline
    def dispatch(self) -> None:
        sim = self.server.sim
        self.entry = None  # a keep-alive connection serves many requests: never touch the previous one's record
        parsed = urllib.parse.urlsplit(self.path)
        raw_body = self.read_body()
        if self.server.role == 'api' and parsed.path.startswith('/__sim__'):
            status, doc = control.handle(sim, self.command, parsed.path, parsed.query, raw_body)
            self.send_json(status, doc)
            return
        entry = sim.record({'method': self.command, 'path': parsed.path, 'query': parsed.query, 'status': None,
                            'auth': scheme_of(self.headers.get('Authorization')), 'client_id': None, 'host': self.headers.get('Host'),
                            'range': self.headers.get('Range'),
                            'server': self.server.role, 'time': time.time()})
        self.entry = entry
        if parsed.path.endswith('/backup/schedule') and raw_body:  # what a schedule write sent, for the scenarios to judge
            try:
                entry['body'] = json.loads(raw_body)
            except ValueError:
                entry['body'] = None
        try:
            if self.server.role == 'download':
                entry['status'] = self.serve_download(parsed)
            elif parsed.path in oauth.PATHS:
                entry['status'] = self.serve_oauth(parsed, raw_body)
            else:
                entry['status'] = self.serve_api(parsed, raw_body)
        except OSError:
            self.close_connection = True  # the client went away mid-answer; nothing left to say
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A bug in the simulator must still look like Atlas (500 UNEXPECTED_ERROR), not a dropped connection.
            print(f'atlas simulator: internal error on {self.command} {parsed.path}: {exc!r}', file=sys.stderr, flush=True)
            self.send_error_doc(ApiError(500, 'UNEXPECTED_ERROR', f'Unexpected error: {exc}'))
            entry['status'] = 500

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
        fault: dict[str, t.Any] | None = None
        try:
            found = API_PATH.match(parsed.path)
            if not found:
                raise ApiError(404, 'RESOURCE_NOT_FOUND', f'Cannot find resource {parsed.path}.', [parsed.path])
            api_version, api_path = found.groups()
            key = self.principal()
            fault = sim.faults.take(self.command, parsed.path)
            sent = self.apply_fault(fault)
            if sent is not None:
                return sent or None
            check_access_list(key, self.client_address[0])
            route, params = routes.match(self.command, api_path, api_version)
            if route.endpoint_set.startswith('shared_tier') and tenant_gone(sim.config):
                raise self.sunset_error(sim.config['tenant_sunset'])  # a removed route: before its version, permission or bucket
            version = self.resource_version(api_version, route)
            self.check_content_type(raw_body, route)
            routes.check_path_params(params, lambda group: group in sim.worlds)
            check_group_access(key, params['group'])
            check_permission(key, route.permission)
            headers = sim.buckets.take(params['group'], route.endpoint_set, parsed.path) if api_version == 'v2' else {}
            status, doc = self.run_handler(route, params, version, parsed, raw_body)
        except Unauthorized as exc:
            headers = {'X-Error-Code': exc.code}
            if exc.challenge:
                headers['WWW-Authenticate'] = sim.auth.challenge(stale=exc.stale)
            self.send_json(401, exc.body(), headers=headers)
            return 401
        except ApiError as exc:
            if fault is not None and fault['action'] == 'drop_after_write':
                self.abort()  # the request was handled (and refused); its answer is lost all the same
                return None
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

    def principal(self) -> dict[str, t.Any]:
        """The roles and access list of the caller: the service account of a bearer token, else the digest-authenticated key."""
        sim = self.server.sim
        header = self.headers.get('Authorization')
        client_id = sim.oauth.bearer_client(header)
        if client_id is not None:
            self.entry['client_id'] = client_id
            return sim.service_accounts[client_id]
        return sim.keys[sim.auth.authenticate(header, self.command, self.path)]

    def serve_oauth(self, parsed: urllib.parse.SplitResult, raw_body: bytes) -> int | None:
        """POST /api/oauth/token and /api/oauth/revoke; faults apply to every request here (there is no challenge leg)."""
        sim = self.server.sim
        self.entry['client_id'] = oauth.claimed_client_id(self.headers.get('Authorization'))
        self.entry['query'] = oauth.redact_query(parsed.query)
        fault = sim.faults.take(self.command, parsed.path)
        if fault is not None and fault['action'] == 'status':
            answer = oauth.fault_answer(fault, parsed.path, sim.config['oauth']['requests_per_minute'])
        else:
            sent = self.apply_fault(fault)
            if sent is not None:
                return sent or None
            answer = sim.oauth.handle(self.command, parsed.path, self.headers.get('Authorization'), self.headers.get('Content-Type'),
                                      raw_body, self.client_address[0])
        if fault is not None and fault['action'] == 'drop_after_write':
            self.abort()  # a token may have been issued (it holds a slot of the 100) and its answer is lost
            return None
        if answer.doc is None:
            self.send(answer.status, b'', '', answer.headers)
        else:
            self.send_json(answer.status, answer.doc, headers=answer.headers)
        return answer.status

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

    def check_content_type(self, raw_body: bytes, route: routes.Route) -> None:
        """A body must be JSON: `application/json` or the versioned type of the resource, else 415."""
        if not raw_body:
            return
        media = (self.headers.get('Content-Type') or '').split(';', 1)[0].strip().lower()
        found = VERSIONED.fullmatch(media)
        if media == 'application/json' or (found and found.group(1) in route.versions):
            return
        raise ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', f'Unsupported Content-Type {media or "(none)"}: send application/json or '
                       f'application/vnd.atlas.{route.versions[0]}+json.', [media])

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
        world = sim.worlds[params['group']]  # the project of the path (each has its own clusters, jobs and lock)
        with world.lock:
            ctx = Context(world, sim.clock.now(), base, version, urllib.parse.parse_qs(parsed.query), parsed.path, body, sim.snapshot_url,
                          sim.restore_url)
            return routes.call(route, ctx, params)

    # ------------------------------------------------------------ the download host
    def serve_download(self, parsed: urllib.parse.SplitResult) -> int | None:
        """Serve an archive like a storage service: whole, or from a byte on (Range: bytes=N-), with download-host faults.

        Faults that act mid-body (on the download host): reset with after_bytes (headers and that many bytes, then RST),
        truncate (half the body, then a clean close), stall (half the body, then `delay` seconds of silence, then the rest).
        """
        sim = self.server.sim
        fault = sim.faults.take(self.command, parsed.path)
        mid_body = fault is not None and (fault['action'] in ('truncate', 'stall') or
                                          (fault['action'] == 'reset' and fault.get('after_bytes') is not None))
        if not mid_body:
            sent = self.apply_fault(fault)
            if sent is not None:
                return sent or None
        status, body, headers, archive = self.check_download(parsed)
        if archive is None:
            self.send(status, body, 'application/xml', headers, head=self.command == 'HEAD')
            return status
        start, status, headers = self.byte_range(archive, headers)
        if status == 416:
            self.send(416, s3_error('InvalidRange', 'The requested range is not satisfiable'), 'application/xml',
                      {'Content-Range': f'bytes */{archive.length}'})
            return 416
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == 'HEAD':
            return status
        if self.write_body(archive, start, fault if mid_body else None):  # the last byte went out: a one-time link is spent
            self.server.sim.restore_link_used(parsed.path, parse_object_path(parsed.path)[0])
        return status

    def byte_range(self, archive: Archive, headers: dict[str, str]) -> tuple[int, int, dict[str, str]]:
        """(first byte, status, headers) for the request's Range header: only the open-ended bytes=N- form clients resume with."""
        wanted = self.headers.get('Range')
        match = re.fullmatch(r'bytes=(\d+)-', (wanted or '').strip())
        if not match:
            return 0, 200, headers
        start = int(match.group(1))
        if start >= archive.length:
            return start, 416, headers
        partial = dict(headers, **{'Content-Length': str(archive.length - start),
                                   'Content-Range': f'bytes {start}-{archive.length - 1}/{archive.length}'})
        return start, 206, partial

    def write_body(self, archive: Archive, start: int, fault: dict[str, t.Any] | None) -> bool:
        """Send the body from byte `start`, at most download_bandwidth_per_connection bytes per second; True when it went
        out to its last byte."""
        remaining = archive.length - start
        sim = self.server.sim
        throttle = Throttle(sim.config['download_bandwidth_per_connection'], sim.throttle_sleep, sim.throttle_clock)
        if fault is None:
            for chunk in throttle.slices(archive.chunks(start=start)):
                self.wfile.write(chunk)
            return True
        cut = fault.get('after_bytes')
        cut = remaining // 2 if cut is None else min(int(cut), remaining)
        for chunk in throttle.slices(archive.chunks(cut, start=start)):
            self.wfile.write(chunk)
        self.wfile.flush()
        if fault['action'] == 'reset':
            time.sleep(0.2)  # let the bytes reach the client before the RST discards its receive buffer
            self.abort()
            return False
        if fault['action'] == 'truncate':
            self.close_connection = True  # a clean close (FIN) before Content-Length bytes
            return False
        time.sleep(float(fault['delay']))  # stall
        for chunk in throttle.slices(archive.chunks(remaining - cut, start=start + cut)):
            self.wfile.write(chunk)
        return True

    def check_download(self, parsed: urllib.parse.SplitResult) -> tuple[int, bytes, dict[str, str], Archive | None]:
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
        refusal = sim.restore_link_refusal(parsed.path, object_ids[0])
        if refusal is not None:
            return 403, s3_error('AccessDenied', refusal), {}, None
        archive = sim.archives.get(object_ids[1], int(sim.config['archive_size']), sim.config['archive_content'])
        headers = {'Content-Type': 'application/gzip', 'Content-Length': str(archive.length), 'ETag': f'"{archive.etag}"',
                   'Accept-Ranges': 'bytes', 'Content-Disposition': f'attachment; filename="{parsed.path.rsplit("/", 1)[1]}"'}
        return 200, b'', headers, archive


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
        self._aborted: set[int] = set()
        self._aborted_lock = threading.Lock()

    def handle_error(self, request: t.Any, client_address: t.Any) -> None:
        """Quiet for what clients do (hang up, refuse our certificate); one line for anything else."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            print(f'atlas simulator: error on a connection from {client_address[0]}: {error!r}', file=sys.stderr, flush=True)

    def mark_aborted(self, request: t.Any) -> None:
        """Close this connection with a reset rather than an orderly FIN (see shutdown_request)."""
        with self._aborted_lock:
            self._aborted.add(id(request))

    def shutdown_request(self, request: t.Any) -> None:
        with self._aborted_lock:
            aborted = id(request) in self._aborted
            self._aborted.discard(id(request))
        if aborted:
            self.close_request(request)  # no shutdown(SHUT_WR) first: with SO_LINGER 0 the close sends RST only
        else:
            super().shutdown_request(request)


__all__ = ['Handler', 'SimServer', 'Simulator']

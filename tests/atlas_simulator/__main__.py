# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line: `python -m atlas_simulator --host 127.0.0.1 --port 18080 [--tls] [--config FILE] [--download-host 127.0.0.2]`."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import typing as t

from atlas_simulator.config import ConfigError, load_file
from atlas_simulator.server import SimServer, Simulator


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='atlas_simulator', description='A local MongoDB Atlas backup API for tests and demos.')
    parser.add_argument('--host', default='127.0.0.1', help='address of the API listener (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=18080, help='port of the API listener; 0 picks a free one (default 18080)')
    parser.add_argument('--tls', action='store_true', help='serve HTTPS with a certificate from a CA made at start-up')
    parser.add_argument('--config', help='JSON file with settings and seed overrides (see README)')
    parser.add_argument('--download-host', default='127.0.0.2', help='address for pre-signed download links (default 127.0.0.2; '
                        'falls back to the API host on another port when it cannot be bound)')
    return parser.parse_args(argv)


def start_download_server(sim: Simulator, args: argparse.Namespace, port: int, scheme: str) -> SimServer:
    """The storage host: same port on 127.0.0.2 when possible, else any free port on the API host."""
    for address in ((args.download_host, port), (args.download_host, 0), (args.host, 0)):
        try:
            return SimServer(address, sim, 'download', scheme)
        except OSError:
            continue
    raise OSError('no address available for the download host')


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        startup = load_file(args.config) if args.config else {}
        sim = Simulator(startup)
    except (ConfigError, ValueError) as exc:
        print(f'atlas simulator: bad configuration: {exc}', file=sys.stderr)
        return 2
    scheme = 'https' if args.tls else 'http'
    try:
        api = SimServer((args.host, args.port), sim, 'api', scheme)
        download = start_download_server(sim, args, api.server_address[1], scheme)
    except OSError as exc:
        print(f'atlas simulator: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}', file=sys.stderr)
        return 2
    if args.tls:
        from atlas_simulator.tls import make_certificates, server_context  # pylint: disable=import-outside-toplevel
        ca_path, cert_path, key_path = make_certificates()
        context = server_context(cert_path, key_path)
        for server in (api, download):
            # handshake in the connection's thread (Handler.setup), not in the accept loop
            server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        print(f'atlas simulator CA file: {ca_path}', flush=True)
    sim.download_base = f'{scheme}://{download.server_address[0]}:{download.server_address[1]}'
    servers: list[t.Any] = [api, download]
    threads = [threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f'atlas simulator ready on {scheme}://{api.server_address[0]}:{api.server_address[1]}', flush=True)
    stop.wait()
    for server in servers:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())

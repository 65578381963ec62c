# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Measure the simulator's start-up time and its throughput for simple authenticated GETs.

Run: .venv/bin/python tests/benchmarks/simulator_benchmark.py   (not part of make test; numbers, not assertions)
"""
from __future__ import annotations

import os
import json
import subprocess
import sys
import tempfile
import time

import requests
from requests.auth import HTTPDigestAuth

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(*args: str) -> tuple[subprocess.Popen, str, float]:
    began = time.monotonic()
    proc = subprocess.Popen([sys.executable, '-m', 'atlas_simulator', '--port', '0', *args], env=dict(os.environ, PYTHONPATH=TESTS_DIR),
                            stdout=subprocess.PIPE, text=True)
    while True:
        line = proc.stdout.readline()
        if line.startswith('atlas simulator ready on '):
            return proc, line.rsplit(' ', 1)[1].strip(), time.monotonic() - began
        if not line:
            raise SystemExit('simulator did not start')


def main() -> None:
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as config:
        json.dump({'rate_limit': {'capacity': 1000000, 'refill': 1000000, 'period': 1}}, config)  # measure the server, not Atlas's limit
    proc, url, startup = start('--config', config.name)
    try:
        session = requests.Session()
        session.auth = HTTPDigestAuth('owner-public', 'owner-private')
        api = f'{url}/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e/clusters/Cluster0/backup/snapshots'
        headers = {'Accept': 'application/vnd.atlas.2023-01-01+json'}
        session.get(api, headers=headers, timeout=10)
        count = 2000
        began = time.monotonic()
        for _request in range(count):
            session.get(api, headers=headers, timeout=10).raise_for_status()
        rate = count / (time.monotonic() - began)
    finally:
        proc.terminate()
        proc.wait()
    tls_proc, _url, tls_startup = start('--tls')
    tls_proc.terminate()
    tls_proc.wait()
    os.unlink(config.name)
    print(f'start-up: {startup:.2f} s (with --tls: {tls_startup:.2f} s)')
    print(f'authenticated GETs over one keep-alive session: {rate:.0f} requests/s')


if __name__ == '__main__':
    main()

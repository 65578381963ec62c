# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Points 10 and 12: the command line, --tls with a CA file, --config, and clear errors for bad control requests."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from requests.auth import HTTPDigestAuth

from conftest import BACKUP, FLEX

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(*args):
    proc = subprocess.Popen([sys.executable, '-m', 'atlas_simulator', '--port', '0', *args], env=dict(os.environ, PYTHONPATH=TESTS_DIR),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    while True:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError('simulator exited: ' + proc.stderr.read())
        lines.append(line.strip())
        if line.startswith('atlas simulator ready on '):
            return proc, lines


def stop(proc):
    proc.terminate()
    assert proc.wait(timeout=10) == 0


def test_tls_serves_https_with_a_printed_ca(tmp_path):
    proc, lines = start('--tls')
    try:
        assert lines[0].startswith('atlas simulator CA file: ')
        ca = lines[0].split(': ', 1)[1]
        url = lines[-1].rsplit(' ', 1)[1]
        assert url.startswith('https://127.0.0.1:')
        api = f'{url}/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e/clusters/Cluster0/backup/snapshots'
        # a connection that never starts its handshake must not block anyone else (the handshake runs per connection)
        idle = socket.create_connection(('127.0.0.1', int(url.rsplit(':', 1)[1])))
        ok = requests.get(api, auth=HTTPDigestAuth('owner-public', 'owner-private'), headers={'Accept': BACKUP}, verify=ca, timeout=10)
        assert ok.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(api, headers={'Accept': BACKUP}, verify=True, timeout=10)
        state = requests.get(f'{url}/__sim__/state', verify=ca, timeout=10).json()
        assert state['clusters']['Cluster0']['kind'] == 'replicaSet'
        idle.close()
    finally:
        stop(proc)


def test_config_file_sets_defaults_and_seed(tmp_path):
    config = tmp_path / 'sim.json'
    config.write_text(json.dumps({'world': '2025', 'tenant_sunset': 404, 'archive_size': 4096,
                                  'clusters': [{'name': 'Only0', 'kind': 'replicaSet', 'tier': 'M10', 'snapshots': 2}]}))
    proc, lines = start('--config', str(config))
    try:
        url = lines[-1].rsplit(' ', 1)[1]
        settings = requests.get(f'{url}/__sim__/config', timeout=10).json()
        assert settings['world'] == '2025' and settings['tenant_sunset'] == 404 and settings['archive_size'] == 4096
        clusters = requests.get(f'{url}/__sim__/state', timeout=10).json()['clusters']
        assert list(clusters) == ['Only0'] and len(clusters['Only0']['snapshots']) == 2
    finally:
        stop(proc)


@pytest.mark.parametrize('content, says', [
    ('{not json', 'not valid JSON'),
    ('{"nonce_lifetime": "long"}', 'nonce_lifetime must be a number'),
    ('{"colour": 1}', "'colour' is not a known setting"),
    ('{"tenant_sunset": 500}', 'tenant_sunset must be 404 or 410'),
    ('{"tenant_sunset": null}', 'tenant_sunset must be 404 or 410'),
    ('{"world": "2024"}', 'world must be one of'),
    ('{"rate_limit": {"flex": {"capacity": 2}}}', 'rate_limit.flex is not a known endpoint set'),
])
def test_bad_config_file_is_one_clear_line(tmp_path, content, says):
    config = tmp_path / 'bad.json'
    config.write_text(content)
    result = subprocess.run([sys.executable, '-m', 'atlas_simulator', '--port', '0', '--config', str(config)],
                            env=dict(os.environ, PYTHONPATH=TESTS_DIR), capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert says in result.stderr
    assert 'Traceback' not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_config_file(tmp_path):
    result = subprocess.run([sys.executable, '-m', 'atlas_simulator', '--config', str(tmp_path / 'nope.json')],
                            env=dict(os.environ, PYTHONPATH=TESTS_DIR), capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2 and 'cannot read config file' in result.stderr and 'Traceback' not in result.stderr


@pytest.mark.parametrize('method, what, body, says', [
    ('PATCH', 'config', {'rate_limit': {'capacity': 0}}, 'rate_limit.capacity'),
    ('PATCH', 'config', {'failing_clusters': 'Cluster0'}, 'failing_clusters'),
    ('POST', 'clock', {'advance': -1}, 'advance'),
    ('POST', 'clock', {'jump': 1}, 'clock takes'),
    ('POST', 'reset', {'config': {'nonsense': True}}, 'nonsense'),
    ('GET', 'nothing-here', None, 'no control endpoint'),
])
def test_bad_control_requests(sim, method, what, body, says):
    response = sim.control(method, what, body)
    assert response.status_code in (400, 404)
    assert says in response.json()['error']


def test_control_body_must_be_json(sim):
    response = requests.patch(f'{sim.url}/__sim__/config', data=b'{oops', timeout=10)
    assert response.status_code == 400 and 'not valid JSON' in response.json()['error']


def test_ready_line_and_clean_exit_on_sigint():
    began = time.monotonic()
    proc, lines = start()
    try:
        assert time.monotonic() - began < 5  # generous for a loaded CI machine; the README gives the measured number
        assert len(lines) == 1 and re.fullmatch(r'atlas simulator ready on http://127\.0\.0\.1:\d+', lines[0])
        url = lines[0].rsplit(' ', 1)[1]
        assert requests.get(f'{url}/__sim__/clock', timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr.read() == ''


def test_tls_download_link_is_https_on_the_download_host():
    proc, lines = start('--tls')
    try:
        ca = lines[0].split(': ', 1)[1]
        url = lines[-1].rsplit(' ', 1)[1]
        session = requests.Session()
        session.auth = HTTPDigestAuth('owner-public', 'owner-private')
        api = f'{url}/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e/flexClusters/Flex0/backup'
        job = session.post(f'{api}/download', json={'snapshotId': '65a000000000000000000501'}, headers={'Accept': FLEX}, verify=ca, timeout=10).json()
        requests.post(f'{url}/__sim__/clock', json={'advance': 2}, verify=ca, timeout=10)
        link = session.get(f'{api}/restoreJobs/{job["id"]}', headers={'Accept': FLEX}, verify=ca, timeout=10).json()['snapshotUrl']
        assert link.startswith('https://127.0.0.')
        archive = requests.get(link, verify=ca, timeout=10)
        assert archive.status_code == 200 and archive.content[:2] == b'\x1f\x8b' and len(archive.content) == int(archive.headers['Content-Length'])
    finally:
        stop(proc)


@pytest.mark.parametrize('content, says', [
    ('{"clusters": [{"name": "A", "kind": "replicaSet", "colour": 1}]}', "unknown field 'colour'"),
    ('{"api_keys": [{"public": "a", "private": "b", "roles": ["Project Janitor"]}]}', 'unknown role'),
    ('{"api_keys": [{"public": "a", "private": "b", "access_list": ["not-an-ip"]}]}', 'is not an IP address'),
    ('{"project_id": "XYZ"}', 'project_id must be 24'),
    ('[1, 2]', 'must be a JSON object'),
])
def test_bad_seed_in_config_file_is_one_clear_line(tmp_path, content, says):
    config = tmp_path / 'bad.json'
    config.write_text(content)
    result = subprocess.run([sys.executable, '-m', 'atlas_simulator', '--port', '0', '--config', str(config)],
                            env=dict(os.environ, PYTHONPATH=TESTS_DIR), capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2 and result.stdout == ''
    assert says in result.stderr and 'Traceback' not in result.stderr and len(result.stderr.strip().splitlines()) == 1

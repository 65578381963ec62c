# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Download throughput and memory: the collection's download path next to curl, on the same simulator link.

Run: .venv/bin/python tests/benchmarks/download_benchmark.py [--size-mib 1024] [--runs 3]
Not part of `make test`: it measures, it does not assert. Results are printed and written to
tests/benchmarks/results/download.md.

What is measured, for one pre-signed link served by the simulator's download host:
- curl -o FILE (the reference);
- the module's own download code (AtlasClient.download + archive checks, exactly what atlas_tenant_download
  runs), in a fresh Python process, with and without validate_archive; peak RSS from the kernel (ru_maxrss);
- a whole `ansible-playbook` run of atlas_tenant_download with dest, end to end (request, wait, download, verify).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time

import requests
from requests.auth import HTTPDigestAuth

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e'
BIN = os.path.dirname(sys.executable)

CHILD = textwrap.dedent('''
    import json, os, resource, sys, time
    sys.path.insert(0, sys.argv[1])
    from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
    from ansible_collections.mongodb_atlas.backup.plugins.module_utils import _download

    class Atlas:
        client = AtlasClient(base_url='http://127.0.0.1')

    url, dest, validate = sys.argv[2], sys.argv[3], sys.argv[4] == '1'
    start = time.monotonic()
    result = _download.fetch_archive(Atlas(), url, dest, validate)
    os.replace(result['temp'], dest)
    print(json.dumps({'seconds': time.monotonic() - start, 'size': result['size'],
                      'peak_rss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
''')


def start_simulator(size: int, tmp: str) -> tuple[subprocess.Popen, str]:
    config = os.path.join(tmp, 'sim.json')
    with open(config, 'w', encoding='utf-8') as handle:
        json.dump({'archive_size': size, 'rate_limit': {'capacity': 100000, 'refill': 100000, 'period': 1}}, handle)
    proc = subprocess.Popen([sys.executable, '-m', 'atlas_simulator', '--port', '0', '--config', config],
                            env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'tests')), stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    return proc, line.rsplit(' ', 1)[1].strip()


def request_link(url: str) -> str:
    session = requests.Session()
    session.auth = HTTPDigestAuth('owner-public', 'owner-private')
    headers = {'Accept': 'application/vnd.atlas.2024-11-13+json'}
    api = f'{url}/api/atlas/v2/groups/{GROUP}/flexClusters/Flex0/backup'
    job = session.post(f'{api}/download', json={'snapshotId': '65a000000000000000000501'}, headers=headers, timeout=30).json()
    while True:
        job = session.get(f'{api}/restoreJobs/{job["id"]}', headers=headers, timeout=30).json()
        if job.get('snapshotUrl'):
            return job['snapshotUrl']
        time.sleep(0.2)


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Wall time, the child's peak RSS (KiB) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.monotonic()
    proc = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env)
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(after, before), proc.stdout


def module_run(collections: str, url: str, dest: str, validate: bool) -> dict:
    out = subprocess.run([sys.executable, '-c', CHILD, collections, url, dest, '1' if validate else '0'],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def playbook_run(collections: str, base_url: str, dest: str, tmp: str) -> float:
    play = os.path.join(tmp, 'play.yml')
    with open(play, 'w', encoding='utf-8') as handle:
        handle.write(textwrap.dedent(f'''
            - hosts: localhost
              connection: local
              gather_facts: false
              vars: {{ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"}}
              tasks:
                - mongodb_atlas.backup.atlas_tenant_download:
                    api_base_url: {base_url}
                    api_public_key: owner-public
                    api_private_key: owner-private
                    group_id: {GROUP}
                    cluster_name: Flex0
                    dest: {dest}
                    force: true
        '''))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    start = time.monotonic()
    subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', play], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--size-mib', type=int, default=1024)
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, 'build') if os.path.isdir(os.path.join(ROOT, 'build')) else None) as tmp:
        collections = os.path.join(tmp, 'collections')
        subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', tmp, ROOT],
                       check=True, stdout=subprocess.DEVNULL)
        tarball = [name for name in os.listdir(tmp) if name.endswith('.tar.gz')][0]
        subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '-p', collections, os.path.join(tmp, tarball)],
                       check=True, stdout=subprocess.DEVNULL)
        proc, base_url = start_simulator(size, tmp)
        try:
            url = request_link(base_url)
            # tmpfs when it has room: disk writeback noise would swamp the comparison (both sides write to the same place)
            shm = '/dev/shm'
            use_shm = os.path.isdir(shm) and os.statvfs(shm).f_bavail * os.statvfs(shm).f_frsize > 3 * size
            dest = os.path.join(shm if use_shm else tmp, f'atlas-benchmark-{os.getpid()}.tgz')
            subprocess.run(['curl', '-sS', '-o', dest, url], check=True)  # builds and caches the archive on the simulator side
            actual = os.path.getsize(dest)
            rows = []
            for _run in range(args.runs):
                os.unlink(dest)
                curl_s = timed(['curl', '-sS', '-o', dest, url])[0]
                os.unlink(dest)
                raw = module_run(collections, url, dest, validate=False)
                os.unlink(dest)
                checked = module_run(collections, url, dest, validate=True)
                rows.append((curl_s, raw, checked))
            playbook_s = playbook_run(collections, base_url, dest, tmp)
            os.unlink(dest)
        finally:
            proc.terminate()
            proc.wait()
    mib = actual / 1024 / 1024

    def median(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[len(ordered) // 2]

    curl_times = [row[0] for row in rows]
    raw_times = [row[1]['seconds'] for row in rows]
    checked_times = [row[2]['seconds'] for row in rows]
    # Runs are interleaved (curl, module, module+check): per-run ratios cancel most of this shared machine's noise.
    raw_ratio = median([c / r for c, r in zip(curl_times, raw_times)])
    checked_ratio = median([c / r for c, r in zip(curl_times, checked_times)])
    peak = max(max(row[1]['peak_rss_kib'], row[2]['peak_rss_kib']) for row in rows) / 1024
    lines = [
        f'# Download benchmark ({mib:.0f} MiB archive, {args.runs} interleaved runs, loopback, {os.cpu_count()} cores, '
        f'written to {"tmpfs" if use_shm else "disk"})',
        '',
        '| what | best s | median s | median MiB/s | throughput vs curl (median of per-run ratios) |',
        '|---|---|---|---|---|',
        f'| curl -o file | {min(curl_times):.2f} | {median(curl_times):.2f} | {mib / median(curl_times):.0f} | 1.00x |',
        f'| module download path, validate_archive=false (stream, SHA-256, write) | {min(raw_times):.2f} | {median(raw_times):.2f} | '
        f'{mib / median(raw_times):.0f} | {raw_ratio:.2f}x |',
        f'| module download path, validate_archive=true (+ gzip CRC and tar check while streaming) | {min(checked_times):.2f} | '
        f'{median(checked_times):.2f} | {mib / median(checked_times):.0f} | {checked_ratio:.2f}x |',
        f'| whole ansible-playbook task (request, wait ~1 s, download, verify, move) | {playbook_s:.2f} | | {mib / playbook_s:.0f} | |',
        '',
        f'Peak RSS of the module download process: {peak:.0f} MiB (target: under 100 MiB, whatever the archive size).',
    ]
    text = '\n'.join(lines) + '\n'
    print(text)
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    with open(os.path.join(HERE, 'results', 'download.md'), 'w', encoding='utf-8') as handle:
        handle.write(text)


if __name__ == '__main__':
    main()

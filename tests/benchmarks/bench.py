# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make bench`: download throughput, CPU and memory next to curl and its verifying peers, and the wait latency.

Run: make bench   (or .venv/bin/python tests/benchmarks/bench.py [--rounds 5] [--size-mib 1024] [--baseline REV])
Not part of `make test`: it measures, it does not assert. Writes tests/benchmarks/results/download.md and wait.md.

Downloads: two archives, each served over loopback and written to tmpfs (disk writeback would swamp the comparison):
- the simulator's (a pre-signed link of its download host; stored deflate blocks, so inflating is a copy);
- a compressible mongodump-like .tgz (about 4-5x) that this script generates, served by `python -m http.server`.
For each, every round runs every variant once, in a rotated order (interleaved: the machine is shared and noisy), and
the tables give medians and the median of per-round ratios to that round's curl. Each variant is a separate process
tree; its wall time, CPU (user + system, all its processes) and peak RSS (its largest process) come from wait4().
The module's rows also give the download path's own time, measured inside the process around fetch_archive (what
atlas_tenant_download runs), without the interpreter's start and imports: that is the time compared with curl's.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
import zlib
from simulator_process import NO_RATE_LIMIT, start_simulator as start_simulator_process  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e'
GIB = 1024 ** 3
MIB = 1024 ** 2

CHILD = textwrap.dedent('''
    import json, os, sys, time, zlib
    sys.path.insert(0, sys.argv[1])
    from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasClient
    from ansible_collections.mongodb_atlas.backup.plugins.module_utils import _archive
    url, dest, validate, inflater = sys.argv[2], sys.argv[3], sys.argv[4] == '1', sys.argv[5]
    if inflater == 'zlib' and hasattr(_archive.ArchiveCheck, 'inflater'):
        _archive.ArchiveCheck.inflater = zlib
    client = AtlasClient(base_url='http://127.0.0.1')
    start = time.monotonic()
    result = _archive.fetch_archive(client, url, dest, validate)
    seconds = time.monotonic() - start
    os.replace(result['temp'], dest)
    print(json.dumps({'seconds': seconds, 'size': result['size']}))
''')


def run_measured(cmd: list[str], env: dict | None = None) -> dict:
    """Run cmd; wall time, CPU seconds and peak RSS (MiB) of its process tree (wait4 sees every reaped descendant)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    out = proc.stdout.read() if proc.stdout else b''
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f'{cmd[:3]} exited {proc.returncode}')
    return {'wall': wall, 'cpu': usage.ru_utime + usage.ru_stime, 'rss': usage.ru_maxrss / 1024, 'out': out.decode()}


# ------------------------------------------------------------------ archives
def mongodump_like_block(size: int, seed: int = 7) -> bytes:
    """Documents shaped like a mongodump .bson (about 4-5x compressible): the simulator's own generator."""
    if os.path.join(ROOT, 'tests') not in sys.path:
        sys.path.insert(0, os.path.join(ROOT, 'tests'))
    from atlas_simulator.downloads import mongodump_block  # pylint: disable=import-outside-toplevel
    return mongodump_block(str(seed), size)


def compressible_tgz(path: str, size: int) -> None:
    """A gzip'd tar of one `size`-byte mongodump-like member, compressed at level 6 (as tar czf does).

    The member repeats one 4 MiB block; each block is deflated after a full flush (no history), so it is compressed
    once and its deflate bytes repeated: the archive takes seconds to make, not minutes. `gzip -t` accepts it."""
    block = mongodump_like_block(4 * MIB)
    count = size // len(block)
    info = tarfile.TarInfo('dump/shop/orders.bson')
    info.size = count * len(block)
    info.mtime = 1764288000
    header = info.tobuf(tarfile.GNU_FORMAT)
    ending = bytes(-info.size % 512) + bytes(1024)
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    crc = zlib.crc32(header)
    with open(path, 'wb') as out:
        out.write(b'\x1f\x8b\x08\x00' + (1764288000).to_bytes(4, 'little') + b'\x00\x03')
        out.write(deflate.compress(header) + deflate.flush(zlib.Z_FULL_FLUSH))
        packed = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
        assert packed == deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH), 'deflate after a full flush is not repeatable'
        for _block in range(count):
            out.write(packed)
            crc = zlib.crc32(block, crc)
        crc = zlib.crc32(ending, crc)
        out.write(deflate.compress(ending) + deflate.flush(zlib.Z_FINISH))
        total = len(header) + info.size + len(ending)
        out.write(crc.to_bytes(4, 'little') + (total % 2 ** 32).to_bytes(4, 'little'))


# ------------------------------------------------------------------ servers
def start_simulator(size: int, tmp: str) -> tuple[subprocess.Popen, str]:
    return start_simulator_process(tmp, dict(NO_RATE_LIMIT, archive_size=size))


def simulator_link(base_url: str) -> str:
    import requests  # pylint: disable=import-outside-toplevel
    from requests.auth import HTTPDigestAuth  # pylint: disable=import-outside-toplevel
    session = requests.Session()
    session.auth = HTTPDigestAuth('owner-public', 'owner-private')
    headers = {'Accept': 'application/vnd.atlas.2024-11-13+json'}
    api = f'{base_url}/api/atlas/v2/groups/{GROUP}/flexClusters/Flex0/backup'
    job = session.post(f'{api}/download', json={'snapshotId': '65a000000000000000000501'}, headers=headers, timeout=30).json()
    for _try in range(200):
        job = session.get(f'{api}/restoreJobs/{job["id"]}', headers=headers, timeout=30).json()
        if job.get('snapshotUrl'):
            return job['snapshotUrl']
        time.sleep(0.2)
    raise RuntimeError('the simulator gave no download link')


def start_file_server(directory: str) -> tuple[subprocess.Popen, str]:
    import socket  # pylint: disable=import-outside-toplevel
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, '-m', 'http.server', '--bind', '127.0.0.1', '--directory', directory, str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _try in range(100):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f'http://127.0.0.1:{port}'


# ------------------------------------------------------------------ variants
def variants(collections: dict[str, str], isal: bool) -> list[tuple[str, str]]:
    """(key, label) in table order."""
    rows = [('curl', 'curl -o FILE (the reference)'),
            ('curl+sha+gzip', 'curl -o FILE; sha256sum FILE; gzip -t FILE'),
            ('curl|tee', 'curl | tee >(sha256sum) | tee FILE | gzip -t (streaming)'),
            ('get_url', 'ansible.builtin.get_url (its module process; no archive check)')]
    for name in collections:
        tag = '' if name == 'this' else f' [{name}]'
        rows.append((f'{name}:raw', f'module, validate_archive=false (stream, SHA-256, write){tag}'))
        rows.append((f'{name}:zlib', f'module, validate_archive=true, zlib (+ gzip CRC/length, tar headers){tag}'))
        if isal and name == 'this':
            rows.append((f'{name}:isal', f'module, validate_archive=true, isal installed (the default when it is){tag}'))
    return rows


def run_variant(key: str, url: str, dest: str, collections: dict[str, str], tmp: str) -> dict:
    if os.path.exists(dest):
        os.unlink(dest)
    if key == 'curl':
        return run_measured(['curl', '-sS', '-o', dest, url])
    if key == 'curl+sha+gzip':
        return run_measured(['bash', '-c', f'curl -sS -o "{dest}" "{url}" && sha256sum "{dest}" >/dev/null && gzip -t "{dest}"'])
    if key == 'curl|tee':
        return run_measured(['bash', '-c', f'set -o pipefail; curl -sS "{url}" | tee >(sha256sum >/dev/null) | tee "{dest}" | gzip -t'])
    if key == 'get_url':
        args = os.path.join(tmp, 'get_url.json')
        with open(args, 'w', encoding='utf-8') as handle:
            json.dump({'ANSIBLE_MODULE_ARGS': {'url': url, 'dest': dest, 'force': True, '_ansible_tmpdir': tmp}}, handle)
        return run_measured([sys.executable, '-m', 'ansible.modules.get_url', args])
    name, mode = key.rsplit(':', 1)
    result = run_measured([sys.executable, '-c', CHILD, collections[name], url, dest, '0' if mode == 'raw' else '1', mode])
    result['path_s'] = json.loads(result['out'])['seconds']
    return result


def measure(url: str, size: int, dest: str, rounds: int, collections: dict[str, str], isal: bool, tmp: str) -> dict:
    rows = variants(collections, isal)
    keys = [key for key, _label in rows]
    runs: dict[str, list[dict]] = {key: [] for key in keys}
    run_variant('curl', url, dest, collections, tmp)  # warm: the simulator builds its buffers on the first request
    for number in range(rounds):
        shift = number % len(keys)
        for key in keys[shift:] + keys[:shift]:
            runs[key].append(run_variant(key, url, dest, collections, tmp))
        print(f'  round {number + 1}/{rounds}: ' + ', '.join(f'{key} {runs[key][-1].get("path_s", runs[key][-1]["wall"]):.2f}s' for key in keys),
              flush=True)
    os.unlink(dest)
    return {'rows': rows, 'runs': runs, 'size': size}


def table(title: str, data: dict, rounds: int) -> list[str]:
    size = data['size']
    gib = size / GIB
    curl = [run['wall'] for run in data['runs']['curl']]
    lines = [f'### {title}', '',
             '| what | median s (download path) | median s (process) | MiB/s | vs curl (median of per-round ratios) | '
             'CPU-s per GiB | peak RSS MiB |',
             '|---|---|---|---|---|---|---|']
    for key, label in data['rows']:
        runs = data['runs'][key]
        path = [run.get('path_s', run['wall']) for run in runs]
        wall = [run['wall'] for run in runs]
        ratio = statistics.median(c / p for c, p in zip(curl, path))
        cpu = statistics.median(run['cpu'] for run in runs) / gib
        rss = max(run['rss'] for run in runs)
        lines.append(f'| {label} | {statistics.median(path):.2f} | {statistics.median(wall):.2f} | {size / MIB / statistics.median(path):.0f} | '
                     f'{ratio:.2f}x | {cpu:.2f} | {rss:.0f} |')
    lines.append('')
    return lines


# ------------------------------------------------------------------ waiting
def wait_table(collection: str) -> list[str]:
    sys.path.insert(0, collection)
    from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import (  # pylint: disable=import-outside-toplevel
        WaitTimeout, wait_for,
    )

    def noticed(duration: float, **schedule: float) -> tuple[float, int, float | None]:
        now = [0.0]
        polls: list[float] = []

        def fetch() -> bool:
            polls.append(now[0])
            return now[0] >= duration

        def sleep(seconds: float) -> None:
            now[0] += seconds

        try:
            wait_for(fetch, bool, timeout=duration + 3600, description='x', clock=lambda: now[0], sleep=sleep, **schedule)
        except WaitTimeout:
            pass
        steady = sum(1 for poll in polls if duration - 600 <= poll < duration) / 10 if duration >= 1200 else None
        return polls[-1], len(polls), steady

    old = {'initial_interval': 1.0, 'factor': 1.5, 'max_interval': 30.0}
    lines = ['| snapshot runs for | before: noticed after (late by) | before: polls | now: noticed after (late by) | now: polls | '
             'now: polls/min over the last 10 min |', '|---|---|---|---|---|---|']
    for duration in (10, 30, 50, 60, 120, 300, 600, 1200, 1800, 3600, 7200):
        before, before_polls, _steady = noticed(duration, **old)
        after, after_polls, steady = noticed(duration)
        label = f'{duration} s' if duration < 60 else f'{duration // 60} min' if duration < 3600 else f'{duration // 3600} h'
        lines.append(f'| {label} | {before:.1f} s ({before - duration:.1f} s) | {before_polls} | {after:.1f} s ({after - duration:.1f} s) | '
                     f'{after_polls} | {"" if steady is None else f"{steady:.1f}"} |')
    worst_old = max(noticed(d / 4, **old)[0] - d / 4 for d in range(4, 4 * 3600))
    worst_new = max(noticed(d / 4)[0] - d / 4 for d in range(4, 4 * 3600))
    lines += ['', f'Worst lateness over every completion time from 1 s to 1 h (quarter-second steps): before {worst_old:.1f} s, '
              f'now {worst_new:.1f} s.']
    return lines


# ------------------------------------------------------------------ main
def machine() -> str:
    model = ''
    with open('/proc/cpuinfo', encoding='utf-8') as handle:
        for line in handle:
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    return f'{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, Python {platform.python_version()}'


def link_collection(root: str, tmp: str, name: str) -> str:
    parent = os.path.join(tmp, f'collections-{name}')
    os.makedirs(os.path.join(parent, 'ansible_collections', 'mongodb_atlas'))
    os.symlink(root, os.path.join(parent, 'ansible_collections', 'mongodb_atlas', 'backup'))
    return parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--size-mib', type=int, default=1024, help='the simulator archive (and the compressible one, uncompressed)')
    parser.add_argument('--baseline', help='also measure the module at this git revision (e.g. main), in the same rounds')
    args = parser.parse_args()
    try:
        import isal  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
        has_isal = True
    except ImportError:
        has_isal = False
    shm = '/dev/shm'
    size = args.size_mib * MIB
    base = shm if os.path.isdir(shm) and os.statvfs(shm).f_bavail * os.statvfs(shm).f_frsize > 4 * size else None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=base, prefix='atlas-bench-') as tmp:
        collections = {'this': link_collection(ROOT, tmp, 'this')}
        if args.baseline:
            tree = os.path.join(tmp, 'baseline')
            os.makedirs(tree)
            archive = subprocess.run(['git', '-C', ROOT, 'archive', args.baseline], check=True, stdout=subprocess.PIPE).stdout
            subprocess.run(['tar', '-x', '-C', tree], input=archive, check=True)
            collections[f'before: {args.baseline}'] = link_collection(tree, tmp, 'baseline')
        dest = os.path.join(tmp, 'out.tgz')
        results = []
        sim, base_url = start_simulator(size, tmp)
        try:
            print(f'simulator archive, {args.size_mib} MiB', flush=True)
            results.append((f'The simulator\'s archive ({args.size_mib} MiB, stored deflate blocks: inflating is a copy)',
                            measure(simulator_link(base_url), size, dest, args.rounds, collections, has_isal, tmp)))
        finally:
            sim.terminate()
            sim.wait()
        served = os.path.join(tmp, 'served')
        os.makedirs(served)
        compressible_tgz(os.path.join(served, 'dump.tgz'), size)
        packed = os.path.getsize(os.path.join(served, 'dump.tgz'))
        print(f'compressible archive, {packed / MIB:.0f} MiB ({size / packed:.1f}x)', flush=True)
        files, files_url = start_file_server(served)
        try:
            results.append((f'A compressible mongodump-like archive ({packed / MIB:.0f} MiB, {size / packed:.1f}x: {args.size_mib} MiB of tar '
                            'inside; served by python -m http.server)',
                            measure(f'{files_url}/dump.tgz', packed, dest, args.rounds, collections, has_isal, tmp)))
        finally:
            files.terminate()
            files.wait()
        waits = wait_table(collections['this'])
    today = datetime.date.today().isoformat()
    lines = [f'# Download benchmark ({today})', '',
             f'`make bench` (tests/benchmarks/bench.py{" --baseline " + args.baseline if args.baseline else ""}, {args.rounds} interleaved rounds, '
             f'{time.monotonic() - started:.0f} s): loopback, written to {"tmpfs" if base else "disk"}, on {machine()}, '
             f'shared with other work. The server (simulator or http.server) runs on the same 2 cores and its CPU is not counted.',
             'CPU-s per GiB is per GiB of the archive as downloaded (compressed). "download path" is the time around fetch_archive '
             'inside the module process (without the interpreter start and imports, about 0.2 s); for the other rows it is the process time.',
             '']
    for title, data in results:
        lines += table(title, data, args.rounds)
    text = '\n'.join(lines)
    wait_text = '\n'.join([f'# Wait latency ({today})', '',
                           'When a snapshot (or any job) that finishes after the given time is noticed, simulated with wait_for and a fake '
                           'clock (fetches take no time). Before: 1 s growing 1.5x a poll up to 30 s. Now (wait_for\'s defaults): 1 s growing '
                           '1.1x a poll up to 15 s.', ''] + waits) + '\n'
    print(text)
    print(wait_text)
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    with open(os.path.join(HERE, 'results', 'download.md'), 'w', encoding='utf-8') as handle:
        handle.write(text)
    with open(os.path.join(HERE, 'results', 'wait.md'), 'w', encoding='utf-8') as handle:
        handle.write(wait_text)


if __name__ == '__main__':
    main()

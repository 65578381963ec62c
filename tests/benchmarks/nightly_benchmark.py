# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nightly job over every cluster of a project: time and HTTP requests of its re-run, three ways.

Run: .venv/bin/python tests/benchmarks/nightly_benchmark.py [--rounds 7] [--clusters 10]
Not part of `make test`: it measures, it does not assert (beyond checking that each re-run is a re-run: no write).
Results are printed and written to tests/benchmarks/results/nightly.md.

The simulator is started with a seed of N dedicated clusters (N-2 replica sets, 2 sharded, 3 scheduled snapshots
each). A first run of the new playbook takes tonight's `nightly` on-demand snapshot on every cluster; then each round
re-runs, in a rotated order (interleaved, so a slow moment of this shared machine hits every variant alike):

  new  docs/docsite/playbooks/nightly_all_clusters.yml, verbatim: one atlas_snapshot task with cluster_kinds (every
       dedicated cluster of the project: the cluster list, then each cluster's snapshot list; nothing to take on a re-run);
  old  the per-cluster job as the guide wrote it before: atlas_snapshot (description nightly, max_age 720) in a loop
       over the cluster names, one task per cluster;
  uri  the same job hand-written with ansible.builtin.uri: per cluster, GET its snapshot list (the user knows which
       clusters are sharded and picks the path), then POST a snapshot where no nightly one is younger than 12 hours.
       Atlas needs HTTP Digest: uri does it with url_username/url_password (urllib's digest handler answers the 401
       challenge; force_basic_auth would send Basic, which Atlas refuses), so every uri task costs a challenge too.

Each run is a whole `ansible-playbook` process (implicit localhost, credentials from the environment, as a user runs
it). Requests are counted from the simulator's request log (401 challenges included); wall time from the parent.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests
from simulator_process import NO_RATE_LIMIT, start_simulator as start_simulator_process  # noqa: E402  pylint: disable=wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GROUP = '5f1a2b3c4d5e6f7a8b9c0d1e'
BIN = os.path.dirname(sys.executable)
NEW_PLAYBOOK = os.path.join(ROOT, 'docs', 'docsite', 'playbooks', 'nightly_all_clusters.yml')
RESULTS = os.path.join(HERE, 'results', 'nightly.md')

OLD_PLAYBOOK = '''---
- name: Nightly backups - one atlas_snapshot task per cluster
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Tonight's snapshot, kept 7 days (a snapshot started in the last 12 hours counts, so a re-run takes none)
      mongodb_atlas.backup.atlas_snapshot:
        cluster_name: "{{ item }}"
        description: nightly
        retention_in_days: 7
        max_age: 720
      loop: "{{ clusters | map(attribute='name') | list }}"
'''

URI_PLAYBOOK = '''---
- name: Nightly backups - hand-written with ansible.builtin.uri
  hosts: localhost
  gather_facts: false
  vars:
    api: "{{ lookup('ansible.builtin.env', 'MONGODB_ATLAS_BASE_URL') }}/api/atlas/v2/groups/{{ group_id }}/clusters"
    user: "{{ lookup('ansible.builtin.env', 'MONGODB_ATLAS_PUBLIC_KEY') }}"
    password: "{{ lookup('ansible.builtin.env', 'MONGODB_ATLAS_PRIVATE_KEY') }}"
  tasks:
    - name: The snapshots of each cluster (digest auth; the sharded ones have their own path)
      ansible.builtin.uri:
        url: "{{ api }}/{{ item.name }}/backup/snapshots{{ '/shardedClusters' if item.sharded else '' }}?itemsPerPage=500"
        url_username: "{{ user }}"
        url_password: "{{ password }}"
        headers:
          Accept: application/vnd.atlas.2023-01-01+json
      loop: "{{ clusters }}"
      loop_control:
        label: "{{ item.name }}"
      register: lists

    - name: Take tonight's snapshot where no nightly one is younger than 12 hours
      ansible.builtin.uri:
        url: "{{ api }}/{{ item.item.name }}/backup/snapshots"
        method: POST
        url_username: "{{ user }}"
        url_password: "{{ password }}"
        headers:
          Accept: application/vnd.atlas.2023-01-01+json
        body_format: json
        body: {description: nightly, retentionInDays: 7}
      loop: "{{ lists.results }}"
      loop_control:
        label: "{{ item.item.name }}"
      vars:
        cutoff: "{{ '%Y-%m-%dT%H:%M:%SZ' | strftime(second=(now().timestamp() - 43200), utc=true) }}"
      when: >-
        item.json.results | selectattr('snapshotType', 'eq', 'onDemand') | selectattr('description', 'eq', 'nightly')
        | rejectattr('status', 'eq', 'failed') | map(attribute='createdAt', default=cutoff) | select('ge', cutoff) | list | length == 0
'''


def seed(count: int) -> list[dict]:
    """count dedicated clusters: all replica sets but the last two, which are sharded (2 shards)."""
    clusters = []
    for index in range(count):
        sharded = index >= count - 2
        clusters.append({'name': f'{"Shard" if sharded else "App"}{index:02d}', 'kind': 'sharded' if sharded else 'replicaSet',
                         'tier': 'M30' if sharded else 'M10', 'snapshots': 3, **({'shards': 2} if sharded else {})})
    return clusters


def start_simulator(tmp: str, clusters: list[dict]) -> tuple[subprocess.Popen, str]:
    return start_simulator_process(tmp, dict(NO_RATE_LIMIT, clusters=clusters, snapshot_durations={'queued': 0, 'in_progress': 0}))


def install_collection(tmp: str) -> str:
    """Build the collection tarball from this checkout and install it, as make test does."""
    out = os.path.join(tmp, 'build')
    installed = os.path.join(tmp, 'collections')
    subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', out, ROOT],
                   check=True, stdout=subprocess.DEVNULL)
    tarball = glob.glob(os.path.join(out, 'mongodb_atlas-backup-*.tar.gz'))[0]
    subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '-p', installed, tarball],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return installed


def run_playbook(path: str, env: dict, extra_vars: str) -> tuple[float, subprocess.CompletedProcess]:
    start = time.monotonic()
    result = subprocess.run([os.path.join(BIN, 'ansible-playbook'), path, '-e', extra_vars], env=env, check=False,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit(f'{path} failed:\n{result.stdout[-5000:]}')
    return seconds, result


def check_one_nightly_each(url: str) -> dict[str, list[dict]]:
    state = requests.get(f'{url}/__sim__/state', timeout=10).json()['clusters']
    nightly = {name: [s for s in c['snapshots'] if s.get('description') == 'nightly'] for name, c in state.items()}
    if not all(len(snaps) == 1 for snaps in nightly.values()):
        raise SystemExit(f'expected one nightly snapshot per cluster: {nightly}')
    return nightly


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument('--clusters', type=int, default=10)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix='nightly-bench-')
    clusters = seed(args.clusters)
    proc, url = start_simulator(tmp, clusters)
    try:
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=install_collection(tmp), MONGODB_ATLAS_BASE_URL=url,
                   MONGODB_ATLAS_PUBLIC_KEY='owner-public', MONGODB_ATLAS_PRIVATE_KEY='owner-private',
                   MONGODB_ATLAS_PROJECT_ID=GROUP, ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_INVENTORY_UNPARSED_WARNING='False',
                   ANSIBLE_NOCOLOR='1')
        playbooks = {'new': NEW_PLAYBOOK}
        for name, text in (('old', OLD_PLAYBOOK), ('uri', URI_PLAYBOOK)):
            playbooks[name] = os.path.join(tmp, f'{name}.yml')
            with open(playbooks[name], 'w', encoding='utf-8') as handle:
                handle.write(text)
        extra_vars = json.dumps({'group_id': GROUP, 'clusters': [{'name': c['name'], 'sharded': c['kind'] == 'sharded'} for c in clusters]})
        # The uri job is the same job: on a fresh project it takes one nightly snapshot per cluster. Then back to the seed.
        uri_first = run_playbook(playbooks['uri'], env, extra_vars)[0]
        check_one_nightly_each(url)
        uri_first_requests = len(requests.get(f'{url}/__sim__/requests', timeout=10).json()['requests'])
        print(f'first run (uri playbook, takes {len(clusters)} snapshots, does not wait for them): {uri_first:.2f} s, {uri_first_requests} requests')
        requests.post(f'{url}/__sim__/reset', json={}, timeout=10).raise_for_status()
        first, result = run_playbook(NEW_PLAYBOOK, env, extra_vars)
        nightly = check_one_nightly_each(url)
        first_log = requests.get(f'{url}/__sim__/requests', timeout=10).json()['requests']
        print(f'first run (new playbook, takes {len(nightly)} snapshots): {first:.2f} s, {len(first_log)} requests')

        order = ['new', 'old', 'uri']
        times: dict[str, list[float]] = {name: [] for name in order}
        counts: dict[str, list[int]] = {name: [] for name in order}
        for round_number in range(args.rounds):
            rotation = order[round_number % 3:] + order[:round_number % 3]
            for name in rotation:
                requests.delete(f'{url}/__sim__/requests', timeout=10)
                seconds, result = run_playbook(playbooks[name], env, extra_vars)
                log = [e for e in requests.get(f'{url}/__sim__/requests', timeout=10).json()['requests'] if e['server'] == 'api']
                writes = [e for e in log if e['method'] != 'GET']
                if writes or 'changed=0' not in result.stdout:
                    raise SystemExit(f'{name} re-run wrote to Atlas: {writes}\n{result.stdout[-3000:]}')
                times[name].append(seconds)
                counts[name].append(len(log))
            print(f'round {round_number + 1}: ' + ', '.join(f'{n} {times[n][-1]:.2f} s/{counts[n][-1]} req' for n in order))
        report(args, clusters, (first, len(first_log), uri_first, uri_first_requests), times, counts)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def report(args: argparse.Namespace, clusters: list[dict], firsts: tuple[float, int, float, int], times: dict[str, list[float]],
           counts: dict[str, list[int]]) -> None:
    first, first_requests, uri_first, uri_first_requests = firsts
    med = {name: statistics.median(values) for name, values in times.items()}
    ratio = {pair: [times[pair[0]][i] / times[pair[1]][i] for i in range(args.rounds)] for pair in (('uri', 'new'), ('old', 'new'), ('old', 'uri'))}
    version = subprocess.run([os.path.join(BIN, 'ansible'), '--version'], check=False, stdout=subprocess.PIPE, text=True).stdout.split('\n')[0]
    sharded = sum(1 for c in clusters if c['kind'] == 'sharded')
    lines = [
        '# Nightly job over every cluster of a project: the re-run',
        '',
        f'Measured by `tests/benchmarks/nightly_benchmark.py --rounds {args.rounds} --clusters {args.clusters}` on '
        f'{time.strftime("%Y-%m-%d", time.gmtime())}: {os.cpu_count()} CPUs (shared with other work), Python '
        f'{platform.python_version()}, {version}, the Atlas simulator on 127.0.0.1 (HTTP) seeded with {len(clusters)} dedicated '
        f'clusters ({len(clusters) - sharded} replica sets, {sharded} sharded, 3 scheduled snapshots each).',
        '',
        'The uri job was checked to be the same job: on the fresh seed it took one `nightly` snapshot per cluster '
        f'({uri_first:.2f} s, {uri_first_requests} requests, without waiting for them). Back to the seed, a first run of the new '
        'playbook took tonight\'s `nightly` snapshot on every cluster '
        f'({first:.2f} s, {first_requests} requests, each snapshot waited for); then each round re-ran the three variants, in a rotated '
        'order, each a whole `ansible-playbook` process. A re-run writes nothing (checked every time). Requests are read '
        'from the simulator\'s request log, digest challenges (401) included.',
        '',
        '| variant | what it runs | median wall time | requests per re-run |',
        '|---|---|---|---|',
        f'| new | `atlas_snapshot` with `cluster_kinds` (1 task) | {med["new"]:.2f} s | {describe(counts["new"])} |',
        f'| old | `atlas_snapshot` with `max_age` in a loop ({len(clusters)} tasks) | {med["old"]:.2f} s | {describe(counts["old"])} |',
        f'| uri | `ansible.builtin.uri` GET list per cluster ({len(clusters)} tasks), POST loop skipped | {med["uri"]:.2f} s | '
        f'{describe(counts["uri"])} |',
        '',
        '| wall-time ratio A / B (B is that many times faster) | per round | median of the rounds |',
        '|---|---|---|',
    ]
    for (slow, fast), values in ratio.items():
        lines.append(f'| {slow} / {fast} | {", ".join(f"{v:.2f}" for v in values)} | **{statistics.median(values):.2f}x** |')
    lines += [
        '',
        'Per-round wall times (s):',
        '',
        '| round | new | old | uri |',
        '|---|---|---|---|',
    ]
    for i in range(args.rounds):
        lines.append(f'| {i + 1} | {times["new"][i]:.2f} | {times["old"][i]:.2f} | {times["uri"][i]:.2f} |')
    lines += [
        '',
        'Where the requests go, on a re-run:',
        '',
        f'- new: 1 digest challenge + `GET /clusters` + `GET /flexClusters` + one snapshot list per cluster ({len(clusters)}) '
        f'= {3 + len(clusters)}. One process for the info task; the `atlas_snapshot` loop has no item left.',
        f'- old: per task a digest challenge, `GET /clusters/{{name}}` (to learn the kind) and the snapshot list = 3 x {len(clusters)}.',
        f'- uri: per task a digest challenge (urllib answers the 401 with digest credentials) and the list = 2 x {len(clusters)}. '
        'The hand-written job also has to know which clusters are sharded (another path) and which are Flex (another API '
        'and version), and to get `max_age` right in Jinja; it does not follow a kind change.',
        '',
    ]
    write_results(RESULTS, lines)


def write_results(path: str, lines: list[str]) -> None:
    """Write a results page (and show it)."""
    text = '\n'.join(lines)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as handle:
        handle.write(text)
    print(text)


def describe(values: list[int]) -> str:
    return str(values[0]) if len(set(values)) == 1 else f'{min(values)}-{max(values)}'


if __name__ == '__main__':
    main()

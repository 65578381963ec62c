# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nightly job over a fleet of projects: the guide's playbook vs the same job hand-written with ansible.builtin.uri.

Run: .venv/bin/python tests/benchmarks/fleet_benchmark.py [--rounds 3] [--projects 20] [--clusters 10] [--forks 10]
Not part of `make test`: it measures, it does not assert (beyond checking that each job did its work: one nightly
snapshot per dedicated cluster after a first night, no write on a re-run). Results: tests/benchmarks/results/fleet.md.

The simulator is started with the seed key `fleet` (N projects of M clusters: per 5 clusters 3 replica sets, 1 sharded,
1 Flex), the April 2026 rate-limit table (per project, as Atlas meters it), snapshots that complete at once (as in
nightly_benchmark.py), and one org-wide service account that every run uses from the environment. Each round runs both
variants, in a rotated order (interleaved, so a slow moment of this shared machine hits both alike); for each variant:
back to the seed, a first night (a nightly snapshot to take on every dedicated cluster), then a re-run the same night
(nothing to take). Each run is a whole `ansible-playbook` process with --forks, a fresh token cache directory (so a run
pays for its own token, as a nightly job does an hour after the last one).

  new  docs/docsite/playbooks/nightly_fleet.yml, verbatim (the project list given with -e): one host per project, one
       atlas_snapshot task with cluster_kinds (every dedicated cluster of the project, wait: false) that takes tonight's
       snapshot where it is missing;
  uri  the same job with ansible.builtin.uri: the same one host per project; one token request (run_once), then per
       project GET /clusters, one snapshot list per dedicated cluster (the sharded path for sharded ones), and a POST
       where no nightly snapshot is younger than 12 hours (not waited for).

Counted from the simulator's request log: requests (API listener), token requests, 429s; from the play recap: failed tasks.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from nightly_benchmark import BIN, ROOT, describe, install_collection, write_results  # noqa: E402  pylint: disable=wrong-import-position
from simulator_process import start_simulator as start_simulator_process  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = os.path.join(ROOT, 'docs', 'docsite', 'playbooks', 'nightly_fleet.yml')
RESULTS = os.path.join(HERE, 'results', 'fleet.md')
ORG_ID = 'mdb_sa_id_0f1ee7000000000000000000'
ORG_SECRET = 'mdb_sa_sk_fleet-org-secret'

URI_PLAYBOOK = '''---
- name: Nightly backups with ansible.builtin.uri - one host per project of the list
  hosts: localhost
  gather_facts: false
  tasks:
    - name: A host for each project
      ansible.builtin.add_host:
        name: "atlas-project-{{ item }}"
        groups: atlas_projects
        atlas_project_id: "{{ item }}"
        ansible_connection: local
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
      loop: "{{ atlas_projects }}"
      changed_when: false

- name: Nightly backups with ansible.builtin.uri - every dedicated cluster of each project
  hosts: atlas_projects
  gather_facts: false
  vars:
    base: "{{ lookup('ansible.builtin.env', 'MONGODB_ATLAS_BASE_URL') }}"
    api: "{{ base }}/api/atlas/v2/groups/{{ atlas_project_id }}"
    bearer: "Bearer {{ token.json.access_token }}"
  tasks:
    - name: One token for the whole job (client credentials, Basic auth)
      ansible.builtin.uri:
        url: "{{ base }}/api/oauth/token"
        method: POST
        url_username: "{{ lookup('ansible.builtin.env', 'MONGODB_ATLAS_CLIENT_ID') }}"
        url_password: "{{ lookup('ansible.builtin.env', 'MONGODB_ATLAS_CLIENT_SECRET') }}"
        force_basic_auth: true
        body_format: form-urlencoded
        body: {grant_type: client_credentials}
      run_once: true
      no_log: true
      register: token

    - name: The dedicated clusters of the project
      ansible.builtin.uri:
        url: "{{ api }}/clusters?itemsPerPage=500"
        headers: {Accept: application/vnd.atlas.2024-08-05+json, Authorization: "{{ bearer }}"}
      register: clusters

    - name: The snapshots of each (the sharded ones have their own path)
      ansible.builtin.uri:
        url: "{{ api }}/clusters/{{ item.name }}/backup/snapshots{{ '/shardedClusters' if item.clusterType == 'SHARDED' else '' }}?itemsPerPage=500"
        headers: {Accept: application/vnd.atlas.2023-01-01+json, Authorization: "{{ bearer }}"}
      loop: "{{ clusters.json.results }}"
      loop_control:
        label: "{{ item.name }}"
      register: lists

    - name: Take tonight's snapshot where no nightly one is younger than 12 hours
      ansible.builtin.uri:
        url: "{{ api }}/clusters/{{ item.item.name }}/backup/snapshots"
        method: POST
        headers: {Accept: application/vnd.atlas.2023-01-01+json, Authorization: "{{ bearer }}"}
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


def project_ids(count: int) -> list[str]:
    return [f'6f1ee7{number:018d}' for number in range(1, count + 1)]


def start_simulator(tmp: str, projects: int, clusters: int) -> tuple[subprocess.Popen, str]:
    fleet = {'projects': projects, 'clusters_per_project': clusters}
    return start_simulator_process(tmp, {'fleet': fleet, 'snapshot_durations': {'queued': 0, 'in_progress': 0}})


def run(playbook: str, env: dict, projects: list[str], forks: int, cache: str, url: str) -> dict:
    """One ansible-playbook run: wall time, and from the request log and the recap what it cost."""
    requests.delete(f'{url}/__sim__/requests', timeout=10).raise_for_status()
    shutil.rmtree(cache, ignore_errors=True)
    start = time.monotonic()
    result = subprocess.run([os.path.join(BIN, 'ansible-playbook'), playbook, '--forks', str(forks), '-e', json.dumps({'atlas_projects': projects})],
                            env=dict(env, MONGODB_ATLAS_TOKEN_CACHE_DIR=cache), check=False, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seconds = time.monotonic() - start
    log = [entry for entry in requests.get(f'{url}/__sim__/requests', timeout=10).json()['requests'] if entry['server'] == 'api']
    recap = re.findall(r'^(\S+)\s*: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', result.stdout, re.M)
    if result.returncode != 0 or not recap:  # the recap only: a failed uri task's result could show its Authorization header
        print('\n'.join(line for line in result.stdout.splitlines() if ': ok=' in line or line.startswith('fatal')), file=sys.stderr)
    return {'seconds': seconds, 'requests': len(log), 'tokens': sum(1 for e in log if e['path'] == '/api/oauth/token'),
            'rate_limited': sum(1 for e in log if e['status'] == 429),
            'writes': sum(1 for e in log if e['method'] != 'GET' and e['path'] != '/api/oauth/token'),
            'failed': sum(int(failed) + int(unreachable) for _host, _changed, unreachable, failed in recap) if recap else -1,
            'changed': sum(int(changed) for _host, changed, _u, _f in recap), 'rc': result.returncode}


def check_nightly(url: str, projects: list[str], clusters_per_project: int) -> int:
    """Every dedicated cluster of every project holds exactly one nightly snapshot; returns how many clusters that is."""
    total = 0
    for group in projects:
        state = requests.get(f'{url}/__sim__/state', params={'group_id': group}, timeout=10).json()['clusters']
        for name, cluster in state.items():
            count = sum(1 for snap in cluster['snapshots'] if snap.get('description') == 'nightly')
            if count != (0 if cluster['kind'] == 'flex' else 1):
                raise SystemExit(f'{group} {name}: {count} nightly snapshots')
            total += cluster['kind'] != 'flex'
    assert len(state) == clusters_per_project
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--projects', type=int, default=20)
    parser.add_argument('--clusters', type=int, default=10)
    parser.add_argument('--forks', type=int, default=10)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix='fleet-bench-')
    projects = project_ids(args.projects)
    proc, url = start_simulator(tmp, args.projects, args.clusters)
    try:
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=install_collection(tmp), MONGODB_ATLAS_BASE_URL=url, MONGODB_ATLAS_CLIENT_ID=ORG_ID,
                   MONGODB_ATLAS_CLIENT_SECRET=ORG_SECRET, ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_INVENTORY_UNPARSED_WARNING='False',
                   ANSIBLE_NOCOLOR='1')
        for name in [name for name in env if name.startswith('MONGODB_ATLAS_') and name not in
                     ('MONGODB_ATLAS_BASE_URL', 'MONGODB_ATLAS_CLIENT_ID', 'MONGODB_ATLAS_CLIENT_SECRET')]:
            del env[name]
        playbooks = {'new': PLAYBOOK, 'uri': os.path.join(tmp, 'uri.yml')}
        with open(playbooks['uri'], 'w', encoding='utf-8') as handle:
            handle.write(URI_PLAYBOOK)
        order = ['new', 'uri']
        runs: dict[tuple[str, str], list[dict]] = {(name, night): [] for name in order for night in ('first', 'rerun')}
        dedicated = 0
        for round_number in range(args.rounds):
            for name in order[round_number % 2:] + order[:round_number % 2]:
                requests.post(f'{url}/__sim__/reset', json={}, timeout=10).raise_for_status()
                first = run(playbooks[name], env, projects, args.forks, os.path.join(tmp, 'cache'), url)
                dedicated = check_nightly(url, projects, args.clusters)
                rerun = run(playbooks[name], env, projects, args.forks, os.path.join(tmp, 'cache'), url)
                check_nightly(url, projects, args.clusters)
                if rerun['writes']:
                    raise SystemExit(f'{name}: the re-run wrote {rerun["writes"]} times')
                runs[(name, 'first')].append(first)
                runs[(name, 'rerun')].append(rerun)
                print(f'round {round_number + 1} {name}: first {first["seconds"]:.1f} s/{first["requests"]} req/{first["tokens"]} token, '
                      f're-run {rerun["seconds"]:.1f} s/{rerun["requests"]} req/{rerun["tokens"]} token', flush=True)
        report(args, dedicated, runs)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def report(args: argparse.Namespace, dedicated: int, runs: dict[tuple[str, str], list[dict]]) -> None:
    clusters = args.projects * args.clusters
    med = {key: statistics.median(r['seconds'] for r in values) for key, values in runs.items()}
    uname = ' '.join(platform.uname())
    version = subprocess.run([os.path.join(BIN, 'ansible'), '--version'], check=False, stdout=subprocess.PIPE, text=True).stdout.split('\n')[0]

    def field(key: tuple[str, str], name: str) -> str:
        return describe([r[name] for r in runs[key]])

    def per_cluster(key: tuple[str, str]) -> str:
        values = sorted({r['requests'] / clusters for r in runs[key]})
        return f'{values[0]:.2f}' if len(values) == 1 else f'{values[0]:.2f}-{values[-1]:.2f}'

    lines = [
        f'# Nightly job over a fleet: {args.projects} projects x {args.clusters} clusters, --forks {args.forks}, one service account',
        '',
        f'Measured by `tests/benchmarks/fleet_benchmark.py --rounds {args.rounds} --projects {args.projects} --clusters {args.clusters} '
        f'--forks {args.forks}` on {time.strftime("%Y-%m-%d", time.gmtime())}.',
        '',
        f'Machine: `{uname}`, nproc {os.cpu_count()} (shared with other work), Python {platform.python_version()}, {version}; the Atlas '
        f'simulator on 127.0.0.1 (HTTP) seeded with `{{"fleet": {{"projects": {args.projects}, "clusters_per_project": {args.clusters}}}}}`: '
        f'{clusters} clusters, {dedicated} of them dedicated (replica sets and sharded), the others Flex; the April 2026 rate-limit '
        'table per project; snapshots that complete at once. Every run: one org-wide service account from the environment, a fresh '
        'token cache.',
        '',
        'Each round, for each variant in a rotated order: back to the seed, a first night (a snapshot to take on every dedicated '
        'cluster; checked after: exactly one nightly snapshot per dedicated cluster), then a re-run the same night (checked: no write). '
        'Wall time from the parent process; requests (API listener), token requests and 429s from the simulator\'s request log; failed '
        'tasks from the play recap.',
        '',
        '| variant | night | median wall time | requests | requests per cluster | token requests | 429s | failed tasks |',
        '|---|---|---|---|---|---|---|---|',
    ]
    for key in runs:
        lines.append(f'| {key[0]} | {key[1]} | {med[key]:.1f} s | {field(key, "requests")} | {per_cluster(key)} | {field(key, "tokens")} | '
                     f'{field(key, "rate_limited")} | {field(key, "failed")} |')
    lines += ['', '| wall-time ratio uri / new (new is that many times faster) | per round | median |', '|---|---|---|']
    for night in ('first', 'rerun'):
        ratios = [u['seconds'] / n['seconds'] for u, n in zip(runs[('uri', night)], runs[('new', night)])]
        lines.append(f'| {night} | {", ".join(f"{v:.2f}" for v in ratios)} | **{statistics.median(ratios):.2f}x** |')
    lines += ['', 'Per-round wall times (s):', '', '| round | new first | new re-run | uri first | uri re-run |', '|---|---|---|---|---|']
    for i in range(args.rounds):
        lines.append(f'| {i + 1} | ' + ' | '.join(f'{runs[key][i]["seconds"]:.1f}' for key in
                                                  (('new', 'first'), ('new', 'rerun'), ('uri', 'first'), ('uri', 'rerun'))) + ' |')
    dedicated_each = dedicated // args.projects
    lines += [
        '',
        'Where the requests go (per project; the one token request is the job\'s):',
        '',
        f'- new, re-run: the one `atlas_snapshot` task (cluster_kinds: the dedicated ones): `GET /clusters` (no Flex list), then one '
        f'snapshot list per dedicated cluster ({dedicated_each}) = {dedicated_each + 1}.',
        f'- uri, re-run: `GET /clusters`, then one snapshot list per dedicated cluster ({dedicated_each}) = {dedicated_each + 1}.',
        f'- first night, on top of that: one `POST` per dedicated cluster ({dedicated_each}) for both. The new task decides on each '
        'cluster from the snapshot list it has just read, cluster by cluster, so a snapshot another run took since is not taken '
        'twice; the uri job decides from its lists too, with no adoption after a lost answer.',
        '',
    ]
    write_results(RESULTS, lines)


if __name__ == '__main__':
    main()

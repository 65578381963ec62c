# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Take one on-demand snapshot of one dedicated cluster and wait until it is completed: the module against uri.

Run: .venv/bin/python tests/benchmarks/take_and_wait_benchmark.py [--rounds 5] [--queued 2] [--in-progress 18] [--uri-delay 5]
Not part of `make test`: it measures, it does not assert (beyond checking that every run took one snapshot and saw it
completed). Results are printed and written to tests/benchmarks/results/take_and_wait.md.

The simulator (helpers from nightly_benchmark.py) is seeded with one dedicated replica set; its on-demand snapshots are
set (PATCH /__sim__/config) to stay `queued` 2 s, then `inProgress` 18 s: 20 s of simulator time, at scale 1. Each
round runs both variants, in alternating order, each a whole `ansible-playbook` process with a fresh description, so
every run really takes a snapshot:

  module  mongodb_atlas.backup.atlas_snapshot with wait: true (its poll schedule: at once, then every 1 s + 10% of
          the time waited so far, up to 15 s);
  uri     hand-written: ansible.builtin.uri POSTs the snapshot (digest auth via url_username/url_password), then GETs
          it in an `until:` loop with `delay: 5` (a round figure a user would choose; --uri-delay changes it) and
          enough retries for the wait. Every GET is a new task attempt, so it costs a digest challenge too.

Lateness: the simulator completes the snapshot queued + in_progress seconds after it received the POST (both times on
its real clock, scale 1; cross-checked against `createdAt` in /__sim__/state); the playbook notices it with the GET
that reads `completed`. Lateness = time of that GET (request log) - completion time.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time

import requests

from nightly_benchmark import BIN, GROUP, HERE, describe, install_collection, run_playbook, start_simulator, write_results

RESULTS = os.path.join(HERE, 'results', 'take_and_wait.md')
CLUSTER = {'name': 'App00', 'kind': 'replicaSet', 'tier': 'M10', 'snapshots': 3}

MODULE_PLAYBOOK = '''---
- name: Take a snapshot and wait for it - atlas_snapshot
  hosts: localhost
  gather_facts: false
  tasks:
    - name: On-demand snapshot, waited for until completed
      mongodb_atlas.backup.atlas_snapshot:
        cluster_name: "{{ cluster }}"
        description: "{{ description }}"
        retention_in_days: 1
        wait: true
        wait_timeout: 600
      register: snap

    - name: Completed
      ansible.builtin.assert:
        that: snap.snapshot.status == 'completed'
'''

URI_PLAYBOOK = '''---
- name: Take a snapshot and wait for it - hand-written with ansible.builtin.uri
  hosts: localhost
  gather_facts: false
  vars:
    api: "{{ lookup('ansible.builtin.env', 'MONGODB_ATLAS_BASE_URL') }}/api/atlas/v2/groups/{{ group_id }}/clusters"
    user: "{{ lookup('ansible.builtin.env', 'MONGODB_ATLAS_PUBLIC_KEY') }}"
    password: "{{ lookup('ansible.builtin.env', 'MONGODB_ATLAS_PRIVATE_KEY') }}"
  tasks:
    - name: Take the snapshot (digest auth)
      ansible.builtin.uri:
        url: "{{ api }}/{{ cluster }}/backup/snapshots"
        method: POST
        url_username: "{{ user }}"
        url_password: "{{ password }}"
        headers:
          Accept: application/vnd.atlas.2023-01-01+json
        body_format: json
        body: {description: "{{ description }}", retentionInDays: 1}
      register: taken

    - name: Wait until it is completed
      ansible.builtin.uri:
        url: "{{ api }}/{{ cluster }}/backup/snapshots/{{ taken.json.id }}"
        url_username: "{{ user }}"
        url_password: "{{ password }}"
        headers:
          Accept: application/vnd.atlas.2023-01-01+json
      register: snap
      until: snap.json.status in ['completed', 'failed']
      retries: 120
      delay: "{{ uri_delay }}"

    - name: Completed
      ansible.builtin.assert:
        that: snap.json.status == 'completed'
'''


def parse_iso(text: str) -> float:
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc).timestamp()


def measure(url: str, playbook: str, env: dict, extra: dict, durations: tuple[float, float]) -> dict:
    """One run: wall time, requests, polls and lateness, read from the request log and the simulator state."""
    requests.delete(f'{url}/__sim__/requests', timeout=10).raise_for_status()
    seconds = run_playbook(playbook, env, json.dumps(extra))[0]
    log = [e for e in requests.get(f'{url}/__sim__/requests', timeout=10).json()['requests'] if e['server'] == 'api']
    snaps = requests.get(f'{url}/__sim__/state', timeout=10).json()['clusters'][CLUSTER['name']]['snapshots']
    taken = [s for s in snaps if s.get('description') == extra['description']]
    posts = [e for e in log if e['method'] == 'POST' and e['status'] in (200, 201, 202)]
    if len(taken) != 1 or len(posts) != 1 or taken[0]['status'] != 'completed':
        raise SystemExit(f'expected one completed snapshot {extra["description"]!r}: {taken}, {posts}')
    snap_id = taken[0]['id']
    polls = [e for e in log if e['method'] == 'GET' and e['status'] == 200 and e['path'].endswith(f'/snapshots/{snap_id}')]
    completed = posts[0]['time'] + durations[0] + durations[1]
    # createdAt is the end of the queue, in whole seconds of the simulator clock, which started at a whole second (so it
    # lags real time by under 1 s): the completion it implies is 0-2 s before the request log's.
    from_state = parse_iso(taken[0]['createdAt']) + durations[1]
    if not -0.1 <= completed - from_state <= 2.1:
        raise SystemExit(f'completion from the request log ({completed}) and from the state ({from_state}) disagree')
    return {'seconds': seconds, 'requests': len(log), 'challenges': sum(1 for e in log if e['status'] == 401),
            'polls': len(polls), 'lateness': polls[-1]['time'] - completed if polls else float('nan'),
            'noticed': polls[-1]['time'] - posts[0]['time'] if polls else float('nan'),
            'interval': statistics.median(b['time'] - a['time'] for a, b in zip(polls, polls[1:])) if len(polls) > 1 else float('nan')}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--queued', type=float, default=2.0, help='simulator seconds an on-demand snapshot is queued')
    parser.add_argument('--in-progress', type=float, default=18.0, help='then simulator seconds it is inProgress')
    parser.add_argument('--uri-delay', type=int, default=5, help='the uri loop\'s delay between GETs (seconds)')
    args = parser.parse_args()
    durations = (args.queued, args.in_progress)
    tmp = tempfile.mkdtemp(prefix='take-and-wait-bench-')
    proc, url = start_simulator(tmp, [CLUSTER])
    try:
        requests.patch(f'{url}/__sim__/config', json={'snapshot_durations': {'queued': args.queued, 'in_progress': args.in_progress}},
                       timeout=10).raise_for_status()
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=install_collection(tmp), MONGODB_ATLAS_BASE_URL=url,
                   MONGODB_ATLAS_PUBLIC_KEY='owner-public', MONGODB_ATLAS_PRIVATE_KEY='owner-private',
                   MONGODB_ATLAS_PROJECT_ID=GROUP, ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_INVENTORY_UNPARSED_WARNING='False',
                   ANSIBLE_NOCOLOR='1')
        playbooks = {}
        for name, text in (('module', MODULE_PLAYBOOK), ('uri', URI_PLAYBOOK)):
            playbooks[name] = os.path.join(tmp, f'{name}.yml')
            with open(playbooks[name], 'w', encoding='utf-8') as handle:
                handle.write(text)
        order = ['module', 'uri']
        runs: dict[str, list[dict]] = {name: [] for name in order}
        for round_number in range(args.rounds):
            for name in order if round_number % 2 == 0 else order[::-1]:
                extra = {'group_id': GROUP, 'cluster': CLUSTER['name'], 'description': f'bench-{round_number + 1}-{name}',
                         'uri_delay': args.uri_delay}
                runs[name].append(measure(url, playbooks[name], env, extra, durations))
            print(f'round {round_number + 1}: ' + ', '.join(
                f'{n} {runs[n][-1]["seconds"]:.2f} s/{runs[n][-1]["requests"]} req/late {runs[n][-1]["lateness"]:.2f} s' for n in order))
        report(args, runs)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def module_schedule(total: float) -> list[float]:
    """The module's poll times after the POST (wait_for's defaults), up to the first at or after `total`."""
    times, waited = [0.0], 0.0
    while waited < total:
        waited += min(15.0, 1.0 + 0.1 * waited)
        times.append(round(waited, 2))
    return times


def report(args: argparse.Namespace, runs: dict[str, list[dict]]) -> None:
    total = args.queued + args.in_progress

    def med(name: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[name])

    ratios = [u['seconds'] / m['seconds'] for m, u in zip(runs['module'], runs['uri'])]
    version = subprocess.run([os.path.join(BIN, 'ansible'), '--version'], check=False, stdout=subprocess.PIPE, text=True).stdout.split('\n')[0]
    schedule = module_schedule(total)
    lines = [
        '# Take one on-demand snapshot and wait until it is completed: atlas_snapshot against uri',
        '',
        f'Measured by `tests/benchmarks/take_and_wait_benchmark.py --rounds {args.rounds} --queued {args.queued:g} '
        f'--in-progress {args.in_progress:g} --uri-delay {args.uri_delay}` on {time.strftime("%Y-%m-%d", time.gmtime())}: '
        f'{os.cpu_count()} CPUs (shared with other work), Python {platform.python_version()}, {version}, the Atlas simulator '
        f'on 127.0.0.1 (HTTP), one dedicated replica set, each on-demand snapshot `queued` {args.queued:g} s then `inProgress` '
        f'{args.in_progress:g} s: it completes {total:g} s after the POST.',
        '',
        'Each round runs both variants (alternating which goes first), each a whole `ansible-playbook` process with a fresh '
        'description, so every run takes a snapshot and waits for it (checked: one new snapshot, `completed`). Requests '
        'come from the simulator\'s request log (401 digest challenges included). *Late by* is the time from the '
        'snapshot\'s completion (POST time in the log + the configured durations, cross-checked against `createdAt` in '
        '`/__sim__/state`) to the GET that read `completed`.',
        '',
        '| variant | what it runs | median wall time | requests (of them 401 challenges) | snapshot GETs | noticed after the POST | late by |',
        '|---|---|---|---|---|---|---|',
        f'| module | `atlas_snapshot` with `wait: true` (1 task) | {med("module", "seconds"):.2f} s | {spread(runs["module"], "requests")} '
        f'({spread(runs["module"], "challenges")}) | {spread(runs["module"], "polls")} | {med("module", "noticed"):.2f} s | '
        f'{med("module", "lateness"):.2f} s |',
        f'| uri | `uri` POST, then `uri` GET with `until:`, `delay: {args.uri_delay}` (2 tasks) | {med("uri", "seconds"):.2f} s | '
        f'{spread(runs["uri"], "requests")} ({spread(runs["uri"], "challenges")}) | {spread(runs["uri"], "polls")} | '
        f'{med("uri", "noticed"):.2f} s | {med("uri", "lateness"):.2f} s |',
        '',
        f'Wall-time ratio uri / module per round: {", ".join(f"{r:.2f}" for r in ratios)}; median **{statistics.median(ratios):.2f}x**.',
        '',
        'Per round (wall time / late by, s):',
        '',
        '| round | module | uri |',
        '|---|---|---|',
    ]
    for i, (m, u) in enumerate(zip(runs['module'], runs['uri'])):
        lines.append(f'| {i + 1} | {m["seconds"]:.2f} / {m["lateness"]:.2f} | {u["seconds"]:.2f} / {u["lateness"]:.2f} |')
    lines += [
        '',
        'What the poll schedules do here (the fair reading of the numbers):',
        '',
        f'- Both variants wait for the same {total:g} s; the difference in wall time is how late each notices the completion '
        'plus process and task overhead. The module polls at ' + ', '.join(f'{p:g}' for p in schedule) + ' s after its '
        f'POST (1 s + 10% of the time waited, capped at 15 s), so a {total:g}-second snapshot is seen at most '
        f'{schedule[-1] - total:.1f} s after it completes in theory (plus the request time); one digest challenge serves '
        'the whole task.',
        f'- The uri loop polls every {args.uri_delay} s plus the time of a task attempt (a new module process and a new '
        f'digest challenge each time): measured median interval {med("uri", "interval"):.2f} s. So it is late by anything '
        f'from 0 to that interval depending on where the completion falls (about half of it on average over completion '
        f'times; this fixed {total:g} s duration is one such point), and a shorter `delay` makes it less late at 2 requests '
        f'per extra GET. Over a long wait the module settles at 4 polls a minute (1 request each); this loop makes about '
        f'{60 / med("uri", "interval"):.0f} a minute (2 requests each).',
        '- The uri variant also leaves out what the module does: it does not look for a matching or in-flight snapshot '
        'first (Atlas refuses a second on-demand snapshot while one runs), handles no 429/5xx retry, no sharded or '
        'Flex path, no timeout message naming the snapshot.',
        '',
    ]
    write_results(RESULTS, lines)


def spread(runs: list[dict], key: str) -> str:
    return describe([run[key] for run in runs])


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore soak (issue 17, item 10): many runs of atlas_restore_job, the installed collection through ansible-playbook,
against the simulator with about a fifth of the requests faulted, judged from the simulator's state, its request log
and the disk, never from the module's own word.

One generated playbook holds every run. A run is: reset the simulator (its settings; list lag when the simulator has
it), put the clock at scale 10, arm the run's faults; the module task (ignore_errors, registered); then the state, the
request log and the remaining faults are fetched and the whole lot written to <work>/run-N.json. Some real runs are
followed by a re-run of the same task (faults cleared, same dest, no reset), as an operator or AWX would re-run a
failed job. The judge then counts, over all runs:

- duplicate restores: more than one automated/point-in-time restore job into the run's target (re-run included);
- partial sets reported done: a successful download run whose dest does not hold exactly one archive per component
  of the job (replica set: 1; sharded: shards + config server), each a whole gzip'd tar (read to the end) whose size
  and sha256 are those the result claims;
- tracebacks: 'Traceback' in the output, or 'Unexpected' / a module_stderr in a result;
- unexplained failures: a failed task without a message naming a cause;
- check-mode violations: a --check run with a download-host request, an API POST/PATCH/DELETE, a file under dest or
  a new job in the state.

python tests/integration/soak_restore.py --runs 120 (make soak) prints the table and writes
tests/benchmarks/results/restore_soak.md; tests/integration/test_restore_soak.py runs a short one in make test.
"""
from __future__ import annotations

import argparse
import collections
import datetime
import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
import typing as t

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(ROOT, 'tests', 'benchmarks', 'results', 'restore_soak.md')
GROUP_ID = '5f1a2b3c4d5e6f7a8b9c0d1e'
SNAP_RS = '65a000000000000000000101'
SNAP_SHARDED = '65a000000000000000000201'
SHARD_MEMBER_1 = '65e000000000000000020101'  # the second archive of the sharded set
KINDS = ('automated', 'point_in_time', 'rs_download', 'sharded_download')
SCALE = 20  # simulator seconds per real second during the soak
LIST_LAG = 20  # simulator seconds new jobs stay out of lists, when the simulator has list_lag_seconds

# The fault menu: (name, weight, kinds it applies to, fault spec). Paths are re.search'ed on the URL path.
RESTORE_POST = {'method': 'POST', 'path': r'/restoreJobs$'}
FAULTS: list[tuple[str, int, tuple[str, ...], dict]] = [
    ('drop_after_write POST', 4, KINDS, dict(RESTORE_POST, action='drop_after_write')),
    ('reset POST', 2, KINDS, dict(RESTORE_POST, action='reset')),
    ('409 restore in progress', 3, ('automated', 'point_in_time'),
     dict(RESTORE_POST, action='status', status=409, error_code='ATLAS_CLUSTER_RESTORE_IN_PROGRESS')),
    ('409 download incomplete', 1, ('rs_download', 'sharded_download'),
     dict(RESTORE_POST, action='status', status=409, error_code='CANNOT_DOWNLOAD_INCOMPLETE_SNAPSHOT')),
    ('503 on a job GET', 3, KINDS, {'method': 'GET', 'path': r'/restoreJobs/', 'action': 'status', 'status': 503, 'retry_after': 1}),
    ('503 on a list GET', 2, KINDS, {'method': 'GET', 'path': r'/restoreJobs$', 'action': 'status', 'status': 503}),
    ('429 rate limited', 2, KINDS, {'method': '*', 'path': r'/api/atlas/', 'action': 'status', 'status': 429, 'retry_after': 1}),
    ('reset on a GET', 2, KINDS, {'method': 'GET', 'path': r'/api/atlas/', 'action': 'reset'}),
    ('latency 0.5 s', 1, KINDS, {'method': '*', 'path': r'/api/atlas/', 'action': 'latency', 'delay': 0.5}),
    ('403 archive refused', 4, ('rs_download', 'sharded_download'),
     {'method': 'GET', 'path': r'/backup-downloads/', 'action': 'status', 'status': 403}),
    ('403 second archive refused', 3, ('sharded_download',),
     {'method': 'GET', 'path': SHARD_MEMBER_1, 'action': 'status', 'status': 403}),
    ('reset mid-archive', 2, ('rs_download', 'sharded_download'),
     {'method': 'GET', 'path': r'/backup-downloads/', 'action': 'reset', 'after_bytes': 200000}),
    ('truncated archive', 2, ('rs_download', 'sharded_download'), {'method': 'GET', 'path': r'/backup-downloads/', 'action': 'truncate'}),
]

FAULTS_BY_NAME = {name: spec for name, _weight, _kinds, spec in FAULTS}

PLAY_HEAD = """
- name: Restore soak
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  module_defaults:
    group/mongodb_atlas.backup.atlas:
      api_base_url: %(url)s
      api_version: v2
      group_id: %(group)s
      api_public_key: owner-public
      api_private_key: owner-private
  tasks:
"""

RUN_TASKS = """
    - name: "Run %(n)d: set the simulator up"
      ansible.builtin.set_fact:
        soak_setup: "{{ lookup('soak_sim', 'setup', calls=soak_calls) }}"
      vars:
        soak_calls: %(setup)s

    - name: "Run %(n)d: %(label)s"
      mongodb_atlas.backup.atlas_restore_job: %(args)s
      check_mode: %(check)s
      register: soak_result
      ignore_errors: true
      timeout: 240

    - name: "Run %(n)d: keep the result with what the simulator saw"
      ansible.builtin.set_fact:
        soak_kept: "{{ lookup('soak_sim', 'collect', result=soak_result, path='%(work)s/run-%(n)d%(suffix)s.json') }}"
"""

# A playbook-adjacent lookup: the control API calls run inside ansible-playbook itself (no module process per call),
# which keeps a run's bookkeeping to milliseconds.
LOOKUP = """
from __future__ import annotations

import json
import urllib.request

from ansible.plugins.lookup import LookupBase

CONTROL = %(control)r
API = %(api)r


def api_post(path, body):
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, API, 'owner-public', 'owner-private')
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager))
    version = 'application/vnd.atlas.2023-01-01+json'
    request = urllib.request.Request(API + path, data=json.dumps(body).encode(), method='POST',
                                     headers={'Content-Type': version, 'Accept': version})
    with opener.open(request, timeout=30) as response:
        return json.loads(response.read())


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(CONTROL + '/' + path, data=data, method=method, headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b'{}')


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if terms[0] == 'setup':
            for item in kwargs['calls']:
                if 'api' in item:
                    api_post(item['api'], item['body'])
                else:
                    call(item['method'], item['path'], item.get('body'))
            return [True]
        seen = [call('GET', 'state'), call('GET', 'requests'), call('GET', 'faults')]
        with open(kwargs['path'], 'w', encoding='utf-8') as handle:
            json.dump({'result': kwargs['result'], 'seen': seen}, handle)
        return [True]
"""


class Run(t.NamedTuple):
    n: int
    kind: str
    check: bool
    faults: list[tuple[str, dict]]
    rerun: bool
    args: dict
    ready: bool = False  # a ready download job of the snapshot exists before the task (the 0.3.0 check-mode download)


def plan(runs: int, seed: int, work: str, pit_seconds: int) -> list[Run]:
    rng = random.Random(seed)
    planned = []
    for n in range(runs):
        kind = KINDS[n % len(KINDS)]
        check = rng.random() < 0.25
        menu = [(name, weight, spec) for name, weight, kinds, spec in FAULTS if kind in kinds]
        faults = []
        for _fault in range(rng.choice((1, 2, 2, 3))):
            name, _weight, spec = rng.choices(menu, weights=[weight for _name, weight, _spec in menu])[0]
            faults.append((name, spec))
        args: dict[str, t.Any] = {'cluster_name': 'Cluster0', 'wait': True, 'wait_timeout': 90}
        if kind == 'automated':
            args.update(delivery_type='automated', snapshot_id=SNAP_RS, target_cluster_name='Staging0')
        elif kind == 'point_in_time':
            args.update(delivery_type='point_in_time', point_in_time_utc_seconds=pit_seconds, target_cluster_name='Staging0')
        else:
            dest = os.path.join(work, f'dest-{n}')
            os.makedirs(dest, exist_ok=True)
            args.update(delivery_type='download', dest=dest + '/')
            if kind == 'sharded_download':
                args.update(cluster_name='Sharded0', snapshot_id=SNAP_SHARDED)
            else:
                args.update(snapshot_id=SNAP_RS)
        ready = kind.endswith('download') and rng.random() < (0.6 if check else 0.2)
        rerun = not check and rng.random() < 0.35
        if kind == 'sharded_download' and n % 8 == 3:  # every other sharded run: the second archive refused, then a re-run
            check, rerun = False, True
            faults.append(('403 second archive refused', FAULTS_BY_NAME['403 second archive refused']))
        if (kind == 'rs_download' and n % 8 == 6) or (kind == 'sharded_download' and n % 16 == 7):  # the 0.3.0 check-mode download
            check, rerun, ready = True, False, True
        planned.append(Run(n, kind, check, faults, rerun=rerun, args=args, ready=ready))
    return planned


def playbook(planned: list[Run], url: str, control: str, work: str, sim_config: dict, legacy: bool = False) -> str:
    text = PLAY_HEAD % {'url': json.dumps(url), 'group': json.dumps(GROUP_ID)}
    for run in planned:
        config = dict(sim_config, pit_legacy_fields=True) if legacy and run.kind == 'point_in_time' and run.n % 8 >= 4 else sim_config
        setup = [{'path': 'reset', 'method': 'POST', 'body': {'config': config}},
                 {'path': 'clock', 'method': 'POST', 'body': {'scale': SCALE}}]
        if run.ready:
            body = {'deliveryType': 'download', 'snapshotId': run.args['snapshot_id']}
            setup += [{'api': f"/clusters/{run.args['cluster_name']}/backup/restoreJobs", 'body': body},
                      {'path': 'clock', 'method': 'POST', 'body': {'advance': 10}}, {'path': 'requests', 'method': 'DELETE'}]
        setup += [{'path': 'faults', 'method': 'POST', 'body': spec} for _name, spec in run.faults]
        label = f"{run.kind}{' --check' if run.check else ''}{' (ready job)' if run.ready else ''}, faults: {', '.join(name for name, _spec in run.faults)}"
        text += RUN_TASKS % {'n': run.n, 'suffix': '', 'control': control, 'setup': json.dumps(setup), 'label': label,
                             'args': json.dumps(run.args), 'check': 'true' if run.check else 'false', 'work': work}
        if run.rerun:  # same task again: no reset, no faults, the same dest
            setup = [{'path': 'faults', 'method': 'DELETE'}, {'path': 'requests', 'method': 'DELETE'}]
            text += RUN_TASKS % {'n': run.n, 'suffix': '_rerun', 'control': control, 'setup': json.dumps(setup),
                                 'label': f'{run.kind} re-run', 'args': json.dumps(run.args), 'check': 'false', 'work': work}
    return text


def archive_ok(path: str) -> str:
    """'' when the file is a whole gzip'd tar (every member read to the end), else why not."""
    try:
        with tarfile.open(path, 'r:gz') as archive:
            members = 0
            for member in archive:
                members += 1
                if member.isfile():
                    handle = archive.extractfile(member)
                    while handle is not None and handle.read(1 << 20):
                        pass
        return '' if members else 'no members'
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as exc:
        return f'{type(exc).__name__}: {exc}'


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


CAUSES = [
    ('refused link (403)', r'403|refused|one-time|already been used'),
    ('restore in progress (409)', r'409|in progress|IN_PROGRESS'),
    ('incomplete snapshot (409)', r'INCOMPLETE|incomplete'),
    ('connection reset / no answer', r'reset|[Cc]onnection|no answer|aborted|RemoteDisconnected'),
    ('server error (5xx)', r'\b50\d\b|unavailable'),
    ('rate limited (429)', r'429|rate'),
    ('timed out', r'[Tt]imed out|timeout'),
    ('short or corrupt archive', r'truncat|short|gzip|tar|size|bytes'),
    ('cannot find the job / ambiguous', r'could not find|ambiguous|not listed|job list'),
]


def cause_of(msg: str) -> str:
    for name, pattern in CAUSES:
        if re.search(pattern, msg):
            return name
    return 'other (named)' if len(msg.strip()) >= 20 else 'UNEXPLAINED'


class Tally:
    def __init__(self) -> None:
        self.runs = self.tasks = self.check_runs = self.reruns = self.ok = self.failed = 0
        self.requests = self.faults_armed = self.faults_fired = 0
        self.duplicates: list[str] = []
        self.partial: list[str] = []
        self.tracebacks: list[str] = []
        self.unexplained: list[str] = []
        self.check_violations: list[str] = []
        self.secrets: list[str] = []
        self.causes: collections.Counter = collections.Counter()
        self.faults_by_name: collections.Counter = collections.Counter()
        self.by_kind: collections.Counter = collections.Counter()
        self.missing: list[str] = []


def judge_task(tally: Tally, run: Run, label: str, data: dict, check: bool, previous_jobs: int) -> None:
    result, (state, log, _faults) = data['result'], data['seen']
    tally.tasks += 1
    log = log['requests']
    tally.requests += len(log)
    blob = json.dumps(result)
    if 'Traceback' in blob or 'Unexpected' in str(result.get('msg', '')) or result.get('module_stderr'):
        tally.tracebacks.append(f'{label}: {str(result.get("msg") or result.get("module_stderr"))[:200]}')
    dest = run.args.get('dest')
    if dest and 'X-Amz-Signature' in blob:
        tally.secrets.append(f'{label}: a signed link in the result although dest is set')
    if result.get('failed'):
        tally.failed += 1
        msg = str(result.get('msg') or '')
        cause = cause_of(msg)
        tally.causes[cause] += 1
        if cause == 'UNEXPLAINED' or msg.startswith('MODULE FAILURE'):
            tally.unexplained.append(f'{label}: {msg[:200]!r}')
    else:
        tally.ok += 1
    # every run starts from a reset and restores only into Staging0: any second automated/PIT job is a second restore
    # (counted without targetClusterName, which a legacy-shaped PIT job does not carry)
    target_jobs = [job for job in state['restore_jobs'] if job.get('deliveryType') in ('automated', 'pointInTime')]
    # a re-run is charged only with the restores it added itself (the first run's duplicate is counted once)
    if run.kind in ('automated', 'point_in_time') and len(target_jobs) > max(1, previous_jobs):
        posts = [e for e in log if e['method'] == 'POST' and e['path'].endswith('/restoreJobs')]
        tally.duplicates.append(f'{label}: {len(target_jobs)} restore jobs into Staging0 ({previous_jobs} before this task), '
                                f'POSTs this task: {[e["status"] for e in posts]}, faults: {[name for name, _spec in run.faults]}, '
                                f'reported failed={bool(result.get("failed"))}')
    if check:
        bad = [f"{e['server']} {e['method']} {e['path'].split('?')[0]}" for e in log
               if e['server'] == 'download' or e['method'] not in ('GET', 'HEAD')]
        files = sorted(os.listdir(dest)) if dest else []
        if bad or files or len(state['restore_jobs']) > int(run.ready):
            tally.check_violations.append(f'{label}: requests {bad[:4]}, files {files}, jobs in state {len(state["restore_jobs"])}')
    elif dest and not result.get('failed'):
        job_id = (result.get('restore_job') or {}).get('id')
        job = next((job for job in state['restore_jobs'] if job.get('id') == job_id), None)
        # the simulator's topology, not the module's word: Sharded0 is 2 shards + the config server, Cluster0 one replica set
        expected = 3 if run.kind == 'sharded_download' else 1
        if job is not None and job.get('components'):
            expected = len(job['components'])
        archives = sorted(name for name in os.listdir(dest) if name.endswith('.tar.gz'))
        problems = []
        if len(archives) != expected:
            problems.append(f'{len(archives)} archive(s) of {expected}: {archives}')
        claimed = {os.path.basename(item.get('path', '')): item for item in result.get('files') or []}
        for name in archives:
            path = os.path.join(dest, name)
            why = archive_ok(path)
            if why:
                problems.append(f'{name}: {why}')
            item = claimed.get(name)
            if item and (item.get('size') not in (None, os.path.getsize(path)) or item.get('sha256') not in (None, sha256(path))):
                problems.append(f'{name}: size/sha256 on disk differ from the result')
        if problems:
            tally.partial.append(f'{label}: reported done, but ' + '; '.join(problems))


def judge(planned: list[Run], work: str, output: str) -> Tally:
    tally = Tally()
    for marker in ('Traceback', 'Unexpected'):
        for line in output.splitlines():
            if marker in line:
                tally.tracebacks.append(f'output: {line.strip()[:200]}')
    for run in planned:
        path = os.path.join(work, f'run-{run.n}.json')
        if not os.path.isfile(path):
            tally.missing.append(f'run {run.n}')
            continue
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
        tally.runs += 1
        tally.by_kind[run.kind + (' --check' if run.check else '') + (' (ready job)' if run.ready else '')] += 1
        tally.check_runs += run.check
        armed: dict[str, int] = {}
        for name, spec in run.faults:
            armed[name] = armed.get(name, 0) + spec.get('count', 1)
        left: collections.Counter = collections.Counter()
        for fault in data['seen'][2]['faults']:  # the ones still armed, with their remaining counts
            for name, spec in run.faults:
                if all(fault.get(key) == (value.upper() if key == 'method' else value) for key, value in spec.items() if key != 'count'):
                    left[name] += fault['count']
                    break
        for name, count in armed.items():
            tally.faults_armed += count
            fired = count - left.get(name, 0)
            tally.faults_fired += fired
            tally.faults_by_name[name] += fired
        judge_task(tally, run, f'run {run.n} ({run.kind}{" --check" if run.check else ""})', data, run.check, 0)
        if run.rerun:
            path = os.path.join(work, f'run-{run.n}_rerun.json')
            if os.path.isfile(path):
                with open(path, encoding='utf-8') as handle:
                    again = json.load(handle)
                tally.reruns += 1
                before = [job for job in data['seen'][0]['restore_jobs'] if job.get('deliveryType') in ('automated', 'pointInTime')]
                judge_task(tally, run, f'run {run.n} re-run ({run.kind})', again, False, len(before))
            else:
                tally.missing.append(f'run {run.n} re-run')
    return tally


def table(tally: Tally, seconds: float, list_lag: str, seed: int) -> str:
    rows = [
        ('runs (re-runs)', f'{tally.runs} ({tally.reruns}); tasks {tally.tasks}; by kind: '
         + ', '.join(f'{kind} {count}' for kind, count in sorted(tally.by_kind.items()))),
        ('requests logged', str(tally.requests)),
        ('faults injected (fired / armed)', f'{tally.faults_fired} / {tally.faults_armed} = '
         f'{100.0 * tally.faults_fired / max(tally.requests, 1):.0f} % of requests; '
         + ', '.join(f'{name} {count}' for name, count in tally.faults_by_name.most_common())),
        ('list lag', list_lag),
        ('tasks ok / failed', f'{tally.ok} / {tally.failed}'),
        ('failures by cause', ', '.join(f'{name} {count}' for name, count in tally.causes.most_common()) or 'none'),
        ('duplicate restores', str(len(tally.duplicates))),
        ('partial sets reported done', str(len(tally.partial))),
        ('tracebacks', str(len(tally.tracebacks))),
        ('unexplained failures', str(len(tally.unexplained))),
        ('check-mode violations', f'{len(tally.check_violations)} (of {tally.check_runs} check runs)'),
        ('signed links in results with dest', str(len(tally.secrets))),
        ('runs without a record', str(len(tally.missing))),
        ('wall time', f'{seconds:.0f} s (seed {seed})'),
    ]
    text = '| what | count |\n|---|---|\n' + ''.join(f'| {name} | {value} |\n' for name, value in rows)
    details = [('Duplicate restores', tally.duplicates), ('Partial sets reported done', tally.partial), ('Tracebacks', tally.tracebacks),
               ('Unexplained failures', tally.unexplained), ('Check-mode violations', tally.check_violations),
               ('Signed links', tally.secrets), ('Missing records', tally.missing)]
    for title, items in details:
        if items:
            text += f'\n{title} ({len(items)}):\n\n' + ''.join(f'- {item}\n' for item in items[:25])
            if len(items) > 25:
                text += f'- ... and {len(items) - 25} more\n'
    return text


def sim_settings(control: str) -> tuple[dict, str, bool]:
    """The per-run simulator settings, list lag only when this simulator knows list_lag_seconds; and whether it can
    answer point-in-time jobs with the legacy field set (pit_legacy_fields), which half the PIT runs then get."""
    config: dict[str, t.Any] = {'restore_duration': 20, 'restore_download_duration': 5}
    live = requests.get(control + '/config', timeout=10).json()
    if 'list_lag_seconds' in live:
        config['list_lag_seconds'] = LIST_LAG
        lag = f'{LIST_LAG} simulator s (list_lag_seconds) on every run'
    else:
        lag = 'NOT APPLIED: this simulator has no list_lag_seconds setting'
    legacy = 'pit_legacy_fields' in live
    return config, lag + ('; half the PIT runs with pit_legacy_fields' if legacy else ''), legacy


def soak(url: str, control: str, collections_path: str, runs: int, seed: int, work: str, ansible_bin: str = '') -> tuple[Tally, str]:
    start = time.monotonic()
    config, list_lag, legacy = sim_settings(control)
    now = requests.get(control + '/clock', timeout=10).json()['now']
    moment = datetime.datetime.strptime(now[:19], '%Y-%m-%dT%H:%M:%S').replace(tzinfo=datetime.timezone.utc)
    planned = plan(runs, seed, work, int(moment.timestamp()) - 3600)
    os.makedirs(os.path.join(work, 'lookup_plugins'), exist_ok=True)
    with open(os.path.join(work, 'lookup_plugins', 'soak_sim.py'), 'w', encoding='utf-8') as handle:
        handle.write(LOOKUP % {'control': control, 'api': f'{url}/api/atlas/v2/groups/{GROUP_ID}'})
    play = os.path.join(work, 'soak-play.yml')
    with open(play, 'w', encoding='utf-8') as handle:
        handle.write(playbook(planned, url, control, work, config, legacy))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='true', ANSIBLE_RETRY_FILES_ENABLED='false',
               ANSIBLE_CALLBACK_RESULT_FORMAT='yaml')
    for name in list(env):
        if name.startswith('MONGODB_ATLAS_'):
            del env[name]
    binary = ansible_bin or os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    proc = subprocess.run([binary, '-i', 'localhost,', play], env=env, cwd=work, check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(os.path.join(work, 'soak-output.txt'), 'w', encoding='utf-8') as handle:
        handle.write(proc.stdout)
    tally = judge(planned, work, proc.stdout)
    if proc.returncode != 0 and not tally.missing:
        tally.missing.append(f'ansible-playbook exited {proc.returncode}')
    if tally.missing:
        print(proc.stdout[-5000:])
    return tally, table(tally, time.monotonic() - start, list_lag, seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--runs', type=int, default=120)
    parser.add_argument('--seed', type=int, default=17)
    parser.add_argument('--out', default=RESULTS, help='markdown file for the table ("" for none)')
    parser.add_argument('--simulator-root', default=ROOT,
                        help='a tree whose tests/atlas_simulator is started (default this one; to soak against a newer simulator)')
    parser.add_argument('--collections', default=os.environ.get('ATLAS_COLLECTIONS_PATH', ''),
                        help='installed collections path (default: build and install this tree)')
    args = parser.parse_args(argv)
    sys.path.insert(0, HERE)
    import conftest  # pylint: disable=import-outside-toplevel
    conftest.ROOT = os.path.abspath(args.simulator_root)  # the Simulator starts <ROOT>/tests/atlas_simulator
    with tempfile.TemporaryDirectory(prefix='restore-soak-') as work:
        collections_path = args.collections
        if not collections_path:
            collections_path = os.path.join(work, 'collections')
            bindir = os.path.dirname(sys.executable)
            subprocess.run([os.path.join(bindir, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', work, ROOT],
                           check=True, stdout=subprocess.DEVNULL)
            tarball = [name for name in os.listdir(work) if name.endswith('.tar.gz')][0]
            subprocess.run([os.path.join(bindir, 'ansible-galaxy'), 'collection', 'install', '--force', '-p', collections_path,
                            os.path.join(work, tarball)], check=True, stdout=subprocess.DEVNULL)
        sim = conftest.Simulator(tls=False, tmp=work)
        try:
            tally, text = soak(sim.url, sim.control, collections_path, args.runs, args.seed, work)
        finally:
            sim.stop()
    header = (f'# Restore soak\n\n`make soak` ({args.runs} runs of atlas_restore_job through ansible-playbook against the simulator, '
              f'{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; see tests/integration/soak_restore.py).\n\n')
    print(header + text)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as handle:
            handle.write(header + text)
    bad = tally.duplicates or tally.partial or tally.tracebacks or tally.unexplained or tally.check_violations or tally.missing or tally.secrets
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

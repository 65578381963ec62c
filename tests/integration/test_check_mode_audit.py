# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check-mode audit (issue 17, item 1): every module, run with --check in the situations where a real run would
write, download, start, cancel or wait, is judged from the simulator's request log and the disk, never from its own
word:

- no request reaches the download host (a one-time link is spent by a GET, so even a "look" is a write);
- no POST, PATCH or DELETE reaches the API (digest challenges are GETs here: the keys are digest keys);
- nothing appears under ``dest`` (the directory is listed, recursively, before and after);
- nothing is waited for: the job the real run would wait for runs for 600 simulator seconds at scale 1, the task has
  ``wait_timeout`` 15; a check run that waits either fails on the timeout or polls the job again and again, and the
  test counts the GETs of the awaited resource instead of timing anything;
- it reports the ``changed`` that a real run, started next from the same state, then reports (the real run gets the
  clock at scale 100 when it has something to wait for, so it ends in seconds).
"""
from __future__ import annotations

import json
import os
import typing as t

import pytest
import requests
from requests.auth import HTTPDigestAuth

from conftest import GROUP_ID

V2 = 'application/vnd.atlas.2023-01-01+json'
FLEX = 'application/vnd.atlas.2024-11-13+json'
SNAP_RS = '65a000000000000000000101'
SNAP_SHARDED = '65a000000000000000000201'
SNAP_FLEX = '65a000000000000000000501'
LONG = 600  # simulator seconds a job runs in the "would wait" scenarios


class Api:
    """Owner-key calls to the simulator's API, for the scenarios' preparation (cleared from the log before the check run)."""

    def __init__(self, url: str) -> None:
        self.base = f'{url}/api/atlas/v2/groups/{GROUP_ID}'
        self.session = requests.Session()
        self.session.auth = HTTPDigestAuth('owner-public', 'owner-private')

    def call(self, method: str, path: str, body: dict | None = None, version: str = V2) -> dict:
        headers = {'Accept': version}
        if body is not None:
            headers['Content-Type'] = version
        response = self.session.request(method, self.base + path, json=body, headers=headers, timeout=10)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else {}


def download_job(api: Api, cluster: str, snapshot: str) -> str:
    return api.call('POST', f'/clusters/{cluster}/backup/restoreJobs', {'deliveryType': 'download', 'snapshotId': snapshot})['id']


def automated_job(api: Api) -> str:
    return api.call('POST', '/clusters/Cluster0/backup/restoreJobs', {
        'deliveryType': 'automated', 'snapshotId': SNAP_RS, 'targetClusterName': 'Staging0', 'targetGroupId': GROUP_ID})['id']


def flex_download(api: Api) -> str:
    return api.call('POST', '/flexClusters/Flex0/backup/download', {'snapshotId': SNAP_FLEX}, version=FLEX)['id']


class Scenario(t.NamedTuple):
    name: str
    module: str
    args: dict
    config: dict | None = None  # simulator settings for the reset
    prepare: t.Callable[[Api, t.Any], dict] | None = None  # returns extra module args (e.g. a job id)
    advance: float = 0  # simulator seconds to move on after the preparation (links ready)
    waits_on: str = ''  # path fragment of the resource a real run would wait for: its GETs are counted
    dest: bool = False


def ready_download(cluster: str, snapshot: str) -> t.Callable[[Api, t.Any], dict]:
    def prepare(api: Api, sim: t.Any) -> dict:
        download_job(api, cluster, snapshot)
        return {}
    return prepare


def prepare_cancel(api: Api, sim: t.Any) -> dict:
    return {'restore_job_id': download_job(api, 'Cluster0', SNAP_RS)}


def prepare_running_download(api: Api, sim: t.Any) -> dict:
    job = download_job(api, 'Cluster0', SNAP_RS)
    return {'_waits_on': f'/restoreJobs/{job}'}


def prepare_running_restore(api: Api, sim: t.Any) -> dict:
    job = automated_job(api)
    return {'_waits_on': f'/restoreJobs/{job}'}


def prepare_running_snapshot(api: Api, sim: t.Any) -> dict:
    snap = api.call('POST', '/clusters/Cluster0/backup/snapshots', {'description': 'audit-running', 'retentionInDays': 1})['id']
    return {'_waits_on': f'/snapshots/{snap}'}


def prepare_on_demand(api: Api, sim: t.Any) -> dict:
    return {'snapshot_id': api.call('POST', '/clusters/Cluster0/backup/snapshots', {'description': 'audit-done', 'retentionInDays': 1})['id']}


def prepare_flex_ready(api: Api, sim: t.Any) -> dict:
    flex_download(api)
    return {}


def prepare_flex_running(api: Api, sim: t.Any) -> dict:
    job = flex_download(api)
    return {'_waits_on': f'/restoreJobs/{job}'}


RESTORE = 'mongodb_atlas.backup.atlas_restore_job'
SNAPSHOT = 'mongodb_atlas.backup.atlas_snapshot'
TENANT = 'mongodb_atlas.backup.atlas_tenant_download'
SCENARIOS = [
    # the 0.3.0 bug: a ready download job exists, --check with dest fetched every archive and spent the one-time links
    Scenario('restore_download_ready_job_dest', RESTORE,
             {'cluster_name': 'Cluster0', 'delivery_type': 'download', 'snapshot_id': SNAP_RS}, prepare=ready_download('Cluster0', SNAP_RS),
             advance=5, dest=True),
    Scenario('restore_download_sharded_ready_job_dest', RESTORE,
             {'cluster_name': 'Sharded0', 'delivery_type': 'download', 'snapshot_id': SNAP_SHARDED},
             prepare=ready_download('Sharded0', SNAP_SHARDED), advance=5, dest=True),
    Scenario('restore_download_new_dest', RESTORE,
             {'cluster_name': 'Sharded0', 'delivery_type': 'download', 'snapshot_id': SNAP_SHARDED}, dest=True),
    Scenario('restore_download_running_job_dest', RESTORE,
             {'cluster_name': 'Cluster0', 'delivery_type': 'download', 'snapshot_id': SNAP_RS, 'wait_timeout': 15},
             config={'restore_download_duration': LONG}, prepare=prepare_running_download, dest=True),
    Scenario('restore_automated_new', RESTORE,
             {'cluster_name': 'Cluster0', 'delivery_type': 'automated', 'snapshot_id': SNAP_RS, 'target_cluster_name': 'Staging0'}),
    Scenario('restore_automated_running', RESTORE,
             {'cluster_name': 'Cluster0', 'delivery_type': 'automated', 'snapshot_id': SNAP_RS, 'target_cluster_name': 'Staging0',
              'wait_timeout': 15},
             config={'restore_duration': LONG}, prepare=prepare_running_restore),
    Scenario('restore_point_in_time_new', RESTORE,
             {'cluster_name': 'Cluster0', 'delivery_type': 'point_in_time', 'target_cluster_name': 'Staging0',
              'point_in_time_utc_seconds': '__PIT__'}),
    Scenario('restore_cancel_download', RESTORE, {'cluster_name': 'Cluster0', 'state': 'absent'}, prepare=prepare_cancel),
    Scenario('restore_cancel_by_snapshot', RESTORE, {'cluster_name': 'Cluster0', 'state': 'absent', 'snapshot_id': SNAP_RS},
             prepare=ready_download('Cluster0', SNAP_RS)),
    Scenario('restore_job_info_ready_links', 'mongodb_atlas.backup.atlas_restore_job_info',
             {'cluster_name': 'Cluster0', 'include_links': True}, prepare=ready_download('Cluster0', SNAP_RS), advance=5),
    Scenario('snapshot_due', SNAPSHOT, {'cluster_name': 'Cluster0', 'description': 'audit', 'max_age': 60, 'retention_in_days': 1, 'wait': False}),
    Scenario('snapshot_due_wait', SNAPSHOT, {'cluster_name': 'Cluster0', 'description': 'audit', 'retention_in_days': 1, 'wait_timeout': 15},
             config={'snapshot_durations': {'queued': 1, 'in_progress': LONG}}),
    Scenario('snapshot_running_wait', SNAPSHOT, {'cluster_name': 'Cluster0', 'description': 'audit-running', 'retention_in_days': 1,
                                                 'wait_timeout': 15},
             config={'snapshot_durations': {'queued': 1, 'in_progress': LONG}}, prepare=prepare_running_snapshot),
    Scenario('snapshot_every_dedicated_cluster', SNAPSHOT, {'cluster_kinds': ['replicaSet', 'shardedCluster'], 'description': 'audit',
                                                            'retention_in_days': 1, 'wait': False}),
    Scenario('snapshot_retention', SNAPSHOT, {'cluster_name': 'Cluster0', 'snapshot_id': '65a000000000000000000102', 'retention_in_days': 30}),
    Scenario('snapshot_delete', SNAPSHOT, {'cluster_name': 'Cluster0', 'state': 'absent'}, prepare=prepare_on_demand, advance=5),
    Scenario('snapshot_delete_by_description', SNAPSHOT, {'cluster_name': 'Cluster0', 'state': 'absent', 'description': 'audit-done'},
             prepare=lambda api, sim: prepare_on_demand(api, sim) and {}, advance=5),
    Scenario('snapshot_info', 'mongodb_atlas.backup.atlas_snapshot_info', {'cluster_name': 'Sharded0'}),
    Scenario('flex_download_dest', TENANT, {'cluster_name': 'Flex0', 'snapshot_id': SNAP_FLEX}, dest=True),
    Scenario('flex_download_ready_job_dest', TENANT, {'cluster_name': 'Flex0', 'snapshot_id': SNAP_FLEX},
             prepare=prepare_flex_ready, advance=5, dest=True),
    Scenario('flex_download_running_job_dest', TENANT, {'cluster_name': 'Flex0', 'snapshot_id': SNAP_FLEX, 'wait_timeout': 15},
             config={'download_duration': LONG}, prepare=prepare_flex_running, dest=True),
]

TASKS = """
- name: The module under audit
  {module}: {args}
  register: audit_result
  ignore_errors: true

- name: Keep the result for the test
  ansible.builtin.copy:
    content: "{{{{ audit_result | to_json }}}}"
    dest: "{{{{ output_dir }}}}/{label}.json"
    mode: "0600"
  check_mode: false
  diff: false
"""


def listing(path: str) -> list[tuple[str, int]]:
    found = []
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(root, name)
            found.append((os.path.relpath(full, path), os.path.getsize(full) if os.path.isfile(full) else -1))
    return sorted(found)


def run_task(runner: t.Any, scenario: Scenario, args: dict, label: str, check: bool) -> tuple[dict, str]:
    task_file = os.path.join(runner.tmp, f'{label}.yml')
    with open(task_file, 'w', encoding='utf-8') as handle:
        handle.write(TASKS.format(module=scenario.module, args=json.dumps(args), label=label))
    proc = runner.run(task_file, check=check, extra_args=['--diff'])
    path = os.path.join(runner.tmp, f'{label}.json')
    assert os.path.isfile(path), proc.stdout[-6000:]
    with open(path, encoding='utf-8') as handle:
        return json.load(handle), proc.stdout


@pytest.mark.parametrize('scenario', SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def test_check_mode_audit(runner, scenario):
    sim = runner.sim
    sim.reset(scenario.config)
    api = Api(sim.url)
    extra = scenario.prepare(api, sim) if scenario.prepare else {}
    waits_on = extra.pop('_waits_on', '')
    if scenario.advance:
        requests.post(sim.control + '/clock', json={'advance': scenario.advance}, timeout=10).raise_for_status()
    args = dict(scenario.args, **extra)
    if args.get('point_in_time_utc_seconds') == '__PIT__':
        now = requests.get(sim.control + '/clock', timeout=10).json()['now']
        import datetime  # pylint: disable=import-outside-toplevel
        moment = datetime.datetime.strptime(now[:19], '%Y-%m-%dT%H:%M:%S').replace(tzinfo=datetime.timezone.utc)
        args['point_in_time_utc_seconds'] = int(moment.timestamp()) - 3600
    dest = os.path.join(runner.tmp, 'dest')
    if scenario.dest:
        os.makedirs(dest)
        args['dest'] = dest + '/'
    before_state = sim.state()
    requests.delete(sim.control + '/requests', timeout=10).raise_for_status()

    check, out = run_task(runner, scenario, args, 'check', check=True)
    log = sim.requests_log()
    after_state = sim.state()
    problems = []
    downloads = [f"{entry['method']} {entry['path'].split('?')[0]}" for entry in log if entry['server'] == 'download']
    if downloads:
        problems.append(f'check mode sent {len(downloads)} request(s) to the download host: {downloads}')
    writes = [f"{entry['method']} {entry['path']} -> {entry['status']}" for entry in log
              if entry['server'] == 'api' and entry['method'] not in ('GET', 'HEAD')]
    if writes:
        problems.append(f'check mode sent writes to the API: {writes}')
    if scenario.dest and listing(dest):
        problems.append(f'check mode wrote under dest: {listing(dest)}')
    if len(after_state['restore_jobs']) != len(before_state['restore_jobs']) or \
            len(after_state['download_jobs']) != len(before_state['download_jobs']):
        problems.append('check mode changed the simulator state (restore or download jobs)')
    if waits_on:
        polls = [entry for entry in log if entry['server'] == 'api' and entry['path'].endswith(waits_on)]
        if check.get('failed') or len(polls) > 2:
            problems.append(f'check mode waited for {waits_on}: {len(polls)} GETs of it, failed={check.get("failed")}, '
                            f'msg={check.get("msg")!r}')
    if check.get('failed'):
        problems.append(f'check run failed: {check.get("msg")!r}')
    for marker in ('Traceback', 'Unexpected'):
        if marker in out:
            problems.append(f'{marker!r} in the check run output')

    # the real run, from the state the check run was given (nothing should have changed it)
    requests.post(sim.control + '/clock', json={'scale': 100}, timeout=10).raise_for_status()
    if scenario.dest:
        for name, _size in listing(dest):  # a check run that downloaded must not make the real run look idempotent
            path = os.path.join(dest, name)
            if os.path.isfile(path):
                os.remove(path)
    real, real_out = run_task(runner, scenario, args, 'real', check=False)
    if real.get('failed'):
        problems.append(f'the real run failed (cannot compare changed): {real.get("msg")!r}')
    elif bool(check.get('changed')) != bool(real.get('changed')):
        problems.append(f'check mode reported changed={check.get("changed")}, the real run changed={real.get("changed")}')
    assert not problems, '\n'.join(problems) + '\n--- check run ---\n' + out[-4000:] + '\n--- real run ---\n' + real_out[-3000:]

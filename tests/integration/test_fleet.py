# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nightly job over a list of projects (docs/docsite/playbooks/nightly_fleet.yml) on the simulator's fleet, with forks
and the org-wide service account, counted from the request log: one token request for the whole job, no 429, no failed
task, one nightly snapshot per dedicated cluster, and a re-run that writes nothing. Also: a project-scoped service account
fails only on the projects it cannot call. Kept short: 3 projects x 5 clusters, 1-second snapshots."""
from __future__ import annotations

import json
import os
import re
import shutil

from conftest import ROOT

PLAYBOOK = os.path.join(ROOT, 'docs', 'docsite', 'playbooks', 'nightly_fleet.yml')
PROJECTS = [f'6f1ee7{number:018d}' for number in (1, 2, 3)]
ORG = {'MONGODB_ATLAS_CLIENT_ID': 'mdb_sa_id_0f1ee7000000000000000000', 'MONGODB_ATLAS_CLIENT_SECRET': 'mdb_sa_sk_fleet-org-secret'}
DEDICATED = ['App00', 'App01', 'Shard02', 'App03']  # of App00, App01, Shard02, App03, Flex04


def run_fleet(runner, sim, env: dict, cache: str, check: bool = False):
    """The playbook, a verbatim copy, over PROJECTS with --forks 10; returns (result, this run's request log)."""
    copy = os.path.join(runner.tmp, 'nightly_fleet.play.yml')
    shutil.copy(PLAYBOOK, copy)
    before = len(sim.requests_log())
    result = runner.run(copy, check=check, inventory=False, extra_env=dict(env, MONGODB_ATLAS_BASE_URL=sim.url, MONGODB_ATLAS_TOKEN_CACHE_DIR=cache),
                        extra_args=['--forks', '10', '-e', json.dumps({'atlas_projects': PROJECTS})])
    return result, sim.requests_log()[before:]


def failed_tasks(stdout: str) -> int:
    return sum(int(count) for count in re.findall(r'\bfailed=(\d+)', stdout))


def test_fleet_one_token_no_429_no_failure_and_a_rerun_writes_nothing(runner, sim, tmp_path):
    sim.reset({'fleet': {'projects': 3, 'clusters_per_project': 5}, 'snapshot_durations': {'queued': 0, 'in_progress': 1}})
    for run_number, check in enumerate((True, False, False)):
        result, log = run_fleet(runner, sim, ORG, str(tmp_path / f'cache{run_number}'), check=check)
        assert result.returncode == 0 and failed_tasks(result.stdout) == 0, result.stdout[-20000:]
        assert [entry['path'] for entry in log if entry['path'].startswith('/api/oauth/')] == ['/api/oauth/token']
        assert [entry for entry in log if entry['status'] == 429] == []
        assert all(entry['status'] == 200 for entry in log), [entry for entry in log if entry['status'] != 200]
        calls = [entry for entry in log if entry['path'].startswith('/api/atlas/')]
        assert {entry['client_id'] for entry in calls} == {ORG['MONGODB_ATLAS_CLIENT_ID']}
        assert {entry['path'].split('/')[5] for entry in calls} == set(PROJECTS)  # every project was called
        writes = [entry for entry in calls if entry['method'] != 'GET']
        if check or run_number == 2:  # --check (which reports what it would change), and the re-run: no write at all
            assert writes == []
            assert bool(re.search(r'changed=[1-9]', result.stdout)) == check, result.stdout[-5000:]
        else:  # the first night: one POST per dedicated cluster of each project
            assert sorted((entry['path'].split('/')[5], entry['path'].split('/')[7]) for entry in writes) == \
                sorted((group, name) for group in PROJECTS for name in DEDICATED)
    for group in PROJECTS:
        clusters = sim.state(group)['clusters']
        nightly = {name: [snap['status'] for snap in cluster['snapshots'] if snap.get('description') == 'nightly']
                   for name, cluster in clusters.items()}
        # one nightly snapshot per dedicated cluster, none elsewhere; the playbook does not wait (wait: false), so it may
        # still be queued or running on the simulator's clock
        assert {name: len(statuses) for name, statuses in nightly.items()} == {name: int(name in DEDICATED) for name in clusters}, (group, nightly)
        assert all(status in ('queued', 'inProgress', 'completed') for statuses in nightly.values() for status in statuses), (group, nightly)


def test_a_project_service_account_fails_only_on_the_other_projects(runner, sim, tmp_path):
    sim.reset({'fleet': {'projects': 3, 'clusters_per_project': 5}})
    env = {'MONGODB_ATLAS_CLIENT_ID': f'mdb_sa_id_{PROJECTS[0]}', 'MONGODB_ATLAS_CLIENT_SECRET': 'mdb_sa_sk_fleet-01-secret'}
    result, log = run_fleet(runner, sim, env, str(tmp_path / 'cache'), check=True)
    assert result.returncode != 0
    assert re.search(rf'atlas-project-{PROJECTS[0]}\s*: ok=2 .*failed=0', result.stdout), result.stdout[-5000:]
    for group in PROJECTS[1:]:
        assert re.search(rf'atlas-project-{group}\s*: ok=0 .*failed=1', result.stdout), result.stdout[-5000:]
    refused = {entry['path'].split('/')[5] for entry in log if entry['status'] == 401}
    assert refused == set(PROJECTS[1:])
    assert result.stdout.count('USER_CANNOT_ACCESS_GROUP') >= 2
    # one token for the whole job: a 401 USER_CANNOT_ACCESS_GROUP is a refusal of the project, not of the token
    assert len([entry for entry in log if entry['path'] == '/api/oauth/token']) == 1

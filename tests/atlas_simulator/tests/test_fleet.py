# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 22 item 4: a fleet of projects (seed key `fleet`): N projects of M clusters each, kinds mixed, deterministic ids;
project-scoped keys and service accounts (401 USER_CANNOT_ACCESS_GROUP on another project), an org-wide service account,
a rate-limit bucket per project; the default world without the key is unchanged."""
from __future__ import annotations

import base64

import pytest
import requests

from conftest import BACKUP, CLUSTER, FLEX, GROUP_ID, session_for

ORG_ID = 'mdb_sa_id_0f1ee7000000000000000000'
ORG_SECRET = 'mdb_sa_sk_fleet-org-secret'
P1 = '6f1ee7000000000000000001'
P2 = '6f1ee7000000000000000002'
P3 = '6f1ee7000000000000000003'


def fleet(sim, projects=3, clusters=5, **extra):
    response = sim.control('POST', 'reset', {'config': dict({'fleet': {'projects': projects, 'clusters_per_project': clusters}}, **extra)})
    assert response.status_code == 200, response.text


def token(sim, client_id, secret):
    basic = base64.b64encode(f'{client_id}:{secret}'.encode()).decode()
    response = requests.post(f'{sim.url}/api/oauth/token', data={'grant_type': 'client_credentials'},
                             headers={'Authorization': f'Basic {basic}'}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()['access_token']


def bearer(sim, group, suffix, access_token, accept=BACKUP):
    return requests.get(f'{sim.url}/api/atlas/v2/groups/{group}{suffix}', headers={'Accept': accept, 'Authorization': f'Bearer {access_token}'},
                        timeout=10)


def test_the_default_world_has_one_project(sim):
    assert [project['group_id'] for project in sim.control('GET', 'projects').json()['projects']] == [GROUP_ID]
    assert sim.control('GET', 'state').json()['group_id'] == GROUP_ID
    assert session_for('fleet-01-public', 'fleet-01-private').get(sim.v2('/clusters'), headers={'Accept': CLUSTER}, timeout=10).status_code == 401


def test_n_projects_of_m_clusters_kinds_mixed_deterministic_ids(sim, owner):
    fleet(sim, projects=3, clusters=5)
    listing = sim.control('GET', 'projects').json()['projects']
    assert [project['group_id'] for project in listing] == [GROUP_ID, P1, P2, P3]
    expected = {'App00': 'replicaSet', 'App01': 'replicaSet', 'Shard02': 'sharded', 'App03': 'replicaSet', 'Flex04': 'flex'}
    for project in listing[1:]:
        assert project['clusters'] == expected
    assert listing[2]['api_keys'] == ['fleet-02-public']
    assert sorted(listing[2]['service_accounts']) == sorted([ORG_ID, 'mdb_sa_id_' + P2])
    assert ORG_ID in listing[0]['service_accounts'] and 'mdb_sa_id_' + P1 not in listing[0]['service_accounts']
    # the home project is as before, next to the fleet
    assert [c['name'] for c in owner.get(sim.v2('/clusters'), headers={'Accept': CLUSTER}, timeout=10).json()['results']] == \
        ['Cluster0', 'Sharded0', 'Free0', 'Staging0']
    p2 = session_for('fleet-02-public', 'fleet-02-private')
    url = f'{sim.url}/api/atlas/v2/groups/{P2}'
    dedicated = p2.get(url + '/clusters', headers={'Accept': CLUSTER}, timeout=10).json()['results']
    assert [(c['name'], c['groupId'], c['clusterType']) for c in dedicated] == [
        ('App00', P2, 'REPLICASET'), ('App01', P2, 'REPLICASET'), ('Shard02', P2, 'SHARDED'), ('App03', P2, 'REPLICASET')]
    assert [c['name'] for c in p2.get(url + '/flexClusters', headers={'Accept': FLEX}, timeout=10).json()['results']] == ['Flex04']
    snaps = p2.get(url + '/clusters/App01/backup/snapshots', headers={'Accept': BACKUP}, timeout=10).json()['results']
    assert [s['id'] for s in snaps] == ['65b000200000000000000101', '65b000200000000000000102']
    sharded = p2.get(url + '/clusters/Shard02/backup/snapshots/shardedClusters', headers={'Accept': BACKUP}, timeout=10).json()['results']
    assert sharded[0]['id'] == '65b000200000000000000201'
    assert [m['id'] for m in sharded[0]['members']] == ['65c000200000000000020001', '65c000200000000000020101', '65c000200000000000020201']
    flex = p2.get(url + '/flexClusters/Flex04/backup/snapshots', headers={'Accept': FLEX}, timeout=10).json()['results']
    assert [s['id'] for s in flex] == ['65b000200000000000000401', '65b000200000000000000402']
    fleet(sim, projects=3, clusters=5)  # deterministic: the same ids after another reset
    again = p2.get(url + '/clusters/App01/backup/snapshots', headers={'Accept': BACKUP}, timeout=10).json()['results']
    assert [s['id'] for s in again] == [s['id'] for s in snaps]


def test_new_ids_are_unique_across_projects(sim):
    fleet(sim, projects=2, clusters=1)
    org = token(sim, ORG_ID, ORG_SECRET)
    taken = []
    for group in (P1, P2):
        response = requests.post(f'{sim.url}/api/atlas/v2/groups/{group}/clusters/App00/backup/snapshots', json={'retentionInDays': 1},
                                 headers={'Accept': BACKUP, 'Authorization': f'Bearer {org}'}, timeout=10)
        assert response.status_code == 200, response.text
        taken.append(response.json()['id'])
    assert len(set(taken)) == 2
    states = [sim.control('GET', f'state?group_id={group}').json() for group in (P1, P2)]
    assert [state['group_id'] for state in states] == [P1, P2]
    assert [[s['id'] for s in state['clusters']['App00']['snapshots']][0] for state in states] == taken
    assert sim.control('GET', 'state?group_id=6f1ee7000000000000000099').status_code == 400


def test_a_project_key_or_service_account_cannot_call_another_project(sim):
    fleet(sim, projects=2, clusters=1)
    p1 = session_for('fleet-01-public', 'fleet-01-private')
    assert p1.get(f'{sim.url}/api/atlas/v2/groups/{P1}/clusters', headers={'Accept': CLUSTER}, timeout=10).status_code == 200
    home_token = token(sim, 'mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01', 'mdb_sa_sk_owner-secret-0001')
    for response in (p1.get(f'{sim.url}/api/atlas/v2/groups/{P2}/clusters', headers={'Accept': CLUSTER}, timeout=10),
                     p1.get(sim.v2('/clusters/Cluster0/backup/snapshots'), headers={'Accept': BACKUP}, timeout=10),
                     bearer(sim, P2, '/clusters/App00/backup/snapshots', token(sim, 'mdb_sa_id_' + P1, 'mdb_sa_sk_fleet-01-secret')),
                     bearer(sim, P1, '/clusters/App00/backup/snapshots', home_token)):
        assert response.status_code == 401, response.text
        assert response.json() == {'error': 401, 'errorCode': 'USER_CANNOT_ACCESS_GROUP', 'detail': 'User cannot access this group.',
                                   'parameters': [], 'reason': 'Unauthorized'}
        assert response.headers['X-Error-Code'] == 'USER_CANNOT_ACCESS_GROUP'
    # the home project's owner key is scoped to the home project too
    owner = session_for()
    assert owner.get(f'{sim.url}/api/atlas/v2/groups/{P1}/clusters', headers={'Accept': CLUSTER}, timeout=10).json()['errorCode'] == \
        'USER_CANNOT_ACCESS_GROUP'
    # an unknown project is still 404 GROUP_NOT_FOUND, before any access check
    assert p1.get(f'{sim.url}/api/atlas/v2/groups/6f1ee7000000000000000099/clusters', headers={'Accept': CLUSTER},
                  timeout=10).json()['errorCode'] == 'GROUP_NOT_FOUND'


def test_the_org_service_account_calls_every_project_with_one_token(sim):
    fleet(sim, projects=3, clusters=2)
    org = token(sim, ORG_ID, ORG_SECRET)
    for group in (GROUP_ID, P1, P2, P3):
        response = bearer(sim, group, '/clusters', org, CLUSTER)
        assert response.status_code == 200 and response.json()['results'], response.text
    assert len(sim.control('GET', f'requests?path_contains=/api/oauth/token&client_id={ORG_ID}').json()['requests']) == 1
    assert [entry['client_id'] for entry in sim.log() if entry['path'].endswith('/clusters')] == [ORG_ID] * 4


def test_an_org_api_key_seeded_with_organization_owner_calls_every_project(sim):
    fleet(sim, projects=2, clusters=1, api_keys=[{'public': 'org-public', 'private': 'org-private', 'roles': ['Organization Owner']},
                                                 {'public': 'home-public', 'private': 'home-private'}])
    org = session_for('org-public', 'org-private')
    for group in (GROUP_ID, P1, P2):
        assert org.get(f'{sim.url}/api/atlas/v2/groups/{group}/clusters', headers={'Accept': CLUSTER}, timeout=10).status_code == 200
    home = session_for('home-public', 'home-private')  # a seeded key without that role belongs to the home project only
    assert home.get(sim.v2('/clusters'), headers={'Accept': CLUSTER}, timeout=10).status_code == 200
    assert home.get(f'{sim.url}/api/atlas/v2/groups/{P1}/clusters', headers={'Accept': CLUSTER}, timeout=10).json()['errorCode'] == \
        'USER_CANNOT_ACCESS_GROUP'


def test_rate_limits_are_per_project(sim):
    fleet(sim, projects=2, clusters=1, rate_limit={'cloud_backups': {'capacity': 2, 'refill': 1, 'period': 60}})
    org = token(sim, ORG_ID, ORG_SECRET)
    statuses = [bearer(sim, P1, '/clusters/App00/backup/snapshots', org).status_code for _attempt in range(3)]
    assert statuses == [200, 200, 429]
    limited = bearer(sim, P1, '/clusters/App00/backup/snapshots', org)
    assert limited.json()['errorCode'] == 'RATE_LIMITED_TOKEN_BUCKET' and int(limited.headers['Retry-After']) >= 1
    other = bearer(sim, P2, '/clusters/App00/backup/snapshots', org)  # another project: its own bucket, full
    assert other.status_code == 200 and other.headers['Ratelimit-Limit'] == '2' and other.headers['Ratelimit-Remaining'] == '1'
    # the Clusters set of the April 2026 table, per project too
    assert bearer(sim, P1, '/clusters', org, CLUSTER).headers['Ratelimit-Limit'] == '10000'
    sim.control('POST', 'clock', {'advance': 60})  # a minute on the simulator clock refills one token
    assert bearer(sim, P1, '/clusters/App00/backup/snapshots', org).status_code == 200


@pytest.mark.parametrize('bad', [{'projects': 0, 'clusters_per_project': 1}, {'projects': 101, 'clusters_per_project': 1},
                                 {'projects': 2}, {'projects': 2, 'clusters_per_project': 51}, {'projects': True, 'clusters_per_project': 1},
                                 [2, 3]])
def test_a_bad_fleet_is_refused_and_changes_nothing(sim, bad):
    response = sim.control('POST', 'reset', {'config': {'fleet': bad}})
    assert response.status_code == 400 and 'fleet' in response.json()['error']
    assert [project['group_id'] for project in sim.control('GET', 'projects').json()['projects']] == [GROUP_ID]


def test_a_reset_without_the_key_drops_the_fleet(sim):
    fleet(sim, projects=2, clusters=1)
    assert sim.control('POST', 'reset').status_code == 200
    assert [project['group_id'] for project in sim.control('GET', 'projects').json()['projects']] == [GROUP_ID]

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two settings the restore safety work needs (issue 17 items 4 and 5): list_lag_seconds keeps new restore jobs and new
on-demand snapshots out of lists for a while (a GET by id finds them at once), and pit_legacy_fields answers
point-in-time restore jobs without their target and snapshot fields. Time moves only by the clock control; the margins
(a minute of simulator time) are far larger than the real time a test takes, so wall time never decides a result."""
from __future__ import annotations

import json

import pytest

from atlas_simulator import config
from conftest import BACKUP, FLEX, GROUP_ID
from spec_check import assert_conforms
from test_restore_jobs import CLUSTER0_FIRST, FLEX_FIRST, SHARDED_FIRST, JOBS, advance, automated, call, now_seconds

LAG = 600
MARGIN = 60


def listed_ids(sim, owner, path, accept=BACKUP):
    response = call(owner, 'GET', sim.v2(path), accept=accept)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body['totalCount'] == len(body['results'])
    return [item['id'] for item in body['results']]


def lagging(sim, lag=LAG):
    assert sim.control('POST', 'reset', {'config': {'list_lag_seconds': lag}}).status_code == 200


def test_no_lag_by_default(sim, owner):
    assert sim.control('GET', 'config').json()['list_lag_seconds'] == 0
    job = call(owner, 'POST', sim.v2(JOBS), automated()).json()
    assert job['id'] in listed_ids(sim, owner, JOBS)
    snap = call(owner, 'POST', sim.v2('/clusters/Cluster0/backup/snapshots'), {'description': 'now', 'retentionInDays': 1}).json()
    assert snap['id'] in listed_ids(sim, owner, '/clusters/Cluster0/backup/snapshots')


@pytest.mark.parametrize('body', [automated(), {'deliveryType': 'download', 'snapshotId': CLUSTER0_FIRST}], ids=['automated', 'download'])
def test_a_new_dedicated_restore_job_is_listed_only_after_the_lag(sim, owner, body):
    lagging(sim)
    job = call(owner, 'POST', sim.v2(JOBS), body).json()
    assert job['id'] not in listed_ids(sim, owner, JOBS)
    assert call(owner, 'GET', sim.v2(f'{JOBS}/{job["id"]}')).status_code == 200  # read by id at once
    advance(sim, LAG - MARGIN)
    assert job['id'] not in listed_ids(sim, owner, JOBS)
    advance(sim, MARGIN)
    assert listed_ids(sim, owner, JOBS) == [job['id']]
    assert [item['id'] for item in sim.control('GET', 'state').json()['restore_jobs']] == [job['id']]  # the state never lags


@pytest.mark.parametrize('path, body', [
    ('/flexClusters/Flex0/backup/download', {'snapshotId': FLEX_FIRST}),
    ('/flexClusters/Flex0/backup/restoreJobs', {'snapshotId': FLEX_FIRST, 'targetDeploymentItemName': 'Staging0', 'targetProjectId': GROUP_ID}),
], ids=['download', 'restore'])
def test_a_new_flex_job_is_listed_only_after_the_lag(sim, owner, path, body):
    lagging(sim)
    response = call(owner, 'POST', sim.v2(path), body, accept=FLEX)
    assert response.status_code == 200, response.text
    job = response.json()
    jobs = '/flexClusters/Flex0/backup/restoreJobs'
    assert job['id'] not in listed_ids(sim, owner, jobs, FLEX)
    assert call(owner, 'GET', sim.v2(f'{jobs}/{job["id"]}'), accept=FLEX).json()['id'] == job['id']
    advance(sim, LAG - MARGIN)
    assert job['id'] not in listed_ids(sim, owner, jobs, FLEX)
    advance(sim, MARGIN)
    assert job['id'] in listed_ids(sim, owner, jobs, FLEX)


@pytest.mark.parametrize('cluster, listing, one', [
    ('Cluster0', '/clusters/Cluster0/backup/snapshots', '/clusters/Cluster0/backup/snapshots/{id}'),
    ('Sharded0', '/clusters/Sharded0/backup/snapshots/shardedClusters', '/clusters/Sharded0/backup/snapshots/shardedCluster/{id}'),
], ids=['replica-set', 'sharded'])
def test_a_new_on_demand_snapshot_is_listed_only_after_the_lag(sim, owner, cluster, listing, one):
    lagging(sim)
    before = listed_ids(sim, owner, listing)
    assert before  # the seed's scheduled snapshots are listed from the start
    snap = call(owner, 'POST', sim.v2(f'/clusters/{cluster}/backup/snapshots'), {'description': 'lag', 'retentionInDays': 1}).json()
    assert listed_ids(sim, owner, listing) == before
    assert call(owner, 'GET', sim.v2(one.format(id=snap['id']))).json()['id'] == snap['id']
    advance(sim, LAG - MARGIN)
    assert listed_ids(sim, owner, listing) == before  # long finished by now, still not listed
    advance(sim, MARGIN)
    assert listed_ids(sim, owner, listing) == [snap['id']] + before
    if cluster == 'Sharded0':
        assert SHARDED_FIRST in before


def test_the_lag_is_a_live_setting_and_is_validated(sim, owner):
    job = call(owner, 'POST', sim.v2(JOBS), automated()).json()
    assert sim.control('PATCH', 'config', {'list_lag_seconds': LAG}).status_code == 200
    assert job['id'] not in listed_ids(sim, owner, JOBS)  # counted from the job's creation, whenever the lag was set
    assert sim.control('PATCH', 'config', {'list_lag_seconds': 0}).status_code == 200
    assert job['id'] in listed_ids(sim, owner, JOBS)
    for bad in (-1, 'soon', True, None):
        response = sim.control('PATCH', 'config', {'list_lag_seconds': bad})
        assert response.status_code == 400 and 'list_lag_seconds' in response.json()['error']


# ------------------------------------------------------------------ pit_legacy_fields
def pit(moment):
    return {'deliveryType': 'pointInTime', 'targetClusterName': 'Staging0', 'targetGroupId': GROUP_ID, 'pointInTimeUTCSeconds': moment}


def test_pit_jobs_keep_their_target_fields_by_default(sim, owner):
    assert sim.control('GET', 'config').json()['pit_legacy_fields'] is False
    job = call(owner, 'POST', sim.v2(JOBS), pit(now_seconds(sim) - 600)).json()
    assert (job['targetClusterName'], job['targetGroupId'], job['snapshotId']) == ('Staging0', GROUP_ID, CLUSTER0_FIRST)


def test_legacy_pit_jobs_lack_target_and_snapshot_fields_everywhere(sim, owner):
    assert sim.control('POST', 'reset', {'config': {'pit_legacy_fields': True}}).status_code == 200
    moment = now_seconds(sim) - 600
    created = call(owner, 'POST', sim.v2(JOBS), pit(moment))
    assert created.status_code == 200, created.text
    job = created.json()
    read = call(owner, 'GET', sim.v2(f'{JOBS}/{job["id"]}')).json()
    listed = call(owner, 'GET', sim.v2(JOBS)).json()['results']
    for doc in (job, read, listed[0]):
        assert_conforms(doc, 'DiskBackupSnapshotRestoreJob')
        assert doc['id'] == job['id'] and doc['deliveryType'] == 'pointInTime' and doc['pointInTimeUTCSeconds'] == moment
        assert not {'targetClusterName', 'targetGroupId', 'targetDeploymentItemName', 'snapshotId'} & set(doc)
    # the restore itself happens as before: the target is being restored, and automated jobs keep their fields
    assert sim.control('GET', 'state').json()['clusters']['Staging0']['restore']['delivery_type'] == 'pointInTime'
    advance(sim, 3)
    assert 'finishedAt' in call(owner, 'GET', sim.v2(f'{JOBS}/{job["id"]}')).json()
    auto = call(owner, 'POST', sim.v2(JOBS), automated()).json()
    assert (auto['targetClusterName'], auto['targetGroupId'], auto['snapshotId']) == ('Staging0', GROUP_ID, CLUSTER0_FIRST)
    assert 'targetDeploymentItemName' in auto


def test_both_settings_from_a_config_file(tmp_path):
    path = tmp_path / 'sim.json'
    path.write_text(json.dumps({'list_lag_seconds': 30.5, 'pit_legacy_fields': True}))
    assert config.load_file(str(path)) == {'list_lag_seconds': 30.5, 'pit_legacy_fields': True}
    path.write_text(json.dumps({'pit_legacy_fields': 'yes'}))
    with pytest.raises(config.ConfigError, match='pit_legacy_fields must be true or false'):
        config.load_file(str(path))

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restore jobs: the seed (Staging0, continuous backup on Cluster0), the schedule read, dedicated automated /
pointInTime / download jobs, cancel, errors, one-time download links, failure injection, roles, Flex and tenant restores,
each answer checked against the official spec's schemas."""
from __future__ import annotations

import datetime
import io
import tarfile

import pytest
import requests

from conftest import BACKUP, CLUSTER, FLEX, GROUP_ID, session_for
from spec_check import assert_conforms, errors

CLUSTER0_FIRST = '65a000000000000000000101'
CLUSTER0_OLDEST = '65a000000000000000000103'
SHARDED_FIRST = '65a000000000000000000201'
SHARDED_SHARD0 = '65e000000000000000020001'  # shard 0's member snapshot of SHARDED_FIRST
FLEX_FIRST = '65a000000000000000000501'
TENANT_FIRST = '65a000000000000000000401'
STAGING_FIRST = '65a000000000000000000601'
OTHER_GROUP = '0123456789abcdef01234567'
JOBS = '/clusters/Cluster0/backup/restoreJobs'
SCHEDULE_2024 = 'application/vnd.atlas.2024-08-05+json'


def call(session, method, url, body=None, accept=BACKUP):
    return session.request(method, url, json=body, headers={'Accept': accept}, timeout=10)


def automated(target='Staging0', snapshot=CLUSTER0_FIRST, group=GROUP_ID):
    return {'deliveryType': 'automated', 'snapshotId': snapshot, 'targetClusterName': target, 'targetGroupId': group}


def create(sim, owner, body, path=JOBS):
    response = call(owner, 'POST', sim.v2(path), body)
    assert response.status_code == 200, response.text
    assert_conforms(response.json(), 'DiskBackupSnapshotRestoreJob')
    return response.json()


def read(sim, owner, job, path=JOBS):
    response = call(owner, 'GET', sim.v2(f'{path}/{job["id"]}'))
    assert response.status_code == 200, response.text
    assert_conforms(response.json(), 'DiskBackupSnapshotRestoreJob')
    return response.json()


def advance(sim, seconds):
    assert sim.control('POST', 'clock', {'advance': seconds}).status_code == 200


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers['X-Error-Code'] == code
    assert response.json()['errorCode'] == code and response.json()['error'] == status


def cluster_state(sim, name):
    return sim.control('GET', 'state').json()['clusters'][name]


# ------------------------------------------------------------------ seed and schedule
def test_seed_has_staging0_and_continuous_backup_on_cluster0(sim, owner):
    state = sim.control('GET', 'state').json()['clusters']
    assert state['Staging0']['kind'] == 'replicaSet' and state['Staging0']['tier'] == 'M10'
    assert [snap['id'] for snap in state['Staging0']['snapshots']] == [STAGING_FIRST, '65a000000000000000000602']
    assert state['Cluster0']['pit_enabled'] and state['Cluster0']['restore_window_days'] == 7
    assert [name for name, cluster in state.items() if cluster['pit_enabled']] == ['Cluster0']
    assert all(cluster['restore'] is None for cluster in state.values())
    assert call(owner, 'GET', sim.v2('/clusters/Cluster0'), accept=CLUSTER).json()['pitEnabled'] is True
    assert call(owner, 'GET', sim.v2('/clusters/Staging0'), accept=CLUSTER).json()['pitEnabled'] is False
    assert call(owner, 'GET', sim.v1('/clusters/Cluster0')).json()['pitEnabled'] is True


@pytest.mark.parametrize('accept,schema', [(BACKUP, 'DiskBackupSnapshotSchedule'), (SCHEDULE_2024, 'DiskBackupSnapshotSchedule20240805')])
def test_schedule_shows_the_restore_window(sim, reader, accept, schema):
    response = call(reader, 'GET', sim.v2('/clusters/Cluster0/backup/schedule'), accept=accept)
    assert response.status_code == 200 and response.headers['Content-Type'].startswith(accept)
    doc = response.json()
    assert_conforms(doc, schema)
    assert doc['restoreWindowDays'] == 7 and doc['clusterName'] == 'Cluster0' and doc['referenceHourOfDay'] == 3
    assert [item['frequencyType'] for item in doc['policies'][0]['policyItems']] == ['hourly', 'daily', 'weekly', 'monthly']
    assert ('autoCopySettingsEnabled' in doc) == (schema.endswith('20240805'))


def test_schedule_on_v1_and_on_a_flex_cluster(sim, owner):
    assert call(owner, 'GET', sim.v1('/clusters/Staging0/backup/schedule')).json()['clusterName'] == 'Staging0'
    assert_error(call(owner, 'GET', sim.v2('/clusters/Flex0/backup/schedule')), 400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API')
    assert_error(call(owner, 'GET', sim.v2('/clusters/Nope0/backup/schedule')), 404, 'CLUSTER_NOT_FOUND')


# ------------------------------------------------------------------ automated
def test_automated_restore_replaces_the_target_data(sim, owner):
    job = create(sim, owner, automated())
    assert 'status' not in job and 'createdAt' not in job and 'finishedAt' not in job and 'expiresAt' not in job
    assert (job['cancelled'], job['failed'], job['expired'], job['deliveryUrl']) == (False, False, False, [])
    assert job['desiredTimestamp'] == {'increment': None, 'time': None, 'date': None}
    snap = call(owner, 'GET', sim.v2(f'/clusters/Cluster0/backup/snapshots/{CLUSTER0_FIRST}')).json()
    assert job['timestamp'] == snap['createdAt']
    assert (job['targetClusterName'], job['targetGroupId']) == ('Staging0', GROUP_ID)
    assert job['targetDeploymentItemName'].startswith('atlas-') and len(job['targetDeploymentItemName']) == 12
    assert [link['rel'] for link in job['links']][0] == 'self' and len(job['links']) == 4
    restore = cluster_state(sim, 'Staging0')['restore']
    assert restore == {'job_id': job['id'], 'api': 'cloudBackup', 'source_cluster': 'Cluster0', 'snapshot_id': CLUSTER0_FIRST,
                       'delivery_type': 'automated', 'state': 'restoring', 'started_at': restore['started_at']}
    advance(sim, 3)
    done = read(sim, owner, job)
    assert 'finishedAt' in done and not done['failed'] and done['deliveryUrl'] == []
    restore = cluster_state(sim, 'Staging0')['restore']
    assert restore['state'] == 'restored' and restore['finishedAt'] == done['finishedAt']
    assert cluster_state(sim, 'Cluster0')['restore'] is None


def test_target_already_being_restored_is_409(sim, owner):
    create(sim, owner, automated())
    again = call(owner, 'POST', sim.v2(JOBS), automated(snapshot='65a000000000000000000102'))
    assert_error(again, 409, 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS')
    flex = call(owner, 'POST', sim.v2('/flexClusters/Flex0/backup/restoreJobs'),
                {'snapshotId': FLEX_FIRST, 'targetDeploymentItemName': 'Staging0', 'targetProjectId': GROUP_ID}, FLEX)
    assert_error(flex, 409, 'ATLAS_CLUSTER_RESTORE_IN_PROGRESS')
    advance(sim, 3)
    create(sim, owner, automated(snapshot='65a000000000000000000102'))


def test_restore_into_the_source_itself_is_allowed(sim, owner):
    job = create(sim, owner, automated(target='Cluster0'))
    assert cluster_state(sim, 'Cluster0')['restore']['job_id'] == job['id']


def test_list_holds_jobs_into_other_clusters_newest_first_and_pages(sim, owner):
    first = create(sim, owner, automated())
    advance(sim, 3)
    second = create(sim, owner, automated(target='Cluster0'))
    third = create(sim, owner, {'deliveryType': 'download', 'snapshotId': CLUSTER0_OLDEST})
    listed = call(owner, 'GET', sim.v2(JOBS)).json()
    assert_conforms(listed, 'PaginatedCloudBackupRestoreJobView')
    assert [job['id'] for job in listed['results']] == [third['id'], second['id'], first['id']] and listed['totalCount'] == 3
    paged = call(owner, 'GET', sim.v2(JOBS + '?itemsPerPage=2&pageNum=2')).json()
    assert [job['id'] for job in paged['results']] == [first['id']] and [link['rel'] for link in paged['links']] == ['self', 'previous']
    staging = call(owner, 'GET', sim.v2('/clusters/Staging0/backup/restoreJobs')).json()
    assert staging['results'] == [] and staging['totalCount'] == 0
    assert_error(call(owner, 'GET', sim.v2(f'/clusters/Staging0/backup/restoreJobs/{first["id"]}')), 404, 'RESTORE_JOB_NOT_FOUND')


def test_v1_serves_restore_jobs_as_plain_json(sim, owner):
    response = owner.post(sim.v1(JOBS), json=automated(), timeout=10)
    assert response.status_code == 200 and response.headers['Content-Type'] == 'application/json'
    assert owner.get(sim.v1(f'{JOBS}/{response.json()["id"]}'), timeout=10).json()['id'] == response.json()['id']


@pytest.mark.parametrize('body,status,code', [
    ({'deliveryType': 'automated', 'snapshotId': '0' * 24, 'targetClusterName': 'Staging0', 'targetGroupId': GROUP_ID}, 404, 'SNAPSHOT_NOT_FOUND'),
    (automated(snapshot=STAGING_FIRST), 404, 'SNAPSHOT_NOT_FOUND'),           # a snapshot of another cluster
    ({'deliveryType': 'automated', 'targetClusterName': 'Staging0', 'targetGroupId': GROUP_ID}, 404, 'SNAPSHOT_NOT_FOUND'),
    (automated(target='Nope0'), 404, 'CLUSTER_NOT_FOUND'),
    (automated(group=OTHER_GROUP), 404, 'GROUP_NOT_FOUND'),
    (automated(target='Flex0'), 400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API'),
    (automated(target='Free0'), 409, 'INVALID_RESTORE_PROCESS'),
    (automated(target='Tenant0'), 400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API'),  # today: the Flex cluster Tenant0 was migrated to
    (automated(target='Sharded0'), 409, 'INVALID_RESTORE_PROCESS'),         # replica set snapshot into a sharded cluster
    ({'deliveryType': 'automated', 'snapshotId': CLUSTER0_FIRST, 'targetGroupId': GROUP_ID}, 400, 'MISSING_ATTRIBUTE'),
    ({'deliveryType': 'automated', 'snapshotId': CLUSTER0_FIRST, 'targetClusterName': 'Staging0'}, 400, 'MISSING_ATTRIBUTE'),
    ({'snapshotId': CLUSTER0_FIRST}, 400, 'MISSING_ATTRIBUTE'),
    ({'deliveryType': 'copy', 'snapshotId': CLUSTER0_FIRST}, 400, 'INVALID_ENUM_VALUE'),
    (dict(automated(), cancelled=False), 400, 'INVALID_ATTRIBUTE'),           # readOnly fields are not accepted
    (dict(automated(), pointInTimeUTCSeconds=1700000000), 400, 'INVALID_ATTRIBUTE'),
    (automated(snapshot='not-an-id'), 400, 'INVALID_ATTRIBUTE'),
    ({'deliveryType': 'automated', 'snapshotId': CLUSTER0_FIRST, 'targetClusterName': 'Staging0', 'targetGroupId': 5}, 400, 'VALIDATION_ERROR'),
])
def test_automated_errors(sim, owner, body, status, code):
    assert_error(call(owner, 'POST', sim.v2(JOBS), body), status, code)
    assert cluster_state(sim, 'Staging0')['restore'] is None


def test_automated_into_an_m2_of_the_2025_world(sim, owner):
    sim.in_2025()
    assert_error(call(owner, 'POST', sim.v2(JOBS), automated(target='Tenant0')), 409, 'INVALID_RESTORE_PROCESS')
    assert cluster_state(sim, 'Tenant0')['restore'] is None


def test_sharded_snapshot_rules(sim, owner):
    path = '/clusters/Sharded0/backup/restoreJobs'
    assert_error(call(owner, 'POST', sim.v2(path), automated(snapshot=SHARDED_FIRST)), 409, 'INVALID_RESTORE_PROCESS')
    assert_error(call(owner, 'POST', sim.v2(path), automated(target='Sharded0', snapshot=SHARDED_SHARD0)), 400,
                 'AUTOMATED_RESTORE_OF_SHARD_NOT_ALLOWED')
    job = create(sim, owner, automated(target='Sharded0', snapshot=SHARDED_FIRST), path)
    assert [member['replicaSetName'] for member in job['components']] == ['Sharded0-shard-0', 'Sharded0-shard-1', 'Sharded0-config-0']
    assert job['links'][1]['href'].endswith(f'/snapshots/shardedCluster/{SHARDED_FIRST}')


def test_incomplete_snapshot_cannot_be_restored_or_downloaded(sim, owner):
    taken = call(owner, 'POST', sim.v2('/clusters/Cluster0/backup/snapshots'), {'retentionInDays': 1}).json()
    assert_error(call(owner, 'POST', sim.v2(JOBS), automated(snapshot=taken['id'])), 409, 'CANNOT_START_RESTORE_JOB_FOR_INCOMPLETE_CLUSTER_SNAPSHOT')
    assert_error(call(owner, 'POST', sim.v2(JOBS), {'deliveryType': 'download', 'snapshotId': taken['id']}), 409,
                 'CANNOT_DOWNLOAD_INCOMPLETE_SNAPSHOT')


@pytest.mark.parametrize('cluster,code,status', [('Flex0', 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API', 400),
                                                 ('Free0', 'PROVIDER_BACKUP_NOT_SUPPORTED', 400), ('Nope0', 'CLUSTER_NOT_FOUND', 404)])
def test_restore_jobs_path_refuses_non_dedicated_sources(sim, owner, cluster, code, status):
    path = f'/clusters/{cluster}/backup/restoreJobs'
    assert_error(call(owner, 'POST', sim.v2(path), {'deliveryType': 'download', 'snapshotId': FLEX_FIRST}), status, code)
    assert_error(call(owner, 'GET', sim.v2(path)), status, code)
    assert_error(call(owner, 'GET', sim.v2(path + '/' + 'a' * 24)), status, code)


# ------------------------------------------------------------------ point in time
def now_seconds(sim):
    state_now = sim.control('GET', 'clock').json()['now']
    return int(datetime.datetime.strptime(state_now, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc).timestamp())


def pit(**fields):
    return dict({'deliveryType': 'pointInTime', 'targetClusterName': 'Staging0', 'targetGroupId': GROUP_ID}, **fields)


def test_point_in_time_restore_by_seconds(sim, owner):
    moment = now_seconds(sim) - 600
    job = create(sim, owner, pit(pointInTimeUTCSeconds=moment))
    assert job['deliveryType'] == 'pointInTime' and job['pointInTimeUTCSeconds'] == moment and job['snapshotId'] == CLUSTER0_FIRST
    assert job['desiredTimestamp']['time'] == moment and job['desiredTimestamp']['date'].endswith('Z')
    assert job['targetClusterName'] == 'Staging0' and 'finishedAt' not in job
    assert cluster_state(sim, 'Staging0')['restore']['delivery_type'] == 'pointInTime'
    advance(sim, 3)
    assert 'finishedAt' in read(sim, owner, job)


def test_point_in_time_restore_by_oplog(sim, owner):
    moment = now_seconds(sim) - 86400 * 2 + 3600
    job = create(sim, owner, pit(oplogTs=moment, oplogInc=3))
    assert (job['oplogTs'], job['oplogInc']) == (moment, 3) and 'pointInTimeUTCSeconds' not in job
    assert job['desiredTimestamp']['increment'] == 3


def test_point_in_time_errors(sim, owner):
    moment = now_seconds(sim) - 600
    url = sim.v2(JOBS)
    assert_error(call(owner, 'POST', url, pit(pointInTimeUTCSeconds=moment, oplogTs=moment, oplogInc=1)), 400, 'VALIDATION_ERROR')
    assert_error(call(owner, 'POST', url, pit()), 400, 'MISSING_ATTRIBUTE')
    missing = call(owner, 'POST', url, pit(oplogTs=moment))
    assert_error(missing, 400, 'MISSING_ATTRIBUTE')
    assert missing.json()['parameters'] == ['oplogInc']
    assert_error(call(owner, 'POST', url, pit(pointInTimeUTCSeconds=now_seconds(sim) - 8 * 86400)), 400, 'INVALID_PIT_RESTORE_TIME')
    assert_error(call(owner, 'POST', url, pit(pointInTimeUTCSeconds=now_seconds(sim) + 3600)), 400, 'INVALID_PIT_RESTORE_TIME')
    assert_error(call(owner, 'POST', url, pit(pointInTimeUTCSeconds=1000)), 400, 'INVALID_PIT_RESTORE_TIME')
    assert_error(call(owner, 'POST', url, pit(pointInTimeUTCSeconds=now_seconds(sim) * 1000)), 400, 'INVALID_PIT_RESTORE_TIME')  # millis
    assert_error(call(owner, 'POST', url, pit(oplogTs=moment, oplogInc=0)), 400, 'INVALID_PIT_RESTORE_TIME')
    assert_error(call(owner, 'POST', url, pit(pointInTimeUTCSeconds=now_seconds(sim) - 5 * 86400)), 404,
                 'UNABLE_T0_FIND_SNAPSHOT_PRIOR_TO_PIT_RESTORE_OPTIME')
    assert_error(call(owner, 'POST', url, pit(targetClusterName=None)), 400, 'VALIDATION_ERROR')
    no_pit = call(owner, 'POST', sim.v2('/clusters/Staging0/backup/restoreJobs'), pit(targetClusterName='Cluster0', pointInTimeUTCSeconds=moment))
    assert_error(no_pit, 400, 'UNSUPPORTED_DELIVERY_METHOD')


# ------------------------------------------------------------------ download
def download(sim, owner, snapshot=CLUSTER0_FIRST, path=JOBS):
    return create(sim, owner, {'deliveryType': 'download', 'snapshotId': snapshot}, path)


def ready(sim, owner, job, path=JOBS):
    advance(sim, 2)
    return read(sim, owner, job, path)


def test_download_job_gets_one_link_after_the_delay(sim, owner):
    job = download(sim, owner)
    assert job['deliveryUrl'] == [] and 'expiresAt' not in job and 'targetClusterName' not in job and 'components' not in job
    done = ready(sim, owner, job)
    assert len(done['deliveryUrl']) == 1 and 'finishedAt' not in done and not done['expired']
    url = done['deliveryUrl'][0]
    assert f'/{job["id"]}/restore-{CLUSTER0_FIRST}.tar.gz?' in url
    ready_at = datetime.datetime.strptime(done['expiresAt'], '%Y-%m-%dT%H:%M:%SZ') - datetime.timedelta(hours=1)
    assert ready_at.strftime('%Y%m%dT%H%M%SZ') in url  # X-Amz-Date = when the link was made; expiresAt = that + 1 h
    fetched = requests.get(url, timeout=10)
    assert fetched.status_code == 200 and fetched.headers['Content-Disposition'].endswith(f'restore-{CLUSTER0_FIRST}.tar.gz"')
    with tarfile.open(fileobj=io.BytesIO(fetched.content), mode='r:gz') as archive:
        assert 'dump/prelude.json' in archive.getnames()
    assert cluster_state(sim, 'Cluster0')['restore'] is None


@pytest.mark.parametrize('field', ['targetClusterName', 'targetGroupId', 'pointInTimeUTCSeconds'])
def test_download_refuses_target_fields(sim, owner, field):
    body = {'deliveryType': 'download', 'snapshotId': CLUSTER0_FIRST, field: 'Staging0' if field == 'targetClusterName' else GROUP_ID}
    if field == 'pointInTimeUTCSeconds':
        body[field] = 1700000000
    assert_error(call(owner, 'POST', sim.v2(JOBS), body), 400, 'INVALID_ATTRIBUTE')
    assert_error(call(owner, 'POST', sim.v2(JOBS), {'deliveryType': 'download'}), 404, 'SNAPSHOT_NOT_FOUND')


def test_link_is_one_time_but_resumable_until_complete(sim, owner):
    url = ready(sim, owner, download(sim, owner))['deliveryUrl'][0]
    assert requests.head(url, timeout=10).status_code == 200  # HEAD does not spend it
    sim.control('POST', 'faults', {'method': 'GET', 'path': '^/backup-downloads/', 'action': 'truncate'})
    first = b''
    with pytest.raises(requests.exceptions.RequestException):  # a transfer that stops early does not spend it either
        with requests.get(url, stream=True, timeout=10) as broken:
            for chunk in broken.iter_content(65536):
                first += chunk
    assert first
    rest = requests.get(url, headers={'Range': f'bytes={len(first)}-'}, timeout=10)
    assert rest.status_code == 206
    whole = first + rest.content
    used = requests.get(url, timeout=10)
    assert used.status_code == 403 and b'already been used' in used.content
    assert requests.get(url, headers={'Range': 'bytes=0-'}, timeout=10).status_code == 403
    assert len(whole) == int(rest.headers['Content-Range'].rsplit('/', 1)[1])


def test_one_active_download_per_snapshot(sim, owner):
    job = download(sim, owner)
    assert_error(call(owner, 'POST', sim.v2(JOBS), {'deliveryType': 'download', 'snapshotId': CLUSTER0_FIRST}), 400,
                 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY')
    download(sim, owner, '65a000000000000000000102')  # another snapshot is fine
    url = ready(sim, owner, job)['deliveryUrl'][0]
    assert_error(call(owner, 'POST', sim.v2(JOBS), {'deliveryType': 'download', 'snapshotId': CLUSTER0_FIRST}), 400,
                 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY')  # ready but unused: still active
    assert requests.get(url, timeout=10).status_code == 200
    download(sim, owner)  # the link is spent: a new download may start


def test_download_link_expires_after_an_hour(sim, owner):
    job = download(sim, owner)
    url = ready(sim, owner, job)['deliveryUrl'][0]
    advance(sim, 3601)
    expired = read(sim, owner, job)
    assert expired['expired'] is True and expired['deliveryUrl'] == [url]
    assert requests.get(url, timeout=10).status_code == 403
    download(sim, owner)  # an expired job no longer blocks the snapshot


def test_sharded_download_has_one_link_per_shard_and_config_server(sim, owner):
    path = '/clusters/Sharded0/backup/restoreJobs'
    job = download(sim, owner, SHARDED_FIRST, path)
    assert job['components'] == [
        {'replicaSetName': 'Sharded0-shard-0'}, {'replicaSetName': 'Sharded0-shard-1'}, {'replicaSetName': 'Sharded0-config-0'}]
    done = ready(sim, owner, job, path)
    assert len(done['deliveryUrl']) == 3 and [c['downloadUrl'] for c in done['components']] == done['deliveryUrl']
    bodies = [requests.get(url, timeout=10) for url in done['deliveryUrl']]
    assert all(body.status_code == 200 for body in bodies) and len({body.content for body in bodies}) == 3
    assert SHARDED_SHARD0 in done['deliveryUrl'][0]


def test_too_many_downloads_in_the_project(sim, owner):
    sim.control('POST', 'reset', {'config': {'clusters': [{'name': 'Big0', 'kind': 'replicaSet', 'snapshots': 21}]}})
    path = '/clusters/Big0/backup/restoreJobs'
    for number in range(1, 21):
        download(sim, owner, f'65a0000000000000000001{number:02d}', path)
    assert_error(call(owner, 'POST', sim.v2(path), {'deliveryType': 'download', 'snapshotId': '65a000000000000000000121'}), 400,
                 'TOO_MANY_SNAPSHOT_DOWNLOADS')


# ------------------------------------------------------------------ cancel
def test_cancel_a_download(sim, owner):
    job = download(sim, owner)
    url = ready(sim, owner, job)['deliveryUrl'][0]
    response = call(owner, 'DELETE', sim.v2(f'{JOBS}/{job["id"]}'))
    assert response.status_code == 204 and response.content == b''
    cancelled = read(sim, owner, job)
    assert cancelled['cancelled'] is True and cancelled['deliveryUrl'] == [] and not cancelled['expired']
    refused = requests.get(url, timeout=10)
    assert refused.status_code == 403 and b'cancelled' in refused.content
    assert call(owner, 'DELETE', sim.v2(f'{JOBS}/{job["id"]}')).status_code == 204  # again: no change
    download(sim, owner)  # a cancelled job no longer blocks the snapshot


def test_cancel_before_the_link_exists(sim, owner):
    job = download(sim, owner)
    assert call(owner, 'DELETE', sim.v2(f'{JOBS}/{job["id"]}')).status_code == 204
    advance(sim, 5)
    later = read(sim, owner, job)
    assert later['cancelled'] and later['deliveryUrl'] == [] and not later['failed']


def test_automated_and_pit_restores_cannot_be_cancelled(sim, owner):
    job = create(sim, owner, automated())
    assert_error(call(owner, 'DELETE', sim.v2(f'{JOBS}/{job["id"]}')), 400, 'CANNOT_CANCEL_AUTOMATED_RESTORE')
    advance(sim, 3)
    job = create(sim, owner, pit(pointInTimeUTCSeconds=now_seconds(sim) - 60))
    assert_error(call(owner, 'DELETE', sim.v2(f'{JOBS}/{job["id"]}')), 400, 'CANNOT_CANCEL_AUTOMATED_RESTORE')
    assert read(sim, owner, job)['cancelled'] is False


def test_unknown_job_ids(sim, owner):
    assert_error(call(owner, 'GET', sim.v2(f'{JOBS}/{"a" * 24}')), 404, 'RESTORE_JOB_NOT_FOUND')
    assert_error(call(owner, 'DELETE', sim.v2(f'{JOBS}/{"a" * 24}')), 404, 'RESTORE_JOB_NOT_FOUND')
    assert_error(call(owner, 'GET', sim.v2(f'{JOBS}/nope')), 400, 'INVALID_PATH_PARAMETER')


# ------------------------------------------------------------------ failure injection and holding a job
def test_fail_next_restores_marks_jobs_failed(sim, owner):
    assert sim.control('PATCH', 'config', {'fail_next_restores': 2}).status_code == 200
    job = create(sim, owner, automated())
    assert job['failed'] is False  # it fails when it would have finished
    failed_download = download(sim, owner)
    assert sim.control('GET', 'config').json()['fail_next_restores'] == 0
    advance(sim, 3)
    failed = read(sim, owner, job)
    assert failed['failed'] is True and 'finishedAt' not in failed
    assert cluster_state(sim, 'Staging0')['restore']['state'] == 'failed'
    broken = read(sim, owner, failed_download)
    assert broken['failed'] is True and broken['deliveryUrl'] == [] and not broken['expired']
    again = create(sim, owner, automated())  # a failed restore does not block the target
    advance(sim, 3)
    assert 'finishedAt' in read(sim, owner, again)
    assert cluster_state(sim, 'Staging0')['restore']['state'] == 'restored'


def test_long_durations_hold_jobs_in_progress(sim, owner):
    sim.control('PATCH', 'config', {'restore_duration': 86400, 'restore_download_duration': 86400})
    job = create(sim, owner, automated())
    pending = download(sim, owner)
    advance(sim, 3600)
    assert 'finishedAt' not in read(sim, owner, job) and read(sim, owner, pending)['deliveryUrl'] == []
    assert cluster_state(sim, 'Staging0')['restore']['state'] == 'restoring'


@pytest.mark.parametrize('setting', [{'fail_next_restores': -1}, {'fail_next_restores': 1.5}, {'restore_duration': 'x'},
                                     {'restore_link_lifetime': 0}])
def test_restore_settings_are_checked(sim, setting):
    assert sim.control('PATCH', 'config', setting).status_code == 400


# ------------------------------------------------------------------ roles and the request log
def test_roles(sim, owner, reader):
    assert_error(call(reader, 'POST', sim.v2(JOBS), automated()), 401, 'USER_UNAUTHORIZED')
    job = create(sim, owner, {'deliveryType': 'download', 'snapshotId': CLUSTER0_FIRST})
    assert_error(call(reader, 'DELETE', sim.v2(f'{JOBS}/{job["id"]}')), 401, 'USER_UNAUTHORIZED')
    assert_error(call(reader, 'GET', sim.v2(JOBS)), 401, 'USER_UNAUTHORIZED')  # spec: Project Backup Manager
    assert call(reader, 'GET', sim.v2('/clusters/Cluster0/backup/schedule')).status_code == 200


def test_recovery_operator_can_restore_but_not_list(sim):
    keys = [{'public': 'owner-public', 'private': 'owner-private', 'roles': ['Project Owner']},
            {'public': 'recovery-public', 'private': 'recovery-private', 'roles': ['Project Backup Recovery Operator']}]
    assert sim.control('POST', 'reset', {'config': {'api_keys': keys}}).status_code == 200
    recovery = session_for('recovery-public', 'recovery-private')
    assert call(recovery, 'POST', sim.v2(JOBS), automated()).status_code == 200
    assert_error(call(recovery, 'GET', sim.v2(JOBS)), 401, 'USER_UNAUTHORIZED')
    flex = call(recovery, 'POST', sim.v2('/flexClusters/Flex0/backup/restoreJobs'),
                {'snapshotId': FLEX_FIRST, 'targetDeploymentItemName': 'Cluster0', 'targetProjectId': GROUP_ID}, FLEX)
    assert flex.status_code == 200


def test_request_log_records_restore_calls(sim, owner):
    job = create(sim, owner, automated())
    read(sim, owner, job)
    entries = [entry for entry in sim.log() if 'restoreJobs' in entry['path'] and entry['status'] != 401]
    assert [(entry['method'], entry['status']) for entry in entries] == [('POST', 200), ('GET', 200)]
    assert entries[0]['auth'] == 'Digest' and entries[0]['server'] == 'api'


# ------------------------------------------------------------------ Flex and tenant restores
FLEX_JOBS = '/flexClusters/Flex0/backup/restoreJobs'


def flex_body(**fields):
    return dict({'snapshotId': FLEX_FIRST, 'targetDeploymentItemName': 'Staging0', 'targetProjectId': GROUP_ID}, **fields)


def test_flex_restore_lifecycle(sim, owner):
    response = call(owner, 'POST', sim.v2(FLEX_JOBS), flex_body(), FLEX)
    assert response.status_code == 200, response.text
    job = response.json()
    assert_conforms(job, 'FlexBackupRestoreJob20241113')
    assert (job['deliveryType'], job['status'], job['instanceName']) == ('RESTORE', 'PENDING', 'Flex0')
    assert (job['targetDeploymentItemName'], job['targetProjectId']) == ('Staging0', GROUP_ID) and 'snapshotUrl' not in job
    scheduled = datetime.datetime.strptime(job['restoreScheduledDate'], '%Y-%m-%dT%H:%M:%SZ')
    assert datetime.datetime.strptime(job['expirationDate'], '%Y-%m-%dT%H:%M:%SZ') - scheduled == datetime.timedelta(hours=6)
    assert cluster_state(sim, 'Staging0')['restore']['state'] == 'restoring'
    assert cluster_state(sim, 'Staging0')['restore']['api'] == 'flex'
    advance(sim, 1.5)
    one = call(owner, 'GET', sim.v2(f'{FLEX_JOBS}/{job["id"]}'), accept=FLEX).json()
    assert one['status'] == 'RUNNING'
    advance(sim, 2)
    one = call(owner, 'GET', sim.v2(f'{FLEX_JOBS}/{job["id"]}'), accept=FLEX).json()
    assert one['status'] == 'COMPLETED' and 'restoreFinishedDate' in one and 'snapshotUrl' not in one
    assert cluster_state(sim, 'Staging0')['restore']['state'] == 'restored'
    fetched = call(owner, 'POST', sim.v2('/flexClusters/Flex0/backup/download'), {'snapshotId': FLEX_FIRST}, FLEX).json()
    listed = call(owner, 'GET', sim.v2(FLEX_JOBS), accept=FLEX).json()
    assert_conforms(listed, 'PaginatedApiAtlasFlexBackupRestoreJob20241113View')
    assert [(item['id'], item['deliveryType']) for item in listed['results']] == [(fetched['id'], 'DOWNLOAD'), (job['id'], 'RESTORE')]


@pytest.mark.parametrize('body,status,code', [
    (flex_body(targetProjectId=None), 400, 'VALIDATION_ERROR'),
    ({'snapshotId': FLEX_FIRST, 'targetDeploymentItemName': 'Staging0'}, 400, 'MISSING_ATTRIBUTE'),
    ({'snapshotId': FLEX_FIRST, 'targetProjectId': GROUP_ID}, 400, 'MISSING_ATTRIBUTE'),
    (flex_body(snapshotId='0' * 24), 404, 'SNAPSHOT_NOT_FOUND'),
    (flex_body(targetDeploymentItemName='Nope0'), 404, 'CLUSTER_NOT_FOUND'),
    (flex_body(targetProjectId=OTHER_GROUP), 404, 'GROUP_NOT_FOUND'),
    (flex_body(targetDeploymentItemName='Sharded0'), 400, 'TENANT_RESTORE_INCOMPATIBLE_TOPOLOGY'),
    (flex_body(targetDeploymentItemName='Free0'), 409, 'INVALID_RESTORE_PROCESS'),
    (flex_body(deliveryType='RESTORE'), 400, 'INVALID_ATTRIBUTE'),
])
def test_flex_restore_errors(sim, owner, body, status, code):
    body = {key: value for key, value in body.items() if value is not None} if code != 'VALIDATION_ERROR' else body
    assert_error(call(owner, 'POST', sim.v2(FLEX_JOBS), body, FLEX), status, code)


def test_flex_restore_accepts_instance_name_and_flex_targets(sim, owner):
    job = call(owner, 'POST', sim.v2(FLEX_JOBS), flex_body(instanceName='Flex0', targetDeploymentItemName='Flex0'), FLEX)
    assert job.status_code == 200 and job.json()['targetDeploymentItemName'] == 'Flex0'


def test_flex_restore_on_a_dedicated_cluster_and_by_a_reader(sim, owner, reader):
    assert_error(call(owner, 'POST', sim.v2('/flexClusters/Cluster0/backup/restoreJobs'), flex_body(), FLEX), 400,
                 'CANNOT_USE_NON_FLEX_CLUSTER_IN_FLEX_API')
    assert_error(call(reader, 'POST', sim.v2(FLEX_JOBS), flex_body(), FLEX), 401, 'USER_UNAUTHORIZED')
    assert owner.post(sim.v1(FLEX_JOBS), json=flex_body(), timeout=10).status_code == 404


def test_tenant_restore(sim, owner):
    sim.in_2025()
    path = '/clusters/Tenant0/backup/tenant'
    response = call(owner, 'POST', sim.v2(path + '/restore'), {'snapshotId': TENANT_FIRST, 'targetDeploymentItemName': 'Staging0'})
    assert response.status_code == 200, response.text
    job = response.json()
    assert_conforms(job, 'TenantRestore')
    assert (job['deliveryType'], job['status'], job['clusterName'], job['targetProjectId']) == ('RESTORE', 'PENDING', 'Tenant0', GROUP_ID)
    listed = call(owner, 'GET', sim.v2(path + '/restores')).json()
    assert_conforms(listed, 'PaginatedTenantRestoreView')
    assert listed['results'][0]['id'] == job['id']
    assert cluster_state(sim, 'Staging0')['restore']['api'] == 'tenant'
    assert_error(call(owner, 'POST', sim.v2(path + '/restore'), {'snapshotId': TENANT_FIRST}), 400, 'MISSING_ATTRIBUTE')
    assert_error(call(owner, 'POST', sim.v2(path + '/restore'), {'snapshotId': '0' * 24, 'targetDeploymentItemName': 'Cluster0'}), 404,
                 'TENANT_SNAPSHOT_NOT_FOUND')
    sim.control('PATCH', 'config', {'world': '2026', 'tenant_sunset': 410})
    assert_error(call(owner, 'POST', sim.v2(path + '/restore'), {'snapshotId': TENANT_FIRST, 'targetDeploymentItemName': 'Cluster0'}), 410,
                 'VERSION_GONE')


# ------------------------------------------------------------------ the spec checker itself
def test_spec_checker_catches_drift():
    assert errors({'deliveryType': 'automated', 'status': 'done'}, 'DiskBackupSnapshotRestoreJob') == \
        ['$.status is not in DiskBackupSnapshotRestoreJob']
    assert errors({'deliveryType': 'nope', 'cancelled': 'no'}, 'DiskBackupSnapshotRestoreJob') == [
        "$.deliveryType='nope' not in ['automated', 'download', 'pointInTime']", "$.cancelled should be boolean, got 'no'"]
    assert errors({}, 'DiskBackupSnapshotRestoreJob') == ['$.deliveryType is required']
    assert errors({'deliveryType': 'download', 'expiresAt': 'tomorrow'}, 'DiskBackupSnapshotRestoreJob') == \
        ["$.expiresAt='tomorrow' is not a date-time"]


def test_existing_download_jobs_conform_too(sim, owner):
    sim.in_2025()
    flex = call(owner, 'POST', sim.v2('/flexClusters/Flex0/backup/download'), {'snapshotId': FLEX_FIRST}, FLEX).json()
    tenant = call(owner, 'POST', sim.v2('/clusters/Tenant0/backup/tenant/download'), {'snapshotId': TENANT_FIRST}).json()
    advance(sim, 2)
    flex = call(owner, 'GET', sim.v2(f'{FLEX_JOBS}/{flex["id"]}'), accept=FLEX).json()
    tenant = call(owner, 'GET', sim.v2(f'/clusters/Tenant0/backup/tenant/restores/{tenant["id"]}')).json()
    assert flex['status'] == tenant['status'] == 'COMPLETED' and 'snapshotUrl' in flex and 'snapshotUrl' in tenant
    assert_conforms(flex, 'FlexBackupRestoreJob20241113')
    assert_conforms(tenant, 'TenantRestore')

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""0.2.0 trust pass for atlas_tenant_download and the shared base: concurrent-download adoption, jobs without ids, the
an API removed while polling, changed after a write, the signed link kept out of results with dest, ca_path checks."""
from __future__ import annotations

import json

import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils import _waiter
from ansible_collections.mongodb_atlas.backup.plugins.modules import atlas_snapshot_info, atlas_tenant_download
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.modules.atlas_test_utils import API, connection_args

SID = '65a000000000000000000501'
DATE = {'Date': 'Sun, 22 Nov 2026 12:00:00 GMT'}
FLEX_ERROR = {'error': 400, 'errorCode': 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API', 'detail': 'Flex cluster.'}
SNAPSHOT = {'id': SID, 'status': 'COMPLETED', 'startTime': '2026-11-22T03:00:00Z', 'finishTime': '2026-11-22T03:04:00Z',
            'expiration': '2026-11-30T03:00:00Z'}
SNAPS = f'{API}/flexClusters/Flex0/backup/snapshots'
JOBS = f'{API}/flexClusters/Flex0/backup/restoreJobs'
DOWNLOAD = f'{API}/flexClusters/Flex0/backup/download'
SIGNATURE = 'X-Amz-Signature=s3cr3tsignature'
CONCURRENT = {'error': 400, 'errorCode': 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY', 'detail': 'Already being downloaded.'}


def job(id_, status='COMPLETED', expires='2026-11-22T15:00:00Z', requested='2026-11-22T11:00:00Z'):
    doc = {'id': id_, 'snapshotId': SID, 'status': status, 'deliveryType': 'DOWNLOAD', 'expirationDate': expires,
           'restoreScheduledDate': requested}
    if status == 'COMPLETED':
        doc['snapshotUrl'] = f'https://dl.test/{id_}.tgz?{SIGNATURE}'
    return doc


def flex(snapshots=(SNAPSHOT,), jobs=()):
    responses.add(responses.GET, f'{API}/clusters/Flex0', status=400, json=FLEX_ERROR, headers=DATE)
    responses.add(responses.GET, SNAPS, json={'results': list(snapshots)}, headers=DATE)
    responses.add(responses.GET, JOBS, json={'results': list(jobs)}, headers=DATE)


def no_sleep(monkeypatch):
    monkeypatch.setattr(_waiter.time, 'sleep', lambda _s: None)


def posts():
    return [call for call in responses.calls if call.request.method == 'POST']


# ---------------------------------------------------------------- item 7: concurrent downloads
@responses.activate
def test_concurrent_conflict_never_adopts_an_expired_link(run_module):
    flex()
    responses.add(responses.POST, DOWNLOAD, status=400, json=CONCURRENT, headers=DATE)
    stale = job('a' * 24, expires='2026-11-22T12:05:00Z')  # 5 minutes left on Atlas's clock
    responses.add(responses.GET, JOBS, json={'results': [stale]}, headers=DATE)
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Flex0'))
    assert result['failed'] is True and 'CANNOT_DOWNLOAD_SNAPSHOT_CONCURRENTLY' in result['msg']
    assert 'restore_job' not in result and SIGNATURE not in json.dumps(result)


@responses.activate
def test_concurrent_conflict_adopts_the_newest_usable_job_by_date(run_module, monkeypatch):
    no_sleep(monkeypatch)
    flex()
    responses.add(responses.POST, DOWNLOAD, status=400, json=CONCURRENT, headers=DATE)
    older = job('a' * 24, status='RUNNING', requested='2026-11-22T10:00:00Z')
    newer = job('b' * 24, status='RUNNING', requested='2026-11-22T11:50:00Z')
    responses.add(responses.GET, JOBS, json={'results': [older, newer]}, headers=DATE)  # oldest first
    responses.add(responses.GET, f'{JOBS}/{"b" * 24}', json=job('b' * 24), headers=DATE)
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Flex0'))
    assert result['restore_job']['id'] == 'b' * 24 and result['restore_job']['status'] == 'completed'
    assert len(posts()) == 1


# ---------------------------------------------------------------- item 5: no traceback, fixed at the source
@responses.activate
def test_a_job_answer_without_an_id_is_found_in_the_list(run_module):
    flex()
    responses.add(responses.POST, DOWNLOAD, json={'snapshotId': SID, 'status': 'QUEUED'}, headers=DATE)
    responses.add(responses.GET, JOBS, json={'results': [{'snapshotId': SID, 'status': 'QUEUED'}, job('c' * 24)]}, headers=DATE)
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Flex0'))
    assert result.get('failed') is not True and result['restore_job']['id'] == 'c' * 24 and result['changed'] is True


@responses.activate
def test_tenant_api_removed_while_polling_ends_the_task_with_atlas_answer(run_module, monkeypatch):
    # The sunset is resolved once, when the cluster is read (issue 18); an API that vanishes in the middle of a task (a
    # moment that passed on 2026-01-22) is an ordinary failure: changed (a job was requested), Atlas's answer named.
    no_sleep(monkeypatch)
    tenant = f'{API}/clusters/Tenant0/backup/tenant'
    responses.add(responses.GET, f'{API}/clusters/Tenant0', json={'name': 'Tenant0', 'providerSettings': {'instanceSizeName': 'M2'}})
    responses.add(responses.GET, f'{tenant}/snapshots', json={'results': [SNAPSHOT]}, headers=DATE)
    responses.add(responses.GET, f'{tenant}/restores', json={'results': []}, headers=DATE)
    responses.add(responses.POST, f'{tenant}/download', json=job('d' * 24, status='QUEUED'), headers=DATE)
    responses.add(responses.GET, f'{tenant}/restores/{"d" * 24}', status=410, json={'errorCode': 'VERSION_GONE'})
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Tenant0'))
    assert result['failed'] is True and result['changed'] is True and 'Traceback' not in json.dumps(result)
    assert 'VERSION_GONE' in result['msg'] and result['error_code'] == 'VERSION_GONE'
    assert not any('flexClusters' in call.request.url for call in responses.calls)


@responses.activate
def test_a_generic_404_on_the_tenant_path_is_the_sunset(run_module):
    responses.add(responses.GET, f'{API}/clusters/Tenant0', json={'name': 'Tenant0', 'providerSettings': {'instanceSizeName': 'M5'}})
    responses.add(responses.GET, f'{API}/clusters/Tenant0/backup/tenant/snapshots', status=404, json={'errorCode': 'RESOURCE_NOT_FOUND'})
    responses.add(responses.GET, f'{API}/flexClusters/Tenant0/backup/snapshots', json={'results': [SNAPSHOT]}, headers=DATE)
    responses.add(responses.GET, f'{API}/flexClusters/Tenant0/backup/restoreJobs', json={'results': [job('e' * 24)]}, headers=DATE)
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Tenant0'))
    assert result['download_api'] == 'flex'


# ---------------------------------------------------------------- item 11: changed after a write
@responses.activate
def test_job_requested_then_failed_reports_changed(run_module, monkeypatch):
    no_sleep(monkeypatch)
    flex()
    responses.add(responses.POST, DOWNLOAD, json=job('f' * 24, status='QUEUED'), headers=DATE)
    responses.add(responses.GET, f'{JOBS}/{"f" * 24}', json=job('f' * 24, status='FAILED'), headers=DATE)
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Flex0'))
    assert result['failed'] is True and 'FAILED' in result['msg'] and result['changed'] is True


# ---------------------------------------------------------------- item 1: the signed link
@responses.activate
def test_without_dest_the_link_is_returned(run_module):
    flex(jobs=[job('a' * 24)])
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Flex0'))
    assert SIGNATURE in result['restore_job']['snapshot_url'] and result['link_expires_at'] == '2026-11-22T15:00:00Z'
    assert result['restore_job']['expires_at'] == '2026-11-22T15:00:00Z' and result['restore_job']['created_at'] == '2026-11-22T11:00:00Z'


@responses.activate
def test_with_dest_in_check_mode_no_link_is_returned(run_module, tmp_path):
    flex(jobs=[job('a' * 24)])
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Flex0', dest=str(tmp_path) + '/', _ansible_check_mode=True))
    assert result['changed'] is True and 'snapshot_url' not in result['restore_job'] and SIGNATURE not in json.dumps(result)
    assert result['link_expires_at'] == '2026-11-22T15:00:00Z'
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- item 13: check mode before the directory exists
@responses.activate
def test_check_mode_with_a_directory_an_earlier_task_creates(run_module, tmp_path):
    flex()
    result = run_module(atlas_tenant_download.main, connection_args(cluster_name='Flex0', dest=str(tmp_path / 'later') + '/',
                                                                    _ansible_check_mode=True))
    assert result.get('failed') is not True and result['changed'] is True
    assert 'does not exist yet' in json.dumps(result['warnings'])
    assert not (tmp_path / 'later').exists() and posts() == []


# ---------------------------------------------------------------- item 4: ca_path, before any request
@responses.activate
def test_ca_path_problems_fail_before_any_request(run_module, tmp_path):
    empty = tmp_path / 'empty.pem'
    empty.write_text('not a certificate\n')
    unreadable = tmp_path / 'locked.pem'
    unreadable.write_text('x')
    unreadable.chmod(0)
    cases = [(tmp_path / 'missing.pem', 'does not exist'), (empty, 'holds no PEM certificate')]
    if not __import__('os').access(str(unreadable), __import__('os').R_OK):  # root reads anything
        cases.append((unreadable, 'not readable'))
    for path, says in cases:
        result = run_module(atlas_snapshot_info.main, connection_args(ca_path=str(path)))
        assert result['failed'] is True and says in result['msg'] and 'ca_path' in result['msg'], result['msg']
    assert len(responses.calls) == 0


@responses.activate
def test_validate_certs_false_wins_over_ca_path_and_says_so(run_module, tmp_path):
    responses.add(responses.GET, f'{API}/clusters/Flex0', status=400, json=FLEX_ERROR, headers=DATE)
    responses.add(responses.GET, SNAPS, json={'results': [SNAPSHOT]}, headers=DATE)
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Flex0', validate_certs=False, ca_path=str(tmp_path / 'x.pem')))
    assert result.get('failed') is not True and 'ca_path' in json.dumps(result['warnings'])
    assert all(call.request.req_kwargs['verify'] is False for call in responses.calls)


# ---------------------------------------------------------------- item 9 and 14 through the info module
@responses.activate
def test_info_on_an_unknown_route_fails_instead_of_returning_nothing(run_module):
    responses.add(responses.GET, f'{API}/clusters/Flex0', status=400, json=FLEX_ERROR, headers=DATE)
    responses.add(responses.GET, f'{SNAPS}/{SID}', status=404, json={'errorCode': 'RESOURCE_NOT_FOUND', 'detail': 'No such route.'})
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Flex0', snapshot_id=SID))
    assert result['failed'] is True and 'RESOURCE_NOT_FOUND' in result['msg']


@responses.activate
def test_info_lists_newest_first_in_one_shape(run_module):
    older = dict(SNAPSHOT, id='1' * 24, startTime='2026-11-20T03:00:00Z', status='RUNNING')
    responses.add(responses.GET, f'{API}/clusters/Flex0', status=400, json=FLEX_ERROR, headers=DATE)
    responses.add(responses.GET, SNAPS, json={'results': [older, SNAPSHOT]}, headers=DATE)
    result = run_module(atlas_snapshot_info.main, connection_args(cluster_name='Flex0'))
    assert [snap['id'] for snap in result['snapshots']] == [SID, '1' * 24]
    assert [snap['status'] for snap in result['snapshots']] == ['completed', 'inProgress']
    assert result['snapshots'][0]['created_at'] == '2026-11-22T03:00:00Z' and result['snapshots'][0]['expires_at'] == '2026-11-30T03:00:00Z'
    assert result['snapshots'][0]['finish_time'] == '2026-11-22T03:04:00Z'  # Atlas's own fields stay

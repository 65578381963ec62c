# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""atlas_restore_job reads the backup schedule (the restore window of a point_in_time restore) with version 2024-08-05:
2023-01-01 carries x-sunset 2027-07-01, after which every point_in_time task would fail with 410."""
from __future__ import annotations

import responses
from responses import matchers

from ansible_collections.mongodb_atlas.backup.plugins.modules import atlas_restore_job
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.modules.atlas_test_utils import API, connection_args

DATE = {'Date': 'Fri, 04 Dec 2026 12:00:00 GMT'}
NOW = 1796385600  # 2026-12-04T12:00:00Z


def dedicated(name, pit):
    return {'name': name, 'clusterType': 'REPLICASET', 'pitEnabled': pit,
            'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M10'}, 'providerName': 'AWS'}]}]}


@responses.activate
def test_point_in_time_reads_the_schedule_with_2024_08_05(run_module):
    responses.add(responses.GET, f'{API}/clusters/Cluster0', json=dedicated('Cluster0', True), headers=DATE)
    responses.add(responses.GET, f'{API}/clusters/Staging0', json=dedicated('Staging0', False), headers=DATE)
    responses.add(responses.GET, f'{API}/clusters/Cluster0/backup/restoreJobs', json={'results': [], 'links': []}, headers=DATE)
    responses.add(responses.GET, f'{API}/clusters/Cluster0/backup/schedule', json={'restoreWindowDays': 7}, headers=DATE,
                  match=[matchers.header_matcher({'Accept': 'application/vnd.atlas.2024-08-05+json'})])
    args = connection_args(delivery_type='point_in_time', target_cluster_name='Staging0', point_in_time_utc_seconds=NOW - 3600,
                           _ansible_check_mode=True)
    result = run_module(atlas_restore_job.main, args)
    assert not result.get('failed'), result
    schedule = [call for call in responses.calls if call.request.url.endswith('/backup/schedule')]
    assert len(schedule) == 1 and schedule[0].request.headers['Accept'] == 'application/vnd.atlas.2024-08-05+json'

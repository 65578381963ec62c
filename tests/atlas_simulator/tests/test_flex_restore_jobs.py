# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The flex_restore_jobs seed option (a Flex list of thousands of old jobs, as recorded) and the Flex restore-job list's
pages of 100 whatever itemsPerPage asks."""
from __future__ import annotations

import datetime

from conftest import FLEX


def jobs_page(sim, owner, number, per_page=500):
    url = sim.v2('/flexClusters/Flex0/backup/restoreJobs')
    response = owner.get(url, params={'itemsPerPage': per_page, 'pageNum': number}, headers={'Accept': FLEX}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_seeded_jobs_are_old_finished_newest_first_and_paged_at_100(sim, owner):
    assert sim.control('POST', 'reset', {'config': {'flex_restore_jobs': 2160}}).status_code == 200
    first = jobs_page(sim, owner, 1)
    assert first['totalCount'] == 2160 and len(first['results']) == 100  # asked for 500
    assert [link['rel'] for link in first['links']] == ['self', 'next']
    last = jobs_page(sim, owner, 22)
    assert len(last['results']) == 60 and [link['rel'] for link in last['links']] == ['self', 'previous']
    times = [job['restoreScheduledDate'] for job in first['results'] + last['results']]
    assert times == sorted(times, reverse=True)
    newest = datetime.datetime.strptime(times[0], '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)
    assert datetime.datetime.now(datetime.timezone.utc) - newest > datetime.timedelta(days=1)
    assert {job['status'] for job in first['results']} == {'COMPLETED'}
    assert {job['deliveryType'] for job in first['results']} == {'RESTORE', 'DOWNLOAD'}
    assert first['results'][0]['id'] == '6c' + '0' * 22


def test_the_seed_option_is_checked_and_lasts_until_the_next_reset(sim, owner):
    assert sim.control('POST', 'reset', {'config': {'flex_restore_jobs': -1}}).status_code == 400
    assert sim.control('POST', 'reset', {'config': {'flex_restore_jobs': 5, 'clusters': [{'name': 'Cluster0', 'kind': 'replicaSet'}]}}).status_code == 400
    assert sim.control('PATCH', 'config', {'flex_restore_jobs': 5}).status_code == 400  # a seed key, not a live setting
    assert sim.control('POST', 'reset', {'config': {'flex_restore_jobs': 3}}).status_code == 200
    assert jobs_page(sim, owner, 1)['totalCount'] == 3
    assert sim.control('POST', 'reset').status_code == 200
    assert jobs_page(sim, owner, 1)['totalCount'] == 0

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Flex cluster with thousands of old restore jobs (2,160 recorded, paged at 100 with next links): finding a reusable
download job reads only as far as a job could still be reused, when Atlas lists newest first, and everything (with one
warning) when it does not."""
from __future__ import annotations

import datetime
import email.utils
import json

import pytest
import responses

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import FLEX, Endpoints
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import Deadline
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._download_jobs import DownloadApi, DownloadJobs
from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.module_utils.atlas_http import GROUP, V2, client

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.timezone.utc)
SID = 'a' * 24
JOBS_PATH = GROUP + '/flexClusters/Flex0/backup/restoreJobs'


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def old_jobs(count):
    """Finished jobs, one every 15 minutes going back from a day ago, newest first (as recorded: RESTORE and DOWNLOAD)."""
    jobs = []
    for number in range(count):
        asked = NOW - datetime.timedelta(days=1, minutes=15 * number + 1)
        jobs.append({'id': f'{number:024x}', 'snapshotId': SID, 'deliveryType': 'DOWNLOAD' if number % 2 else 'RESTORE',
                     'status': 'COMPLETED', 'restoreScheduledDate': iso(asked), 'expirationDate': iso(asked + datetime.timedelta(hours=4)),
                     'snapshotUrl': 'https://s/x.tgz?sig=old'})
    return jobs


RECENT = {'id': 'f' * 24, 'snapshotId': SID, 'deliveryType': 'DOWNLOAD', 'status': 'COMPLETED', 'snapshotUrl': 'https://s/x.tgz?sig=new',
          'restoreScheduledDate': iso(NOW - datetime.timedelta(minutes=30)), 'expirationDate': iso(NOW + datetime.timedelta(hours=3))}


class JobList:
    """Pages at 100 whatever itemsPerPage says, with next links, as the recorded Flex list."""

    def __init__(self, jobs):
        self.jobs = jobs
        self.pages = []

    def __call__(self, request):
        number = int(dict(item.split('=', 1) for item in request.url.split('?', 1)[1].split('&'))['pageNum'])
        self.pages.append(number)
        start = (number - 1) * 100
        links = [{'rel': 'self', 'href': 'x'}] + ([{'rel': 'next', 'href': 'y'}] if start + 100 < len(self.jobs) else [])
        body = {'results': self.jobs[start:start + 100], 'links': links, 'totalCount': len(self.jobs)}
        return 200, {'Date': email.utils.format_datetime(NOW, usegmt=True)}, json.dumps(body)


def downloads(jobs):
    server = JobList(jobs)
    responses.add_callback(responses.GET, V2 + JOBS_PATH, callback=server)
    api = client()
    api.server_time = NOW  # Atlas's clock, as the snapshot list before this would have set it
    warnings = []
    return server, DownloadJobs(api, DownloadApi(api, Endpoints(GROUP[len('/groups/'):], 'Flex0', FLEX)), deadline=Deadline(60),
                                warn=warnings.append), warnings


@responses.activate
@pytest.mark.parametrize('recent', [[], [RECENT]])
def test_newest_first_reads_one_page_of_2160(recent):
    server, jobs, warnings = downloads(recent + old_jobs(2160))
    found, known = jobs.find(SID)
    assert server.pages == [1]  # the first page already reaches jobs a day old: nothing older could be reused
    assert (found or {}).get('id') == (RECENT['id'] if recent else None)
    assert known == ({RECENT['id']} if recent else set())  # only jobs that could still matter are kept
    assert warnings == []


@responses.activate
def test_a_page_of_recent_jobs_is_followed_by_the_next():
    recent = [dict(RECENT, id=f'e{number:023x}', status='FAILED', restoreScheduledDate=iso(NOW - datetime.timedelta(minutes=number)))
              for number in range(150)]
    server, jobs, _warnings = downloads(recent + old_jobs(2160))
    found, known = jobs.find(SID)
    assert server.pages == [1, 2] and found is None and len(known) == 150


@responses.activate
def test_oldest_first_is_noticed_read_to_the_end_and_warned_about_once():
    server, jobs, warnings = downloads(list(reversed([RECENT] + old_jobs(2160))))
    found, _known = jobs.find(SID)
    assert found['id'] == RECENT['id']  # the reusable job was on the last page: never missed
    assert server.pages == list(range(1, 23))
    jobs.jobs()
    assert len(warnings) == 1 and 'did not list the restore jobs of cluster Flex0 newest first' in warnings[0]


@responses.activate
def test_adoption_after_an_ambiguous_post_never_takes_an_old_job_for_ours():
    server, jobs, _warnings = downloads(old_jobs(2160))
    _found, known = jobs.find(SID)
    ours = dict(RECENT, id='d' * 24, status='QUEUED')
    server.jobs = [ours] + server.jobs  # the POST's answer was lost, Atlas made the job: every page shifts by one
    assert jobs._adopt(SID, known)['id'] == ours['id']  # pylint: disable=protected-access
    server.jobs = server.jobs[1:]
    assert jobs._adopt(SID, known) is None  # pylint: disable=protected-access

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""atlas_call: a service call's "Failed to <action>" and "missing -> None", declared once."""
from __future__ import annotations

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import REPLICA_SET, Endpoints
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import atlas_call

G = '5f1a2b3c4d5e6f7a8b9c0d1e'
WHERE = Endpoints(G, 'Cluster0', REPLICA_SET)


class Service:
    where = WHERE

    def __init__(self, err: AtlasApiError | None) -> None:
        self.err = err

    @atlas_call('read restore job {job_id} of cluster {cluster}', missing='job')
    def read(self, job_id: str) -> dict:
        if self.err:
            raise self.err
        return {'id': job_id}

    @atlas_call('cancel restore job {job[id]} of cluster {cluster}')
    def cancel(self, job: dict) -> None:
        raise t_err(404, 'RESTORE_JOB_NOT_FOUND')


@atlas_call('list the snapshots of cluster {cluster}')
def list_of(client: object, where: Endpoints) -> list:
    raise t_err(500, 'UNEXPECTED_ERROR')


def t_err(status: int, code: str) -> AtlasApiError:
    return AtlasApiError(status, code, 'Atlas said no.', 'GET', '/x')


def test_the_call_passes_through_when_atlas_answers():
    assert Service(None).read('j1') == {'id': 'j1'}


def test_missing_resource_is_none_only_where_declared():
    assert Service(t_err(404, 'RESTORE_JOB_NOT_FOUND')).read('j1') is None
    with pytest.raises(TaskError) as caught:  # cancel declares no missing: a vanished job is a failure there
        Service(None).cancel({'id': 'j2'})
    assert caught.value.msg.startswith('Failed to cancel restore job j2 of cluster Cluster0: ')
    assert caught.value.result == {'status': 404, 'error_code': 'RESTORE_JOB_NOT_FOUND'}


def test_other_errors_become_the_task_failure_with_the_call_words_and_the_code():
    with pytest.raises(TaskError) as caught:
        Service(t_err(404, 'CLUSTER_NOT_FOUND')).read('j3')
    assert caught.value.msg == (f'Failed to read restore job j3 of cluster Cluster0: no cluster named Cluster0 exists in project {G}. '
                                'Check cluster_name (CLUSTER_NOT_FOUND).')
    with pytest.raises(TaskError) as caught:
        list_of(object(), WHERE)
    assert caught.value.msg.startswith('Failed to list the snapshots of cluster Cluster0: ') and 'UNEXPECTED_ERROR' in caught.value.msg

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module base's pure pieces: actionable error messages and cluster-kind detection."""
from __future__ import annotations

import pytest

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._base import (
    FLEX, NO_BACKUP, REPLICA_SET, SHARDED, TENANT, cluster_kind_from_description, explain_error, snake_result,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import AtlasApiError


def error(status, code, detail='something'):
    return AtlasApiError(status=status, error_code=code, detail=detail, method='GET', path='/api/atlas/v2/groups/x')


@pytest.mark.parametrize('status, code, expected', [
    (401, 'UNEXPECTED_ERROR', 'api_private_key'),
    (401, 'USER_UNAUTHORIZED', 'role'),
    (403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', 'access list'),
    (403, 'ORG_REQUIRES_WHITELIST', 'access list'),
    (404, 'CLUSTER_NOT_FOUND', 'no cluster named Cluster0 exists in project g1'),
    (404, 'GROUP_NOT_FOUND', 'Check group_id'),
    (406, None, 'api_version'),
    (429, 'RATE_LIMITED_TOKEN_BUCKET', 'retries'),
    (None, None, 'could not reach Atlas'),
    (400, 'UNFINISHED_ON_DEMAND_SNAPSHOT', 'something (HTTP 400)'),
])
def test_explain_error_is_actionable(status, code, expected):
    msg = explain_error('do the thing', error(status, code), group_id='g1', cluster_name='Cluster0')
    assert msg.startswith('Failed to do the thing: ')
    assert expected in msg
    if code:
        assert msg.endswith(f'({code}).')


@pytest.mark.parametrize('doc, kind', [
    ({'clusterType': 'REPLICASET', 'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M10'}}]}], 'backupEnabled': True}, REPLICA_SET),
    ({'clusterType': 'SHARDED', 'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M30'}}]}]}, SHARDED),
    ({'clusterType': 'GEOSHARDED', 'providerSettings': {'instanceSizeName': 'M40'}}, SHARDED),
    ({'clusterType': 'REPLICASET', 'providerSettings': {'providerName': 'TENANT', 'instanceSizeName': 'M2'}}, TENANT),
    ({'clusterType': 'REPLICASET', 'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M5'}}]}]}, TENANT),
    ({'clusterType': 'REPLICASET', 'replicationSpecs': [{'regionConfigs': [{'electableSpecs': {'instanceSize': 'M0'}}]}]}, NO_BACKUP),
])
def test_cluster_kind_from_description(doc, kind):
    assert cluster_kind_from_description(doc).kind == kind
    assert kind != FLEX


def test_snake_result_drops_links():
    assert snake_result({'snapshotIds': ['a'], 'links': [], 'mongoDBVersion': '8.0'}) == {'snapshot_ids': ['a'], 'mongo_db_version': '8.0'}

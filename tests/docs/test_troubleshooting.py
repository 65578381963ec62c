# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The troubleshooting guide stays true: every message it quotes (each ``.. code-block:: text``, with <placeholders>
for the parts that vary) must match a message the modules really produce, and every message produced here must be
quoted in the guide. The messages come from real module runs against the simulator (PROVOKED: one task per error
class) and, for the classes a local simulator cannot provoke cheaply (rate limits running out, API version refused,
a proxy's 403, a server error), from the collection's own explain_error with the errors the client raises."""
from __future__ import annotations

import importlib
import json
import os
import re
import sys

import pytest

from conftest import DOCSITE, GROUP_ID

GUIDE = os.path.join(DOCSITE, 'rst', 'guide_troubleshooting.rst')
SNAPSHOT = 'mongodb_atlas.backup.atlas_snapshot'
INFO = 'mongodb_atlas.backup.atlas_snapshot_info'
DOWNLOAD = 'mongodb_atlas.backup.atlas_tenant_download'

SERVICE_ACCOUNT = 'mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01'
READ_ONLY_ACCOUNT = 'mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a02'

# name: (module, options); the play's module_defaults give the simulator's URL, project and owner key.
PROVOKED = {
    'wrong_key': (INFO, {'cluster_name': 'Cluster0', 'api_private_key': 'not-the-key'}),
    'no_role': (SNAPSHOT, {'cluster_name': 'Cluster0', 'description': 'x', 'retention_in_days': 1,
                           'api_public_key': 'reader-public', 'api_private_key': 'reader-private'}),
    'access_list': (INFO, {'cluster_name': 'Cluster0', 'api_public_key': 'blocked-public', 'api_private_key': 'blocked-private'}),
    'no_project': (INFO, {'cluster_name': 'Cluster0', 'group_id': '0123456789abcdef01234567'}),
    'no_cluster': (INFO, {'cluster_name': 'Nope0'}),
    'refused': (INFO, {'cluster_name': 'Cluster0', 'api_base_url': 'http://127.0.0.1:9', 'retries': 0}),
    'tls': (INFO, {'cluster_name': 'Cluster0', 'api_base_url': '{{ atlas_tls_url }}'}),
    'free_info': (INFO, {'cluster_name': 'Free0'}),
    'free_snapshot': (SNAPSHOT, {'cluster_name': 'Free0', 'description': 'x', 'retention_in_days': 1}),
    'flex_snapshot': (SNAPSHOT, {'cluster_name': 'Flex0', 'description': 'x', 'retention_in_days': 1}),
    'free_download': (DOWNLOAD, {'cluster_name': 'Free0'}),
    'dedicated_download': (DOWNLOAD, {'cluster_name': 'Cluster0'}),
    'retention_required': (SNAPSHOT, {'cluster_name': 'Cluster0', 'description': 'nothing like it'}),
    'snapshot_missing': (SNAPSHOT, {'cluster_name': 'Cluster0', 'snapshot_id': '65a000000000000000000999', 'retention_in_days': 3}),
    'download_snapshot_missing': (DOWNLOAD, {'cluster_name': 'Flex0', 'snapshot_id': '65a000000000000000000999'}),
    'dest_dir_missing': (DOWNLOAD, {'cluster_name': 'Flex0', 'dest': '{{ output_dir }}/no/such/dir/'}),
    'dest_needs_wait': (DOWNLOAD, {'cluster_name': 'Flex0', 'dest': '{{ output_dir }}/', 'wait': False}),
    'wait_timeout': (SNAPSHOT, {'cluster_name': 'Cluster0', 'description': 'slow', 'retention_in_days': 1, 'wait_timeout': 0}),
    # service accounts: the task's omit drops the play's API key, so only the service account is given
    'sa_wrong_secret': (INFO, {'cluster_name': 'Cluster0', 'api_public_key': '{{ omit }}', 'api_private_key': '{{ omit }}',
                               'client_id': SERVICE_ACCOUNT, 'client_secret': 'mdb_sa_sk_not-the-secret'}),
    'sa_no_role': (SNAPSHOT, {'cluster_name': 'Cluster0', 'description': 'x', 'retention_in_days': 1, 'api_public_key': '{{ omit }}',
                              'api_private_key': '{{ omit }}', 'client_id': READ_ONLY_ACCOUNT, 'client_secret': 'mdb_sa_sk_reader-secret-0002'}),
    'two_methods': (INFO, {'cluster_name': 'Cluster0', 'client_id': SERVICE_ACCOUNT, 'client_secret': 'mdb_sa_sk_owner-secret-0001'}),
    'client_id_as_key': (INFO, {'cluster_name': 'Cluster0', 'api_public_key': SERVICE_ACCOUNT}),
}


def load_errors_module(collections_path: str):
    """_explain from the installed collection (the one the provoked tasks run), with the module_utils it imports."""
    if collections_path not in sys.path:
        sys.path.insert(0, collections_path)
    return importlib.import_module('ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain')


def explained(collections_path: str) -> dict[str, str]:
    """explain_error for the error classes not provoked above, with the errors the client raises for them."""
    errors = load_errors_module(collections_path)
    path = f'/api/atlas/v2/groups/{GROUP_ID}/clusters/Cluster0/backup/snapshots'
    cases = {
        'rate_limited': errors.AtlasApiError(429, 'RATE_LIMITED_TOKEN_BUCKET', 'Too many requests.', 'GET', path),
        'version': errors.AtlasApiError(406, 'INVALID_VERSION_DATE', 'The version date is not valid.', 'GET', path),
        'forbidden': errors.AtlasApiError(403, None, 'Forbidden', 'GET', path),
        'request_error': errors.AtlasApiError(None, 'REQUEST_ERROR', 'could not send the request: No such file or directory', 'GET', path),
        'server_error': errors.AtlasApiError(500, 'UNEXPECTED_ERROR', 'Unexpected error.', 'GET', path),
        'token_limit': errors.AtlasApiError(403, 'OAUTH_ACCESS_DENIED', 'Access Token limit reached.', 'POST', '/api/oauth/token'),
    }
    return {name: errors.explain_error('list snapshots of cluster Cluster0', err, GROUP_ID, 'Cluster0') for name, err in cases.items()}


def provoked(runner, tmp_path) -> dict[str, str]:
    tasks = []
    for name, (module, options) in PROVOKED.items():
        tasks.append({'name': f'Provoke {name}', module: options, 'register': name, 'ignore_errors': True})
    tasks.append({'name': 'Save the messages', 'ansible.builtin.copy': {
        'dest': '{{ output_dir }}/messages.json', 'mode': '0600',
        'content': '{{ {' + ', '.join(f"'{name}': {name}.msg | default('')" for name in PROVOKED) + '} | to_json }}'}})
    task_file = tmp_path / 'provoke.yml'
    task_file.write_text(json.dumps(tasks))
    result = runner.run(str(task_file))
    assert result.returncode == 0, result.stdout[-20000:]
    with open(os.path.join(runner.tmp, 'messages.json'), encoding='utf-8') as handle:
        messages = json.load(handle)
    assert all(messages.values()), {name: msg for name, msg in messages.items() if not msg}  # each task failed, with a message
    return messages


def documented() -> list[str]:
    with open(GUIDE, encoding='utf-8') as handle:
        text = handle.read()
    blocks = re.findall(r'^\.\. code-block:: text\n\n((?:(?:   .*)?\n)+)', text, re.M)
    return [' '.join(line.strip() for line in block.strip().split('\n')) for block in blocks]


def pattern(block: str) -> re.Pattern:
    parts = re.split(r'<[^<>]+>', block)
    return re.compile('.+?'.join(re.escape(part) for part in parts), re.S)


@pytest.fixture(scope='module')
def messages(tmp_path_factory, collections_path, sim, sim_tls):
    from integration_harness import PlaybookRunner
    sim.reset()
    tmp = tmp_path_factory.mktemp('troubleshooting')
    found = provoked(PlaybookRunner(collections_path, sim, sim_tls, str(tmp)), tmp)
    found.update(explained(collections_path))
    return found


def test_every_message_is_in_the_guide(messages):
    blocks = documented()
    missing = {name: msg for name, msg in messages.items() if not any(pattern(block).fullmatch(msg) for block in blocks)}
    assert missing == {}, 'error messages the troubleshooting guide does not quote:\n' + json.dumps(missing, indent=1)


def test_every_quoted_message_is_real(messages):
    stale = [block for block in documented() if not any(pattern(block).fullmatch(msg) for msg in messages.values())]
    assert stale == [], f'the troubleshooting guide quotes messages the modules no longer produce: {stale}'

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The private key never appears in -vvv output, whether it is right, wrong, an option or an environment variable."""
from __future__ import annotations

import os

from conftest import TARGETS

SECRETS_PLAY = os.path.join(TARGETS, 'atlas_snapshot_info', 'files', 'verbose_secrets.yml')


def test_private_key_not_in_vvv_output(runner, sim):
    wrong = 'wrong-private-key-3f9a7c'
    env = {'MONGODB_ATLAS_PUBLIC_KEY': 'owner-public', 'MONGODB_ATLAS_PRIVATE_KEY': 'owner-private', 'WRONG_SECRET_FOR_TEST': wrong}
    result = runner.run(SECRETS_PLAY, verbosity=3, extra_env=env)
    assert result.returncode == 0, result.stdout[-20000:]
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in result.stdout  # -vvv did print the module arguments
    assert 'owner-private' not in result.stdout
    assert wrong not in result.stdout
    # the three tasks really talked to Atlas: 2 successes and 1 rejected key
    statuses = [entry['status'] for entry in sim.requests_log() if entry['path'].endswith('/clusters/Cluster0')]
    assert statuses.count(200) == 2


DOWNLOAD_PLAY = os.path.join(TARGETS, 'atlas_tenant_download', 'files', 'verbose_download.yml')


def test_signed_link_not_in_vvv_output_when_dest_is_set(runner, sim):
    result = runner.run(DOWNLOAD_PLAY, verbosity=3)
    assert result.returncode == 0, result.stdout[-20000:]
    assert result.stdout.count('link_expires_at') >= 3  # -vvv did print the results
    assert 'X-Amz-Signature' not in result.stdout and 'X-Amz-' not in result.stdout
    # the links really existed: the simulator handed out signed URLs and the archive was fetched with them
    fetches = [entry for entry in sim.requests_log() if entry['server'] == 'download']
    assert len(fetches) == 2 and all(entry['status'] == 200 for entry in fetches)
    for entry in fetches:
        signature = dict(pair.split('=', 1) for pair in entry['query'].split('&'))['X-Amz-Signature']
        assert len(signature) == 64 and signature not in result.stdout

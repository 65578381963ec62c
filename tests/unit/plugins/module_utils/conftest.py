# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the module_utils tests."""
from __future__ import annotations

import pytest

from ansible_collections.mongodb_atlas.backup.tests.unit.plugins.module_utils.atlas_http import ScriptedServer


@pytest.fixture
def scripted(monkeypatch):
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('NO_PROXY', '127.0.0.1,localhost')
    servers = []

    def start(behaviour):
        servers.append(ScriptedServer(behaviour))
        return servers[-1]

    yield start
    for server in servers:
        server.close()

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Constants and arguments shared by the module unit tests."""
from __future__ import annotations

import typing as t

GROUP_ID = '5f1a2b3c4d5e6f7a8b9c0d1e'
BASE = 'https://atlas.test'
API = f'{BASE}/api/atlas/v2/groups/{GROUP_ID}'


def connection_args(**extra: t.Any) -> dict[str, t.Any]:
    args = dict(api_base_url=BASE, api_public_key='pub', api_private_key='very-secret-private', group_id=GROUP_ID,
                retries=0, cluster_name='Cluster0')
    args.update(extra)
    return args

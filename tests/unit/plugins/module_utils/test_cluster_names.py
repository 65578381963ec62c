# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nearest existing cluster names offered when a cluster is not found: the one equal but for case first."""
from __future__ import annotations

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._cluster import nearest_names

NAMES = ['Cluster0', 'Cluster1', 'Sharded0', 'Staging0', 'Flex0']


def test_case_only_difference_comes_first():
    assert nearest_names('cluster0', NAMES)[0] == 'Cluster0'
    assert nearest_names('CLUSTER1', NAMES)[0] == 'Cluster1'


def test_typo_gets_close_spellings_at_most_three():
    near = nearest_names('Clustr0', NAMES)
    assert near[0] == 'Cluster0' and 'Cluster1' in near and len(near) <= 3
    assert nearest_names('Staging1', NAMES)[0] == 'Staging0'


def test_nothing_near_gives_nothing():
    assert nearest_names('Nope0', NAMES) == []
    assert nearest_names('cluster0', []) == []

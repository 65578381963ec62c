# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The docs suite reuses the integration harness (tests/integration/conftest.py): the simulator fixtures and the
PlaybookRunner, loaded under another module name so the two conftest files do not collide."""
from __future__ import annotations

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOCSITE = os.path.join(ROOT, 'docs', 'docsite')
PLAYBOOKS = os.path.join(DOCSITE, 'playbooks')

_spec = importlib.util.spec_from_file_location('integration_harness', os.path.join(ROOT, 'tests', 'integration', 'conftest.py'))
harness = importlib.util.module_from_spec(_spec)
sys.modules['integration_harness'] = harness
_spec.loader.exec_module(harness)

GROUP_ID = harness.GROUP_ID
sim = harness.sim
sim_tls = harness.sim_tls
collections_path = harness.collections_path
runner = harness.runner

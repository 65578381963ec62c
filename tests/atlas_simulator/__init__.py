# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local stand-in for the MongoDB Atlas backup API: the demo's default and the integration test bed.

Start it with `PYTHONPATH=tests python -m atlas_simulator --host 127.0.0.1 --port 18080`.
"""
from __future__ import annotations

GROUP_ID = '5f1a2b3c4d5e6f7a8b9c0d1e'

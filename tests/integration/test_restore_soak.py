# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The short restore soak of make test (issue 17, item 10): 25 runs of atlas_restore_job with about a fifth of the
requests faulted, judged by tests/integration/soak_restore.py from the simulator's state, its request log and the
disk. make soak runs the long one (120 runs) and writes tests/benchmarks/results/restore_soak.md."""
from __future__ import annotations

import os

from soak_restore import soak

RUNS = int(os.environ.get('SOAK_RUNS', '25'))


def test_restore_soak(sim, collections_path, tmp_path):
    tally, text = soak(sim.url, sim.control, collections_path, RUNS, seed=int(os.environ.get('SOAK_SEED', '1017')), work=str(tmp_path))
    print(text)
    assert tally.runs == RUNS and not tally.missing, text
    assert tally.faults_fired >= tally.requests // 10, text  # the soak really faults (about 20 %)
    assert tally.duplicates == [], text
    assert tally.partial == [], text
    assert tally.tracebacks == [], text
    assert tally.unexplained == [], text
    assert tally.check_violations == [], text
    assert tally.secrets == [], text

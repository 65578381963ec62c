# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Atlas simulator as a process of its own, for the benchmarks (each is run as a script from this folder)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Benchmarks measure the collection, not Atlas's rate limits: a bucket no run can empty.
NO_RATE_LIMIT = {'rate_limit': {'capacity': 100000, 'refill': 100000, 'period': 1}}


def start_simulator(tmp: str, config: dict[str, t.Any]) -> tuple[subprocess.Popen, str]:
    """Start the simulator on a free port of 127.0.0.1 with this config (written to tmp/sim.json); its process and URL."""
    path = os.path.join(tmp, 'sim.json')
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(config, handle)
    proc = subprocess.Popen([sys.executable, '-m', 'atlas_simulator', '--port', '0', '--config', path],  # pylint: disable=consider-using-with
                            env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'tests')), stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ''
    if 'ready on' not in line:
        proc.terminate()
        raise SystemExit(f'simulator did not start: {line!r}')
    return proc, line.rsplit(' ', 1)[1].strip()

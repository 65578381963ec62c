# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for ansible-test's get-pip bootstrap script.

ansible-test downloads get-pip.py from a host this machine cannot reach. This stand-in is placed in
its cache instead: it bootstraps pip from the standard library's ensurepip, then installs the
requested packages from the configured package index.
"""
from __future__ import annotations

import os
import subprocess
import sys

# Flags only get-pip.py understands.
GET_PIP_ONLY_FLAGS = {'--no-setuptools', '--no-wheel', '--no-pip'}


def main() -> int:
    """Bootstrap pip, then install the requested packages."""
    saved_env = dict(os.environ)  # ensurepip clears PIP_* variables; pip needs this machine's settings back
    subprocess.run([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'], check=True, stdout=subprocess.DEVNULL)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    if not args:
        return 0
    return subprocess.run([sys.executable, '-m', 'pip', 'install'] + args, env=saved_env, check=False).returncode


if __name__ == '__main__':
    sys.exit(main())

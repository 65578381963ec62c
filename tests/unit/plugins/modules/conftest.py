# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process with given arguments and capture its JSON result."""
from __future__ import annotations

import json
import typing as t

import pytest
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args


@pytest.fixture(autouse=True)
def no_warnings_from_earlier_tests() -> None:
    """Ansible keeps module warnings in a process-wide registry; each in-process module run starts clean, as a real one does."""
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access


@pytest.fixture
def run_module(capsys: pytest.CaptureFixture[str]) -> t.Callable[..., dict[str, t.Any]]:
    """Call run_module(main, args) -> the module's result dict (failed results included)."""

    def _run(main: t.Callable[[], None], args: dict[str, t.Any]) -> dict[str, t.Any]:
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                main()
        out = capsys.readouterr().out
        return json.loads(out)

    return _run

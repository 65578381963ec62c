# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process with given arguments and capture its JSON result."""
from __future__ import annotations

import contextlib
import json
import typing as t
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings

try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19 and newer
except ImportError:  # ansible-core 2.17 and 2.18: _load_params() reads the arguments from basic._ANSIBLE_ARGS (bytes)
    @contextlib.contextmanager
    def patch_module_args(args: dict[str, t.Any] | None = None) -> t.Iterator[None]:
        """Expose the given module args to AnsibleModule instances created within this context (the pre-2.19 way)."""
        payload = json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}).encode('utf-8')
        with mock.patch.object(basic, '_ANSIBLE_ARGS', payload):
            yield


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

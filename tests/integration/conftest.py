# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration harness: starts the Atlas simulator (plain HTTP and TLS) on 127.0.0.1 and runs the
targets' task files with ansible-playbook against the INSTALLED collection.

The collection comes from ATLAS_COLLECTIONS_PATH (make test builds and installs the tarball there);
without it, the harness builds and installs the working tree into a temporary directory.
"""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time
import typing as t

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = os.path.join(ROOT, 'tests', 'integration', 'targets')
GROUP_ID = '5f1a2b3c4d5e6f7a8b9c0d1e'
BIN = os.path.dirname(sys.executable)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line('markers', 'default_variant: a scenario on v2, newest first: what ansible-test integration also runs '
                                       '(make test deselects these here)')


class Simulator:
    """A running simulator process and how to reach it."""

    def __init__(self, tls: bool, tmp: str) -> None:
        cmd = [sys.executable, '-m', 'atlas_simulator', '--host', '127.0.0.1', '--port', '0']
        if tls:
            cmd.append('--tls')
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'tests'))
        self.log_path = os.path.join(tmp, 'simulator-tls.log' if tls else 'simulator.log')
        self._log = open(self.log_path, 'w+', encoding='utf-8')  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT, text=True)  # pylint: disable=consider-using-with
        self.url = ''
        self.ca_path = ''
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not self.url:
            if self.proc.poll() is not None:
                raise RuntimeError('simulator exited early: ' + self._read_log())
            for line in self._read_log().splitlines():
                if line.startswith('atlas simulator CA file: '):
                    self.ca_path = line.split(': ', 1)[1].strip()
                if line.startswith('atlas simulator ready on '):
                    self.url = line.rsplit(' ', 1)[1].strip()
            time.sleep(0.05)
        if not self.url:
            self.stop()
            raise RuntimeError('simulator did not report ready: ' + self._read_log())
        self.control = self.url + '/__sim__'
        self.verify: t.Union[str, bool] = self.ca_path or True

    def _read_log(self) -> str:
        self._log.flush()
        with open(self.log_path, encoding='utf-8') as handle:
            return handle.read()

    def reset(self, config: dict | None = None) -> None:
        body = {'config': config} if config else {}
        requests.post(self.control + '/reset', json=body, timeout=10, verify=self.verify).raise_for_status()

    def requests_log(self) -> list[dict]:
        return requests.get(self.control + '/requests', timeout=10, verify=self.verify).json()['requests']

    def state(self, group_id: str | None = None) -> dict:
        """The home project's state, or that of the fleet project group_id."""
        query = f'?group_id={group_id}' if group_id else ''
        return requests.get(self.control + '/state' + query, timeout=10, verify=self.verify).json()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


@pytest.fixture(scope='session')
def sim(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Simulator]:
    simulator = Simulator(tls=False, tmp=str(tmp_path_factory.mktemp('sim')))
    yield simulator
    simulator.stop()


@pytest.fixture(scope='session')
def sim_tls(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Simulator]:
    simulator = Simulator(tls=True, tmp=str(tmp_path_factory.mktemp('sim-tls')))
    yield simulator
    simulator.stop()


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = os.environ.get('ATLAS_COLLECTIONS_PATH')
    if path:
        return path
    out = str(tmp_path_factory.mktemp('collections'))
    subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', out, ROOT],
                   check=True, stdout=subprocess.DEVNULL)
    tarball = glob.glob(os.path.join(out, 'mongodb_atlas-backup-*.tar.gz'))[0]
    subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--force', '-p', out, tarball],
                   check=True, stdout=subprocess.DEVNULL)
    return out


PLAY = """
- name: Integration scenario {scenario}
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
  module_defaults:
    group/mongodb_atlas.backup.atlas:
      api_base_url: "{{{{ atlas_url }}}}"
      api_version: "{{{{ atlas_api_version }}}}"
      group_id: "{{{{ atlas_group_id }}}}"
      api_public_key: owner-public
      api_private_key: owner-private
  tasks:
    - name: Run {scenario}
      ansible.builtin.include_tasks: {path}
"""


class PlaybookRunner:
    """Runs one target task file as a play against the simulators."""

    def __init__(self, collections: str, sim: Simulator, sim_tls: Simulator, tmp: str) -> None:
        self.collections = collections
        self.sim = sim
        self.sim_tls = sim_tls
        self.tmp = tmp

    def command(self, playbook_or_task_file: str, verbosity: int = 0, extra_env: dict | None = None, check: bool = False,
                api_version: str = 'v2', extra_args: list | None = None, inventory: bool = True) -> tuple[list[str], dict[str, str]]:
        """The ansible-playbook command and environment for a task file (wrapped in PLAY) or a whole playbook (*play.yml).

        inventory=False runs without -i, on Ansible's implicit localhost, as a user pasting a playbook would."""
        if playbook_or_task_file.endswith('play.yml'):
            playbook = playbook_or_task_file
        else:
            scenario = os.path.relpath(playbook_or_task_file, TARGETS)
            playbook = os.path.join(self.tmp, 'play.yml')
            with open(playbook, 'w', encoding='utf-8') as handle:
                handle.write(PLAY.format(scenario=scenario, path=json.dumps(playbook_or_task_file)))
        extra_vars = {
            'atlas_url': self.sim.url,
            'atlas_api_version': api_version,
            'atlas_group_id': GROUP_ID,
            'sim_control': self.sim.control,
            'atlas_tls_url': self.sim_tls.url,
            'sim_tls_control': self.sim_tls.control,
            'atlas_ca_path': self.sim_tls.ca_path,
            'output_dir': self.tmp,
        }
        vars_file = os.path.join(self.tmp, 'vars.json')
        with open(vars_file, 'w', encoding='utf-8') as handle:
            json.dump(extra_vars, handle)
        env = dict(os.environ)
        for name in list(env):
            if name.startswith('MONGODB_ATLAS_'):
                del env[name]
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': self.collections,
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'ANSIBLE_FORCE_COLOR': 'false',
            'ANSIBLE_NOCOLOR': 'true',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'ANSIBLE_CALLBACK_RESULT_FORMAT': 'yaml',
            'PATH': BIN + os.pathsep + env.get('PATH', ''),
        })
        env.update(extra_env or {})
        cmd = [os.path.join(BIN, 'ansible-playbook')] + (['-i', 'localhost,'] if inventory else [])
        cmd += ['-e', '@' + vars_file, playbook] + list(extra_args or [])
        if verbosity:
            cmd.append('-' + 'v' * verbosity)
        if check:
            cmd.append('--check')
        return cmd, env

    def run(self, task_file: str, verbosity: int = 0, extra_env: dict | None = None, check: bool = False,
            api_version: str = 'v2', extra_args: list | None = None, inventory: bool = True) -> subprocess.CompletedProcess:
        cmd, env = self.command(task_file, verbosity, extra_env, check, api_version, extra_args, inventory)
        return subprocess.run(cmd, env=env, cwd=self.tmp, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def start(self, playbook: str, **kwargs: t.Any) -> subprocess.Popen:
        """Start ansible-playbook without waiting (for tests that signal the module mid-run)."""
        cmd, env = self.command(playbook, **kwargs)
        return subprocess.Popen(cmd, env=env, cwd=self.tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # pylint: disable=consider-using-with


@pytest.fixture
def runner(collections_path: str, sim: Simulator, sim_tls: Simulator, tmp_path: t.Any) -> PlaybookRunner:
    sim.reset()
    sim_tls.reset()
    return PlaybookRunner(collections_path, sim, sim_tls, str(tmp_path))

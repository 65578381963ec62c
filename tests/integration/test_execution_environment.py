# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""execution-environment.yml builds an EE with this collection and its Python dependencies.

No container engine here: `ansible-builder create` writes the build context, then the two stages that matter are
replayed from it without a container: the galaxy stage's `ansible-galaxy collection install -r requirements.yml` (in
_build, as the Containerfile's WORKDIR /build) and the builder stage's introspect command, exactly as the Containerfile
spells it. The collection it installs must be the one the tarball installs, and the requirements it gathers must hold
requests and no system Python.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess

import pytest
import yaml

from conftest import BIN, ROOT


def run(cmd: list[str], cwd: str) -> str:
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get('PATH', ''), ANSIBLE_NOCOLOR='true')
    proc = subprocess.run(cmd, cwd=cwd, env=env, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout
    return proc.stdout


@pytest.fixture(scope='module')
def context(tmp_path_factory: pytest.TempPathFactory) -> str:
    ctx = str(tmp_path_factory.mktemp('ee') / 'context')
    run([os.path.join(BIN, 'ansible-builder'), 'create', '-f', os.path.join(ROOT, 'execution-environment.yml'), '-c', ctx], cwd=ROOT)
    return ctx


def containerfile(context: str) -> str:
    name = next(name for name in ('Containerfile', 'Dockerfile') if os.path.isfile(os.path.join(context, name)))
    with open(os.path.join(context, name), encoding='utf-8') as handle:
        return handle.read()


def files_of(collection_dir: str) -> dict[str, str]:
    """path -> sha256 of the collection's runtime files (plugins/ and meta/), from its FILES.json."""
    with open(os.path.join(collection_dir, 'FILES.json'), encoding='utf-8') as handle:
        entries = json.load(handle)['files']
    return {entry['name']: entry['chksum_sha256'] for entry in entries
            if entry['ftype'] == 'file' and entry['name'].split('/')[0] in ('plugins', 'meta') and '__pycache__' not in entry['name']}


def test_context_holds_the_collection_and_requests(context):
    with open(os.path.join(context, '_build', 'requirements.yml'), encoding='utf-8') as handle:
        galaxy = yaml.safe_load(handle)
    [entry] = galaxy['collections']
    assert entry['type'] == 'dir'
    source = os.path.join(context, '_build', entry['name'])
    with open(os.path.join(source, 'galaxy.yml'), encoding='utf-8') as handle:
        meta = yaml.safe_load(handle)
    assert (meta['namespace'], meta['name']) == ('mongodb_atlas', 'backup')
    assert os.path.isfile(os.path.join(source, 'plugins', 'modules', 'atlas_snapshot.py'))
    with open(os.path.join(context, '_build', 'requirements.txt'), encoding='utf-8') as handle:
        python = [line.split('#')[0].strip() for line in handle if line.split('#')[0].strip()]
    assert [line for line in python if re.match(r'requests\b', line)] == ['requests>=2.28']
    text = containerfile(context)
    assert 'ARG PYCMD="/usr/bin/python3.11"' in text  # ansible-core 2.19 runs on 3.11; ubi9's python3 is 3.9


def test_galaxy_and_builder_stages_install_the_collection_with_its_dependencies(context, collections_path, tmp_path):
    build = os.path.join(context, '_build')
    text = containerfile(context)
    # the galaxy stage, as the Containerfile runs it (WORKDIR /build = _build), into a folder of ours
    assert re.search(r'^RUN .*ansible-galaxy collection install .*-r requirements.yml', text, re.M)
    installed = str(tmp_path / 'usr_share_ansible' / 'collections')
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '-r', 'requirements.yml', '--collections-path', installed], cwd=build)
    in_ee = os.path.join(installed, 'ansible_collections', 'mongodb_atlas', 'backup')
    from_tarball = os.path.join(collections_path, 'ansible_collections', 'mongodb_atlas', 'backup')
    assert files_of(in_ee) and files_of(in_ee) == files_of(from_tarball)  # every module, module_util and meta file, byte for byte

    # the builder stage's introspect line, with its paths mapped into the context and our folder
    line = re.search(r'^RUN \$PYCMD /output/scripts/introspect.py (introspect .*)$', text, re.M)
    assert line
    args = shlex.split(line.group(1))
    pip_out, bindep_out = str(tmp_path / 'requirements.txt'), str(tmp_path / 'bindep.txt')
    args = [re.sub(r'^--write-pip=.*', f'--write-pip={pip_out}', re.sub(r'^--write-bindep=.*', f'--write-bindep={bindep_out}', arg))
            for arg in args]
    # the Containerfile copies _build/requirements.txt (and bindep.txt, when the EE lists system packages) into WORKDIR
    run([os.path.join(BIN, 'python'), os.path.join(build, 'scripts', 'introspect.py'), args[0], installed] + args[1:], cwd=build)
    with open(pip_out, encoding='utf-8') as handle:
        pip = handle.read()
    assert re.search(r'^requests>=2\.28', pip, re.M), pip
    bindep = ''
    if os.path.exists(bindep_out):  # written only when some collection lists system packages
        with open(bindep_out, encoding='utf-8') as handle:
            bindep = handle.read()
    assert not re.search(r'^\s*python3?\b', bindep, re.M), bindep  # no second system Python in a RHEL-based image


def test_introspect_of_the_installed_collection(collections_path):
    """What `ansible-builder introspect` reports for the collection as Galaxy users install it (the tarball)."""
    out = run([os.path.join(BIN, 'ansible-builder'), 'introspect', '--sanitize', collections_path], cwd=ROOT)
    data = yaml.safe_load(out.split('---', 1)[1])
    assert [line.split('#')[0].strip() for line in data['python']] == ['requests>=2.28']
    assert data['system'] == []

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the documentation site into build/docs/ (make docs), offline, from the collection itself.

The antsibull-docs way: `antsibull-docs sphinx-init` writes a Sphinx project for the collection, `antsibull-docs
collection` turns the modules' DOCUMENTATION/EXAMPLES/RETURN and docs/docsite/ (extra-docs.yml + rst/: the guides and
the changelog) into RST, and sphinx-build renders it with warnings as errors. The collection is read from a copy of the
tracked tree (a collection must sit at .../ansible_collections/<namespace>/<name>), never from Galaxy.

Offline: the generated conf.py maps Ansible's own docs through intersphinx, which would download objects.inv. Instead
this script writes a tiny local inventory of the few Ansible docsite labels the generated pages link to (LABELS); a new
one shows up as a build error (undefined label) and belongs in LABELS.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, '.venv', 'bin')
WORK = os.path.join(ROOT, 'build', 'docs-src')
COLLECTIONS = os.path.join(WORK, 'collections')
COPY = os.path.join(COLLECTIONS, 'ansible_collections', 'mongodb_atlas', 'backup')
SITE = os.path.join(WORK, 'site')
OUT = os.path.join(ROOT, 'build', 'docs')
ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'

# Labels of the Ansible docsite that antsibull-docs' generated pages refer to: (label, page, title).
LABELS = (
    ('common_return_values', 'reference_appendices/common_return_values.html', 'Return Values'),
    ('ansible_configuration_settings', 'reference_appendices/config.html', 'Ansible Configuration Settings'),
    ('module_defaults', 'playbook_guide/playbooks_module_defaults.html', 'Module defaults'),
    ('check_mode_dry', 'playbook_guide/playbooks_checkmode.html', 'Validating tasks: check mode and diff mode'),
    ('execution_environments', 'getting_started_ee/index.html', 'Getting started with Execution Environments'),
)


def env() -> dict[str, str]:
    full = dict(os.environ)
    full['PATH'] = VENV_BIN + os.pathsep + full.get('PATH', '')
    full['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS
    return full


def run(cmd: list[str], cwd: str = ROOT) -> None:
    """Run a build step quietly: its output is shown only when it fails. (antsibull-docs sphinx-init, for one, ends by
    suggesting `pip install -r requirements.txt; ./build.sh` for the project it writes, which is not for a user of
    make docs to run: this script is that build.)"""
    proc = subprocess.run(cmd, cwd=cwd, env=env(), check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        print('+ ' + ' '.join(cmd), file=sys.stderr)
        print(proc.stdout, end='', file=sys.stderr, flush=True)
        raise subprocess.CalledProcessError(proc.returncode, cmd)


def copy_collection() -> None:
    """The tracked (and untracked, not ignored) files, where ansible-doc finds the collection."""
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'], cwd=ROOT, check=True,
                           stdout=subprocess.PIPE, text=True).stdout.splitlines()
    shutil.rmtree(COLLECTIONS, ignore_errors=True)
    for rel in files:
        src = os.path.join(ROOT, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(COPY, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(COPY, rel))


def write_inventory(path: str) -> None:
    """A Sphinx objects.inv (version 2) holding LABELS, so intersphinx resolves them without a download."""
    lines = ''.join(f'{label} std:label -1 {page} {title}\n' for label, page, title in LABELS)
    header = b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n# The remainder of this file is compressed using zlib.\n'
    with open(path, 'wb') as handle:
        handle.write(header + zlib.compress(lines.encode('utf-8')))


def sphinx_init() -> None:
    shutil.rmtree(SITE, ignore_errors=True)
    os.makedirs(SITE, mode=0o700)  # antsibull-docs wants a directory only its owner can write
    version = next(line.split(':', 1)[1].strip() for line in open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8')
                   if line.startswith('version:'))
    run(['antsibull-docs', 'sphinx-init', '--use-current', '--squash-hierarchy', '--fail-on-error', '--no-add-antsibull-docs-version',
         '--dest-dir', SITE, '--project', 'mongodb_atlas.backup', '--copyright', 'mongodb_atlas.backup contributors',
         '--title', f'mongodb_atlas.backup {version}', '--html-short-title', 'mongodb_atlas.backup', 'mongodb_atlas.backup'])
    write_inventory(os.path.join(SITE, 'ansible_devel.inv'))
    with open(os.path.join(SITE, 'conf.py'), 'a', encoding='utf-8') as handle:
        handle.write('\n# Offline (tools/build_docs.py): only the local inventory of the Ansible labels the pages link to.\n'
                     f"intersphinx_mapping = {{'ansible_devel': ({ANSIBLE_DOCS!r}, {os.path.join(SITE, 'ansible_devel.inv')!r})}}\n")


def build() -> None:
    rst = os.path.join(SITE, 'rst')
    os.makedirs(rst, exist_ok=True)
    os.chmod(rst, 0o755)
    run(['antsibull-docs', '--config-file', os.path.join(SITE, 'antsibull-docs.cfg'), 'collection', '--cleanup', 'everything',
         '--fail-on-error', '--use-current', '--squash-hierarchy', '--no-add-antsibull-docs-version', '--dest-dir', rst,
         'mongodb_atlas.backup'])
    shutil.rmtree(OUT, ignore_errors=True)
    run([os.path.join(VENV_BIN, 'sphinx-build'), '-q', '-b', 'html', '-W', '--keep-going', '-c', SITE, rst, OUT], cwd=SITE)


def lint() -> None:
    run(['antsibull-docs', 'lint-collection-docs', '--plugin-docs', COPY])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description='Build the documentation site into build/docs/.')
    parser.add_argument('--lint-only', action='store_true', help='run antsibull-docs lint-collection-docs instead of building')
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        copy_collection()
        if args.lint_only:
            lint()
            print(f'docs: lint-collection-docs clean in {time.monotonic() - start:.0f} s')
            return 0
        sphinx_init()
        build()
    except subprocess.CalledProcessError as exc:
        print(f'docs: {exc.cmd[0]} failed with exit code {exc.returncode}', file=sys.stderr)
        return 1
    print(f'docs: built in {time.monotonic() - start:.0f} s; open {os.path.relpath(OUT, ROOT)}/index.html in a browser')
    return 0


if __name__ == '__main__':
    sys.exit(main())

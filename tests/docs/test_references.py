# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No document in the repository cites a file that is not in it: every repository path a README or guide names (in a
Markdown link, or quoted as a path under one of the tree's top directories) is a tracked file or directory, and no
document points at notes that live outside the repository (FACTS.md, ../shared/)."""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from conftest import ROOT

TOP = ('docs/', 'tests/', 'plugins/', 'extensions/', 'tools/', 'changelogs/', 'meta/')
ELSEWHERE: set[str] = set()  # documents exempt from the check: none


def tracked() -> tuple[set[str], set[str]]:
    files = set(subprocess.run(['git', 'ls-files'], cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout.split())
    dirs = {os.path.dirname(path) for path in files}
    for path in list(dirs):
        while path:
            dirs.add(path)
            path = os.path.dirname(path)
    return files, dirs


FILES, DIRS = tracked()
DOCUMENTS = sorted(path for path in FILES if path.endswith(('.md', '.rst')) and path not in ELSEWHERE
                   and not path.startswith('tests/output') and path != 'docs/docsite/rst/changelog.rst')


def cited(path: str, text: str) -> set[str]:
    found = set()
    for link in re.findall(r'\]\(([^)#\s]+)\)', text):
        if not link.startswith(('http://', 'https://', 'mailto:', 'build/')):
            found.add(os.path.normpath(os.path.join(os.path.dirname(path), link)))
    for quoted in re.findall(r'`+([A-Za-z0-9_./-]+)`+', text):
        if quoted.startswith(TOP) and '*' not in quoted:
            found.add(quoted.rstrip('/'))
    return found


@pytest.mark.parametrize('document', DOCUMENTS)
def test_document_cites_only_files_in_the_repository(document):
    with open(os.path.join(ROOT, document), encoding='utf-8') as handle:
        text = handle.read()
    missing = sorted(path for path in cited(document, text) if path not in FILES and path not in DIRS)
    assert missing == [], f'{document} cites {missing}, which the repository does not hold'
    assert 'FACTS.md' not in text and '../shared/' not in text, f'{document} cites notes outside the repository'

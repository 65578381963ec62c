# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's Use example runs as pasted: in check mode (nothing written, even where its directory does not exist yet)
and for real, against the simulator with the credentials in the environment as the README says."""
from __future__ import annotations

import os
import re

from conftest import GROUP_ID, ROOT


def readme_play() -> str:
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as handle:
        text = handle.read()
    use = text.split('\n## Use\n', 1)[1]
    return re.search(r'```yaml\n(.*?)```', use, re.S).group(1)


def env_for(sim) -> dict:
    return {'MONGODB_ATLAS_BASE_URL': sim.url, 'MONGODB_ATLAS_PUBLIC_KEY': 'owner-public',
            'MONGODB_ATLAS_PRIVATE_KEY': 'owner-private', 'MONGODB_ATLAS_PROJECT_ID': GROUP_ID}


def test_readme_use_example_runs_in_check_mode_as_pasted(runner, sim, tmp_path):
    play = tmp_path / 'readme-play.yml'
    play.write_text(readme_play())
    result = runner.run(str(play), check=True, extra_env=env_for(sim), inventory=False)
    assert result.returncode == 0 and 'failed=0' in result.stdout, result.stdout[-20000:]
    assert 'does not exist yet' in result.stdout  # /srv/backups/flex0 would be created by the task before
    assert [entry['method'] for entry in sim.requests_log() if entry['server'] == 'api' and entry['method'] != 'GET'] == []
    assert not [entry for entry in sim.requests_log() if entry['server'] == 'download']


def test_readme_use_example_runs_for_real(runner, sim, tmp_path):
    play = tmp_path / 'readme-play.yml'
    play.write_text(readme_play())
    backup_dir = tmp_path / 'backups'
    result = runner.run(str(play), extra_env=env_for(sim), extra_args=['-e', f'backup_dir={backup_dir}'], inventory=False)
    assert result.returncode == 0 and 'failed=0' in result.stdout, result.stdout[-20000:]
    archives = os.listdir(backup_dir)
    assert len(archives) == 1 and archives[0].endswith('.tgz')
    assert os.stat(backup_dir / archives[0]).st_mode & 0o777 == 0o600
    assert 'X-Amz-Signature' not in result.stdout

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The guides cannot rot: each guide's playbook (docs/docsite/playbooks/) is shown verbatim in its page, and runs
against the simulator as a user would run it (implicit localhost, credentials from the environment), checked against
the simulator's own state and request log. Also: the changelog page is what antsibull-changelog generates today."""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import DOCSITE, GROUP_ID, PLAYBOOKS, ROOT

RST = os.path.join(DOCSITE, 'rst')


def env_for(sim) -> dict:
    return {'MONGODB_ATLAS_BASE_URL': sim.url, 'MONGODB_ATLAS_PUBLIC_KEY': 'owner-public',
            'MONGODB_ATLAS_PRIVATE_KEY': 'owner-private', 'MONGODB_ATLAS_PROJECT_ID': GROUP_ID}


def code_blocks(rst_text: str) -> list[str]:
    """The bodies of the code-block directives of an RST page, dedented."""
    blocks = []
    for match in re.finditer(r'^\.\. code-block:: \S+\n\n((?:(?:   .*)?\n)+)', rst_text, re.M):
        lines = match.group(1).rstrip('\n').split('\n')
        blocks.append('\n'.join(line[3:] for line in lines) + '\n')
    return blocks


def play(runner, sim, name: str, *extra: str, check: bool = False, **kwargs):
    # the harness runs a file named *play.yml as a whole playbook (anything else as a task file): a verbatim copy
    copy = os.path.join(runner.tmp, name.replace('.yml', '.play.yml'))
    shutil.copy(os.path.join(PLAYBOOKS, name), copy)
    result = runner.run(copy, check=check, extra_env=env_for(sim), inventory=False,
                        extra_args=list(extra), **kwargs)
    assert result.returncode == 0 and 'failed=0' in result.stdout, result.stdout[-20000:]
    return result


def recap_changed(stdout: str) -> int:
    return int(re.search(r'localhost\s*: ok=\d+\s+changed=(\d+)', stdout).group(1))


@pytest.mark.parametrize('playbook', sorted(os.path.basename(path) for path in glob.glob(os.path.join(PLAYBOOKS, '*.yml'))))
def test_guide_shows_its_playbook_verbatim(playbook):
    with open(os.path.join(PLAYBOOKS, playbook), encoding='utf-8') as handle:
        text = handle.read()
    pages = [path for path in glob.glob(os.path.join(RST, '*.rst')) if text in code_blocks(open(path, encoding='utf-8').read())]
    assert pages, f'no guide in {RST} shows {playbook} verbatim in a code-block'


def test_getting_started(runner, sim):
    checked = play(runner, sim, 'getting_started.yml', check=True)
    assert 'snapshots of a replicaSet cluster' in checked.stdout
    assert [entry for entry in sim.requests_log() if entry['method'] != 'GET'] == []
    first = play(runner, sim, 'getting_started.yml')
    assert recap_changed(first.stdout) == 1
    taken = [snap for snap in sim.state()['clusters']['Cluster0']['snapshots'] if snap.get('description') == 'my first snapshot']
    assert len(taken) == 1 and taken[0]['status'] == 'completed'
    assert recap_changed(play(runner, sim, 'getting_started.yml').stdout) == 0


def test_nightly_backups(runner, sim, tmp_path):
    setup = tmp_path / 'pre_upgrade.yml'
    setup.write_text('- name: A snapshot taken before an upgrade\n  mongodb_atlas.backup.atlas_snapshot:\n    cluster_name: Cluster0\n'
                     '    description: pre-upgrade\n    retention_in_days: 30\n')
    result = runner.run(str(setup))
    assert result.returncode == 0, result.stdout[-20000:]
    first = play(runner, sim, 'nightly_backups.yml')
    assert 'took ' in first.stdout
    on_demand = [snap for snap in sim.state()['clusters']['Cluster0']['snapshots'] if snap.get('snapshotType') == 'onDemand']
    assert [snap['description'] for snap in on_demand] == ['nightly']  # pre-upgrade cleaned up
    assert on_demand[0]['status'] == 'completed'
    again = play(runner, sim, 'nightly_backups.yml')
    assert recap_changed(again.stdout) == 0 and 'kept ' in again.stdout
    posts = [entry for entry in sim.requests_log() if entry['method'] == 'POST' and entry['status'] == 200]
    assert len(posts) == 2  # the pre-upgrade snapshot and one nightly snapshot, whatever the number of runs


def test_nightly_all_clusters(runner, sim):
    first = play(runner, sim, 'nightly_all_clusters.yml')
    dedicated = ('Cluster0', 'Sharded0', 'Staging0')
    for name, cluster in sim.state()['clusters'].items():
        nightly = [snap for snap in cluster['snapshots'] if snap.get('description') == 'nightly']
        assert [snap['status'] for snap in nightly] == (['completed'] if name in dedicated else []), name
    assert "took ['Cluster0', 'Sharded0', 'Staging0']" in first.stdout
    before = len(sim.requests_log())
    again = play(runner, sim, 'nightly_all_clusters.yml')
    assert recap_changed(again.stdout) == 0 and 'took []' in again.stdout
    log = [entry for entry in sim.requests_log()[before:] if entry['server'] == 'api']
    # one task: the challenge, the two cluster lists, one snapshot list per cluster with backups (5 of the 6)
    assert len(log) == 8 and {entry['method'] for entry in log} == {'GET'}


def test_flex_downloads(runner, sim, tmp_path):
    backup_dir = tmp_path / 'flex0'
    first = play(runner, sim, 'flex_downloads.yml', '-e', f'backup_dir={backup_dir}')
    archives = os.listdir(backup_dir)
    assert len(archives) == 1 and archives[0].endswith('.tgz')
    assert subprocess.run(['tar', '-tzf', str(backup_dir / archives[0])], check=False, stdout=subprocess.DEVNULL).returncode == 0
    assert 'changed=True' in first.stdout
    sim_downloads = len([entry for entry in sim.requests_log() if entry['server'] == 'download'])
    again = play(runner, sim, 'flex_downloads.yml', '-e', f'backup_dir={backup_dir}')
    assert 'changed=False' in again.stdout
    assert len([entry for entry in sim.requests_log() if entry['server'] == 'download']) == sim_downloads


@pytest.mark.parametrize('world', ['2025', '2026'], ids=['before-2026-01-22', 'after-2026-01-22'])
def test_flex_migration(runner, sim, tmp_path, world):
    sim.reset({'world': world})  # the simulator's default is today's (2026) world; 2025 keeps Tenant0 an M2 with its tenant API
    backup_dir = tmp_path / 'tenant0'
    result = play(runner, sim, 'flex_migration.yml', '-e', f'backup_dir={backup_dir}')
    assert len(os.listdir(backup_dir)) == 1
    if world == '2026':
        assert 'Tenant0 is a flex cluster' in result.stdout and 'came through the flex API' in result.stdout
    else:
        assert 'Tenant0 is a tenant cluster' in result.stdout and 'came through the tenant API' in result.stdout


def test_changelog_page_is_current(tmp_path):
    """docs/docsite/rst/changelog.rst is an output of antsibull-changelog (changelogs/config.yaml): regenerated, it is the same."""
    fresh = tmp_path / 'changelog.rst'
    subprocess.run([os.path.join(os.path.dirname(sys.executable), 'antsibull-changelog'), 'generate', '--output', str(fresh),
                    '--output-format', 'rst'], cwd=ROOT, check=True)
    with open(os.path.join(RST, 'changelog.rst'), encoding='utf-8') as handle:
        assert handle.read() == fresh.read_text(), 'run antsibull-changelog generate'


def test_restore_drill(runner, sim, tmp_path):
    archive_dir = tmp_path / 'drill'
    checked = play(runner, sim, 'restore_drill.yml', '-e', f'archive_dir={archive_dir}', check=True)
    assert 'restored snapshot' in checked.stdout
    assert [entry for entry in sim.requests_log() if entry['method'] != 'GET'] == []
    first = play(runner, sim, 'restore_drill.yml', '-e', f'archive_dir={archive_dir}')
    staging = sim.state()['clusters']['Staging0']['restore']
    assert staging['state'] == 'restored' and staging['source_cluster'] == 'Cluster0' and 'restored snapshot' in first.stdout
    archives = sorted(os.listdir(archive_dir))
    assert len(archives) == 1 and archives[0].startswith('Cluster0-') and archives[0].endswith('.tar.gz')
    assert subprocess.run(['tar', '-tzf', str(archive_dir / archives[0])], check=False, stdout=subprocess.DEVNULL).returncode == 0
    jobs = len(sim.state()['restore_jobs'])
    again = play(runner, sim, 'restore_drill.yml', '-e', f'archive_dir={archive_dir}')
    assert recap_changed(again.stdout) == 0 and 'already restored' in again.stdout
    assert len(sim.state()['restore_jobs']) == jobs  # the re-run started nothing


def test_backup_policy(runner, sim):
    copy = os.path.join(runner.tmp, 'backup_policy.drift.play.yml')
    shutil.copy(os.path.join(PLAYBOOKS, 'backup_policy.yml'), copy)
    drift = runner.run(copy, check=True, extra_env=env_for(sim), inventory=False, extra_args=['-e', 'drift_check=true'])
    assert drift.returncode != 0 and "Drifted from the backup policy: ['Cluster0', 'Sharded0', 'Staging0']" in drift.stdout
    assert [entry for entry in sim.requests_log() if entry['method'] != 'GET'] == []
    first = play(runner, sim, 'backup_policy.yml')
    assert "changed ['Cluster0', 'Sharded0', 'Staging0']" in first.stdout
    for name in ('Cluster0', 'Sharded0', 'Staging0'):
        stored = sim.state()['clusters'][name]['schedule']
        assert (stored['referenceHourOfDay'], stored['referenceMinuteOfHour']) == (2, 30)
        assert [(i['frequencyType'], i['retentionValue']) for i in stored['policies'][0]['policyItems']] == [
            ('hourly', 7), ('daily', 7), ('weekly', 4), ('monthly', 12)]
    before = len(sim.requests_log())
    again = play(runner, sim, 'backup_policy.yml', '-e', 'drift_check=true', check=True)
    assert recap_changed(again.stdout) == 0 and 'changed []' in again.stdout
    log = [entry for entry in sim.requests_log()[before:] if entry['server'] == 'api']
    assert {entry['method'] for entry in log} == {'GET'}
    # the challenge, the two cluster lists, one schedule per dedicated cluster (3), the compliance policy
    assert len(log) == 7
    assert len([entry for entry in log if entry['path'].endswith('/backup/schedule')]) == 3
    assert len([entry for entry in log if entry['path'].endswith('/backupCompliancePolicy')]) == 1

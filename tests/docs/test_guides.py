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
import textwrap

import pytest
import yaml

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


def play(runner, sim, name: str, *extra: str, check: bool = False, extra_env_override: dict | None = None, **kwargs):
    """Run a guide's playbook, a verbatim copy, with the connection in the environment (the simulator's API key, or
    extra_env_override: what an AWX credential injects)."""
    # the harness runs a file named *play.yml as a whole playbook (anything else as a task file): a verbatim copy
    copy = os.path.join(runner.tmp, name.replace('.yml', '.play.yml'))
    shutil.copy(os.path.join(PLAYBOOKS, name), copy)
    result = runner.run(copy, check=check, extra_env=extra_env_override or env_for(sim), inventory=False,
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


def writes(sim) -> list:
    """The requests that would change Atlas (anything but a read, and but fetching a service account's token) since the last reset."""
    return [entry for entry in sim.requests_log() if entry['method'] != 'GET' and entry['server'] == 'api' and entry['path'] != '/api/oauth/token']


def debug_messages(stdout: str) -> list[str]:
    """The msg of each debug task the playbook printed (the report a user reads), read back from the YAML callback's
    output (long lines wrapped, quoted where YAML needs it), whitespace collapsed."""
    messages = []
    for match in re.finditer(r'^ok: \[localhost\] => *\n((?:    .*\n|\n)+)', stdout, re.M):
        try:
            result = yaml.safe_load(textwrap.dedent(match.group(1)))
        except yaml.YAMLError:
            continue
        if isinstance(result, dict) and isinstance(result.get('msg'), str):
            messages.append(' '.join(result['msg'].split()))
    return messages


def test_getting_started(runner, sim):
    checked = play(runner, sim, 'getting_started.yml', check=True)
    assert 'snapshots of a replicaSet cluster' in checked.stdout
    assert 'changed=True id=none in check mode status=queued' in checked.stdout
    assert writes(sim) == []
    first = play(runner, sim, 'getting_started.yml')
    assert recap_changed(first.stdout) == 1
    taken = [snap for snap in sim.state()['clusters']['Cluster0']['snapshots'] if snap.get('description') == 'my first snapshot']
    assert len(taken) == 1 and taken[0]['status'] == 'completed'
    assert f"changed=True id={taken[0]['id']} status=completed" in first.stdout
    again = play(runner, sim, 'getting_started.yml')
    assert recap_changed(again.stdout) == 0 and f"changed=False id={taken[0]['id']} status=completed" in again.stdout
    before = len(writes(sim))
    checked_again = play(runner, sim, 'getting_started.yml', check=True)  # nothing due: check mode says so
    assert recap_changed(checked_again.stdout) == 0 and f"changed=False id={taken[0]['id']}" in checked_again.stdout
    assert len(writes(sim)) == before


def test_nightly_backups(runner, sim, tmp_path):
    """A night when a snapshot is due and one when it is not, each in check mode and for real; the clean-up deletes only
    pre-upgrade snapshots older than the stated age, and its report names what it deleted (the module's `deleted`)."""
    setup = tmp_path / 'pre_upgrade.yml'
    setup.write_text('- name: A snapshot taken this afternoon before tomorrow\'s upgrade\n  mongodb_atlas.backup.atlas_snapshot:\n'
                     '    cluster_name: Cluster0\n    description: pre-upgrade\n    retention_in_days: 30\n')
    result = runner.run(str(setup))
    assert result.returncode == 0, result.stdout[-20000:]
    pre_upgrade = [snap['id'] for snap in sim.state()['clusters']['Cluster0']['snapshots'] if snap.get('description') == 'pre-upgrade']
    assert len(pre_upgrade) == 1
    writes_before = len(writes(sim))

    checked = play(runner, sim, 'nightly_backups.yml', check=True)  # due tonight, in check mode: would take, would delete none
    messages = debug_messages(checked.stdout)
    assert any(message.startswith('would take a snapshot, expires ') for message in messages), messages
    assert f"would delete []; kept ['{pre_upgrade[0]}'] (younger than 14 days)" in messages, messages
    assert len(writes(sim)) == writes_before

    first = play(runner, sim, 'nightly_backups.yml')  # due tonight, for real: took, and the afternoon's snapshot is kept
    nightly = [snap for snap in sim.state()['clusters']['Cluster0']['snapshots'] if snap.get('description') == 'nightly']
    assert len(nightly) == 1 and nightly[0]['status'] == 'completed'
    messages = debug_messages(first.stdout)
    assert any(message.startswith(f"took {nightly[0]['id']}, expires ") for message in messages), messages
    assert f"deleted []; kept ['{pre_upgrade[0]}'] (younger than 14 days)" in messages, messages
    assert [snap['id'] for snap in sim.state()['clusters']['Cluster0']['snapshots'] if snap.get('description') == 'pre-upgrade'] == pre_upgrade

    again = play(runner, sim, 'nightly_backups.yml')  # the same night again: nothing due
    assert recap_changed(again.stdout) == 0
    assert any(message.startswith(f"kept {nightly[0]['id']}, expires ") for message in debug_messages(again.stdout))

    writes_before = len(writes(sim))
    checked_again = play(runner, sim, 'nightly_backups.yml', '-e', 'cleanup_older_than_days=0', check=True)
    messages = debug_messages(checked_again.stdout)
    assert any(message.startswith(f"kept {nightly[0]['id']}") for message in messages), messages
    assert f"would delete ['{pre_upgrade[0]}']; kept [] (younger than 0 days)" in messages, messages
    assert len(writes(sim)) == writes_before

    cleaned = play(runner, sim, 'nightly_backups.yml', '-e', 'cleanup_older_than_days=0')  # old enough now: deleted, and said so
    assert f"deleted ['{pre_upgrade[0]}']; kept [] (younger than 0 days)" in debug_messages(cleaned.stdout)
    on_demand = [snap for snap in sim.state()['clusters']['Cluster0']['snapshots'] if snap.get('snapshotType') == 'onDemand']
    assert [snap['description'] for snap in on_demand] == ['nightly']
    posts = [entry for entry in sim.requests_log() if entry['method'] == 'POST' and entry['status'] == 200]
    assert len(posts) == 2  # the pre-upgrade snapshot and one nightly snapshot, whatever the number of runs


def test_nightly_all_clusters(runner, sim):
    checked = play(runner, sim, 'nightly_all_clusters.yml', check=True)
    assert "would take ['Cluster0', 'Sharded0', 'Staging0']" in debug_messages(checked.stdout)
    assert writes(sim) == []
    first = play(runner, sim, 'nightly_all_clusters.yml')
    dedicated = ('Cluster0', 'Sharded0', 'Staging0')
    for name, cluster in sim.state()['clusters'].items():
        nightly = [snap for snap in cluster['snapshots'] if snap.get('description') == 'nightly']
        assert [snap['status'] for snap in nightly] == (['completed'] if name in dedicated else []), name
    assert "took ['Cluster0', 'Sharded0', 'Staging0']" in debug_messages(first.stdout)
    before = len(sim.requests_log())
    again = play(runner, sim, 'nightly_all_clusters.yml')
    assert recap_changed(again.stdout) == 0 and 'took []' in debug_messages(again.stdout)
    log = [entry for entry in sim.requests_log()[before:] if entry['server'] == 'api']
    # one task: the challenge, the project's cluster list (no Flex list), one snapshot list per dedicated cluster (3 of the 6)
    assert len(log) == 5 and {entry['method'] for entry in log} == {'GET'}
    checked_again = play(runner, sim, 'nightly_all_clusters.yml', check=True)
    assert 'would take []' in debug_messages(checked_again.stdout)
    assert len(writes(sim)) == 3


FLEET = ['6f1ee7000000000000000001', '6f1ee7000000000000000002', '6f1ee7000000000000000003']
ORG_ACCOUNT = 'mdb_sa_id_0f1ee7000000000000000000'


def test_nightly_fleet(runner, sim, tmp_path):
    """The project-list playbook as written, over the simulator's fleet of 3 projects (3 clusters each: 2 replica sets and a
    sharded one), with the org-wide service account from the environment and a fresh token cache: --check first, then for
    real, then again. Each run makes one token request; a re-run writes nothing."""
    sim.reset({'fleet': {'projects': 3, 'clusters_per_project': 3}})
    env = {'MONGODB_ATLAS_BASE_URL': sim.url, 'MONGODB_ATLAS_CLIENT_ID': ORG_ACCOUNT, 'MONGODB_ATLAS_CLIENT_SECRET': 'mdb_sa_sk_fleet-org-secret'}

    def run(check: bool, cache: str):
        before = len(sim.requests_log())
        result = play(runner, sim, 'nightly_fleet.yml', '--forks', '10', check=check,
                      extra_env_override=dict(env, MONGODB_ATLAS_TOKEN_CACHE_DIR=str(tmp_path / cache)))
        log = sim.requests_log()[before:]
        assert len([entry for entry in log if entry['path'] == '/api/oauth/token']) == 1, log
        assert {entry['status'] for entry in log} == {200}, log
        return result, log

    dedicated = "['App00', 'App01', 'Shard02']"
    checked = run(True, 'check')[0]
    assert sorted(message for message in fleet_messages(checked.stdout)) == [f'{group}: would take {dedicated}' for group in FLEET]
    assert writes(sim) == []
    first, log = run(False, 'first')
    assert sorted(fleet_messages(first.stdout)) == [f'{group}: took {dedicated}' for group in FLEET]
    for group in FLEET:
        assert f'/groups/{group}/' in ' '.join(entry['path'] for entry in log)
        clusters = sim.state(group)['clusters']
        for name, cluster in clusters.items():
            nightly = [snap['status'] for snap in cluster['snapshots'] if snap.get('description') == 'nightly']
            assert len(nightly) == 1 and nightly[0] in ('queued', 'inProgress', 'completed'), (group, name)  # wait: false
    assert len(writes(sim)) == 9
    again, log = run(False, 'again')
    assert sorted(fleet_messages(again.stdout)) == [f'{group}: took []' for group in FLEET]
    assert not re.search(r'changed=[1-9]', again.stdout) and [entry for entry in log if entry['method'] != 'GET'] == [log[0]]
    assert len(writes(sim)) == 9
    checked_again = run(True, 'check-again')[0]
    assert sorted(fleet_messages(checked_again.stdout)) == [f'{group}: would take []' for group in FLEET]
    assert len(writes(sim)) == 9


def fleet_messages(stdout: str) -> list[str]:
    """The report of each project host (debug msg), whitespace collapsed."""
    messages = []
    for match in re.finditer(r'^ok: \[atlas-project-\w+\] => *\n((?:    .*\n|\n)+)', stdout, re.M):
        result = yaml.safe_load(textwrap.dedent(match.group(1)))
        if isinstance(result, dict) and isinstance(result.get('msg'), str):
            messages.append(' '.join(result['msg'].split()))
    return messages


def test_flex_downloads(runner, sim, tmp_path):
    backup_dir = tmp_path / 'flex0'
    checked = play(runner, sim, 'flex_downloads.yml', '-e', f'backup_dir={backup_dir}', check=True)
    assert not backup_dir.exists() and [entry for entry in sim.requests_log() if entry['server'] == 'download'] == []
    assert any(message.endswith('would be downloaded (check mode)') for message in debug_messages(checked.stdout)), checked.stdout
    first = play(runner, sim, 'flex_downloads.yml', '-e', f'backup_dir={backup_dir}')
    archives = os.listdir(backup_dir)
    assert len(archives) == 1 and archives[0].endswith('.tgz')
    assert subprocess.run(['tar', '-tzf', str(backup_dir / archives[0])], check=False, stdout=subprocess.DEVNULL).returncode == 0
    assert 'changed=True' in first.stdout
    sim_downloads = len([entry for entry in sim.requests_log() if entry['server'] == 'download'])
    again = play(runner, sim, 'flex_downloads.yml', '-e', f'backup_dir={backup_dir}')
    assert 'changed=False' in again.stdout
    checked_again = play(runner, sim, 'flex_downloads.yml', '-e', f'backup_dir={backup_dir}', check=True)
    assert any(message.startswith(str(backup_dir / archives[0])) and message.endswith('changed=False')
               for message in debug_messages(checked_again.stdout)), checked_again.stdout
    assert len([entry for entry in sim.requests_log() if entry['server'] == 'download']) == sim_downloads


@pytest.mark.parametrize('world', ['2025', '2026'], ids=['before-2026-01-22', 'after-2026-01-22'])
def test_flex_migration(runner, sim, tmp_path, world):
    sim.reset({'world': world})  # the simulator's default is today's (2026) world; 2025 keeps Tenant0 an M2 with its tenant API
    api = 'flex' if world == '2026' else 'tenant'
    backup_dir = tmp_path / 'tenant0'
    checked = play(runner, sim, 'flex_migration.yml', '-e', f'backup_dir={backup_dir}', check=True)
    assert not backup_dir.exists() and f'came through the {api} API' in checked.stdout
    assert [entry for entry in sim.requests_log() if entry['server'] == 'download'] == []
    result = play(runner, sim, 'flex_migration.yml', '-e', f'backup_dir={backup_dir}')
    assert len(os.listdir(backup_dir)) == 1
    assert f'Tenant0 is a {api} cluster' in result.stdout and f'came through the {api} API' in result.stdout
    downloads = len([entry for entry in sim.requests_log() if entry['server'] == 'download'])
    for check in (False, True):  # again, and again in check mode: the archive is there, nothing is fetched
        again = play(runner, sim, 'flex_migration.yml', '-e', f'backup_dir={backup_dir}', check=check)
        assert recap_changed(again.stdout) == 0 and f'Tenant0 is a {api} cluster' in again.stdout
    assert len([entry for entry in sim.requests_log() if entry['server'] == 'download']) == downloads
    assert len(os.listdir(backup_dir)) == 1


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
    archives = sorted(name for name in os.listdir(archive_dir) if name.endswith('.tar.gz'))  # a manifest may lie beside them
    assert len(archives) == 1 and archives[0].startswith('Cluster0-')
    assert subprocess.run(['tar', '-tzf', str(archive_dir / archives[0])], check=False, stdout=subprocess.DEVNULL).returncode == 0
    jobs = len(sim.state()['restore_jobs'])
    again = play(runner, sim, 'restore_drill.yml', '-e', f'archive_dir={archive_dir}')
    assert recap_changed(again.stdout) == 0 and 'already restored' in again.stdout
    assert len(sim.state()['restore_jobs']) == jobs  # the re-run started nothing
    before = len(writes(sim))
    checked_again = play(runner, sim, 'restore_drill.yml', '-e', f'archive_dir={archive_dir}', check=True)
    assert recap_changed(checked_again.stdout) == 0 and 'already restored' in checked_again.stdout
    assert len(writes(sim)) == before


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

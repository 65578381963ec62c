# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX guide, followed alone: its playbooks run as a job template runs them (the environment the credential type
injects, the survey's answers as extra variables), in check mode and for real, due and not; the files it points to are
in the INSTALLED collection and hold together: the EE definition builds a context from Galaxy names, the set-up
playbook resolves awx.awx and uses only options those modules document, the pod spec mounts the claim that ships
beside it."""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import yaml

from conftest import GROUP_ID, ROOT
from test_guides import debug_messages, play, recap_changed, writes

AWX_COLLECTIONS = os.environ.get('AWX_COLLECTIONS_PATH') or os.path.join(os.path.dirname(os.path.dirname(sys.executable)), 'awx-collections')
SERVICE_ACCOUNT = ('mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01', 'mdb_sa_sk_owner-secret-0001')


def tool(name: str) -> str:
    return os.path.join(os.path.dirname(sys.executable), name)


def awx_dir(collections_path: str) -> str:
    return os.path.join(collections_path, 'ansible_collections', 'mongodb_atlas', 'backup', 'extensions', 'awx')


def injected(sim, project: str = GROUP_ID) -> dict:
    """What the MongoDB Atlas credential type injects for a service account (the API key inputs left empty)."""
    return {'MONGODB_ATLAS_CLIENT_ID': SERVICE_ACCOUNT[0], 'MONGODB_ATLAS_CLIENT_SECRET': SERVICE_ACCOUNT[1],
            'MONGODB_ATLAS_PUBLIC_KEY': '', 'MONGODB_ATLAS_PRIVATE_KEY': '', 'MONGODB_ATLAS_BASE_URL': sim.url,
            'MONGODB_ATLAS_PROJECT_ID': project}


def test_check_credential_playbook_reads_only(runner, sim, tmp_path):
    env = dict(injected(sim), MONGODB_ATLAS_TOKEN_CACHE_DIR=str(tmp_path / 'tokens'))
    for check in (True, False):
        result = play(runner, sim, 'awx_check_credential.yml', check=check, extra_env_override=env)
        assert recap_changed(result.stdout) == 0
        messages = debug_messages(result.stdout)
        assert any(message.startswith('credential OK: 6 clusters') and 'Cluster0 is one of them' in message for message in messages), messages
    assert writes(sim) == []
    bad = dict(env, MONGODB_ATLAS_PROJECT_ID='5f1a2b3c4d5e6f7a8b9c0d99')
    copy = os.path.join(runner.tmp, 'awx_check_credential.play.yml')
    failed = runner.run(copy, extra_env=bad, inventory=False)
    assert failed.returncode != 0 and 'MONGODB_ATLAS_PROJECT_ID' in failed.stdout


def test_nightly_job_with_survey_answers(runner, sim, tmp_path):
    env = dict(injected(sim), MONGODB_ATLAS_TOKEN_CACHE_DIR=str(tmp_path / 'tokens'))
    survey = ('-e', 'atlas_cluster=Sharded0', '-e', 'retention_in_days=3')
    checked = play(runner, sim, 'awx_nightly.yml', *survey, check=True, extra_env_override=env)
    assert any(message.startswith('Sharded0: would take a snapshot, expires ') for message in debug_messages(checked.stdout))
    assert writes(sim) == []
    first = play(runner, sim, 'awx_nightly.yml', *survey, extra_env_override=env)
    nightly = [snap for snap in sim.state()['clusters']['Sharded0']['snapshots'] if snap.get('description') == 'nightly']
    assert len(nightly) == 1 and nightly[0]['status'] == 'completed'
    assert any(message.startswith(f"Sharded0: took {nightly[0]['id']}") for message in debug_messages(first.stdout))
    for check in (False, True):  # a retry or a manual launch the same night, and its check-mode preview: nothing to take
        again = play(runner, sim, 'awx_nightly.yml', *survey, check=check, extra_env_override=env)
        assert recap_changed(again.stdout) == 0
        assert any(message.startswith(f"Sharded0: kept {nightly[0]['id']}") for message in debug_messages(again.stdout))
    assert len([entry for entry in writes(sim) if entry['method'] == 'POST']) == 1


def test_ee_definition_ships_and_builds_from_galaxy_names(collections_path, tmp_path):
    ee_file = os.path.join(awx_dir(collections_path), 'execution-environment.yml')
    assert os.path.isfile(ee_file), 'the installed collection must hold an EE definition a Galaxy user can build'
    context = tmp_path / 'context'
    proc = subprocess.run([tool('ansible-builder'), 'create', '-f', ee_file, '-c', str(context)], cwd=str(tmp_path), check=False,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout
    requirements = yaml.safe_load((context / '_build' / 'requirements.yml').read_text())
    assert {entry['name'] for entry in requirements['collections']} == {'mongodb_atlas.backup', 'awx.awx'}
    assert all(entry.get('type', 'galaxy') == 'galaxy' for entry in requirements['collections'])  # nothing from a checkout


def test_setup_playbook_uses_only_documented_awx_options(collections_path, tmp_path):
    setup = os.path.join(awx_dir(collections_path), 'setup_nightly_job.yml')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([collections_path, AWX_COLLECTIONS]), ANSIBLE_NOCOLOR='true',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    proc = subprocess.run([tool('ansible-playbook'), '--syntax-check', setup], env=env, check=False, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout
    tasks = yaml.safe_load(open(setup, encoding='utf-8'))[0]['tasks']
    modules = sorted({key for task in tasks for key in task if key.startswith('awx.awx.')})
    docs = json.loads(subprocess.run([tool('ansible-doc'), '-t', 'module', '--json'] + modules, env=env, check=True,
                                     stdout=subprocess.PIPE, text=True).stdout)
    for task in tasks:
        module = next(key for key in task if key.startswith('awx.awx.'))
        unknown = set(task[module]) - set(docs[module]['doc']['options'])
        assert not unknown, f'{task["name"]}: {module} has no option {sorted(unknown)}'
    # the order a new user needs: the credential is tested (read-only) before the nightly job is scheduled
    names = [next(key for key in task if key.startswith('awx.awx.')) for task in tasks]
    assert names.index('awx.awx.job_launch') < names.index('awx.awx.schedule')
    launched = next(task for task in tasks if 'awx.awx.job_launch' in task)['awx.awx.job_launch']
    checker = next(task for task in tasks if task.get('awx.awx.job_template', {}).get('name') == launched['name'])
    assert checker['awx.awx.job_template']['playbook'] == 'awx_check_credential.yml' and launched['wait'] is True
    nightly = next(task for task in tasks if task.get('awx.awx.job_template', {}).get('playbook') == 'awx_nightly.yml')['awx.awx.job_template']
    assert {item['variable'] for item in nightly['survey_spec']['spec']} == {'atlas_cluster', 'retention_in_days'}
    assert nightly['notification_templates_error']
    host = next(task for task in tasks if 'awx.awx.host' in task)['awx.awx.host']
    assert host['name'] == 'localhost' and host['variables']['ansible_connection'] == 'local'
    # the host's Python is the one the shipped EE installs
    with open(os.path.join(awx_dir(collections_path), 'execution-environment.yml'), encoding='utf-8') as handle:
        ee_python = yaml.safe_load(handle)['dependencies']['python_interpreter']['python_path']
    assert yaml.safe_load(open(setup, encoding='utf-8'))[0]['vars']['ee_python'] == ee_python


def test_container_group_pod_spec_mounts_the_shipped_claim(collections_path):
    with open(os.path.join(awx_dir(collections_path), 'container_group_pod_spec.yml'), encoding='utf-8') as handle:
        pod = yaml.safe_load(handle)
    with open(os.path.join(awx_dir(collections_path), 'persistent_volume_claim.yml'), encoding='utf-8') as handle:
        claim = yaml.safe_load(handle)
    assert pod['kind'] == 'Pod' and claim['kind'] == 'PersistentVolumeClaim'
    volumes = {volume['name']: volume for volume in pod['spec']['volumes']}
    (container,) = pod['spec']['containers']
    assert container['args'][:2] == ['ansible-runner', 'worker']  # what AWX's default pod spec runs
    (mount,) = container['volumeMounts']
    assert volumes[mount['name']]['persistentVolumeClaim']['claimName'] == claim['metadata']['name']
    assert pod['metadata']['namespace'] == claim['metadata']['namespace']


def test_awx_guide_names_only_files_that_ship(collections_path):
    with open(os.path.join(ROOT, 'docs', 'docsite', 'rst', 'guide_awx.rst'), encoding='utf-8') as handle:
        text = handle.read()
    shipped = {os.path.relpath(path, awx_dir(collections_path)) for path in glob.glob(os.path.join(awx_dir(collections_path), '**', '*.yml'),
                                                                                      recursive=True)}
    for name in ('execution-environment.yml', 'setup_nightly_job.yml', 'container_group_pod_spec.yml', 'persistent_volume_claim.yml',
                 'register_credential_type.yml', 'credential_type/inputs.yml', 'credential_type/injectors.yml'):
        assert name in shipped and f'extensions/awx/{name}' in text, name
    for step in ('awx.awx', 'Inventory', 'Project', 'Survey', 'Schedule', 'Notification', 'container group', 'read-only'):
        assert step.lower() in text.lower(), step

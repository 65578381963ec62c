# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Collection metadata and structure stay as designed: the action group lists every module, one version number holds
everywhere, the support claims (ansible-core versions, module Python) are the ones make test proves, module_utils raise
and never end the task, and imports run one way."""
from __future__ import annotations

import ast
import importlib.util
import os

import yaml
from packaging.specifiers import SpecifierSet

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_action_group_lists_every_module():
    with open(os.path.join(ROOT, 'meta', 'runtime.yml'), encoding='utf-8') as handle:
        runtime = yaml.safe_load(handle)
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, 'plugins', 'modules')) if name.endswith('.py'))
    assert modules
    assert sorted(runtime['action_groups']['atlas']) == modules


def test_one_version_number():
    with open(os.path.join(ROOT, 'galaxy.yml'), encoding='utf-8') as handle:
        version = yaml.safe_load(handle)['version']
    with open(os.path.join(ROOT, 'plugins', 'module_utils', '_client.py'), encoding='utf-8') as handle:
        client = handle.read()
    assert f"COLLECTION_VERSION = '{version}'" in client  # the User-Agent names the release
    with open(os.path.join(ROOT, 'changelogs', 'changelog.yaml'), encoding='utf-8') as handle:
        assert version in yaml.safe_load(handle)['releases']


def test_module_utils_raise_and_only_main_ends_the_task():
    """Below the module base, code raises TaskError (or AtlasApiError); AtlasModule.run in each main() fails once."""
    folder = os.path.join(ROOT, 'plugins', 'module_utils')
    enders = ('.fail(', 'fail_api(', 'fail_json(', 'exit_json(', '.exit(')
    offenders = []
    for name in sorted(os.listdir(folder)):
        if name.endswith('.py') and name != '_module.py':
            with open(os.path.join(folder, name), encoding='utf-8') as handle:
                offenders += [f'{name}:{number}' for number, line in enumerate(handle, 1) if any(ender in line for ender in enders)]
    assert offenders == []


# Lower layers never import higher ones: modules -> module base -> services -> cluster model -> client, explain -> errors, roles.
LAYERS = {
    '_roles': -1,
    '_errors': 0, '_time': 0,
    '_token': 1, '_token_cache': 1, '_client': 1, '_records': 1, '_explain': 1,
    '_disk': 1, '_threads': 1, '_auth': 2, '_transfer': 2, '_cluster': 2, '_waiter': 2, '_jobs': 2,
    '_writes': 3, '_snapshots': 3, '_archive': 3, '_schedule_policy': 3, '_schedule': 4,
    '_download_jobs': 4, '_restore_jobs': 4, '_archive_set': 4, '_snapshot_ops': 4,
    '_restore_plan': 5, '_snapshot_plan': 5, '_flex_download': 5, '_module': 5,
}


def module_utils_imports(path):
    with open(path, encoding='utf-8') as handle:
        tree = ast.parse(handle.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_imports_run_one_way():
    folder = os.path.join(ROOT, 'plugins', 'module_utils')
    files = sorted(name[:-3] for name in os.listdir(folder) if name.endswith('.py') and name != '__init__.py')
    assert sorted(LAYERS) == files  # a new file gets a place in the picture
    wrong = []
    for name in files:
        for module in module_utils_imports(os.path.join(folder, f'{name}.py')):
            if module.startswith('ansible_collections.mongodb_atlas.backup.plugins.module_utils.'):
                target = module.rsplit('.', 1)[1]
                if LAYERS[target] >= LAYERS[name]:
                    wrong.append(f'{name} imports {target}')
            if module == 'ansible.module_utils.basic' and name != '_module':
                wrong.append(f'{name} imports AnsibleModule: only the module base may')
    assert wrong == []


def load_run_tests():
    spec = importlib.util.spec_from_file_location('run_tests', os.path.join(ROOT, 'tools', 'run_tests.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding='utf-8') as handle:
        return handle.read()


def test_claimed_ansible_core_versions_are_the_tested_ones():
    """requires_ansible admits exactly the cores make test runs (.venv's and the matrix's), and README says so."""
    run_tests = load_run_tests()
    tested = sorted([run_tests.MAIN_CORE, *run_tests.MATRIX_CORES], key=lambda v: tuple(map(int, v.split('.'))))
    requires = yaml.safe_load(read('meta', 'runtime.yml'))['requires_ansible']
    claimed = [f'2.{minor}' for minor in range(9, 40) if f'2.{minor}.0' in SpecifierSet(requires)]
    assert claimed == tested
    main_minor = int(run_tests.MAIN_CORE.split('.')[1])
    assert f"'ansible-core>={run_tests.MAIN_CORE},<2.{main_minor + 1}'" in read('tools', 'setup.sh')
    readme = read('README.md')
    assert f'ansible-core {", ".join(tested[:-1])} or {tested[-1]} (`requires_ansible: "{requires}"`)' in readme
    assert f'stage on {run_tests.MAIN_CORE}' in readme and f'on {" and ".join(run_tests.MATRIX_CORES)};' in readme


def test_matrix_venvs_install_what_setup_installs():
    run_tests = load_run_tests()
    setup = read('tools', 'setup.sh')
    assert run_tests.MATRIX_DEPS and all(f"'{dep}'" in setup for dep in run_tests.MATRIX_DEPS)
    targets = os.path.join(ROOT, 'tests', 'integration', 'targets')
    assert [name for name in run_tests.SMOKE if not os.path.isfile(os.path.join(targets, name.replace('/', '/tasks/', 1)))] == []


def test_one_module_python_floor():
    """The floor vermin checks is the one ansible-test reads (tests/config.yml) and the one README states."""
    floor = load_run_tests().MODULE_PYTHON_MIN
    assert yaml.safe_load(read('tests', 'config.yml'))['modules']['python_requires'] == f'>={floor}'
    assert f'Python {floor} or newer where the modules run' in read('README.md')


def test_dependencies_fit_an_execution_environment():
    """Partner certification: no upper bound or pin in requirements.txt. meta/execution-environment.yml is collection
    metadata for ansible-builder (dependencies only, no EE schema version), and bindep.txt asks for no system Python."""
    from packaging.requirements import Requirement

    lines = [line.split('#')[0].strip() for line in read('requirements.txt').splitlines()]
    requirements = [Requirement(line) for line in lines if line]
    assert [req.name for req in requirements] == ['requests']
    assert [f'{req.name}{spec}' for req in requirements for spec in req.specifier if spec.operator not in ('>=', '>')] == []
    meta = yaml.safe_load(read('meta', 'execution-environment.yml'))
    assert meta == {'dependencies': {'python': 'requirements.txt', 'system': 'bindep.txt'}}
    bindep = [line.split('#')[0].strip() for line in read('bindep.txt').splitlines()]
    assert [line for line in bindep if line] == []

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX credential type shipped in extensions/awx, taken from the INSTALLED collection: AWX would accept it, its
injectors rendered the way AWX renders them give exactly the variables the modules read, and a playbook run with that
environment alone works for each credential kind. The playbook that registers it resolves awx.awx.credential_type and,
run against a fake AWX API, creates the type from exactly the two files, once.

AWX is not installed here: validate_credential_type and inject below follow AWX's own code (awx/main/fields.py,
CredentialTypeInputField and CredentialTypeInjectorField; awx/main/models/credential, CredentialType.inject_credential):
injector templates must only name defined fields (StrictUndefined, every field 'EXAMPLE'); at job time the namespace
holds only the inputs that have a value, and every env injector is rendered in an ImmutableSandboxedEnvironment with
Jinja's default Undefined, so an input left empty becomes an EMPTY variable, never a missing one.
"""
from __future__ import annotations

import json
import os
import http.server
import re
import subprocess
import threading
import typing as t
import urllib.parse

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.exceptions import UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jsonschema import Draft4Validator

from conftest import BIN, GROUP_ID, ROOT

AWX_COLLECTIONS = os.environ.get('AWX_COLLECTIONS_PATH') or os.path.join(ROOT, '.venv', 'awx-collections')
JOB_PLAY = os.path.join(ROOT, 'tests', 'integration', 'awx', 'job_template_play.yml')
API_KEY = ('owner-public', 'owner-private')
SERVICE_ACCOUNT = ('mdb_sa_id_5f1a2b3c4d5e6f7a8b9c0a01', 'mdb_sa_sk_owner-secret-0001')
# What the modules read (plugins/doc_fragments/atlas.py), less the access token (an hour-long token is no stored
# credential), the legacy *_API_KEY spellings and the token cache settings.
MODULE_VARIABLES = {'MONGODB_ATLAS_CLIENT_ID', 'MONGODB_ATLAS_CLIENT_SECRET', 'MONGODB_ATLAS_PUBLIC_KEY', 'MONGODB_ATLAS_PRIVATE_KEY',
                    'MONGODB_ATLAS_BASE_URL', 'MONGODB_ATLAS_PROJECT_ID'}

# AWX's schemas for a custom credential type (CredentialTypeInputField.schema, CredentialTypeInjectorField.schema).
INPUTS_SCHEMA = {
    'type': 'object', 'additionalProperties': False,
    'properties': {
        'required': {'type': 'array', 'items': {'type': 'string'}},
        'fields': {'type': 'array', 'items': {
            'type': 'object', 'additionalProperties': False, 'required': ['id', 'label'],
            'properties': {
                'type': {'enum': ['string', 'boolean']}, 'format': {'enum': ['ssh_private_key', 'url']},
                'choices': {'type': 'array', 'minItems': 1, 'items': {'type': 'string'}, 'uniqueItems': True},
                'id': {'type': 'string', 'pattern': '^[a-zA-Z_]+[a-zA-Z0-9_]*$'}, 'label': {'type': 'string'},
                'help_text': {'type': 'string'}, 'multiline': {'type': 'boolean'}, 'secret': {'type': 'boolean'},
                'ask_at_runtime': {'type': 'boolean'}, 'default': {},
            }}},
    },
}
NAME = '^[a-zA-Z_]+[a-zA-Z0-9_]*$'
INJECTORS_SCHEMA = {
    'type': 'object', 'additionalProperties': False,
    'properties': {
        'file': {'type': 'object', 'patternProperties': {r'^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$': {'type': 'string'}}, 'additionalProperties': False},
        'env': {'type': 'object', 'patternProperties': {NAME: {'type': 'string', 'pattern': '^[\x00-\x7F]*$'}}, 'additionalProperties': False},
        'extra_vars': {'type': 'object', 'patternProperties': {NAME: {'type': 'string'}}, 'additionalProperties': False},
    },
}
# AWX's ENV_BLOCKLIST (awx/main/constants.py): variables a credential may not set.
ENV_BLOCKLIST = {'VIRTUAL_ENV', 'PATH', 'PYTHONPATH', 'JOB_ID', 'INVENTORY_ID', 'INVENTORY_SOURCE_ID', 'INVENTORY_UPDATE_ID',
                 'AD_HOC_COMMAND_ID', 'REST_API_URL', 'REST_API_TOKEN', 'MAX_EVENT_RES', 'CALLBACK_QUEUE', 'CALLBACK_CONNECTION', 'CACHE',
                 'JOB_CALLBACK_DEBUG', 'INVENTORY_HOSTVARS', 'AWX_HOST', 'PROJECT_REVISION', 'SUPERVISOR_CONFIG_PATH'}


def validate_credential_type(inputs: dict, injectors: dict) -> list[str]:
    """The problems AWX would refuse the credential type for (empty when it accepts it)."""
    problems = [error.message for error in Draft4Validator(INPUTS_SCHEMA).iter_errors(inputs)]
    problems += [error.message for error in Draft4Validator(INJECTORS_SCHEMA).iter_errors(injectors)]
    if 'dependencies' in inputs:
        problems.append("'dependencies' is not supported for custom credentials")
    ids = [field['id'] for field in inputs.get('fields', [])]
    if len(set(ids)) != len(ids) or 'tower' in ids:
        problems.append(f'field ids must be unique and not "tower": {ids}')
    for field in inputs.get('fields', []):
        kind = field.get('type', 'string')
        if 'default' in field and not isinstance(field['default'], {'string': str, 'boolean': bool}[kind]):
            problems.append(f'{field["id"]}: default is not a {kind}')
        if kind != 'string':
            problems += [f'{field["id"]}: {key} not allowed for {kind}' for key in ('choices', 'multiline', 'format', 'secret') if key in field]
    problems += [f'{name} is not an input field' for name in inputs.get('required', []) if name not in ids]
    for name in injectors.get('env', {}):
        if name.startswith('ANSIBLE_') or name in ENV_BLOCKLIST:
            problems.append(f'environment variable {name} is not allowed in credentials')
    example = {field_id: 'EXAMPLE' for field_id in ids}
    for templates in injectors.values():
        for key, template in templates.items():
            try:
                ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(template).render(example)
            except UndefinedError as err:
                problems.append(f'{key} uses an undefined field ({err})')
    return problems


def inject(inputs: dict, injectors: dict, credential: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(env, safe_env) of a job using a credential with these input values, as CredentialType.inject_credential builds them."""
    secret_fields = {field['id'] for field in inputs['fields'] if field.get('secret')}
    namespace: dict = {}
    safe_namespace: dict = {}
    for name, value in credential.items():
        if isinstance(value, bool):
            namespace[name] = safe_namespace[name] = value
            continue
        if name in secret_fields:
            safe_namespace[name] = '**********'
        elif len(value):
            safe_namespace[name] = value
        if len(value):
            namespace[name] = value
    for field in inputs['fields']:
        if field.get('type') == 'boolean' and field['id'] not in credential:
            namespace[field['id']] = safe_namespace[field['id']] = False
    sandbox = ImmutableSandboxedEnvironment()
    env = {name: sandbox.from_string(template).render(**namespace) for name, template in injectors.get('env', {}).items()}
    safe_env = {name: sandbox.from_string(template).render(**safe_namespace) for name, template in injectors.get('env', {}).items()}
    return env, safe_env


@pytest.fixture
def awx_dir(collections_path: str) -> str:
    return os.path.join(collections_path, 'ansible_collections', 'mongodb_atlas', 'backup', 'extensions', 'awx')


def load(path: str) -> dict:
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


@pytest.fixture
def credential_type(awx_dir: str) -> tuple[dict, dict]:
    return load(os.path.join(awx_dir, 'credential_type', 'inputs.yml')), load(os.path.join(awx_dir, 'credential_type', 'injectors.yml'))


def test_awx_accepts_the_credential_type(credential_type, collections_path):
    inputs, injectors = credential_type
    assert validate_credential_type(inputs, injectors) == []
    fields = {field['id']: field for field in inputs['fields']}
    assert sorted(name for name, field in fields.items() if field.get('secret')) == ['api_private_key', 'client_secret']
    assert inputs.get('required', []) == []  # either method, so neither pair can be required
    assert set(injectors) == {'env'} and set(injectors['env']) == MODULE_VARIABLES
    # those names really are what the installed modules read
    with open(os.path.join(collections_path, 'ansible_collections', 'mongodb_atlas', 'backup', 'plugins', 'doc_fragments', 'atlas.py'),
              encoding='utf-8') as handle:
        documented = set(re.findall(r'E\((MONGODB_ATLAS_[A-Z_]+)\)', handle.read()))
    assert MODULE_VARIABLES <= documented
    # and each variable carries the input of the same meaning
    assert {name: template.strip('{} ') for name, template in injectors['env'].items()} == {
        'MONGODB_ATLAS_CLIENT_ID': 'client_id', 'MONGODB_ATLAS_CLIENT_SECRET': 'client_secret',
        'MONGODB_ATLAS_PUBLIC_KEY': 'api_public_key', 'MONGODB_ATLAS_PRIVATE_KEY': 'api_private_key',
        'MONGODB_ATLAS_BASE_URL': 'api_base_url', 'MONGODB_ATLAS_PROJECT_ID': 'project_id'}


def test_an_empty_input_is_injected_as_an_empty_variable(credential_type):
    """What AWX does with the method left empty: the variables are there, empty; the stored job env masks secrets."""
    inputs, injectors = credential_type
    env, safe_env = inject(inputs, injectors, {'api_public_key': 'pub', 'api_private_key': 'priv', 'client_secret': ''})
    assert env['MONGODB_ATLAS_CLIENT_ID'] == env['MONGODB_ATLAS_CLIENT_SECRET'] == env['MONGODB_ATLAS_PROJECT_ID'] == ''
    assert env['MONGODB_ATLAS_PUBLIC_KEY'] == 'pub' and env['MONGODB_ATLAS_PRIVATE_KEY'] == 'priv'
    assert safe_env['MONGODB_ATLAS_PRIVATE_KEY'] == '**********' and safe_env['MONGODB_ATLAS_PUBLIC_KEY'] == 'pub'
    assert 'priv' not in safe_env.values()


CREDENTIALS = {
    'api_key': {'api_public_key': API_KEY[0], 'api_private_key': API_KEY[1]},
    'service_account': {'client_id': SERVICE_ACCOUNT[0], 'client_secret': SERVICE_ACCOUNT[1]},
    # both methods filled in one credential: the service account wins, as the modules' environment precedence says
    'both': {'api_public_key': API_KEY[0], 'api_private_key': API_KEY[1], 'client_id': SERVICE_ACCOUNT[0], 'client_secret': SERVICE_ACCOUNT[1]},
}


@pytest.mark.parametrize('kind', sorted(CREDENTIALS))
def test_job_runs_on_the_injected_environment_alone(runner, sim, credential_type, tmp_path, kind):
    inputs, injectors = credential_type
    credential = dict(CREDENTIALS[kind], api_base_url=sim.url, project_id=GROUP_ID)
    env = inject(inputs, injectors, credential)[0]
    assert set(env) == MODULE_VARIABLES
    # a job's container starts with an empty home: its own token cache (one token per job for a service account)
    home = tmp_path / 'runner-home'
    home.mkdir()
    result = runner.run(JOB_PLAY, extra_env=dict(env, HOME=str(home)))
    assert result.returncode == 0, result.stdout[-20000:]
    assert 'failed=0' in result.stdout
    assert API_KEY[1] not in result.stdout and SERVICE_ACCOUNT[1] not in result.stdout
    api_calls = [entry for entry in sim.requests_log() if entry['server'] == 'api']
    token_calls = [entry for entry in api_calls if entry['path'] == '/api/oauth/token']
    atlas_calls = [entry for entry in api_calls if entry['path'].startswith('/api/atlas/')]
    assert atlas_calls  # (a 404 on /clusters/Flex0 is how a Flex cluster is told apart)
    if kind == 'api_key':
        assert token_calls == []
        assert {entry['auth'] for entry in atlas_calls if entry['status'] != 401} == {'Digest'}
    else:
        assert [entry['status'] for entry in token_calls] == [200]  # three modules, one token
        assert {entry['auth'] for entry in atlas_calls} == {'Bearer'}


def awx_env(collections_path: str, **extra: str) -> dict[str, str]:
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join([collections_path, AWX_COLLECTIONS]), ANSIBLE_NOCOLOR='true',
                ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false', PATH=BIN + os.pathsep + os.environ['PATH'],
                **extra)


def test_register_playbook_uses_the_awx_module_as_documented(awx_dir, collections_path, tmp_path):
    """--syntax-check passes with awx.awx installed (the module resolves), and the task uses only options
    awx.awx.credential_type has, with a kind AWX allows a custom credential type."""
    awx_module = os.path.join(AWX_COLLECTIONS, 'ansible_collections', 'awx', 'awx', 'plugins', 'modules', 'credential_type.py')
    assert os.path.isfile(awx_module), f'awx.awx is missing from {AWX_COLLECTIONS}: run tools/setup.sh'
    playbook = os.path.join(awx_dir, 'register_credential_type.yml')
    check = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '--syntax-check', playbook], env=awx_env(collections_path),
                           cwd=str(tmp_path), check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert check.returncode == 0, check.stdout
    with open(awx_module, encoding='utf-8') as handle:
        options = yaml.safe_load(re.search(r"DOCUMENTATION = '''(.*?)'''", handle.read(), re.S).group(1))['options']
    [task] = load(playbook)[0]['tasks']
    args = task['awx.awx.credential_type']
    assert set(args) <= set(options)
    assert args['kind'] in ('cloud', 'net')
    assert args['state'] in options['state']['choices']


class FakeAwx(http.server.ThreadingHTTPServer):
    """Just enough of AWX's /api/v2/credential_types/ for awx.awx.credential_type: list by name, create, update; a
    created or updated type is checked as AWX checks it (validate_credential_type) and refused with a 400 otherwise."""

    token = 'fake-awx-token'  # nosec: a test double's bearer token

    def __init__(self) -> None:
        super().__init__(('127.0.0.1', 0), FakeAwxHandler)
        self.types: dict[int, dict] = {}
        self.writes: list[tuple[str, dict]] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.server_address[1]}'


class FakeAwxHandler(http.server.BaseHTTPRequestHandler):
    server: FakeAwx

    def log_message(self, *args: t.Any) -> None:
        pass

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.send_header('X-API-Product-Name', 'AWX')
        self.send_header('X-API-Product-Version', '24.6.1')
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers.get('Content-Length') or 0)) or b'{}')

    def authorized(self) -> bool:
        if self.headers.get('Authorization') == f'Bearer {self.server.token}':
            return True
        self.reply(401, {'detail': 'Authentication credentials were not provided.'})
        return False

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        path, _sep, query = self.path.partition('?')
        if not self.authorized():
            return
        if path != '/api/v2/credential_types/':
            self.reply(404, {'detail': 'Not found.'})
            return
        params = urllib.parse.parse_qs(query)
        found = [item for item in self.server.types.values() if item['name'] in params.get('name', [])]
        self.reply(200, {'count': len(found), 'results': found})

    def write(self, item: dict, status: int) -> None:
        problems = validate_credential_type(item.get('inputs', {}), item.get('injectors', {}))
        if problems or item.get('kind') not in ('cloud', 'net'):
            self.reply(400, {'inputs': problems, 'kind': item.get('kind')})
            return
        self.server.types[item['id']] = item
        self.reply(status, item)

    def do_POST(self) -> None:  # pylint: disable=invalid-name
        if not self.authorized():
            return
        body = self.body()
        self.server.writes.append(('POST', body))
        new_id = len(self.server.types) + 1
        self.write(dict(body, id=new_id, type='credential_type', url=f'/api/v2/credential_types/{new_id}/'), 201)

    def do_PATCH(self) -> None:  # pylint: disable=invalid-name
        if not self.authorized():
            return
        body = self.body()
        self.server.writes.append(('PATCH', body))
        item_id = int(self.path.rstrip('/').rsplit('/', 1)[1])
        self.write(dict(self.server.types[item_id], **body), 200)


def test_register_playbook_creates_the_type_once(awx_dir, collections_path, tmp_path, credential_type):
    """Run against a fake AWX: the first run creates the type from exactly inputs.yml and injectors.yml (and AWX's
    checks accept it), a second run changes nothing."""
    awx = FakeAwx()
    try:
        env = awx_env(collections_path, CONTROLLER_HOST=awx.url, CONTROLLER_OAUTH_TOKEN=awx.token)
        cmd = [os.path.join(BIN, 'ansible-playbook'), os.path.join(awx_dir, 'register_credential_type.yml')]
        runs = [subprocess.run(cmd, env=env, cwd=str(tmp_path), check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for _run in range(2)]
    finally:
        awx.shutdown()
        awx.server_close()
    for run in runs:
        assert run.returncode == 0, run.stdout
    assert 'changed=1' in runs[0].stdout and 'changed=0' in runs[1].stdout
    assert [method for method, _body in awx.writes] == ['POST']
    assert list(awx.types) == [1]
    created = awx.types[1]
    assert (created['inputs'], created['injectors']) == credential_type
    assert created['name'] == 'MongoDB Atlas' and created['kind'] == 'cloud' and created['managed'] is False

# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The module base: the Ansible adapter. The shared argument spec, input checks, the client built from the options, and
the one place where a task ends: exit() or fail(), reached from AtlasModule.run in each module's main().

Services below it raise TaskError or AtlasApiError and never see the AnsibleModule.
"""
from __future__ import annotations

import os
import re
import ssl
import traceback
import typing as t

from ansible.module_utils.basic import AnsibleModule, _load_params, env_fallback, missing_required_lib

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._auth import (
    SECRET_OPTIONS, DigestAuth, ServiceAccountAuth, TokenAuth, TokenCache, choose_credentials,
)
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, AtlasClient
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._errors import AtlasApiError, TaskError, scrub
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._explain import task_error
from ansible_collections.mongodb_atlas.backup.plugins.module_utils._waiter import Deadline

DEFAULT_BASE_URL = 'https://cloud.mongodb.com'
ID_PATTERN = re.compile(r'^[a-f0-9]{24}$')
CLUSTER_NAME_PATTERN = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9-]*$')

# The credentials have no env fallback here: choose_credentials (_auth) reads the environment itself, so that it knows
# which method the task named and which came from the environment.
SHARED_ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = dict(
    api_public_key=dict(type='str'),
    api_private_key=dict(type='str', no_log=True),
    client_id=dict(type='str'),
    client_secret=dict(type='str', no_log=True),
    access_token=dict(type='str', no_log=True),
    token_cache=dict(type='bool', default=True, fallback=(env_fallback, ['MONGODB_ATLAS_TOKEN_CACHE'])),
    token_cache_dir=dict(type='path', fallback=(env_fallback, ['MONGODB_ATLAS_TOKEN_CACHE_DIR'])),
    api_base_url=dict(type='str', fallback=(env_fallback, ['MONGODB_ATLAS_BASE_URL'])),
    api_version=dict(type='str', default='v2', choices=['v2', 'v1.0']),
    group_id=dict(type='str', aliases=['project_id'], fallback=(env_fallback, ['MONGODB_ATLAS_PROJECT_ID'])),
    cluster_name=dict(type='str', required=True),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='int', default=30),
    retries=dict(type='int', default=5),
)


def wait_argument_spec(timeout: int) -> dict[str, dict[str, t.Any]]:
    """wait and wait_timeout, as the atlas.wait doc fragment documents them; each module picks its default timeout."""
    return dict(wait=dict(type='bool', default=True), wait_timeout=dict(type='int', default=timeout))


def default_token_cache_dir() -> str:
    """Where service-account tokens are cached by default: beside Ansible's own per-user files on the host that runs the
    module (in an AWX job, the job's container, so one token per job)."""
    return os.path.join(os.path.expanduser('~'), '.ansible', 'cache', 'mongodb_atlas.backup', 'tokens')


# Retry waits longer than this are worth a warning even when the retries succeeded.
NOTICEABLE_RETRY_SECONDS = 10.0


def check_ca_path(path: str) -> str | None:
    """Why ca_path cannot be used (missing, unreadable, no certificate in it), or None when it can."""
    if os.path.isdir(path):
        return None if os.access(path, os.R_OK | os.X_OK) else f'ca_path {path} is a directory this user cannot read'
    if not os.path.exists(path):
        return f'ca_path {path} does not exist'
    if not os.access(path, os.R_OK):
        return f'ca_path {path} is not readable by this user'
    try:
        ssl.create_default_context(cafile=path)
    except ssl.SSLError:
        return f'ca_path {path} holds no PEM certificate (expected one or more "-----BEGIN CERTIFICATE-----" blocks)'
    except (OSError, ValueError) as exc:
        return f'ca_path {path} cannot be read: {getattr(exc, "strerror", None) or exc}'
    return None


class _FileOpFailed(Exception):
    """AnsibleModule.fail_json called by one of its own file helpers, caught before it could end the task."""

    def __init__(self, msg: str, details: dict[str, t.Any]) -> None:
        super().__init__(msg)
        self.msg = msg
        self.details = details


class AnsibleFiles:
    """The archive's FileOps: Ansible's file attributes (mode, owner, group, SELinux), clean-up files and atomic move.

    Ansible's helpers end the task themselves (fail_json) on a bad owner, group, mode or SELinux context, and on a
    failed move (ansible-core 2.17 and 2.18; 2.19 raises instead). Here every such failure is a TaskError, so that the
    task ends through AtlasModule.fail() with `changed` and `retries_used` like every other failure.
    """

    ATTRIBUTES = ('mode', 'owner', 'group', 'seuser', 'serole', 'setype', 'selevel')

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module

    @property
    def requested(self) -> bool:
        """The task sets any file attribute."""
        return any(self.module.params.get(key) is not None for key in self.ATTRIBUTES)

    def apply_attributes(self, path: str, default_mode: int | None) -> bool:
        args = self.module.load_file_common_arguments(self.module.params, path=path)
        if self.module.params.get('mode') is None and default_mode is not None:
            args['mode'] = default_mode
        action = f"apply the task's file attributes (mode, owner, group, SELinux) to {path}"
        return bool(self._raising(action, self.module.set_fs_attributes_if_different, args, False))

    def register_temp(self, path: str) -> None:
        self.module.add_cleanup_file(path)

    def move(self, src: str, dest: str) -> None:
        self._raising(f'move the verified download into place as {dest} (it was left as it was)', self.module.atomic_move, src, dest)

    def _raising(self, action: str, func: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
        """func(*args) with fail_json turned into an exception for the duration; any failure becomes a TaskError."""
        module = self.module

        def raise_instead(msg: str, **details: t.Any) -> t.NoReturn:
            raise _FileOpFailed(str(msg), details)

        own = module.__dict__.get('fail_json')  # an instance attribute (a test's stand-in) is put back; else the method shows again
        module.fail_json = raise_instead
        try:
            return func(*args)
        except _FileOpFailed as failure:
            detail = failure.details.get('details')
            reason = f'{failure.msg} ({detail})' if detail and str(detail) not in failure.msg else failure.msg
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # ansible-core 2.19's atomic_move raises Exception('Could not replace ...') from the OSError, which says why
            cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
            reason = getattr(cause, 'strerror', None) or str(cause)
        finally:
            if own is None:
                del module.fail_json
            else:
                module.fail_json = own
        raise TaskError(f'Could not {action}: {reason.rstrip(".")}.')


class AtlasModule:
    """An AnsibleModule with the shared options, checked input, an Atlas client, and Atlas-aware failures.

    Every exit goes through exit() or fail(), which add `changed` (true once Atlas was written to, even when the
    task then fails) and `retries_used`, and warn once when retries cost noticeable time.
    """

    def __init__(self, argument_spec: dict[str, dict[str, t.Any]], **kwargs: t.Any) -> None:
        """argument_spec adds the module's own options; an entry named like a shared option replaces that option's spec for
        this module only (atlas_snapshot_info makes cluster_name optional), and the module's documentation must say so."""
        spec = dict(SHARED_ARGUMENT_SPEC)
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.check_mode: bool = self.module.check_mode
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self.group_id_source = self._group_id_source()
        self._check_shared_params()
        self.group_id: str = self.params['group_id']
        # '' only where a module made cluster_name optional and the task left it out (the project's every cluster)
        self.cluster_name: str = self.params['cluster_name'] or ''
        self.client: AtlasClient = AtlasClient(
            base_url=self.params['api_base_url'] or DEFAULT_BASE_URL,
            auth=self._auth(),
            api_version=self.params['api_version'],
            timeout=self.params['timeout'],
            retries=self.params['retries'],
            validate_certs=self.params['validate_certs'],
            ca_path=self.params['ca_path'],
        )
        # The task's one time budget: every wait, conflict loop, settling re-list and fall-back of the task shares it, and
        # so does the client's longest pause before a retry. Modules without wait_timeout have none.
        wait_timeout = self.params.get('wait_timeout')
        self.deadline = Deadline(wait_timeout if wait_timeout is not None else 0)
        self.client.deadline = self.deadline.at if wait_timeout is not None else None

    def _auth(self) -> DigestAuth | ServiceAccountAuth | TokenAuth:
        """The auth of the method the task chose (task options first, then the environment); secrets read from the
        environment are kept out of every output, as no_log options are."""
        try:
            method, values = choose_credentials(self.params, os.environ)
        except TaskError as err:
            self.fail(err.msg)
        for name in SECRET_OPTIONS:
            if values.get(name):
                self.module.no_log_values.add(values[name])
        if method == 'access_token':
            return TokenAuth(values['access_token'])
        if method == 'service_account':
            directory = self.params['token_cache_dir'] or default_token_cache_dir()
            cache = TokenCache(directory, warn=self.module.warn) if self.params['token_cache'] else None
            return ServiceAccountAuth(values['client_id'], values['client_secret'], cache)
        return DigestAuth(values['api_public_key'], values['api_private_key'])

    def _group_id_source(self) -> str:
        """Where group_id came from, for messages: the task's option (or its alias) or the environment variable."""
        try:
            given = _load_params()
        except Exception:  # pylint: disable=broad-exception-caught
            given = {}
        for option in ('group_id', 'project_id'):
            if given.get(option):
                return f"the task's {option} option"
        return 'the environment variable MONGODB_ATLAS_PROJECT_ID' if self.params.get('group_id') else 'group_id'

    def _name_sources(self, msg: str) -> str:
        """Say where a checked value came from: 'Check group_id' becomes 'Check group_id, here from <source>'."""
        source = getattr(self, 'group_id_source', 'group_id')  # unset while the module is still being set up
        if 'Check group_id' in msg and source != 'group_id':
            msg = msg.replace('Check group_id', f'Check group_id, here from {source}', 1)
        return msg

    def _check_shared_params(self) -> None:
        """Reject bad connection input before any request is made."""
        p = self.params
        if not p['group_id']:
            self.fail('group_id is required (or set MONGODB_ATLAS_PROJECT_ID)')
        if not ID_PATTERN.match(p['group_id']):
            self.fail(f"group_id {p['group_id']!r} (from {self.group_id_source}) is not a valid Atlas id: expected 24 lowercase "
                      'hexadecimal characters')
        self.check_cluster_name('cluster_name', p['cluster_name'])
        if p['timeout'] < 1:
            self.fail(f"timeout must be at least 1 second, got {p['timeout']}")
        if p['retries'] < 0:
            self.fail(f"retries must be 0 or more, got {p['retries']}")
        if p.get('wait_timeout') is not None and p['wait_timeout'] < 0:
            self.fail(f"wait_timeout must be 0 or more, got {p['wait_timeout']}")
        base_url = p['api_base_url'] or DEFAULT_BASE_URL
        if not re.match(r'^https?://[^/?#]+/?$', base_url):
            self.fail(f'api_base_url {base_url!r} must be a scheme and host only, like https://cloud.mongodb.com')
        if p['ca_path'] and not p['validate_certs']:
            self.module.warn(f'validate_certs is false, so certificates are not checked at all and ca_path {p["ca_path"]} is ignored.')
        elif p['ca_path']:
            problem = check_ca_path(p['ca_path'])
            if problem:
                self.fail(f'{problem}. Point ca_path at the PEM bundle of the CA that signed the Atlas (or proxy) certificate.')

    def check_cluster_name(self, option: str, value: str | None) -> None:
        """Fail unless value is a valid Atlas cluster name."""
        if value is not None and not CLUSTER_NAME_PATTERN.match(value):
            self.fail(f"{option} {value!r} is not a valid Atlas cluster name: use letters, digits and hyphens, starting with a letter or digit")

    def check_id(self, option: str, value: str | None) -> None:
        """Fail unless value is an Atlas id (24 lowercase hexadecimal characters)."""
        if value is not None and not ID_PATTERN.match(value):
            self.fail(f'{option} {value!r} is not a valid Atlas id: expected 24 lowercase hexadecimal characters')

    def warn(self, msg: str) -> None:
        self.module.warn(msg)

    def _bookkeeping(self, result: dict[str, t.Any]) -> None:
        """changed is true once Atlas accepted a write, whether the task then ends well or not; retries are reported."""
        client: AtlasClient | None = getattr(self, 'client', None)  # None while the options are being checked
        result['changed'] = bool(result.get('changed')) or bool(client and client.wrote)
        if client is not None:
            result['retries_used'] = client.retries_used
            if client.retry_seconds > NOTICEABLE_RETRY_SECONDS and not result.get('failed'):
                self.module.warn(f'Atlas needed {client.retry_summary()}; the task succeeded.')

    def fail(self, msg: str, **kwargs: t.Any) -> t.NoReturn:
        result = dict(kwargs, failed=True)
        self._bookkeeping(result)
        result.pop('failed')
        self.module.fail_json(msg=self._name_sources(msg), **result)
        raise AssertionError('unreachable')  # fail_json exits; this keeps type checkers honest

    def run(self, body: t.Callable[[], t.Any]) -> None:
        """Run the module's body; an error nobody foresaw still ends as one clear failure, never a traceback."""
        try:
            body()
        except TaskError as err:
            self.fail(err.msg, **err.result)
        except AtlasApiError as err:
            action = f'work with cluster {self.cluster_name}' if self.cluster_name else 'work with the clusters of the project'
            error = task_error(action, err, self.group_id, self.cluster_name or None)
            self.fail(error.msg, **error.result)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            message = scrub(' '.join(str(exc).split()))[:300] or 'no detail'
            self.fail(f'Unexpected {exc.__class__.__name__} in {self.module._name}: {message}. This is a bug in mongodb_atlas.backup; '
                      'please report it with the traceback shown at -vvv.', exception=scrub(traceback.format_exc()))

    def exit(self, **result: t.Any) -> t.NoReturn:
        self._bookkeeping(result)
        self.module.exit_json(**result)
        raise AssertionError('unreachable')

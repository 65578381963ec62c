# -*- coding: utf-8 -*-
# Copyright (c) 2026 mongodb_atlas.backup contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This module_utils is PRIVATE to the mongodb_atlas.backup collection; its API may change without notice.
"""The module base: the shared argument spec, input checks, the client, and Atlas errors turned into fail_json.

Also owns what every module needs to know about a cluster: its kind (replica set, sharded, flex,
tenant) and the API paths that follow from it.
"""
from __future__ import annotations

import os
import re
import ssl
import traceback
import typing as t

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.mongodb_atlas.backup.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    AtlasApiError,
    AtlasClient,
    DigestAuth,
    scrub,
)

DEFAULT_BASE_URL = 'https://cloud.mongodb.com'
ID_PATTERN = re.compile(r'^[a-f0-9]{24}$')
CLUSTER_NAME_PATTERN = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9-]*$')

# Cluster kinds, as atlas_snapshot_info returns them in cluster_kind.
REPLICA_SET = 'replicaSet'
SHARDED = 'shardedCluster'
FLEX = 'flex'
TENANT = 'tenant'
NO_BACKUP = 'noBackup'

TENANT_TIERS = ('M2', 'M5')
FREE_TIER = 'M0'

SHARED_ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = dict(
    api_public_key=dict(type='str', fallback=(env_fallback, ['MONGODB_ATLAS_PUBLIC_KEY', 'MONGODB_ATLAS_PUBLIC_API_KEY'])),
    api_private_key=dict(type='str', no_log=True, fallback=(env_fallback, ['MONGODB_ATLAS_PRIVATE_KEY', 'MONGODB_ATLAS_PRIVATE_API_KEY'])),
    api_base_url=dict(type='str', fallback=(env_fallback, ['MONGODB_ATLAS_BASE_URL'])),
    api_version=dict(type='str', default='v2', choices=['v2', 'v1.0']),
    group_id=dict(type='str', aliases=['project_id'], fallback=(env_fallback, ['MONGODB_ATLAS_PROJECT_ID'])),
    cluster_name=dict(type='str', required=True),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='int', default=30),
    retries=dict(type='int', default=5),
)

# errorCodes that mean "the caller's address is not on the key's API access list" (old and new names).
ACCESS_LIST_CODES = frozenset((
    'IP_ADDRESS_NOT_ON_ACCESS_LIST', 'ORG_REQUIRES_ACCESS_LIST', 'RESOURCE_REQUIRES_ACCESS_LIST',
    'IP_ADDRESS_NOT_ON_WHITELIST', 'ORG_REQUIRES_WHITELIST', 'RESOURCE_REQUIRES_WHITELIST',
))
ROLE_CODES = frozenset(('USER_UNAUTHORIZED', 'NOT_IN_GROUP', 'USER_CANNOT_ACCESS_GROUP', 'TENANT_SNAPSHOT_ACCESS_DENIED'))
TRANSIENT_STATUSES = frozenset((429, 500, 502, 503, 504))

# "This thing does not exist", per resource. A 404 with any other code (RESOURCE_NOT_FOUND: an unknown path or
# version, or no code at all) is about the route, not the resource, and is never read as "already gone".
MISSING_CODES: dict[str, frozenset[str]] = {
    'snapshot': frozenset(('SNAPSHOT_NOT_FOUND', 'TENANT_SNAPSHOT_NOT_FOUND', 'INVALID_SNAPSHOT_ID')),
    'job': frozenset(('RESTORE_JOB_NOT_FOUND', 'TENANT_RESTORE_NOT_FOUND')),
    'cluster': frozenset(('CLUSTER_NOT_FOUND',)),
    'project': frozenset(('GROUP_NOT_FOUND',)),
}
# Retry waits longer than this are worth a warning even when the retries succeeded.
NOTICEABLE_RETRY_SECONDS = 10.0


def is_missing(err: AtlasApiError, resource: str) -> bool:
    """True when Atlas said this resource (snapshot, job, cluster, project) does not exist."""
    return err.status in (400, 404) and err.error_code in MISSING_CODES[resource]


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


class TaskError(Exception):
    """The task cannot succeed: raised wherever that is found, turned into fail_json once, by AtlasModule.run in main().

    result carries extra result fields (error_code, job_id, snapshot ...) for the failure.
    """

    def __init__(self, msg: str, **result: t.Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.result = result


class ClusterInfo(t.NamedTuple):
    """What the modules need to know about a cluster."""

    name: str
    kind: str           # REPLICA_SET, SHARDED, FLEX, TENANT or NO_BACKUP
    tier: str | None    # instance size, e.g. M10; None for flex
    backup_enabled: bool


def explain_error(action: str, err: AtlasApiError, group_id: str | None = None, cluster_name: str | None = None) -> str:
    """Turn an Atlas error into one sentence a person can act on: 'Failed to <action>: <why> (<errorCode>)'."""
    code = err.error_code or ''
    suffix = f' ({code})' if code else ''
    status = err.status
    if status == 401 and code in ROLE_CODES:
        why = ('the API key does not have a project role that allows this. Reading needs Project Read Only; taking, re-dating and '
               'deleting snapshots need Project Backup Manager (or Owner); downloads need Project Owner (or Backup Export Operator for Flex)')
    elif status == 401:
        why = ('Atlas rejected the API key (HTTP 401). Check api_public_key and api_private_key '
               '(or MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY)')
    elif status == 403 and code in ACCESS_LIST_CODES:
        why = "the API key is not on the project's API access list. Add this host's public IP address to the key's access list"
    elif status == 403:
        why = f'Atlas refused the request (HTTP 403): {err.detail}. Check the API key\'s roles'
    elif status == 404 and code == 'GROUP_NOT_FOUND':
        why = f'project {group_id} does not exist or the API key cannot see it. Check group_id'
    elif status == 404 and code == 'CLUSTER_NOT_FOUND':
        why = f'no cluster named {cluster_name} exists in project {group_id}. Check cluster_name'
    elif status == 406 or code in ('INVALID_VERSION_DATE', 'VERSION_GONE'):
        why = (f'Atlas did not accept the API version requested (HTTP {status}): {err.detail}. '
               'Try api_version v2, or check that api_base_url points at the Atlas Administration API')
    elif status == 429:
        why = f'Atlas kept rate-limiting the requests and the retries ran out: {err.detail}. Run again later or raise retries'
    elif code == 'TLS_ERROR':
        why = err.detail
    elif status is None and code == 'REQUEST_ERROR':
        why = f'{err.detail}. Check api_base_url, ca_path and the proxy settings'
    elif status is None:
        why = f'could not reach Atlas: {err.detail}. Check api_base_url, the network and proxy settings, and TLS options'
    else:
        why = f'{err.detail} (HTTP {status})' if err.detail else f'HTTP {status}'
    return f'Failed to {action}: {why}{suffix}.'


def snake_result(doc: dict[str, t.Any]) -> dict[str, t.Any]:
    """An Atlas document as the user sees it: snake_case keys, without hypermedia links."""
    return camel_dict_to_snake_dict({k: v for k, v in doc.items() if k != 'links'})


def cluster_kind_from_description(doc: dict[str, t.Any]) -> ClusterInfo:
    """Work out a dedicated or shared-tier cluster's kind from GET cluster (v2 2024-08-05 or v1.0 legacy shape)."""
    tier = None
    provider_settings = doc.get('providerSettings') or {}
    if provider_settings.get('instanceSizeName'):
        tier = provider_settings['instanceSizeName']
    for spec in doc.get('replicationSpecs') or []:
        for region in spec.get('regionConfigs') or []:
            tier = tier or (region.get('electableSpecs') or {}).get('instanceSize')
    backup_enabled = bool(doc.get('backupEnabled') or doc.get('providerBackupEnabled'))
    name = doc.get('name', '')
    if tier == FREE_TIER:
        return ClusterInfo(name, NO_BACKUP, tier, False)
    if tier in TENANT_TIERS:
        return ClusterInfo(name, TENANT, tier, True)
    kind = SHARDED if doc.get('clusterType') in ('SHARDED', 'GEOSHARDED') else REPLICA_SET
    return ClusterInfo(name, kind, tier, backup_enabled)


class AtlasModule:
    """An AnsibleModule with the shared options, checked input, an Atlas client, and Atlas-aware failures.

    Every exit goes through exit() or fail(), which add `changed` (true once Atlas was written to, even when the
    task then fails) and `retries_used`, and warn once when retries cost noticeable time.
    """

    def __init__(self, argument_spec: dict[str, dict[str, t.Any]], **kwargs: t.Any) -> None:
        spec = dict(SHARED_ARGUMENT_SPEC)
        spec.update(argument_spec)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        self.wrote = False  # set by wrote_to_atlas(): a POST, PATCH or DELETE that Atlas accepted
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self._check_connection_params()
        self.group_id: str = self.params['group_id']
        self.cluster_name: str = self.params['cluster_name']
        self.client: AtlasClient = AtlasClient(
            base_url=self.params['api_base_url'] or DEFAULT_BASE_URL,
            auth=DigestAuth(self.params['api_public_key'], self.params['api_private_key']),
            api_version=self.params['api_version'],
            timeout=self.params['timeout'],
            retries=self.params['retries'],
            validate_certs=self.params['validate_certs'],
            ca_path=self.params['ca_path'],
        )

    def _check_connection_params(self) -> None:
        """Reject bad connection input before any request is made."""
        p = self.params
        if not p['api_public_key'] or not p['api_private_key']:
            self.fail('api_public_key and api_private_key are required (or set MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY)')
        if not p['group_id']:
            self.fail('group_id is required (or set MONGODB_ATLAS_PROJECT_ID)')
        self.check_id('group_id', p['group_id'])
        if not CLUSTER_NAME_PATTERN.match(p['cluster_name']):
            self.fail(f"cluster_name {p['cluster_name']!r} is not a valid Atlas cluster name: use letters, digits and hyphens, "
                      'starting with a letter or digit')
        if p['timeout'] < 1:
            self.fail(f"timeout must be at least 1 second, got {p['timeout']}")
        if p['retries'] < 0:
            self.fail(f"retries must be 0 or more, got {p['retries']}")
        base_url = p['api_base_url'] or DEFAULT_BASE_URL
        if not re.match(r'^https?://[^/?#]+/?$', base_url):
            self.fail(f'api_base_url {base_url!r} must be a scheme and host only, like https://cloud.mongodb.com')
        if p['ca_path'] and not p['validate_certs']:
            self.module.warn(f'validate_certs is false, so certificates are not checked at all and ca_path {p["ca_path"]} is ignored.')
        elif p['ca_path']:
            problem = check_ca_path(p['ca_path'])
            if problem:
                self.fail(f'{problem}. Point ca_path at the PEM bundle of the CA that signed the Atlas (or proxy) certificate.')

    def check_id(self, option: str, value: str | None) -> None:
        """Fail unless value is an Atlas id (24 lowercase hexadecimal characters)."""
        if value is not None and not ID_PATTERN.match(value):
            self.fail(f'{option} {value!r} is not a valid Atlas id: expected 24 lowercase hexadecimal characters')

    def wrote_to_atlas(self) -> None:
        """Atlas accepted a write: from now on the task reports changed, whether it ends well or not."""
        self.wrote = True

    def _bookkeeping(self, result: dict[str, t.Any]) -> None:
        result['changed'] = bool(result.get('changed')) or self.wrote
        client: AtlasClient | None = getattr(self, 'client', None)  # None while the options are being checked
        if client is not None:
            result['retries_used'] = client.retries_used
            if client.retry_seconds > NOTICEABLE_RETRY_SECONDS and not result.get('failed'):
                self.module.warn(f'Atlas needed {client.retry_summary()}; the task succeeded.')

    def fail(self, msg: str, **kwargs: t.Any) -> t.NoReturn:
        result = dict(kwargs, failed=True)
        self._bookkeeping(result)
        result.pop('failed')
        self.module.fail_json(msg=msg, **result)
        raise AssertionError('unreachable')  # fail_json exits; this keeps type checkers honest

    def api_error(self, action: str, err: AtlasApiError) -> TaskError:
        """The TaskError to raise for an Atlas error: an actionable message, with its status and errorCode."""
        return TaskError(explain_error(action, err, self.group_id, self.cluster_name), status=err.status, error_code=err.error_code)

    def run(self, body: t.Callable[[], t.Any]) -> None:
        """Run the module's body; an error nobody foresaw still ends as one clear failure, never a traceback."""
        try:
            body()
        except TaskError as err:
            self.fail(err.msg, **err.result)
        except AtlasApiError as err:
            error = self.api_error(f'work with cluster {self.cluster_name}', err)
            self.fail(error.msg, **error.result)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            message = scrub(' '.join(str(exc).split()))[:300] or 'no detail'
            self.fail(f'Unexpected {exc.__class__.__name__} in {self.module._name}: {message}. This is a bug in mongodb_atlas.backup; '
                      'please report it with the traceback shown at -vvv.', exception=scrub(traceback.format_exc()))

    # Paths. Cluster names and ids are validated before they get here, so they are safe in a URL path.
    def cluster_path(self, suffix: str = '') -> str:
        return f'/groups/{self.group_id}/clusters/{self.cluster_name}{suffix}'

    def flex_path(self, suffix: str = '') -> str:
        return f'/groups/{self.group_id}/flexClusters/{self.cluster_name}{suffix}'

    def get_cluster(self) -> ClusterInfo:
        """Find out the cluster's kind with one request: GET cluster, which refuses Flex clusters with a telling code."""
        try:
            doc = self.client.get(self.cluster_path(), resource='cluster') or {}
        except AtlasApiError as err:
            if err.error_code == 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API':
                return ClusterInfo(self.cluster_name, FLEX, None, True)
            raise self.api_error(f'read cluster {self.cluster_name}', err) from None
        info = cluster_kind_from_description(doc)
        return info._replace(name=info.name or self.cluster_name)

    def exit(self, **result: t.Any) -> t.NoReturn:
        self._bookkeeping(result)
        self.module.exit_json(**result)
        raise AssertionError('unreachable')
